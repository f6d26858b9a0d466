"""Two variants of a 50-scene story, merged path by path and checked field by field."""

from __future__ import annotations

from typing import Any

import pytest

from comfyvn_vault.domain import Character, Choice, Entity, Node, Scene, Timeline, Variable, path_of
from comfyvn_vault.domain.conflicts import ABSENT, Conflict
from comfyvn_vault.domain.entities import TYPE_OF
from comfyvn_vault.domain.merge import merge_entity
from comfyvn_vault.domain.resolve import place, resolve, value_at
from comfyvn_vault.domain.validate import check_scene
from comfyvn_vault.store.codec import encode

State = dict[str, Entity]
SCENES = [f"s{i:02d}" for i in range(50)]


def story() -> State:
    """50 chained scenes of 5 nodes (a choice in each), a bonus scene nothing links to, cast, route, variables."""
    docs: list[Entity] = []
    for i, sid in enumerate(SCENES):
        onward = [f"{SCENES[i + 1]}:"] if i + 1 < len(SCENES) else []
        nodes = [
            Node(
                f"n{k}",
                speaker="alice" if k % 2 else "bob",
                content=f"Line {k} of scene {i}: the lamp is dark tonight",
                next=[f"n{k + 1}"] if k < 4 else onward,
                choices=[Choice("c1", "Stay", "n3"), Choice("c2", "Leave", "n4")] if k == 2 else [],
            )
            for k in range(5)
        ]
        docs.append(Scene(sid, f"Scene {i}", nodes))
    docs.append(Scene("bonus", "Bonus", [Node("n0", content="A secret")]))
    docs.append(Timeline("main", "Main route", scene_order=list(SCENES)))
    docs.append(Character("alice", "Alice", traits={"mood": "calm"}, expressions={"happy": "alice-happy"}))
    docs.append(Character("bob", "Bob", expressions={"happy": "bob-happy"}))
    docs.append(Variable("hp", "HP", 10))
    docs.append(Variable("met_bob", "Met Bob", False))
    return {path_of(doc): doc for doc in docs}


def put(state: State, path: str, locator: str, value: Any, after: str | None = None) -> None:
    kind = TYPE_OF[path.split("/")[0]]
    new = place(kind, state.get(path), locator, after).put(value)
    if new is None:
        del state[path]
    else:
        state[path] = new


