"""Checks that keep the story well formed: ids, uniqueness and links that resolve.

``apply`` runs these before it accepts an event. Shape checks look only at the
document in hand; link checks resolve targets through the caller's ``lookup``
(another scene's node or start, a timeline's scenes). A link is checked when an
event introduces it: links a document already had are not re-checked.

Removals are checked the other way round, once per batch
(:func:`check_removals`): a batch that deletes a scene, removes a node or
empties a scene is refused while any remaining link or timeline still points
there. That needs every scene and timeline of the state, which the caller
lists (a :data:`Listing`); only batches that remove something pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import TypeAlias

from comfyvn_vault.domain.assets import Record
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.entities import Character, Choice, Entity, Node, Scene, Timeline
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.paths import (
    SCENES,
    TIMELINES,
    check_id,
    local_target,
    scene_path,
    split_target,
)

Document: TypeAlias = Entity | Conflict | Record
"""What a state tree holds at a path: an entity document or a record such as a merge conflict."""

Lookup = Callable[[str], "Document | None"]
"""Reads a document by path: entities, merge-conflict records, and asset/finding/policy records."""

Listing = Callable[[str], Iterable[str]]
"""The paths of every document of a folder (``scenes``) in the state a :data:`Lookup` reads."""


def node_where(scene_id: str, node_id: str) -> str:
    return f"node {node_id!r} of scene {scene_id!r}"


def choice_where(scene_id: str, node_id: str, choice_id: str) -> str:
    return f"choice {choice_id!r} of {node_where(scene_id, node_id)}"


def links(node: Node) -> Iterator[tuple[str, str]]:
    """Every link of a node as ``(label, target)``: ``("next", t)`` and ``("choice 'c1'", t)``."""
    for target in node.next:
        yield "next", target
    for choice in node.choices:
        yield f"choice {choice.id!r}", choice.target


def check_next(next_: list[str], where: str) -> None:
    """Each ``next`` entry is a well-formed target and appears once."""
    for target in next_:
        split_target(target)
    if len(set(next_)) != len(next_):
        dup = next(t for t in next_ if next_.count(t) > 1)
        raise Rejected(f"{where} lists {dup!r} twice in next")


def check_choice(choice: Choice, where: str) -> None:
    """A choice's id and target are well formed and its weight is not negative."""
    check_id(choice.id, "choice id")
    split_target(choice.target)
    if choice.weight is not None and choice.weight < 0:
        raise Rejected(f"{where} has weight {choice.weight}; weights are 0 or more")


def check_node(node: Node, where: str) -> None:
    """A node's id, next targets and choices are well formed, with no duplicate choice id."""
    check_id(node.id, "node id")
    check_next(node.next, where)
    seen: set[str] = set()
    for choice in node.choices:
        check_choice(choice, f"choice {choice.id!r} of {where}")
        if choice.id in seen:
            raise Rejected(f"{where} has two choices with id {choice.id!r}")
        seen.add(choice.id)


def check_targets(
    lookup: Lookup, scene_id: str, node_ids: Collection[str], targets: Iterable[tuple[str, str]], where: str
) -> None:
    """Each ``(label, target)`` resolves: to one of ``node_ids`` in this scene, or through ``lookup``."""
    others: dict[str, frozenset[str]] = {}
    for label, target in targets:
        other, node_id = split_target(target)
        if other is None or other == scene_id:
            if node_id is not None and node_id not in node_ids:
                raise Rejected(
                    f"{label} of {where} points at {target!r}, but scene {scene_id!r} has no node {node_id!r}"
                )
            continue
        ids = others.get(other)
        if ids is None:
            doc = lookup(scene_path(other))
            if not isinstance(doc, Scene):
                raise Rejected(f"{label} of {where} points at {target!r}, but there is no scene {other!r}")
            if not doc.nodes and node_id is None:
                raise Rejected(f"{label} of {where} points at {target!r}, but scene {other!r} has no node to start at")
            ids = others[other] = frozenset(n.id for n in doc.nodes)
        if node_id is not None and node_id not in ids:
            raise Rejected(f"{label} of {where} points at {target!r}, but scene {other!r} has no node {node_id!r}")


def check_scene_shape(scene: Scene) -> set[str]:
    """A whole scene's ids are valid and unique and its nodes well formed; return its node ids."""
    check_id(scene.id, "scene id")
    ids: set[str] = set()
    for node in scene.nodes:
        check_node(node, node_where(scene.id, node.id))
        if node.id in ids:
            raise Rejected(f"scene {scene.id!r} has two nodes with id {node.id!r}")
        ids.add(node.id)
    return ids


def check_scene(lookup: Lookup, scene: Scene) -> None:
    """A whole scene is well formed and every link in it resolves."""
    ids = check_scene_shape(scene)
    for node in scene.nodes:
        check_targets(lookup, scene.id, ids, links(node), node_where(scene.id, node.id))


