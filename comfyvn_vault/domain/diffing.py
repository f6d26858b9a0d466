"""``diff_entities``: the fine-grained events between two versions of an entity.

This is how a hand-edited working-copy file enters history: never as "file
replaced" but as ``NodeEdited``, ``ChoiceAdded``, ``NodeMoved``… so blame, merge
and review work node by node and field by field. The contract, tested by
property: applying the returned events in order to ``old`` gives exactly
``new`` (equal bytes), and equal versions give no events.

For scenes the events come in four phases, each of which only ever sees links
that resolve:

1. new nodes are added at their place (a node that links a node added after it
   is added without its links, which phase 2 adds back);
2. kept nodes are edited (fields, then choices: removed, edited, moved, added);
3. dropped nodes are removed, each once no other node links it (a cycle among
   dropped nodes is first cut by removing one node's links);
4. nodes are moved into the new order with as few moves as possible.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from msgspec.structs import replace

from comfyvn_vault.domain.entities import TYPE_OF, Character, Entity, Node, Scene, Timeline, Variable
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.events import (
    START,
    Cause,
    CharacterCreated,
    CharacterDeleted,
    CharacterEdited,
    CharacterFields,
    ChoiceAdded,
    ChoiceEdited,
    ChoiceFields,
    ChoiceMoved,
    ChoiceRemoved,
    Event,
    NodeAdded,
    NodeEdited,
    NodeFields,
    NodeMoved,
    NodeRemoved,
    SceneCreated,
    SceneDeleted,
    SceneMetaChanged,
    SceneRetitled,
    TimelineCreated,
    TimelineDeleted,
    TimelineEdited,
    TimelineFields,
    VariableDeleted,
    VariableSet,
)
from comfyvn_vault.domain.patch import fields_diff, same
from comfyvn_vault.domain.paths import EntityPath, local_target
from comfyvn_vault.domain.reorder import plan_moves
from comfyvn_vault.domain.validate import check_scene_shape, links

D = TypeVar("D", Scene, Character, Timeline, Variable)


def diff_entities(path: str, old: Entity | None, new: Entity | None, *, cause: Cause) -> list[Event]:
    """The events that turn ``old`` into ``new`` (``None``: absent), both stored at ``path``.

    Raises :class:`Rejected` when a version does not belong at ``path`` (say a
    hand-edited file changed the id inside it) or ``new`` is a scene with
    duplicate or invalid ids. Links are left to :func:`apply`, which checks them
    against the rest of the story when the events are applied.
    """
    where = EntityPath.parse(path)
    kind = TYPE_OF.get(where.folder)
    if kind is None or where.node is not None:
        raise Rejected(f"cannot diff {path!r}: not the path of a scene, character, timeline or variable")
    for doc in (old, new):
        if doc is not None and (type(doc) is not kind or doc.id != where.id):
            raise Rejected(f"{path} cannot hold {type(doc).__name__.lower()} {doc.id!r}")
    if isinstance(new, Scene):
        # the diff matches nodes and choices by id: a duplicate id would silently lose one
        check_scene_shape(new)
    if kind is Scene:
        return _lifecycle(cast(Scene | None, old), cast(Scene | None, new), cause, _diff_scene)
    if kind is Character:
        return _lifecycle(cast(Character | None, old), cast(Character | None, new), cause, _diff_character)
    if kind is Timeline:
        return _lifecycle(cast(Timeline | None, old), cast(Timeline | None, new), cause, _diff_timeline)
    return _lifecycle(cast(Variable | None, old), cast(Variable | None, new), cause, _diff_variable)


def _lifecycle(
    old: D | None, new: D | None, cause: Cause, differ: Callable[[D | None, D | None, Cause], list[Event]]
) -> list[Event]:
    if (old is None and new is None) or (old is not None and new is not None and same(old, new)):
        return []
    return differ(old, new, cause)


def _edited(kind: Callable[..., Event], fields: type[Any], old: Any, new: Any, cause: Cause, **ids: str) -> list[Event]:
    """One ``*Edited`` event for the fields that differ, or none."""
    changes, before = fields_diff(old, new, fields)
    return [kind(**ids, **changes, before=before, cause=cause)] if changes else []


# --- characters, timelines, variables ---------------------------------------------


def _diff_character(old: Character | None, new: Character | None, cause: Cause) -> list[Event]:
    if old is None:
        assert new is not None
        return [CharacterCreated(character=new, cause=cause)]
    if new is None:
        return [CharacterDeleted(character_id=old.id, before=old, cause=cause)]
    return _edited(CharacterEdited, CharacterFields, old, new, cause, character_id=old.id)


def _diff_timeline(old: Timeline | None, new: Timeline | None, cause: Cause) -> list[Event]:
    if old is None:
        assert new is not None
        return [TimelineCreated(timeline=new, cause=cause)]
    if new is None:
        return [TimelineDeleted(timeline_id=old.id, before=old, cause=cause)]
    return _edited(TimelineEdited, TimelineFields, old, new, cause, timeline_id=old.id)


def _diff_variable(old: Variable | None, new: Variable | None, cause: Cause) -> list[Event]:
    if new is None:
        assert old is not None
        return [VariableDeleted(variable_id=old.id, before=old, cause=cause)]
    if old is not None and type(old.value) is not type(new.value):
        # a variable's type is fixed while it exists: changing it is delete + create
        return [
            VariableDeleted(variable_id=old.id, before=old, cause=cause),
            VariableSet(variable=new, before=None, cause=cause),
        ]
    return [VariableSet(variable=new, before=old, cause=cause)]


# --- scenes ------------------------------------------------------------------------


def _diff_scene(old: Scene | None, new: Scene | None, cause: Cause) -> list[Event]:
    if old is None:
        assert new is not None
        return [SceneCreated(scene=new, cause=cause)]
    if new is None:
        return [SceneDeleted(scene_id=old.id, before=old, cause=cause)]
    sid = new.id
    out: list[Event] = []
    if not same(old.title, new.title):
        out.append(SceneRetitled(scene_id=sid, title=new.title, before=old.title, cause=cause))
    if not same(old.meta, new.meta):
        out.append(SceneMetaChanged(scene_id=sid, meta=new.meta, before=old.meta, cause=cause))
    state = {node.id: node for node in old.nodes}  # each node as the events so far leave it
    order = [node.id for node in old.nodes]
    out.extend(_add_nodes(sid, new, state, order, cause))
    for node in new.nodes:
        out.extend(_diff_node(sid, state[node.id], node, cause))
        state[node.id] = node
    out.extend(_remove_nodes(sid, {node.id for node in new.nodes}, state, order, cause))
    for move in plan_moves(order, [node.id for node in new.nodes]):
        out.append(NodeMoved(scene_id=sid, node_id=move.item, after=move.after, cause=cause))
    return out


def _local_links(sid: str, node: Node) -> set[str]:
    """The ids of the nodes of scene ``sid`` that ``node`` links to."""
    return {nid for _, target in links(node) if (nid := local_target(sid, target)) is not None}


def _add_nodes(sid: str, new: Scene, state: dict[str, Node], order: list[str], cause: Cause) -> list[Event]:
    """Phase 1: add each new node right after its predecessor in the new order."""
    out: list[Event] = []
    previous = START
    for node in new.nodes:
        if node.id not in state:
            ready = all(nid in state or nid == node.id for nid in _local_links(sid, node))
            added = node if ready else replace(node, next=[], choices=[])
            order.insert(0 if previous == START else order.index(previous) + 1, node.id)
            state[node.id] = added
            out.append(NodeAdded(scene_id=sid, node=added, after=previous, cause=cause))
        previous = node.id
    return out


def _diff_node(sid: str, old: Node, new: Node, cause: Cause) -> list[Event]:
    """Phase 2 for one node: its field edit, then its choices."""
    out = _edited(NodeEdited, NodeFields, old, new, cause, scene_id=sid, node_id=new.id)
    nid = new.id
    before = {c.id: c for c in old.choices}
    after = {c.id: c for c in new.choices}
    out.extend(
        ChoiceRemoved(scene_id=sid, node_id=nid, choice_id=c.id, before=c, cause=cause)
        for c in old.choices
        if c.id not in after
    )
    for c in new.choices:
        if c.id in before:
            ids = {"scene_id": sid, "node_id": nid, "choice_id": c.id}
            out.extend(_edited(ChoiceEdited, ChoiceFields, before[c.id], c, cause, **ids))
    kept_now = [c.id for c in old.choices if c.id in after]
    kept_then = [c.id for c in new.choices if c.id in before]
    out.extend(
        ChoiceMoved(scene_id=sid, node_id=nid, choice_id=move.item, index=move.at, cause=cause)
        for move in plan_moves(kept_now, kept_then)
    )
    out.extend(
        ChoiceAdded(scene_id=sid, node_id=nid, choice=c, index=i, cause=cause)
        for i, c in enumerate(new.choices)
        if c.id not in before
    )
    return out


def _remove_nodes(sid: str, wanted: set[str], state: dict[str, Node], order: list[str], cause: Cause) -> list[Event]:
    """Phase 3: remove dropped nodes, each once no other node links it (Kahn's order)."""
    doomed = [nid for nid in order if nid not in wanted]
    rank = {nid: i for i, nid in enumerate(doomed)}
    outs = {nid: (_local_links(sid, state[nid]) & rank.keys()) - {nid} for nid in doomed}
    sources: dict[str, set[str]] = {nid: set() for nid in doomed}
    for nid, targets in outs.items():
        for target in targets:
            sources[target].add(nid)
    ready = [rank[nid] for nid in doomed if not sources[nid]]
    heapq.heapify(ready)
    out: list[Event] = []
    alive = set(doomed)

    def unlink(nid: str) -> None:
        for target in outs.pop(nid):
            sources[target].discard(nid)
            if not sources[target] and target in alive:
                heapq.heappush(ready, rank[target])
        outs[nid] = set()

    while alive:
        if not ready:  # every dropped node is linked by another: cut the first one's links
            nid = min((n for n in alive if outs[n]), key=rank.__getitem__)
            node = state[nid]
            cut = outs[nid]
            stripped = replace(
                node,
                next=[t for t in node.next if local_target(sid, t) not in cut],
                choices=[c for c in node.choices if local_target(sid, c.target) not in cut],
            )
            out.extend(_diff_node(sid, node, stripped, cause))
            state[nid] = stripped
            unlink(nid)
            continue
        nid = doomed[heapq.heappop(ready)]
        out.append(NodeRemoved(scene_id=sid, node_id=nid, before=state.pop(nid), cause=cause))
        alive.discard(nid)
        order.remove(nid)
        unlink(nid)
    return out


def field_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    """The fields that differ between two versions of a record given as plain maps (``None``: absent).

    Records (assets, findings, the policy, merge conflicts) change through their
    own events rather than :func:`diff_entities`; a diff of two trees shows them
    field by field with this: ``{field: (before, after)}``, sorted by field.
    """
    a, b = old or {}, new or {}
    return {k: (a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}
