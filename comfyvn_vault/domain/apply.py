"""``apply``: the one function that says what an event does to the story.

``apply(lookup, event)`` is pure and total. It reads the documents it needs
through ``lookup(path)`` and returns the documents it changes, by path (``None``
for a deletion); it never mutates what it reads. An event that does not apply
raises :class:`Rejected` with a one-line reason, so nothing is written for it.

``apply`` checks what types cannot express (ids, uniqueness, links, stale
``before`` values, positions). It trusts field types: msgspec enforces them
wherever events come from outside (decoding files, hooks, remotes) and mypy
wherever code builds them.

Cost is proportional to the documents the event touches (one scene, one
character…), never to the whole story: documents are rebuilt with
``msgspec.structs.replace`` and a shallow copy of the one list that changes.
Within one batch (:func:`apply_all`), further line edits to a scene the batch
already copied replace the node in that copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final, TypeAlias, TypeVar

from msgspec.structs import replace

from comfyvn_vault.domain.asset_apply import HANDLERS as ASSET_HANDLERS
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import FOLDER_OF, Character, Entity, Node, Scene, Timeline, Variable
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.events import (
    START,
    CharacterCreated,
    CharacterDeleted,
    CharacterEdited,
    CharacterFields,
    ChoiceAdded,
    ChoiceEdited,
    ChoiceFields,
    ChoiceMoved,
    ChoiceRemoved,
    ConflictRecorded,
    ConflictResolved,
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
from comfyvn_vault.domain.patch import check_before, edit, edit_parts, same, show
from comfyvn_vault.domain.paths import CONFLICTS, entity_path, scene_path
from comfyvn_vault.domain.validate import (
    Listing,
    Lookup,
    check_character,
    check_choice,
    check_next,
    check_node,
    check_removals,
    check_scene,
    check_scene_order,
    check_targets,
    choice_where,
    links,
    node_where,
    referrers,
)

Changes: TypeAlias = dict[str, "Document | None"]
"""Changed documents by entity path; ``None`` means the document was deleted."""

D = TypeVar("D", Scene, Character, Timeline, Variable)
E = TypeVar("E")
_Handler: TypeAlias = Callable[[Lookup, Any], Changes]
_HANDLERS: Final[dict[type, _Handler]] = dict(ASSET_HANDLERS)


def apply(lookup: Lookup, event: Event) -> Changes:
    """The documents ``event`` changes, by path; raise :class:`Rejected` if it does not apply."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        raise Rejected(f"not an event: {type(event).__name__}")
    return handler(lookup, event)


def apply_all(lookup: Lookup, events: Iterable[Event], *, listing: Listing | None = None) -> Changes:
    """Apply a batch in order, each event seeing the ones before it; the net changes by path.

    Raises :class:`Rejected` naming the position of the first event that does not apply.
    With ``listing`` (the paths of a folder in ``lookup``'s state), a batch that
    removes a scene, a node or a scene's last node is also refused while a link
    or a timeline anywhere still points there (:func:`check_removals`).
    """
    overlay: Changes = {}
    # Scenes this batch rebuilt for a node edit, by path: the scene (whose node list
    # only this batch holds) and its node positions. Later edits of nodes in such a
    # scene replace the node in place instead of copying the scene's list again, so
    # a batch of many line edits to one scene costs per edit, not per scene size.
    owned: dict[str, tuple[Scene, dict[str, int]]] = {}

    def view(path: str) -> Document | None:
        return overlay[path] if path in overlay else lookup(path)

    for position, event in enumerate(events):
        try:
            if type(event) is NodeEdited:
                path = scene_path(event.scene_id)
                held = owned.get(path)
                if held is not None and overlay.get(path) is held[0]:
                    scene, positions = held
                    index = positions.get(event.node_id)
                    if index is not None:  # else the general path says why
                        scene.nodes[index] = _edited_node(view, scene, index, event)
                        continue
                changes = apply(view, event)
                copied = changes[path]
                assert isinstance(copied, Scene)
                owned[path] = (copied, {node.id: i for i, node in enumerate(copied.nodes)})
            else:
                changes = apply(view, event)
            overlay.update(changes)
        except Rejected as exc:
            raise Rejected(f"event {position} ({type(event).__name__}): {exc.message}") from None
    if listing is not None:
        check_removals(lookup, view, overlay, listing)
    return overlay