def variants() -> tuple[State, State, State]:
    base = story()
    ours, theirs = dict(base), dict(base)
    # disjoint edits
    put(ours, "scenes/s00", "title", "Prologue")
    put(theirs, "scenes/s00", "nodes/n0/content", "Once upon a time")
    put(ours, "scenes/s01", "nodes/n2/content", "Line 2 of scene 1: the old lamp is dark tonight")
    put(theirs, "scenes/s01", "nodes/n2/content", "Line 2 of scene 1: the lamp is dark this night")
    put(ours, "scenes/s02", "nodes/o-new", Node("o-new", content="ours", next=["n2"]), after="n1")
    put(theirs, "scenes/s02", "nodes/t-new", Node("t-new", content="theirs", next=["n3"]), after="n1")
    put(ours, "scenes/s03", "nodes/n3/next", [])
    put(ours, "scenes/s03", "nodes/n2/choices/c2/target", "n3")
    put(ours, "scenes/s03", "nodes/n4", ABSENT)
    put(ours, "scenes/s05", "nodes/n2/choices/c3", Choice("c3", "Wait", "n2"), after="c2")
    put(theirs, "scenes/s05", "nodes/n2/choices/c4", Choice("c4", "Run", "n4"), after="c2")
    put(ours, "scenes/s06", "nodes/n2/speaker", "narrator")
    put(theirs, "scenes/s06", "nodes/n2/content", "A new line")
    put(ours, "scenes/s08", "meta/mood", "tense")
    put(theirs, "scenes/s08", "meta/music", "rain")
    put(ours, "scenes/s10", "nodes", ["n4", "n0", "n1", "n2", "n3"])
    put(theirs, "scenes/s10", "nodes/n4/content", "Moved, and edited")
    put(ours, "timelines/main", "scene_order", [*(s for s in SCENES if s != "s10"), "s10"])
    theirs["scenes/s50"] = Scene("s50", "Epilogue", [Node("n0", content="The end")])
    put(theirs, "timelines/main", "scene_order", [*SCENES[:21], "s50", *SCENES[21:]])
    put(ours, "characters/alice", "traits/mood", "brave")
    put(theirs, "characters/alice", "traits/voice", "soft")
    put(ours, "characters/bob", "name", "Robert")
    put(theirs, "characters/bob", "expressions/happy", "bob-happy-2")
    # overlapping edits
    put(ours, "scenes/s04", "nodes/n1/content", "Ours line")
    put(theirs, "scenes/s04", "nodes/n1/content", "Theirs line")
    del ours["scenes/bonus"]
    put(theirs, "scenes/bonus", "nodes/n0/content", "A bigger secret")
    put(ours, "scenes/s09", "nodes/n3/content", "Kept by ours")
    put(theirs, "scenes/s09", "nodes/n2/next", [])
    put(theirs, "scenes/s09", "nodes/n2/choices/c1/target", "n4")
    put(theirs, "scenes/s09", "nodes/n3", ABSENT)
    put(ours, "scenes/s11", "nodes/n2/choices/c2", ABSENT)
    put(theirs, "scenes/s11", "nodes/n2/choices/c2/text", "Go away")
    put(ours, "scenes/s12", "nodes/x", Node("x", content="ours x"), after="n4")
    put(theirs, "scenes/s12", "nodes/x", Node("x", content="theirs x"), after="n4")
    put(ours, "variables/hp", "value", 12)
    put(theirs, "variables/hp", "value", 8)
    return base, ours, theirs


def merge_states(base: State, ours: State, theirs: State) -> tuple[State, list[Conflict]]:
    merged: State = {}
    conflicts: list[Conflict] = []
    for path in sorted(base.keys() | ours.keys() | theirs.keys()):
        result = merge_entity(path, base.get(path), ours.get(path), theirs.get(path))
        conflicts += result.conflicts
        if result.entity is not None:
            merged[path] = result.entity
    return merged, conflicts


@pytest.fixture(scope="module")
def merged() -> tuple[State, State, State, State, list[Conflict]]:
    base, ours, theirs = variants()
    for variant in (base, ours, theirs):
        check_story(variant)
    state, conflicts = merge_states(base, ours, theirs)
    return base, ours, theirs, state, conflicts