def referrers(scene: Scene, node_id: str) -> list[str]:
    """The other nodes of ``scene`` that link to ``node_id``, as ``"n1 (next)"`` descriptions."""
    found: list[str] = []
    for node in scene.nodes:
        if node.id == node_id:
            continue
        found.extend(
            f"{node.id} ({label})" for label, target in links(node) if local_target(scene.id, target) == node_id
        )
    return found


def check_character(character: Character) -> None:
    """A character's id and the asset ids it names are well formed."""
    check_id(character.id, "character id")
    if character.portrait_asset_id is not None:
        check_id(character.portrait_asset_id, "portrait asset id")
    for name, asset_id in character.expressions.items():
        check_id(asset_id, f"asset id of expression {name!r}")


def check_entity_shape(entity: object) -> None:
    """What can be checked of one entity on its own (ids, node shapes), with no lookup of others."""
    if isinstance(entity, Scene):
        check_scene_shape(entity)
    elif isinstance(entity, Character):
        check_character(entity)


def check_scene_order(lookup: Lookup, order: list[str], known: Collection[str], where: str) -> None:
    """A timeline's scenes appear once each; those not in ``known`` must exist."""
    seen: set[str] = set()
    for scene_id in order:
        if scene_id in seen:
            raise Rejected(f"{where} lists scene {scene_id!r} twice")
        seen.add(scene_id)
        if scene_id not in known and not isinstance(lookup(scene_path(scene_id)), Scene):
            raise Rejected(f"{where} names scene {scene_id!r}, which does not exist")


class _Lost:
    """What a batch took away from one scene: the whole scene, some nodes, or its start (its last node)."""

    __slots__ = ("emptied", "nodes", "scene")

    def __init__(self, old: Scene, new: Scene | None) -> None:
        self.scene = new is None
        kept = set() if new is None else {n.id for n in new.nodes}
        self.nodes = {n.id for n in old.nodes} - kept
        self.emptied = new is not None and not new.nodes and bool(old.nodes)

    def __bool__(self) -> bool:
        return self.scene or bool(self.nodes) or self.emptied

    def hit(self, node_id: str | None) -> bool:
        return self.scene or (self.emptied if node_id is None else node_id in self.nodes)


def check_removals(before: Lookup, after: Lookup, changed: Mapping[str, object], listing: Listing) -> None:
    """Refuse a batch that leaves a link or a timeline pointing at a scene, node or start it removed.

    ``before`` and ``after`` read the state without and with the batch's
    ``changed`` documents; ``listing`` names the paths in ``before`` (the
    batch's own new documents are added from ``changed``).
    """
    lost: dict[str, _Lost] = {}
    for path, new in changed.items():
        old = before(path) if path.startswith(SCENES + "/") else None
        if isinstance(old, Scene):
            took = _Lost(old, new if isinstance(new, Scene) else None)
            if took:
                lost[old.id] = took
    if not lost:
        return
    found: dict[tuple[str, str | None], list[str]] = {}
    for path in _paths(listing, changed, SCENES):
        scene = after(path)
        if not isinstance(scene, Scene):
            continue
        for node in scene.nodes:
            for label, target in links(node):
                other, node_id = split_target(target)
                sid = scene.id if other is None else other
                hit = lost.get(sid)
                if hit is not None and hit.hit(node_id):
                    key = (sid, None if hit.scene else node_id)
                    found.setdefault(key, []).append(f"{label} of {node_where(scene.id, node.id)}")
    for path in _paths(listing, changed, TIMELINES):
        timeline = after(path)
        if isinstance(timeline, Timeline):
            for sid in timeline.scene_order:
                if sid in lost and lost[sid].scene:
                    found.setdefault((sid, None), []).append(f"the scene order of timeline {timeline.id!r}")
    if found:
        (sid, node_id), who = min(found.items(), key=lambda item: (item[0][0], item[0][1] or ""))
        if node_id is not None:
            what = node_where(sid, node_id)
        elif lost[sid].scene:
            what = f"scene {sid!r}"
        else:
            what = f"the start of scene {sid!r} (its last node)"
        more = f" and {len(who) - 3} more" if len(who) > 3 else ""
        raise Rejected(f"{what} is still the target of {'; '.join(who[:3])}{more}: change or remove those first")


def _paths(listing: Listing, changed: Mapping[str, object], folder: str) -> Iterator[str]:
    """The paths of ``folder`` in the state after a batch: listed ones, and the batch's new ones."""
    prefix = folder + "/"
    listed = set(listing(folder))
    yield from listed
    yield from (p for p, doc in changed.items() if p.startswith(prefix) and doc is not None and p not in listed)