def _handles(kind: type[E]) -> Callable[[Callable[[Lookup, E], Changes]], Callable[[Lookup, E], Changes]]:
    def register(handler: Callable[[Lookup, E], Changes]) -> Callable[[Lookup, E], Changes]:
        _HANDLERS[kind] = handler
        return handler

    return register


# --- reading documents -----------------------------------------------------------


def _find(lookup: Lookup, kind: type[D], entity_id: str) -> D | None:
    path = entity_path(FOLDER_OF[kind], entity_id)
    doc = lookup(path)
    if doc is None or isinstance(doc, kind):
        return doc
    raise Rejected(f"{path} holds a {type(doc).__name__}, not a {kind.__name__}")


def _need(lookup: Lookup, kind: type[D], entity_id: str) -> D:
    doc = _find(lookup, kind, entity_id)
    if doc is None:
        raise Rejected(f"there is no {kind.__name__.lower()} {entity_id!r}")
    return doc


def _absent(lookup: Lookup, kind: type[D], entity_id: str) -> str:
    if _find(lookup, kind, entity_id) is not None:
        raise Rejected(f"{kind.__name__.lower()} {entity_id!r} already exists")
    return entity_path(FOLDER_OF[kind], entity_id)


def _changed(doc: Entity) -> Changes:
    return {entity_path(FOLDER_OF[type(doc)], doc.id): doc}


def _node_ids(scene: Scene) -> list[str]:
    return [node.id for node in scene.nodes]


def _node_index(scene: Scene, node_id: str) -> int:
    for index, node in enumerate(scene.nodes):
        if node.id == node_id:
            return index
    raise Rejected(f"scene {scene.id!r} has no node {node_id!r}")


def _choice_index(node: Node, choice_id: str, where: str) -> int:
    for index, choice in enumerate(node.choices):
        if choice.id == choice_id:
            return index
    raise Rejected(f"{where} has no choice {choice_id!r}")


def _with_nodes(scene: Scene, nodes: list[Node]) -> Changes:
    return _changed(replace(scene, nodes=nodes))


def _with_node(scene: Scene, index: int, node: Node) -> Changes:
    nodes = list(scene.nodes)
    nodes[index] = node
    return _with_nodes(scene, nodes)


def _position(ids: list[str], after: str | None, scene_id: str) -> int:
    """The list index an ``after`` anchor names (see :data:`START`)."""
    if after is None:
        return len(ids)
    if after == START:
        return 0
    try:
        return ids.index(after) + 1
    except ValueError:
        raise Rejected(f"scene {scene_id!r} has no node {after!r} to place a node after") from None


# --- scenes ----------------------------------------------------------------------


@_handles(SceneCreated)
def _scene_created(lookup: Lookup, event: SceneCreated) -> Changes:
    path = _absent(lookup, Scene, event.scene.id)
    check_scene(lookup, event.scene)
    return {path: event.scene}


@_handles(SceneRetitled)
def _scene_retitled(lookup: Lookup, event: SceneRetitled) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    return _changed(edit(scene, {"title": event.title}, {"title": event.before}, f"scene {scene.id!r}"))


@_handles(SceneMetaChanged)
def _scene_meta_changed(lookup: Lookup, event: SceneMetaChanged) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    return _changed(edit(scene, {"meta": event.meta}, {"meta": event.before}, f"scene {scene.id!r}"))


@_handles(SceneDeleted)
def _scene_deleted(lookup: Lookup, event: SceneDeleted) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    check_before(scene, event.before, f"scene {scene.id!r}")
    return {entity_path(FOLDER_OF[Scene], scene.id): None}


# --- nodes -----------------------------------------------------------------------


@_handles(NodeAdded)
def _node_added(lookup: Lookup, event: NodeAdded) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    node = event.node
    where = node_where(scene.id, node.id)
    check_node(node, where)
    ids = _node_ids(scene)
    if node.id in ids:
        raise Rejected(f"scene {scene.id!r} already has a node {node.id!r}")
    at = _position(ids, event.after, scene.id)
    check_targets(lookup, scene.id, {*ids, node.id}, links(node), where)
    nodes = list(scene.nodes)
    nodes.insert(at, node)
    return _with_nodes(scene, nodes)


