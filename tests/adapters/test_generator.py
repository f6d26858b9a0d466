"""The seeded generator: deterministic bytes, and the lineage facts a real backend would report."""

from __future__ import annotations

import pytest

from comfyvn_vault.adapters import GenerationRequest, Generator
from comfyvn_vault.adapters.seeded import MAX_COUNT, SEED_MAX, SeededGenerator
from comfyvn_vault.errors import InputRejected


def _run(**kw: object) -> list[bytes]:
    request = GenerationRequest(**{"prompt": "a lighthouse at dusk", "seed": 7, **kw})  # type: ignore[arg-type]
    return [o.data for o in SeededGenerator().generate(request)]


def test_the_same_request_makes_the_same_bytes() -> None:
    assert _run() == _run()
    assert len(_run()[0]) == 64


def test_seed_prompt_params_and_inputs_change_the_bytes() -> None:
    base = _run()
    assert _run(seed=8) != base
    assert _run(prompt="a harbour") != base
    assert _run(params={"steps": "20"}) != base
    assert _run(inputs=["a" * 64]) != base
    assert _run(kind="audio") != base


def test_a_batch_steps_the_seed_per_output() -> None:
    outs = SeededGenerator().generate(GenerationRequest(prompt="p", seed=10, count=3))
    assert [o.seed for o in outs] == [10, 11, 12]
    assert [o.data for o in outs] == [_run(prompt="p", seed=s)[0] for s in (10, 11, 12)]
    assert len({o.data for o in outs}) == 3
    assert {o.workflow_hash for o in outs} == {outs[0].workflow_hash}  # the recipe, not the seed
    assert {(o.model, o.device, o.kind) for o in outs} == {("blake3-xof", "cpu", "image")}


def test_size_is_a_parameter() -> None:
    assert len(_run(params={"size": "1000"})[0]) == 1000


@pytest.mark.parametrize(
    "kw",
    [
        {"count": 0},
        {"count": MAX_COUNT + 1},
        {"seed": -1},
        {"seed": SEED_MAX, "count": 2},
        {"params": {"size": "0"}},
        {"params": {"size": "big"}},
        {"params": {"size": str(1 << 30)}},
    ],
)
def test_bad_requests_are_refused(kw: dict[str, object]) -> None:
    with pytest.raises(InputRejected):
        _run(**kw)


def test_it_is_a_generator() -> None:
    assert isinstance(SeededGenerator(), Generator)
    assert SeededGenerator().info.ref == "seeded@1"
