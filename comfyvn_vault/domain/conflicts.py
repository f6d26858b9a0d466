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

The three values are kept as canonical msgpack of the sub-value
(:class:`msgspec.Raw`), so a conflict can hold a string, a map, a node or a whole
entity with one field type and still encode canonically. An empty ``Raw`` means
*absent* (deleted, or not yet added), which differs from a present ``null``
(a meta value or a speaker may be ``None``).

A conflict's id depends only on ``path`` and ``locator``: merging the same
versions again gives the same ids, and an id is a valid entity id.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeAlias

import msgspec

from comfyvn_vault.store.codec import StoredObject
from comfyvn_vault.store.ids import hash_bytes

ConflictKind: TypeAlias = Literal["edit-edit", "delete-edit", "add-add"]
ID_DIGITS: Final = 16
NOTHING: Final = msgspec.Raw()
"""The stored form of an absent value."""

_encoder: Final = msgspec.msgpack.Encoder(order="deterministic")


class Absent:
    """The type of :data:`ABSENT`: a value that is not there (distinct from ``None``); compare with ``is``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent()
"""A field, map key, node, choice or entity that is not there on some side."""


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
    base: msgspec.Raw = NOTHING
    ours: msgspec.Raw = NOTHING
    theirs: msgspec.Raw = NOTHING
    after: str | None = None

    def __repr__(self) -> str:
        sides = ", ".join(f"{name}={_show(getattr(self, name))}" for name in ("base", "ours", "theirs"))
        return f"Conflict({self.path} {self.locator!r} {self.kind}: {sides})"

    def __hash__(self) -> int:  # Raw is unhashable; equal conflicts have equal ids
        return hash(self.id)


def conflict_id(path: str, locator: str) -> str:
    """The id of the conflict at ``locator`` of the entity at ``path``: 16 hex digits of BLAKE3."""
    return hash_bytes(f"{path}\n{locator}".encode()).hex()[:ID_DIGITS]


def pack(value: object) -> msgspec.Raw:
    """A value as stored in a conflict: canonical msgpack, or :data:`NOTHING` for :data:`ABSENT`."""
    return NOTHING if value is ABSENT else msgspec.Raw(_encoder.encode(value))


def unpack(raw: msgspec.Raw, kind: Any) -> Any:
    """A stored value decoded as type ``kind`` (:data:`ABSENT` if it is absent)."""
    return msgspec.msgpack.decode(raw, type=kind) if len(raw) else ABSENT


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


def plain(raw: msgspec.Raw) -> Any:
    """A stored value as plain JSON-able data (structs as maps); ``None`` if absent."""
    return msgspec.msgpack.decode(raw) if len(raw) else None


def _show(raw: msgspec.Raw) -> str:
    return "absent" if not len(raw) else msgspec.json.encode(plain(raw)).decode()


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
    for side in ("base", "ours", "theirs"):
        raw: msgspec.Raw = getattr(conflict, side)
        if len(raw):
            out[side] = plain(raw)
        else:
            absent.append(side)
    out["absent"] = absent
    return out


def describe(conflict: Conflict) -> str:
    """One line for ``status``: ``scenes/intro nodes/n2/content: edited on both sides``."""
    where = f"{conflict.path} {conflict.locator}" if conflict.locator else conflict.path
    what = {
        "edit-edit": "edited on both sides",
        "add-add": "added on both sides with different content",
        "delete-edit": "deleted on one side, changed or used on the other",
    }[conflict.kind]
    return f"{where}: {what}"