@_handles(NodeEdited)
def _node_edited(lookup: Lookup, event: NodeEdited) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    index = _node_index(scene, event.node_id)
    return _with_node(scene, index, _edited_node(lookup, scene, index, event))


def _edited_node(lookup: Lookup, scene: Scene, index: int, event: NodeEdited) -> Node:
    old = scene.nodes[index]
    where = node_where(scene.id, old.id)
    changes, before = edit_parts(event, NodeFields)
    new = edit(old, changes, before, where)
    if "next" in changes:
        check_next(new.next, where)
        kept = set(old.next)
        added = [("next", t) for t in new.next if t not in kept]
        check_targets(lookup, scene.id, set(_node_ids(scene)), added, where)
    return new


@_handles(NodeMoved)
def _node_moved(lookup: Lookup, event: NodeMoved) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    index = _node_index(scene, event.node_id)
    if event.after == event.node_id:
        raise Rejected(f"{node_where(scene.id, event.node_id)} cannot move after itself")
    nodes = list(scene.nodes)
    node = nodes.pop(index)
    at = _position([n.id for n in nodes], event.after, scene.id)
    if at == index:
        raise Rejected(f"{node_where(scene.id, node.id)} is already there")
    nodes.insert(at, node)
    return _with_nodes(scene, nodes)


@_handles(NodeRemoved)
def _node_removed(lookup: Lookup, event: NodeRemoved) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    index = _node_index(scene, event.node_id)
    where = node_where(scene.id, event.node_id)
    check_before(scene.nodes[index], event.before, where)
    pointing = referrers(scene, event.node_id)
    if pointing:
        raise Rejected(f"{where} is still the target of {', '.join(pointing)}")
    nodes = list(scene.nodes)
    del nodes[index]
    return _with_nodes(scene, nodes)


# --- choices ---------------------------------------------------------------------


@_handles(ChoiceAdded)
def _choice_added(lookup: Lookup, event: ChoiceAdded) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    index = _node_index(scene, event.node_id)
    node = scene.nodes[index]
    choice = event.choice
    where = choice_where(scene.id, node.id, choice.id)
    check_choice(choice, where)
    if any(c.id == choice.id for c in node.choices):
        raise Rejected(f"{node_where(scene.id, node.id)} already has a choice {choice.id!r}")
    at = len(node.choices) if event.index is None else event.index
    if not 0 <= at <= len(node.choices):
        raise Rejected(f"{where} cannot go at index {at}: the node has {len(node.choices)} choices")
    check_targets(lookup, scene.id, set(_node_ids(scene)), [("target", choice.target)], where)
    choices = list(node.choices)
    choices.insert(at, choice)
    return _with_node(scene, index, replace(node, choices=choices))


@_handles(ChoiceEdited)
def _choice_edited(lookup: Lookup, event: ChoiceEdited) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    index = _node_index(scene, event.node_id)
    node = scene.nodes[index]
    at = _choice_index(node, event.choice_id, node_where(scene.id, node.id))
    where = choice_where(scene.id, node.id, event.choice_id)
    changes, before = edit_parts(event, ChoiceFields)
    choice = edit(node.choices[at], changes, before, where)
    check_choice(choice, where)
    if "target" in changes:
        check_targets(lookup, scene.id, set(_node_ids(scene)), [("target", choice.target)], where)
    choices = list(node.choices)
    choices[at] = choice
    return _with_node(scene, index, replace(node, choices=choices))


@_handles(ChoiceMoved)
def _choice_moved(lookup: Lookup, event: ChoiceMoved) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    index = _node_index(scene, event.node_id)
    node = scene.nodes[index]
    at = _choice_index(node, event.choice_id, node_where(scene.id, node.id))
    where = choice_where(scene.id, node.id, event.choice_id)
    if not 0 <= event.index < len(node.choices):
        raise Rejected(f"{where} cannot move to index {event.index}: the node has {len(node.choices)} choices")
    if event.index == at:
        raise Rejected(f"{where} is already at index {at}")
    choices = list(node.choices)
    choices.insert(event.index, choices.pop(at))
    return _with_node(scene, index, replace(node, choices=choices))


