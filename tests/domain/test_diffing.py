"""``diff_entities``: applying the diff of two versions to the old one gives the new one, byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain import (
    Cause,
    Character,
    Choice,
    ChoiceMoved,
    Entity,
    Event,
    Node,
    NodeAdded,
    NodeEdited,
    NodeFields,
    NodeMoved,
    NodeRemoved,
    Rejected,
    Scene,
    Variable,
    VariableDeleted,
    VariableSet,
    apply_all,
    diff_entities,
)
from comfyvn_vault.store.codec import encode
from tests.domain.strategies import next_versions, states

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WATCH = Cause(kind="watch", ref="scenes/intro.json")


def _replay(state: dict[str, Entity], path: str, events: list[Event]) -> Entity | None:
    changes = apply_all(state.get, events)
    return changes[path] if path in changes else state.get(path)


def _assert_same(got: Entity | None, want: Entity | None) -> None:
    assert (got is None) == (want is None)
    if got is not None and want is not None:
        assert encode(got) == encode(want)


@PROPERTY
@given(st.data())
def test_applying_the_diff_gives_the_new_version_and_back(data: st.DataObject) -> None:
    state = data.draw(states())
    path, old, new = data.draw(next_versions(state))
    events = diff_entities(path, old, new, cause=WATCH)
    _assert_same(_replay(state, path, events), new)
    assert all(event.cause == WATCH for event in events)
    # the reverse diff (a revert) restores the old version
    after = {p: d for p, d in state.items() if p != path}
    if new is not None:
        after[path] = new
    _assert_same(_replay(after, path, diff_entities(path, new, old, cause=WATCH)), old)
    # equal versions give no events
    for version in (old, new):
        assert diff_entities(path, version, version, cause=WATCH) == []


def _scene(*nodes: Node) -> Scene:
    return Scene("intro", "Intro", nodes=list(nodes))


def test_a_hand_edited_line_is_one_node_edit() -> None:
    old = _scene(Node("a", content="Hello"), Node("b", content="Bye"))
    new = _scene(Node("a", content="Hello!"), Node("b", content="Bye"))
    assert diff_entities("scenes/intro", old, new, cause=WATCH) == [
        NodeEdited(scene_id="intro", node_id="a", content="Hello!", before=NodeFields(content="Hello"), cause=WATCH)
    ]


def test_reordering_nodes_gives_moves_only() -> None:
    ids = [f"n{i}" for i in range(6)]
    old = _scene(*(Node(i) for i in ids))
    new = _scene(*(Node(i) for i in reversed(ids)))
    events = diff_entities("scenes/intro", old, new, cause=WATCH)
    assert all(isinstance(e, NodeMoved) for e in events)
    assert len(events) == len(ids) - 1
    _assert_same(_replay({"scenes/intro": old}, "scenes/intro", events), new)


def test_one_node_moved_far_is_one_move() -> None:
    old = _scene(*(Node(f"n{i}") for i in range(50)))
    new = _scene(*old.nodes[1:], old.nodes[0])
    assert diff_entities("scenes/intro", old, new, cause=WATCH) == [
        NodeMoved(scene_id="intro", node_id="n0", after="n49", cause=WATCH)
    ]


def test_reordered_choices_keep_their_identity() -> None:
    a, b = Choice("c1", "Stay", "x"), Choice("c2", "Go", "x")
    old = _scene(Node("q", choices=[a, b]), Node("x"))
    new = _scene(Node("q", choices=[b, a]), Node("x"))
    events = diff_entities("scenes/intro", old, new, cause=WATCH)
    assert [type(e) for e in events] == [ChoiceMoved]
    _assert_same(_replay({"scenes/intro": old}, "scenes/intro", events), new)


def test_new_nodes_linking_each_other_are_added_then_linked() -> None:
    old = _scene(Node("a"))
    new = _scene(Node("a", next=["b"]), Node("b", next=["c"]), Node("c", next=["b"]))
    events = diff_entities("scenes/intro", old, new, cause=WATCH)
    added = [e for e in events if isinstance(e, NodeAdded)]
    assert [e.node.id for e in added] == ["b", "c"]
    assert added[0].node.next == []  # b links c, which does not exist yet
    assert added[1].node.next == ["b"]
    _assert_same(_replay({"scenes/intro": old}, "scenes/intro", events), new)


def test_dropped_nodes_in_a_cycle_are_unlinked_then_removed() -> None:
    old = _scene(Node("a"), Node("b", next=["c"]), Node("c", next=["b"], choices=[Choice("k", "again", "b")]))
    new = _scene(Node("a"))
    events = diff_entities("scenes/intro", old, new, cause=WATCH)
    assert sum(isinstance(e, NodeRemoved) for e in events) == 2
    _assert_same(_replay({"scenes/intro": old}, "scenes/intro", events), new)


def test_meta_bool_and_int_are_different_values() -> None:
    old = _scene(Node("a", meta={"seen": 1}))
    new = _scene(Node("a", meta={"seen": True}))
    assert old == new  # Python's == cannot tell them apart …
    events = diff_entities("scenes/intro", old, new, cause=WATCH)
    assert len(events) == 1  # … but their bytes differ, so the edit is kept
    _assert_same(_replay({"scenes/intro": old}, "scenes/intro", events), new)


def test_changing_a_variables_type_is_delete_then_set() -> None:
    old = Variable("hp", "HP", 3)
    new = Variable("hp", "HP", "three")
    events = diff_entities("variables/hp", old, new, cause=WATCH)
    assert [type(e) for e in events] == [VariableDeleted, VariableSet]
    _assert_same(_replay({"variables/hp": old}, "variables/hp", events), new)


@pytest.mark.parametrize(
    ("path", "doc", "reason"),
    [
        ("scenes/intro", Scene("other"), "cannot hold scene 'other'"),
        ("characters/intro", Scene("intro"), "cannot hold scene 'intro'"),
        ("scenes/intro#a", Scene("intro"), "not the path of"),
        ("assets/" + "a" * 64, None, "not the path of"),
        ("nowhere/x", None, "not an entity path"),
        ("scenes/intro", Scene("intro", nodes=[Node("a"), Node("a")]), "two nodes with id 'a'"),
    ],
)
def test_a_version_at_the_wrong_path_is_rejected(path: str, doc: Entity | None, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        diff_entities(path, doc, Character("x") if doc is None else doc, cause=WATCH)
