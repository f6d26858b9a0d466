"""Conflict records: what a merge could not decide, stored for later resolution.

A :class:`Conflict` is a first-class stored object (as in Jujutsu): the merge
completes, the history layer stores each conflict in the merge commit's tree at
``conflicts/<id>``, ``status`` lists them and ``resolve`` settles them later.

Where a conflict sits is a *locator* inside the entity at ``path``, a readable
``/``-separated path of field names and ids:

* ``""`` — the whole entity (deleted on one side, edited on the other);
* ``"title"``, ``"nodes/n2/content"``, ``"nodes/n2/choices/c1/target"`` — one field;
* ``"meta/mood"``, ``"nodes/n2/directives/bg"`` — one key of a map (the key is
  everything after the map's name, so it may itself contain ``/``);
* ``"nodes/n2"``, ``"nodes/n2/choices/c1"`` — a whole node or choice;
* ``"nodes"``, ``"nodes/n2/choices"``, ``"scene_order"`` — the order of a list
  (an item moved to two different places); the values are lists of ids.

Each of the three values is a :class:`Value`: the canonical msgpack of the
sub-value (:class:`msgspec.Raw`) inside a one-element array, so a conflict can
hold a string, a map, a node or a whole entity with one field type, still encode
canonically, and show as plain data in ``cat``-style dumps. ``None`` (the field
left out) means *absent* (deleted, or never added), which differs from a present
``null`` (a meta value or a speaker may be ``None``).

A conflict's id depends only on ``path`` and ``locator``: merging the same
versions again gives the same ids, and an id is a valid entity id.
"""

from __future__ import annotations

from typing import Any, Final, Literal, Protocol, TypeAlias

import msgspec

from comfyvn_vault.store.codec import StoredObject
from comfyvn_vault.store.ids import hash_bytes

ConflictKind: TypeAlias = Literal["edit-edit", "delete-edit", "add-add", "word-merge"]
"""``word-merge`` is not a conflict but a review: both sides edited a line and the
merge combined their words; the merged line is in place, listed until accepted."""
ID_DIGITS: Final = 16

_encoder: Final = msgspec.msgpack.Encoder(order="deterministic")


class Absent:
    """The type of :data:`ABSENT`: a value that is not there (distinct from ``None``); compare with ``is``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent()
"""A field, map key, node, choice or entity that is not there on some side."""


class Value(msgspec.Struct, frozen=True, array_like=True):
    """One side's value at a conflict, as canonical msgpack (decoded to a type only when resolving)."""

    raw: msgspec.Raw


class Kept(msgspec.Struct, frozen=True, array_like=True):
    """The value a merge left at a conflict's place (``value`` ``None``: absent there)."""

    value: Value | None


class Conflict(StoredObject, frozen=True, kw_only=True, tag="Conflict"):
    """Two sides changed the same place differently; the merge kept ours there.

    ``after`` is set for a whole node or choice: the id of the item it follows on
    the side that has it (``""``: first), so a resolution that brings it back
    knows where to put it.
    """

    id: str
    path: str
    locator: str
    kind: ConflictKind
    base: Value | None = None
    ours: Value | None = None
    theirs: Value | None = None
    after: str | None = None
    kept: Kept | None = None
    """What the merge left at the place (``None``: not recorded, by versions before it was; then ours)."""

    @property
    def review(self) -> bool:
        """A word-by-word merge to review, not a conflict: it blocks nothing."""
        return self.kind == "word-merge"

    def left(self) -> Value | None:
        """The stored value the merge left at the place (``None``: absent)."""
        return self.kept.value if self.kept is not None else self.ours

    def __repr__(self) -> str:
        sides = ", ".join(f"{name}={_show(getattr(self, name))}" for name in ("base", "ours", "theirs"))
        return f"Conflict({self.path} {self.locator!r} {self.kind}: {sides})"

    def __hash__(self) -> int:  # msgspec.Raw is unhashable; equal conflicts have equal ids
        return hash(self.id)


def conflict_id(path: str, locator: str) -> str:
    """The id of the conflict at ``locator`` of the entity at ``path``: 16 hex digits of BLAKE3."""
    return hash_bytes(f"{path}\n{locator}".encode()).hex()[:ID_DIGITS]


def pack(value: object) -> Value | None:
    """A value as stored in a conflict (``None`` for :data:`ABSENT`)."""
    return None if value is ABSENT else Value(msgspec.Raw(_encoder.encode(value)))


def unpack(side: Value | None, kind: Any) -> Any:
    """A stored value decoded as type ``kind`` (:data:`ABSENT` if it is absent)."""
    return ABSENT if side is None else msgspec.msgpack.decode(side.raw, type=kind)


def kind_of(base: object, ours: object, theirs: object) -> ConflictKind:
    """``add-add`` if base lacks it, ``delete-edit`` if one side lacks it, else ``edit-edit``."""
    if base is ABSENT:
        return "add-add"
    if ours is ABSENT or theirs is ABSENT:
        return "delete-edit"
    return "edit-edit"


def make_conflict(path: str, locator: str, base: object, ours: object, theirs: object) -> Conflict:
    """The conflict at ``locator`` of ``path`` between three values (any may be :data:`ABSENT`)."""
    return Conflict(
        id=conflict_id(path, locator),
        path=path,
        locator=locator,
        kind=kind_of(base, ours, theirs),
        base=pack(base),
        ours=pack(ours),
        theirs=pack(theirs),
    )


def plain(side: Value | None) -> Any:
    """A stored value as plain JSON-able data (structs as maps); ``None`` if absent."""
    return None if side is None else msgspec.msgpack.decode(side.raw)


def _show(side: Value | None) -> str:
    return "absent" if side is None else msgspec.json.encode(plain(side)).decode()


def conflict_json(conflict: Conflict) -> dict[str, Any]:
    """A conflict as JSON-able data for the CLI.

    Absent sides are left out of the map and listed under ``"absent"``, so a
    deleted node (absent) is not confused with a present ``null``.
    """
    out: dict[str, Any] = {
        "id": conflict.id,
        "path": conflict.path,
        "locator": conflict.locator,
        "kind": conflict.kind,
    }
    absent: list[str] = []
    for name in ("base", "ours", "theirs"):
        side: Value | None = getattr(conflict, name)
        if side is None:
            absent.append(name)
        else:
            out[name] = plain(side)
    out["absent"] = absent
    if conflict.review:
        out["merged"] = plain(conflict.left())
    return out


class Placed(Protocol):
    """Where a conflict is, and its kind: a :class:`Conflict`, or a listing of one."""

    @property
    def path(self) -> str: ...

    @property
    def locator(self) -> str: ...

    @property
    def kind(self) -> ConflictKind: ...


def describe(conflict: Placed) -> str:
    """One line for ``status``: ``scenes/intro nodes/n2/content: edited on both sides``."""
    where = f"{conflict.path} {conflict.locator}" if conflict.locator else conflict.path
    what = {
        "edit-edit": "edited on both sides",
        "add-add": "added on both sides with different content",
        "delete-edit": "deleted on one side, changed or used on the other",
        "word-merge": "edited on both sides and merged word by word; review it",
    }[conflict.kind]
    return f"{where}: {what}"