@_handles(ChoiceRemoved)
def _choice_removed(lookup: Lookup, event: ChoiceRemoved) -> Changes:
    scene = _need(lookup, Scene, event.scene_id)
    index = _node_index(scene, event.node_id)
    node = scene.nodes[index]
    at = _choice_index(node, event.choice_id, node_where(scene.id, node.id))
    check_before(node.choices[at], event.before, choice_where(scene.id, node.id, event.choice_id))
    choices = list(node.choices)
    del choices[at]
    return _with_node(scene, index, replace(node, choices=choices))


# --- characters ------------------------------------------------------------------


@_handles(CharacterCreated)
def _character_created(lookup: Lookup, event: CharacterCreated) -> Changes:
    check_character(event.character)
    return {_absent(lookup, Character, event.character.id): event.character}


@_handles(CharacterEdited)
def _character_edited(lookup: Lookup, event: CharacterEdited) -> Changes:
    old = _need(lookup, Character, event.character_id)
    changes, before = edit_parts(event, CharacterFields)
    new = edit(old, changes, before, f"character {old.id!r}")
    check_character(new)
    return _changed(new)


@_handles(CharacterDeleted)
def _character_deleted(lookup: Lookup, event: CharacterDeleted) -> Changes:
    old = _need(lookup, Character, event.character_id)
    check_before(old, event.before, f"character {old.id!r}")
    return {entity_path(FOLDER_OF[Character], old.id): None}


# --- timelines -------------------------------------------------------------------


@_handles(TimelineCreated)
def _timeline_created(lookup: Lookup, event: TimelineCreated) -> Changes:
    timeline = event.timeline
    path = _absent(lookup, Timeline, timeline.id)
    check_scene_order(lookup, timeline.scene_order, (), f"timeline {timeline.id!r}")
    return {path: timeline}


@_handles(TimelineEdited)
def _timeline_edited(lookup: Lookup, event: TimelineEdited) -> Changes:
    old = _need(lookup, Timeline, event.timeline_id)
    where = f"timeline {old.id!r}"
    changes, before = edit_parts(event, TimelineFields)
    new = edit(old, changes, before, where)
    if "scene_order" in changes:
        check_scene_order(lookup, new.scene_order, set(old.scene_order), where)
    return _changed(new)


@_handles(TimelineDeleted)
def _timeline_deleted(lookup: Lookup, event: TimelineDeleted) -> Changes:
    old = _need(lookup, Timeline, event.timeline_id)
    check_before(old, event.before, f"timeline {old.id!r}")
    return {entity_path(FOLDER_OF[Timeline], old.id): None}


# --- variables -------------------------------------------------------------------


@_handles(VariableSet)
def _variable_set(lookup: Lookup, event: VariableSet) -> Changes:
    new = event.variable
    old = _find(lookup, Variable, new.id)
    where = f"variable {new.id!r}"
    if type(new.value) not in (int, str, bool):
        raise Rejected(f"{where} cannot hold a {type(new.value).__name__}: values are ints, strings or bools")
    if not same(old, event.before):
        state = "does not exist" if old is None else f"is {show(old.value)}"
        raise Rejected(f"stale set of {where}: it {state}, not what the event expects")
    if old is not None:
        if type(old.value) is not type(new.value):
            raise Rejected(
                f"{where} holds {type(old.value).__name__} values, not {type(new.value).__name__}: "
                "delete it first to change its type"
            )
        if same(old, new):
            raise Rejected(f"{where} is already set to that")
    return _changed(new)


@_handles(VariableDeleted)
def _variable_deleted(lookup: Lookup, event: VariableDeleted) -> Changes:
    old = _need(lookup, Variable, event.variable_id)
    check_before(old, event.before, f"variable {old.id!r}")
    return {entity_path(FOLDER_OF[Variable], old.id): None}


@_handles(ConflictRecorded)
def _conflict_recorded(lookup: Lookup, event: ConflictRecorded) -> Changes:
    path = entity_path(CONFLICTS, event.conflict.id)
    if lookup(path) is not None:
        raise Rejected(f"conflict {event.conflict.id} is already recorded")
    return {path: event.conflict}


@_handles(ConflictResolved)
def _conflict_resolved(lookup: Lookup, event: ConflictResolved) -> Changes:
    path = entity_path(CONFLICTS, event.conflict_id)
    current = lookup(path)
    if current is None:
        raise Rejected(f"there is no unresolved conflict {event.conflict_id!r}")
    if not same(current, event.before):
        raise Rejected(f"conflict {event.conflict_id} changed since it was read")
    return {path: None}
