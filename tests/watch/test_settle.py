"""The debounce rule, with explicit times (no clock, no files)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comfyvn_vault.watch.settle import Settler
from comfyvn_vault.watch.watcher import entity_path_of


def test_a_burst_settles_once_after_the_quiet_period() -> None:
    s = Settler(quiet=0.3, longest=10)
    assert s.wait(0.0) is None and not s.due(0.0)
    for i in range(50):
        s.note(["scenes/intro"], i * 0.01)
        assert not s.due(i * 0.01 + 0.29)
    s.note(["scenes/b", "scenes/intro"], 0.5)
    assert s.wait(0.6) == pytest.approx(0.2)
    assert not s.due(0.79) and s.due(0.8)
    assert s.take() == ["scenes/intro", "scenes/b"]
    assert not s.pending and s.wait(1.0) is None


def test_endless_writes_still_settle_at_the_longest_wait() -> None:
    s = Settler(quiet=0.3, longest=2.0)
    t = 0.0
    while not s.due(t):
        s.note(["scenes/log"], t)
        t += 0.1
    assert t == pytest.approx(2.0)


def test_empty_notes_change_nothing() -> None:
    s = Settler()
    s.note([], 1.0)
    assert not s.pending and s.wait(5.0) is None
    with pytest.raises(ValueError):
        Settler(quiet=0)


@given(st.lists(st.floats(min_value=0, max_value=0.25), min_size=1, max_size=40))
def test_gaps_shorter_than_quiet_never_settle_early(gaps: list[float]) -> None:
    s = Settler(quiet=0.3, longest=100)
    t = 0.0
    for gap in gaps:
        t += gap
        assert not s.due(t)
        s.note(["scenes/a"], t)
    assert s.due(t + 0.3) and not s.due(t + 0.299)


def test_only_entity_files_outside_the_store_count(tmp_path: object) -> None:
    from pathlib import Path

    root = Path("/v")
    assert entity_path_of(root, "/v/scenes/intro.toml") == "scenes/intro"
    assert entity_path_of(root, "/v/characters/alice.toml") == "characters/alice"
    for ignored in (
        "/v/.comfyvn/index/data.mdb",
        "/v/.comfyvn/scenes/x.toml",
        "/v/scenes/.intro.toml.swp",
        "/v/scenes/intro.toml~",
        "/v/scenes/.intro.toml.comfyvn-tmp",
        "/v/scenes/intro.toml.tmp123",
        "/v/art/bg.png",
        "/v/notes.toml",
        "/elsewhere/scenes/a.toml",
    ):
        assert entity_path_of(root, ignored) is None, ignored
