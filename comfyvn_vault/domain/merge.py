"""``merge_entity``: three-way merge of one story document, by stable ids, field by field.

Story variants are branches; merging two of them merges each entity path with
the version at the merge base. Every document is merged by one mechanism,
:meth:`_Merger.item`: a struct with an id is kept, dropped, or merged field by
field, and each field merges by its :data:`RULES` entry:

* ``atom`` (the default): taken from the side that changed it;
* ``text`` (dialogue: node content, choice text): as an atom, and when both
  sides changed it, word by word (:func:`~comfyvn_vault.domain.textmerge.merge_text`);
  a line merged word by word is reported as a ``word-merge`` review record, since
  the combined line is new prose nobody wrote (with ``word_level=False`` it is a
  conflict instead);
* ``map`` (directives, meta, traits, expressions): key by key, each key an atom;
* ``order`` (a timeline's scene order): :func:`~comfyvn_vault.domain.ordermerge.arrange`;
* :class:`Keyed` (a scene's nodes, a node's choices): item by item by id, each
  item by this same mechanism, then ordered by ``arrange``.

Whatever both sides changed differently becomes a
:class:`~comfyvn_vault.domain.conflicts.Conflict` and the merged document keeps
*our* value there, so it stays a valid document; the conflict keeps all three
values for ``resolve``. One exception keeps scenes valid: a node one side
deleted while the other side's merged content still links to it is kept (and
reported as a delete-edit conflict) rather than left as a dangling link.

A side that changed nothing yields the other side exactly, and edits to
disjoint places merge the same whichever side is "ours".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple, TypeAlias

import msgspec
from msgspec.structs import replace

from comfyvn_vault.domain.conflicts import ABSENT, Conflict, Kept, make_conflict, pack
from comfyvn_vault.domain.entities import TYPE_OF, Character, Choice, Entity, Node, Scene, Timeline, Variable
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.events import START
from comfyvn_vault.domain.ordermerge import arrange
from comfyvn_vault.domain.patch import same
from comfyvn_vault.domain.paths import EntityPath, local_target
from comfyvn_vault.domain.textmerge import merge_text
from comfyvn_vault.domain.validate import check_scene_shape, links

Needs: TypeAlias = Callable[[str, Mapping[str, Any]], set[str]]


@dataclass(frozen=True)
class Keyed:
    """A list of structs with ids, merged item by item and then ordered.

    ``needs(entity_id, kept)`` names the ids the kept items link to; an item one
    side deleted that is still needed is kept and reported.
    """

    item: type[msgspec.Struct]
    needs: Needs | None = None


FieldRule: TypeAlias = Literal["atom", "text", "map", "order"] | Keyed


def linked_nodes(scene_id: str, nodes: Mapping[str, Any]) -> set[str]:
    """The ids of the nodes of scene ``scene_id`` that ``nodes`` link to (next and choice targets)."""
    return {nid for node in nodes.values() for _, target in links(node) if (nid := local_target(scene_id, target))}


RULES: Final[dict[type[msgspec.Struct], dict[str, FieldRule]]] = {
    Scene: {"nodes": Keyed(Node, needs=linked_nodes), "meta": "map"},
    # next and conditions stay atoms: two different successors or conditions are a decision, not a union
    Node: {"content": "text", "directives": "map", "choices": Keyed(Choice), "meta": "map"},
    Choice: {"text": "text"},
    Character: {"traits": "map", "expressions": "map", "meta": "map"},
    Timeline: {"scene_order": "order", "meta": "map"},
    Variable: {"meta": "map"},
}
"""How each field of each struct merges; a field not named is an ``atom``, and ``id`` never changes."""


def rule_of(kind: type[msgspec.Struct], name: str) -> FieldRule:
    """The merge rule of field ``name`` of ``kind``."""
    return RULES.get(kind, {}).get(name, "atom")


def at(locator: str, segment: str) -> str:
    """The locator of ``segment`` inside ``locator`` (``""`` is the whole entity)."""
    return f"{locator}/{segment}" if locator else segment


class Merged(NamedTuple):
    """The result of a merge: the merged document (``None``: deleted) and what it could not decide."""

    entity: Entity | None
    conflicts: list[Conflict]
    reviews: list[Conflict] = []
    """The lines merged word by word (``word-merge`` records), to be reviewed."""

    @property
    def clean(self) -> bool:
        return not self.conflicts


def merge_entity(
    path: str, base: Entity | None, ours: Entity | None, theirs: Entity | None, *, word_level: bool = True
) -> Merged:
    """Three-way merge of the documents stored at ``path`` (``None``: absent on that side).

    ``reviews`` holds a ``word-merge`` record for each line merged word by word
    (none with ``word_level=False``: such lines conflict). Every conflict and
    review records what the merge left at its place (:attr:`Conflict.kept`).

    Never raises for valid documents: whatever cannot merge becomes a conflict
    and the result holds ours there. Raises :class:`Rejected` only when a
    version does not belong at ``path`` or is a scene with duplicate or invalid ids.
    """
    where = EntityPath.parse(path)
    kind = TYPE_OF.get(where.folder)
    if kind is None or where.node is not None:
        raise Rejected(f"cannot merge {path!r}: not the path of a scene, character, timeline or variable")
    for doc in (base, ours, theirs):
        if doc is None:
            continue
        if type(doc) is not kind or doc.id != where.id:
            raise Rejected(f"{path} cannot hold {type(doc).__name__.lower()} {doc.id!r}")
        if isinstance(doc, Scene):
            check_scene_shape(doc)
    merger = _Merger(path, where.id, word_level)
    merged = merger.item(_opt(base), _opt(ours), _opt(theirs), "")
    return Merged(None if merged is ABSENT else merged, merger.conflicts, merger.reviews)


def _opt(doc: Entity | None) -> Any:
    return ABSENT if doc is None else doc


class _Merger:
    """One merge of one entity: the recursive field-by-field merge and the conflicts it records."""

    def __init__(self, path: str, entity_id: str, word_level: bool = True) -> None:
        self.path = path
        self.entity_id = entity_id
        self.word_level = word_level
        self.conflicts: list[Conflict] = []
        self.reviews: list[Conflict] = []
        self._index: dict[str, int] = {}  # locator -> position in conflicts

    def conflict(self, locator: str, base: Any, ours: Any, theirs: Any) -> Any:
        """Record a conflict at ``locator``; return ours, which the merged document keeps there."""
        self._index[locator] = len(self.conflicts)
        self.conflicts.append(replace(make_conflict(self.path, locator, base, ours, theirs), kept=Kept(pack(ours))))
        return ours

    def _kept(self, locator: str, value: Any) -> None:
        """The merged document keeps ``value`` (not ours) at the conflict at ``locator``."""
        index = self._index[locator]
        self.conflicts[index] = replace(self.conflicts[index], kept=Kept(pack(value)))

    def item(self, base: Any, ours: Any, theirs: Any, locator: str) -> Any:
        """A struct with an id (an entity, a node, a choice), any side possibly ``ABSENT``."""
        if same(ours, theirs) or same(base, theirs):
            return ours
        if same(base, ours):
            return theirs
        if ours is ABSENT or theirs is ABSENT:  # deleted on one side, changed on the other
            return self.conflict(locator, base, ours, theirs)
        changes: dict[str, Any] = {}
        kind = type(ours)
        for name in kind.__struct_fields__:
            if name == "id":
                continue
            was = ABSENT if base is ABSENT else getattr(base, name)  # added on both sides: no base
            mine = getattr(ours, name)
            value = self.value(rule_of(kind, name), was, mine, getattr(theirs, name), at(locator, name))
            if value is not mine:
                changes[name] = value
        return replace(ours, **changes) if changes else ours

    def value(self, rule: FieldRule, base: Any, ours: Any, theirs: Any, locator: str) -> Any:
        """One field (or map value) by its rule."""
        if same(ours, theirs) or same(base, theirs):
            return ours
        if same(base, ours):
            return theirs
        if isinstance(rule, Keyed):
            return self.keyed(rule, base, ours, theirs, locator)
        if rule == "map":
            return self.map({} if base is ABSENT else base, ours, theirs, locator)
        if rule == "order" and all(len(set(v)) == len(v) for v in (ours, theirs, [] if base is ABSENT else base)):
            return self.order(base, ours, theirs, locator)
        if (
            self.word_level
            and rule == "text"
            and isinstance(base, str)
            and isinstance(ours, str)
            and isinstance(theirs, str)
        ):
            text = merge_text(base, ours, theirs)
            if text is not None:
                review = make_conflict(self.path, locator, base, ours, theirs)
                self.reviews.append(replace(review, kind="word-merge", kept=Kept(pack(text))))
                return text
        return self.conflict(locator, base, ours, theirs)

    def map(self, base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any], locator: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in sorted(base.keys() | ours.keys() | theirs.keys()):
            was, mine, yours = (side.get(key, ABSENT) for side in (base, ours, theirs))
            got = self.value("atom", was, mine, yours, at(locator, key))
            if got is not ABSENT:
                out[key] = got
        return out

    def order(self, base: Any, ours: list[str], theirs: list[str], locator: str) -> list[str]:
        was: list[str] = [] if base is ABSENT else base
        b, o, t = set(was), set(ours), set(theirs)
        arranged = arrange(was, ours, theirs, (b & o & t) | (o - b) | (t - b))
        if arranged.contested:
            self.conflict(locator, base, ours, theirs)
            self._kept(locator, arranged.order)
        return arranged.order

    def keyed(self, rule: Keyed, base: Any, ours: list[Any], theirs: list[Any], locator: str) -> list[Any]:
        old, mine, yours = ({x.id: x for x in items} for items in ([] if base is ABSENT else base, ours, theirs))
        ids = list(dict.fromkeys([*old, *mine, *yours]))
        kept: dict[str, Any] = {}
        for i in ids:
            got = self.item(old.get(i, ABSENT), mine.get(i, ABSENT), yours.get(i, ABSENT), at(locator, i))
            if got is not ABSENT:
                kept[i] = got
        if rule.needs is not None:
            self._keep_needed(rule.needs, old, mine, yours, ids, kept, locator)
        arranged = arrange(list(old), list(mine), list(yours), kept.keys())
        if arranged.contested:
            self.conflict(locator, ABSENT if base is ABSENT else list(old), list(mine), list(yours))
            self._kept(locator, arranged.order)
        self._anchor(locator, ids, mine, yours, set(arranged.order))
        return [kept[i] for i in arranged.order]

    def _keep_needed(
        self,
        needs: Needs,
        old: dict[str, Any],
        mine: dict[str, Any],
        yours: dict[str, Any],
        ids: list[str],
        kept: dict[str, Any],
        locator: str,
    ) -> None:
        """Bring back deleted items that kept items still link to, until none is missing."""
        while True:
            missing = needs(self.entity_id, kept) - kept.keys()
            back = [i for i in ids if i in missing and (i in mine or i in yours)]
            if not back:
                return
            for i in back:
                kept[i] = mine[i] if i in mine else yours[i]
                where = at(locator, i)
                if where not in self._index:  # else: deleted by ours, changed by theirs, kept as theirs after all
                    self.conflict(where, old.get(i, ABSENT), mine.get(i, ABSENT), yours.get(i, ABSENT))
                self._kept(where, kept[i])

    def _anchor(
        self, locator: str, ids: list[str], mine: dict[str, Any], yours: dict[str, Any], kept: set[str]
    ) -> None:
        """Note on each whole-item conflict which kept item it follows on the side that has it."""
        for i in ids:
            index = self._index.get(at(locator, i))
            if index is None:
                continue
            side = list(mine if i in mine else yours)
            after = next((prev for prev in reversed(side[: side.index(i)]) if prev in kept), START)
            self.conflicts[index] = replace(self.conflicts[index], after=after)
