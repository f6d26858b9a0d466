"""The generator seam: a request in, media bytes and how they were made out.

A generator (ComfyUI for images, espeak-ng or a neural voice for speech, a
music model) implements :class:`Generator`. It takes a
:class:`GenerationRequest` and returns one :class:`GeneratedOutput` per result:
the bytes, what they are, and what lineage needs to reproduce them (seed,
model, device, workflow hash; DESIGN §6). It does not touch the vault: the
caller registers the bytes as assets and records a ``GenerationRecorded`` for
each, so the same backend serves a command, the TUI and a test.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.domain.assets import AssetKind


class GenerationRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What to make: a prompt, a seed, how many, from which input assets, with backend parameters."""

    prompt: str
    seed: int
    kind: AssetKind = "image"
    count: int = 1
    inputs: list[str] = []
    """Ids of the assets the result is made from (a reference image, a voice sample)."""
    params: dict[str, str] = {}
    """Backend settings (``steps``, ``voice``, ``width``); strings, as a command line gives them."""


class GeneratedOutput(msgspec.Struct, frozen=True, kw_only=True):
    """One result: its bytes and type, and the facts a ``GenerationRecorded`` keeps."""

    data: bytes
    kind: AssetKind
    mime: str
    seed: int
    """The seed this output was made with (a batch may step it per output)."""
    model: str
    device: str = ""
    workflow_hash: str = ""
    meta: dict[str, str] = {}


@runtime_checkable
class Generator(Protocol):
    """Makes media from a request; the same request with the same seed makes the same bytes where it can."""

    @property
    def info(self) -> AdapterInfo:
        """Name and version of the backend adapter."""

    def generate(self, request: GenerationRequest) -> list[GeneratedOutput]:
        """``request.count`` outputs; raise :class:`~comfyvn_vault.errors.InputRejected` for a bad request
        and :class:`~comfyvn_vault.errors.RemoteFailed` when the backend fails."""
