"""``resolve``: settle one conflict of a merged entity — ours, theirs, both, or an explicit value.

A merge leaves our value at every conflicted place (see
:mod:`~comfyvn_vault.domain.merge`); resolving puts a chosen value there
instead and checks that the entity is still well formed, so the CLI and the TUI
share one implementation and neither can write a broken story:

* ``"ours"`` / ``"theirs"``: that side's value at the locator (a deleted node,
  choice, map key or entity is removed; an order follows that side's order);
* ``"both"``: texts joined ours then theirs on two lines; lists ours then the
  items only theirs has; for delete-vs-edit, the edited version;
* ``how=None``: ``value``, plain JSON-able data converted to the field's type
  (``None`` removes a node, choice, map key or entity).

Anything that does not fit raises :class:`~comfyvn_vault.domain.errors.Rejected`
with a one-line reason. :func:`value_at` reads the value at a locator, for
showing a conflict next to what the merge kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final, Literal, NamedTuple, TypeAlias, get_args, get_type_hints

import msgspec
from msgspec.structs import replace

from comfyvn_vault.domain.conflicts import ABSENT, Conflict, unpack
from comfyvn_vault.domain.entities import TYPE_OF, Character, Entity, Scene, Timeline
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.events import START, Cause, ConflictResolved
from comfyvn_vault.domain.merge import Keyed, rule_of
from comfyvn_vault.domain.ordermerge import follow
from comfyvn_vault.domain.patch import same
from comfyvn_vault.domain.paths import EntityPath, local_target
from comfyvn_vault.domain.validate import (
    check_character,
    check_scene_order,
    check_scene_shape,
    check_targets,
    links,
    node_where,
)
from comfyvn_vault.store.codec import encode

Resolution: TypeAlias = Literal["ours", "theirs", "both"]
PlaceKind: TypeAlias = Literal["entity", "field", "key", "item", "order"]


class Place(NamedTuple):
    """A locator resolved against an entity: what is there and how to put something else there."""

    kind: PlaceKind
    type: Any
    """The type a value there has (an order's is ``list[str]``)."""
    current: Any
    """The value there now, :data:`~comfyvn_vault.domain.conflicts.ABSENT` if none."""
    put: Callable[[Any], Entity | None]
    """The entity with a new value there (``ABSENT`` removes it); raises :class:`Rejected` if it cannot go there."""


def resolve(entity: Entity | None, conflict: Conflict, how: Resolution | None, value: Any = None) -> Entity | None:
    """``entity`` (the merged version, ``None`` if deleted) with ``conflict`` settled as ``how`` says.

    ``how=None`` puts ``value`` there instead. Returns the new version (``None``:
    deleted); raises :class:`Rejected` when the value does not fit the field or
    would leave the entity malformed (say, removing a node another node links to).
    """
    where = EntityPath.parse(conflict.path)
    kind = TYPE_OF.get(where.folder)
    if kind is None or where.node is not None:
        raise Rejected(f"conflict {conflict.id} is about {conflict.path!r}, which is not a story entity")
    if entity is not None and (type(entity) is not kind or entity.id != where.id):
        raise Rejected(
            f"conflict {conflict.id} is about {conflict.path}, not {type(entity).__name__.lower()} {entity.id!r}"
        )
    spot = place(kind, entity, conflict.locator, conflict.after)
    label = conflict.locator or conflict.path
    result = spot.put(_choose(spot, conflict, how, value, label))
    if result is not None:
        check_alone(result)
    return result


def value_at(entity: Entity, locator: str) -> Any:
    """The value at ``locator`` in ``entity`` (:data:`~comfyvn_vault.domain.conflicts.ABSENT` if none)."""
    return place(type(entity), entity, locator).current


def _spot_of(entity: Entity | None, conflict: Conflict) -> Place | None:
    """The conflict's place in ``entity``; ``None`` if it is not there any more (say, the node was deleted)."""
    kind = TYPE_OF.get(EntityPath.parse(conflict.path).folder)
    if kind is None:
        return None
    try:
        return place(kind, entity, conflict.locator, conflict.after)
    except Rejected:
        return None


def changed_since_merge(entity: Entity | None, conflict: Conflict) -> bool:
    """Whether the value at the conflict's place in ``entity`` differs from what the merge left there.

    Then the conflict's sides are out of date: someone set a newer value there,
    and a resolution must not overwrite it.
    """
    spot = _spot_of(entity, conflict)
    if spot is None:
        return True
    try:
        left = unpack(conflict.left(), spot.type)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return True
    return not same(spot.current, left)


def changed_between(old: Entity | None, new: Entity | None, conflict: Conflict) -> bool:
    """Whether ``old`` and ``new`` hold different values at the conflict's place."""
    a, b = _spot_of(old, conflict), _spot_of(new, conflict)
    if a is None or b is None:
        return a is not b
    return not same(a.current, b.current)


def settled_by_edit(
    old: Entity | None, new: Entity | None, settled: list[Conflict], open_here: list[Conflict], cause: Cause
) -> list[ConflictResolved]:
    """The resolutions a hand edit ``old`` → ``new`` of one entity makes.

    Each conflict of ``settled`` (its marker is gone from the file) and each
    other conflict or review of ``open_here`` whose place now holds a new value
    is resolved as ``"edit"``: the commit's value there is the resolution.
    """
    ids = {c.id for c in settled}
    done = [*settled, *(c for c in open_here if c.id not in ids and changed_between(old, new, c))]
    return [ConflictResolved(conflict_id=c.id, how="edit", before=c, cause=cause) for c in done]


def value_from_text(entity: Entity | None, conflict: Conflict, text: str) -> Any:
    """``resolve --value TEXT`` as a value for the conflict's place.

    JSON when it is JSON of the right type; else, where the place holds text (a
    line, a speaker, a map value), ``text`` as written, so ``--value 'cold and
    dark'`` needs no quotes. ``null`` removes a node, choice, map key or entity.
    """
    where = conflict.locator or conflict.path
    spot = _spot_of(entity, conflict)
    if spot is None:
        raise Rejected(f"{where}: the place of conflict {conflict.id} is gone from {conflict.path}")
    try:
        decoded: Any = msgspec.json.decode(text)
    except msgspec.DecodeError:
        decoded = _NOT_JSON
    if decoded is None and spot.kind in ("entity", "item", "key"):
        return None
    for candidate in (decoded, text):
        if candidate is _NOT_JSON:
            continue
        try:
            msgspec.convert(candidate, spot.type)
        except msgspec.ValidationError:
            continue
        return candidate
    example = {"entity": "a whole document", "item": "a whole node or choice", "order": 'a list of ids ["a", "b"]'}
    wanted = example.get(spot.kind, _type_name(spot.type))
    raise Rejected(
        f"{where}: --value must be {wanted} (as JSON, e.g. {_example(spot)}); {_clip(text)!r} is not. "
        "Or pick a side with --ours, --theirs or --both"
    )


_NOT_JSON: Final = object()


def _type_name(kind: Any) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", type(None): "null"}
    parts = get_args(kind) or (kind,)
    shown = [names.get(p, getattr(p, "__name__", str(p)).replace("list", "a list")) for p in parts]
    return " or ".join(dict.fromkeys(shown))


def _example(spot: Place) -> str:
    if spot.kind == "order" or get_args(spot.type) == (str,):
        return '["n2", "n3"]'
    current = spot.current
    if current is ABSENT or current is None:
        return "null"
    return msgspec.json.encode(current).decode()[:60]


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def _choose(spot: Place, conflict: Conflict, how: Resolution | None, value: Any, label: str) -> Any:
    if how is None:
        if value is None and spot.kind in ("entity", "item", "key"):
            return ABSENT
        return _convert(value, spot.type, label)
    if how not in ("ours", "theirs", "both"):
        raise Rejected(f"{label}: resolve as ours, theirs or both, not {how!r}")
    ours, theirs = unpack(conflict.ours, spot.type), unpack(conflict.theirs, spot.type)
    if spot.kind == "order":
        if how == "both":
            raise Rejected(f"{label} is an order: choose ours or theirs, or give the order")
        wanted = ours if how == "ours" else theirs
        return follow(spot.current, [] if wanted is ABSENT else wanted)
    if how == "ours":
        return ours
    if how == "theirs":
        return theirs
    return _convert(_both(ours, theirs, label), spot.type, label)


def _both(ours: Any, theirs: Any, label: str) -> Any:
    if ours is ABSENT:
        return theirs
    if theirs is ABSENT:
        return ours
    if isinstance(ours, str) and isinstance(theirs, str):
        return f"{ours}\n{theirs}"
    if isinstance(ours, list) and isinstance(theirs, list):
        return [*ours, *(x for x in theirs if not any(same(x, y) for y in ours))]
    raise Rejected(f"{label}: 'both' joins texts or lists or keeps an edit over a deletion; choose ours or theirs")


def _convert(value: Any, kind: Any, label: str) -> Any:
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        raise Rejected(f"{label}: {exc}") from None


# --- locators ----------------------------------------------------------------------


def place(kind: type[Entity], entity: Entity | None, locator: str, after: str | None = None) -> Place:
    """Resolve ``locator`` against ``entity`` (of type ``kind``; ``None`` when it is deleted).

    ``after`` positions a whole node or choice that is put back where there is
    none (see :attr:`Conflict.after`); without it, it goes last.
    """
    if not locator:

        def put_entity(new: Any) -> Entity | None:
            if new is ABSENT:
                return None
            if entity is not None and new.id != entity.id:
                raise Rejected(f"the value is {kind.__name__.lower()} {new.id!r}, not {entity.id!r}")
            doc: Entity = new
            return doc

        return Place("entity", kind, ABSENT if entity is None else entity, put_entity)
    if entity is None:
        raise Rejected(f"{locator!r}: the {kind.__name__.lower()} is deleted; settle the whole-entity conflict first")
    return _descend(entity, locator.split("/"), lambda doc: doc, locator, after)


@functools.cache
def _hints(kind: type[msgspec.Struct]) -> dict[str, Any]:
    return get_type_hints(kind)


def _descend(
    holder: Any, segments: list[str], rebuild: Callable[[Any], Entity], locator: str, after: str | None
) -> Place:
    name, rest = segments[0], segments[1:]
    kind: type[msgspec.Struct] = type(holder)
    what = kind.__name__.lower()
    if name == "id" or name not in kind.__struct_fields__:
        raise Rejected(f"{locator!r}: a {what} has no field {name!r}")
    rule = rule_of(kind, name)
    field_type = _hints(kind)[name]
    current = getattr(holder, name)

    def set_to(new: Any) -> Entity:
        return rebuild(replace(holder, **{name: new}))

    if not rest:
        if isinstance(rule, Keyed):
            return Place("order", list[str], [x.id for x in current], _put_order(current, set_to, locator))
        return Place("order" if rule == "order" else "field", field_type, current, set_to)
    if rule == "map":
        key = "/".join(rest)

        def put_key(new: Any) -> Entity:
            changed = {k: v for k, v in current.items() if k != key}
            if new is not ABSENT:
                changed[key] = new
            return set_to(changed)

        return Place("key", get_args(field_type)[1], current.get(key, ABSENT), put_key)
    if not isinstance(rule, Keyed):
        raise Rejected(f"{locator!r}: field {name!r} of a {what} has no parts")
    item_id, deeper = rest[0], rest[1:]
    index = next((k for k, x in enumerate(current) if x.id == item_id), None)
    item_kind = rule.item.__name__.lower()
    if not deeper:

        def put_item(new: Any) -> Entity:
            if new is not ABSENT and new.id != item_id:
                raise Rejected(f"{locator!r}: the value is {item_kind} {new.id!r}, not {item_id!r}")
            return set_to(_with_item(current, index, new, after))

        return Place("item", rule.item, ABSENT if index is None else current[index], put_item)
    if index is None:
        raise Rejected(f"{locator!r}: the {what} has no {item_kind} {item_id!r}")
    spot = index

    def put_inside(new: Any) -> Entity:
        return set_to([*current[:spot], new, *current[spot + 1 :]])

    return _descend(current[index], deeper, put_inside, locator, after)


def _with_item(items: list[Any], index: int | None, new: Any, after: str | None) -> list[Any]:
    out = list(items)
    if index is not None:
        if new is ABSENT:
            del out[index]
        else:
            out[index] = new
    elif new is not ABSENT:
        ids = [x.id for x in out]
        position = 0 if after == START else ids.index(after) + 1 if after in ids else len(out)
        out.insert(position, new)
    return out


def _put_order(items: list[Any], set_to: Callable[[Any], Entity], locator: str) -> Callable[[Any], Entity]:
    by_id = {x.id: x for x in items}

    def put(order: list[str]) -> Entity:
        unknown = next((i for i in order if i not in by_id), None)
        if unknown is not None:
            raise Rejected(f"{locator!r}: there is no {unknown!r} to place")
        if len(set(order)) != len(order):
            twice = next(i for i in order if order.count(i) > 1)
            raise Rejected(f"{locator!r}: the order names {twice!r} twice")
        return set_to([by_id[i] for i in follow(list(by_id), order)])

    return put


# --- checks ------------------------------------------------------------------------


def check_alone(entity: Entity) -> None:
    """What can be checked of one document without the rest of the story.

    Ids are valid and unique, links inside a scene resolve, a timeline names
    each scene once, values encode (ints fit in 64 bits). Links into other
    scenes are the tree-level merge's business.
    """
    if isinstance(entity, Scene):
        ids = check_scene_shape(entity)
        for node in entity.nodes:
            local = [(label, t) for label, t in links(node) if local_target(entity.id, t) is not None]
            check_targets(_nowhere, entity.id, ids, local, node_where(entity.id, node.id))
    elif isinstance(entity, Character):
        check_character(entity)
    elif isinstance(entity, Timeline):
        check_scene_order(_nowhere, entity.scene_order, set(entity.scene_order), f"timeline {entity.id!r}")
    try:
        encode(entity)
    except (OverflowError, msgspec.EncodeError) as exc:
        raise Rejected(f"{type(entity).__name__.lower()} {entity.id!r} cannot be stored: {exc}") from None


def _nowhere(path: str) -> Entity | None:
    return None