EXPECTED: dict[tuple[str, str], Any] = {
    ("scenes/s00", "title"): "Prologue",
    ("scenes/s00", "nodes/n0/content"): "Once upon a time",
    ("scenes/s01", "nodes/n2/content"): "Line 2 of scene 1: the old lamp is dark this night",
    ("scenes/s02", "nodes"): ["n0", "n1", "o-new", "t-new", "n2", "n3", "n4"],
    ("scenes/s03", "nodes"): ["n0", "n1", "n2", "n3"],
    ("scenes/s03", "nodes/n3/next"): [],
    ("scenes/s03", "nodes/n2/choices/c2/target"): "n3",
    ("scenes/s05", "nodes/n2/choices"): ["c1", "c2", "c3", "c4"],
    ("scenes/s06", "nodes/n2/speaker"): "narrator",
    ("scenes/s06", "nodes/n2/content"): "A new line",
    ("scenes/s08", "meta"): {"mood": "tense", "music": "rain"},
    ("scenes/s10", "nodes"): ["n4", "n0", "n1", "n2", "n3"],
    ("scenes/s10", "nodes/n4/content"): "Moved, and edited",
    ("timelines/main", "scene_order"): [s for s in SCENES[:21] if s != "s10"] + ["s50"] + SCENES[21:] + ["s10"],
    ("scenes/s50", "title"): "Epilogue",
    ("characters/alice", "traits"): {"mood": "brave", "voice": "soft"},
    ("characters/bob", "name"): "Robert",
    ("characters/bob", "expressions"): {"happy": "bob-happy-2"},
    # conflicted places hold ours
    ("scenes/s04", "nodes/n1/content"): "Ours line",
    ("scenes/s09", "nodes"): ["n0", "n1", "n2", "n3", "n4"],
    ("scenes/s09", "nodes/n3/content"): "Kept by ours",
    ("scenes/s09", "nodes/n2/next"): [],
    ("scenes/s09", "nodes/n2/choices/c1/target"): "n4",
    ("scenes/s11", "nodes/n2/choices"): ["c1"],
    ("scenes/s12", "nodes/x/content"): "ours x",
    ("variables/hp", "value"): 12,
}
CONFLICTS = {
    ("scenes/bonus", "", "delete-edit"),
    ("scenes/s04", "nodes/n1/content", "edit-edit"),
    ("scenes/s09", "nodes/n3", "delete-edit"),
    ("scenes/s11", "nodes/n2/choices/c2", "delete-edit"),
    ("scenes/s12", "nodes/x/content", "add-add"),
    ("variables/hp", "value", "edit-edit"),
}
TOUCHED = {path for path, _ in EXPECTED} | {path for path, _, _ in CONFLICTS}


def test_every_edit_lands_field_by_field(merged: tuple[State, State, State, State, list[Conflict]]) -> None:
    base, _, _, state, _ = merged
    for (path, locator), want in EXPECTED.items():
        assert value_at(state[path], locator) == want, (path, locator)
    # everything neither side touched is byte for byte what it was
    untouched = [path for path in base if path not in TOUCHED]
    assert len(untouched) == len(base) - len(TOUCHED & base.keys()) >= 36
    for path in untouched:
        assert encode(state[path]) == encode(base[path]), path
    assert "scenes/bonus" not in state  # deleted by ours; the conflict keeps theirs' edit


def test_only_the_overlapping_edits_conflict(merged: tuple[State, State, State, State, list[Conflict]]) -> None:
    conflicts = merged[4]
    assert {(c.path, c.locator, c.kind) for c in conflicts} == CONFLICTS
    assert len({c.id for c in conflicts}) == len(conflicts)


def check_story(state: State) -> None:
    for doc in state.values():
        if isinstance(doc, Scene):
            check_scene(state.get, doc)


def test_the_merged_story_is_valid(merged: tuple[State, State, State, State, list[Conflict]]) -> None:
    check_story(merged[3])


def test_resolving_every_conflict_as_theirs_or_ours(merged: tuple[State, State, State, State, list[Conflict]]) -> None:
    _, ours, theirs, state, conflicts = merged
    as_theirs, as_ours = dict(state), dict(state)
    for conflict in conflicts:
        for target, how in ((as_theirs, "theirs"), (as_ours, "ours")):
            doc = resolve(target.get(conflict.path), conflict, how)  # type: ignore[arg-type]
            if doc is None:
                target.pop(conflict.path, None)
            else:
                target[conflict.path] = doc
    assert as_ours == state
    assert as_theirs["scenes/bonus"] == theirs["scenes/bonus"]
    assert value_at(as_theirs["scenes/s04"], "nodes/n1/content") == "Theirs line"
    assert value_at(as_theirs["scenes/s09"], "nodes/n3") is ABSENT
    assert value_at(as_theirs["scenes/s11"], "nodes/n2/choices/c2/text") == "Go away"
    assert value_at(as_theirs["scenes/s12"], "nodes/x/content") == "theirs x"
    assert as_theirs["variables/hp"] == theirs["variables/hp"]
    check_story(as_theirs)
    assert ours["scenes/s04"] != theirs["scenes/s04"]
