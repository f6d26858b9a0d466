"""A generator with no backend: deterministic bytes from the request and its seed.

It stands in for ComfyUI or a TTS engine wherever a real one is not wanted (tests,
a dry run of a pipeline): the same request gives the same bytes, a different
seed or prompt different ones, and each output carries the seed, model and
device a real backend would report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import blake3
import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.generator import GeneratedOutput, GenerationRequest
from comfyvn_vault.errors import InputRejected

MAX_COUNT: Final = 64
MAX_SIZE: Final = 1 << 20
SEED_MAX: Final = (1 << 64) - 1
_encoder: Final = msgspec.msgpack.Encoder(order="deterministic")


class SeededGenerator:
    """``count`` outputs of ``size`` bytes (param ``size``, default 64); output ``i`` uses seed ``seed + i``."""

    info: Final = AdapterInfo("seeded", "1")
    model: Final = "blake3-xof"

    def generate(self, request: GenerationRequest) -> list[GeneratedOutput]:
        if not 1 <= request.count <= MAX_COUNT:
            raise InputRejected(f"count {request.count}: between 1 and {MAX_COUNT}")
        if not 0 <= request.seed <= SEED_MAX - request.count + 1:
            raise InputRejected(f"seed {request.seed}: from 0 to {SEED_MAX} for every output")
        size_text = request.params.get("size", "64")
        if not size_text.isdigit() or not 1 <= int(size_text) <= MAX_SIZE:
            raise InputRejected(f"size {size_text[:20]!r}: a number of bytes from 1 to {MAX_SIZE}")
        size = int(size_text)
        # The recipe without the seed: what a workflow hash names for a real backend.
        recipe = _encoder.encode([request.prompt, request.kind, sorted(request.inputs), request.params])
        workflow = blake3.blake3(recipe).hexdigest()
        out: list[GeneratedOutput] = []
        for i in range(request.count):
            seed = request.seed + i
            data = blake3.blake3(recipe + seed.to_bytes(8, "little")).digest(length=size)
            out.append(
                GeneratedOutput(
                    data=data,
                    kind=request.kind,
                    mime="application/octet-stream",
                    seed=seed,
                    model=self.model,
                    device="cpu",
                    workflow_hash=workflow,
                )
            )
        return out


if TYPE_CHECKING:
    from comfyvn_vault.adapters.generator import Generator

    # Satisfies the seam's protocol (checked by mypy, which sees no registry strings).
    _generator: Generator = SeededGenerator()
