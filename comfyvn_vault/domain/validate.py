"""Checks that keep the story well formed: ids, uniqueness and links that resolve.

``apply`` runs these before it accepts an event. Shape checks look only at the
document in hand; link checks resolve targets through the caller's ``lookup``
(another scene's node or start, a timeline's scenes). A link is checked when an
event introduces it: links a document already had are not re-checked, because
the scene they point into may have been deleted since, which ``apply`` cannot
see without a reverse index (that is the projections' and ``fsck``'s job) and
which must not block unrelated edits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator

from comfyvn_vault.domain.assets import Record
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.entities import Character, Choice, Entity, Node, Scene
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.paths import check_id, local_target, scene_path, split_target

Lookup = Callable[[str], "Entity | Conflict | Record | None"]
"""Reads a document by path: entities, merge-conflict records, and asset/finding/policy records."""


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
