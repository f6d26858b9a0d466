"""``apply`` is total, pure and keeps every scene well formed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain import (
    EVENT_TYPES,
    Cause,
    Entity,
    EntityPath,
    Event,
    Node,
    NodeAdded,
    NodeEdited,
    NodeFields,
    Rejected,
    Scene,
    SceneCreated,
    apply_all,
    touched,
)
from comfyvn_vault.domain.apply import _HANDLERS, apply
from comfyvn_vault.domain.paths import check_id
from comfyvn_vault.store.codec import encode
from tests.domain.strategies import events_for, local_links, states

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
USER = Cause(kind="user")


def _snapshot(state: dict[str, Entity]) -> dict[str, bytes]:
    return {path: encode(doc) for path, doc in state.items()}


def _assert_well_formed(scene: Scene) -> None:
    ids = [n.id for n in scene.nodes]
    assert len(set(ids)) == len(ids)
    for node in scene.nodes:
        check_id(node.id)
        choice_ids = [c.id for c in node.choices]
        assert len(set(choice_ids)) == len(choice_ids)
        assert len(set(node.next)) == len(node.next)
    for _, target in local_links(scene):
        assert target in ids


def test_every_event_type_has_a_handler() -> None:
    assert set(_HANDLERS) == set(EVENT_TYPES)


@PROPERTY
@given(st.data())
def test_apply_is_total_pure_and_keeps_scenes_well_formed(data: st.DataObject) -> None:
    state = data.draw(states())
    for _ in range(3):
        events = data.draw(events_for(state))
        for event in events:
            before_state, before_event = _snapshot(state), encode(event)
            try:
                changes = apply(state.get, event)
            except Rejected as exc:
                assert exc.message and "\n" not in exc.message
                continue
            finally:
                assert _snapshot(state) == before_state, "apply mutated the state it read"
                assert encode(event) == before_event, "apply mutated the event"
            allowed = {EntityPath.parse(p).entity for p in touched(event)}
            assert set(changes) <= allowed
            for path, doc in changes.items():
                if doc is None:
                    state.pop(path, None)
                    continue
                assert EntityPath.parse(path).id == doc.id
                if isinstance(doc, Scene):
                    _assert_well_formed(doc)
                state[path] = doc


@PROPERTY
@given(st.data())
def test_apply_all_equals_applying_one_by_one(data: st.DataObject) -> None:
    state = data.draw(states())
    events = data.draw(events_for(state))
    stepwise = dict(state)
    stepwise_ok = True
    for event in events:
        try:
            for path, doc in apply(stepwise.get, event).items():
                if doc is None:
                    stepwise.pop(path, None)
                else:
                    stepwise[path] = doc
        except Rejected:
            stepwise_ok = False
            break
    try:
        changes = apply_all(state.get, events)
    except Rejected as exc:
        assert not stepwise_ok
        assert exc.message.startswith("event ")
        return
    assert stepwise_ok
    merged = {**state, **changes}
    assert {p: encode(d) for p, d in merged.items() if d is not None} == _snapshot(stepwise)


def _fold(state: dict[str, Entity], events: list[Event]) -> dict[str, Entity] | None:
    """``state`` after applying ``events`` one at a time; None if one is rejected."""
    out = dict(state)
    for event in events:
        try:
            changes = apply(out.get, event)
        except Rejected:
            return None
        for path, doc in changes.items():
            if doc is None:
                out.pop(path, None)
            else:
                out[path] = doc
    return out


@PROPERTY
@given(st.data())
def test_apply_all_over_many_diffs_equals_one_by_one_and_mutates_nothing(data: st.DataObject) -> None:
    # Batches that edit the same scene many times, between other kinds of events,
    # exercise apply_all's in-place path for repeated line edits.
    state = data.draw(states())
    batch: list[Event] = []
    current = dict(state)
    for _ in range(data.draw(st.integers(2, 6))):
        events = data.draw(events_for(current))
        after = _fold(current, events)
        if after is None:
            break
        batch += events
        current = after
    before, before_events = _snapshot(state), [encode(e) for e in batch]
    changes = apply_all(state.get, batch)
    assert _snapshot(state) == before, "apply_all mutated the documents it read"
    assert [encode(e) for e in batch] == before_events
    merged = {**state, **changes}
    assert {p: encode(d) for p, d in merged.items() if d is not None} == _snapshot(current)


def test_apply_all_repeated_line_edits_leave_inputs_alone() -> None:
    scene = Scene("s", nodes=[Node("a", content="0"), Node("b", content="x")])
    state: dict[str, Entity] = {"scenes/s": scene}
    edits: list[Event] = [
        NodeEdited(scene_id="s", node_id="a", content=str(i + 1), before=NodeFields(content=str(i)), cause=USER)
        for i in range(50)
    ]
    changes = apply_all(state.get, edits)
    assert scene.nodes[0].content == "0", "the stored scene was edited in place"
    assert changes["scenes/s"] == Scene("s", nodes=[Node("a", content="50"), Node("b", content="x")])
    stale = NodeEdited(scene_id="s", node_id="a", content="z", before=NodeFields(content="7"), cause=USER)
    try:
        apply_all(state.get, [*edits, stale])
    except Rejected as exc:
        assert exc.message.startswith("event 50 (NodeEdited): stale edit")
    else:
        raise AssertionError("a stale edit after in-place edits was accepted")
    missing = NodeEdited(scene_id="s", node_id="zz", content="z", before=NodeFields(content=""), cause=USER)
    try:
        apply_all(state.get, [*edits, missing])
    except Rejected as exc:
        assert "has no node 'zz'" in exc.message
    else:
        raise AssertionError("an edit of a missing node was accepted")


def test_apply_all_later_events_see_earlier_ones() -> None:
    events: list[Event] = [
        SceneCreated(scene=Scene("intro"), cause=USER),
        NodeAdded(scene_id="intro", node=Node("a", content="hi"), cause=USER),
        NodeAdded(scene_id="intro", node=Node("b", next=["a"]), cause=USER),
        NodeEdited(scene_id="intro", node_id="a", content="hello", before=NodeFields(content="hi"), cause=USER),
    ]
    changes = apply_all({}.get, events)
    assert changes == {
        "scenes/intro": Scene("intro", nodes=[Node("a", content="hello"), Node("b", next=["a"])]),
    }


def test_apply_copies_only_the_touched_scene() -> None:
    big = Scene("big", nodes=[Node(f"n{i}") for i in range(1000)])
    other = Scene("other", nodes=[Node("x")])
    state: dict[str, Entity] = {"scenes/big": big, "scenes/other": other}
    reads: list[str] = []

    def lookup(path: str) -> Entity | None:
        reads.append(path)
        return state.get(path)

    event = NodeEdited(scene_id="big", node_id="n5", content="x", before=NodeFields(content=""), cause=USER)
    changes = apply(lookup, event)
    assert reads == ["scenes/big"]
    new = changes["scenes/big"]
    assert isinstance(new, Scene)
    assert all(a is b for a, b in zip(new.nodes[6:], big.nodes[6:], strict=True)), "untouched nodes are shared"
