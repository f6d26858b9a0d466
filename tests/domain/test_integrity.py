"""Removals keep the story's references valid: nothing may point at a scene, node or start a batch took away.

``apply_all`` with a listing refuses (``Rejected``, exit 3 at the CLI) a batch
that deletes a scene, removes a node or empties a scene while any link of any
scene, or any timeline, still points there, naming what refers to it. A link
may not be made to the start of an empty scene either.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain import (
    Cause,
    Choice,
    ChoiceAdded,
    Entity,
    Node,
    NodeRemoved,
    Rejected,
    Scene,
    SceneCreated,
    SceneDeleted,
    Timeline,
    apply_all,
    diff_entities,
)
from comfyvn_vault.domain.validate import check_scene, check_scene_order
from tests.domain.strategies import next_versions, states

USER = Cause(kind="user")


def _listing(state: dict[str, Any]) -> Any:
    def listing(folder: str) -> Iterator[str]:
        return (p for p in state if p.startswith(folder + "/"))

    return listing


def _story() -> dict[str, Entity]:
    choices = [Choice("c1", "Go", "cave:"), Choice("c2", "Peek", "cave:deep")]
    hub = Scene("hub", nodes=[Node("n1", type="choice", choices=choices)])
    cave = Scene("cave", nodes=[Node("entry"), Node("deep")])
    lonely = Scene("lonely", nodes=[Node("only")])
    docs: list[Entity] = [hub, cave, lonely, Timeline("main", scene_order=["hub", "lonely"])]
    return {f"{'timelines' if isinstance(d, Timeline) else 'scenes'}/{d.id}": d for d in docs}


def _apply(state: dict[str, Entity], *events: Any) -> dict[str, Any]:
    return apply_all(state.get, list(events), listing=_listing(state))


def test_deleting_a_scene_a_choice_targets_is_refused() -> None:
    state = _story()
    with pytest.raises(Rejected, match=r"scene 'cave' is still the target of choice 'c1' of node 'n1' of scene 'hub'"):
        _apply(state, SceneDeleted(scene_id="cave", before=state["scenes/cave"], cause=USER))


def test_deleting_a_scene_a_timeline_lists_is_refused() -> None:
    state = _story()
    with pytest.raises(Rejected, match=r"scene 'lonely' is still the target of the scene order of timeline 'main'"):
        _apply(state, SceneDeleted(scene_id="lonely", before=state["scenes/lonely"], cause=USER))


def test_removing_a_node_another_scene_targets_is_refused() -> None:
    state = _story()
    cave = state["scenes/cave"]
    assert isinstance(cave, Scene)
    with pytest.raises(Rejected, match=r"node 'deep' of scene 'cave' is still the target of choice 'c2'"):
        _apply(state, NodeRemoved(scene_id="cave", node_id="deep", before=cave.nodes[1], cause=USER))


def test_emptying_a_scene_whose_start_is_targeted_is_refused() -> None:
    state = _story()
    state["scenes/hub2"] = Scene("hub2", nodes=[Node("a", next=["lonely:"])])
    lonely = state["scenes/lonely"]
    assert isinstance(lonely, Scene)
    with pytest.raises(Rejected, match=r"the start of scene 'lonely' \(its last node\) is still the target of next"):
        _apply(state, NodeRemoved(scene_id="lonely", node_id="only", before=lonely.nodes[0], cause=USER))


def test_a_batch_that_also_removes_the_links_goes_through() -> None:
    state = _story()
    hub, cave = state["scenes/hub"], state["scenes/cave"]
    assert isinstance(hub, Scene) and isinstance(cave, Scene)
    events = [
        *diff_entities("scenes/hub", hub, Scene("hub", nodes=[Node("n1")]), cause=USER),
        SceneDeleted(scene_id="cave", before=cave, cause=USER),
    ]
    assert _apply(state, *events)["scenes/cave"] is None


def test_a_choice_may_not_target_an_empty_scene() -> None:
    state = _story()
    state["scenes/empty"] = Scene("empty")
    with pytest.raises(Rejected, match=r"scene 'empty' has no node to start at"):
        _apply(state, ChoiceAdded(scene_id="hub", node_id="n1", choice=Choice("c3", "Void", "empty:"), cause=USER))
    with pytest.raises(Rejected, match=r"no node to start at"):
        _apply(state, SceneCreated(scene=Scene("new", nodes=[Node("x", next=["empty:"])]), cause=USER))


def test_references_from_scenes_the_batch_creates_are_checked() -> None:
    state = _story()
    state["scenes/hub"] = Scene("hub", nodes=[Node("n1")])
    cave = state["scenes/cave"]
    assert isinstance(cave, Scene)
    created = SceneCreated(scene=Scene("new", nodes=[Node("x", next=["cave:entry"])]), cause=USER)
    with pytest.raises(Rejected, match=r"scene 'cave' is still the target of next of node 'x' of scene 'new'"):
        _apply(state, created, SceneDeleted(scene_id="cave", before=cave, cause=USER))


def _dangling(state: dict[str, Any]) -> list[str]:
    """Every link or timeline entry of ``state`` that does not resolve (an independent full check)."""
    problems = []
    for doc in state.values():
        try:
            if isinstance(doc, Scene):
                check_scene(state.get, doc)
            elif isinstance(doc, Timeline):
                check_scene_order(state.get, doc.scene_order, (), doc.id)
        except Rejected as exc:
            problems.append(exc.message)
    return problems


@st.composite
def _removals(draw: st.DrawFn, state: dict[str, Entity]) -> tuple[str, Entity | None, Entity | None]:
    """A path and two versions of it that take something away: a scene, some nodes, or any next version."""
    scenes = sorted(p for p, d in state.items() if isinstance(d, Scene))
    how = draw(st.sampled_from(["scene", "nodes", "any"])) if scenes else "any"
    if how == "any":
        return draw(next_versions(state))
    path = draw(st.sampled_from(scenes))
    old = state[path]
    assert isinstance(old, Scene)
    if how == "scene":
        return path, old, None
    kept = draw(st.lists(st.sampled_from(old.nodes), unique_by=lambda n: n.id)) if old.nodes else []
    order = {n.id: i for i, n in enumerate(old.nodes)}
    return path, old, Scene(old.id, old.title, sorted(kept, key=lambda n: order[n.id]), old.meta)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_an_accepted_batch_never_leaves_a_dangling_reference(data: st.DataObject) -> None:
    state = data.draw(states())
    assert _dangling(state) == []
    path, old, new = data.draw(_removals(state))
    events = diff_entities(path, old, new, cause=USER)
    try:
        changes = _apply(state, *events)
    except Rejected:
        return
    after = {**state, **changes}
    assert _dangling({p: d for p, d in after.items() if d is not None}) == []
