"""Turning what a user typed (a full id or a hex prefix) into one object id."""

from __future__ import annotations

from typing import Protocol

from comfyvn_vault.errors import AmbiguousId, InputRejected, ObjectNotFound
from comfyvn_vault.store.ids import HEX_LEN, ObjectId, is_hex_prefix


class SortedKeys(Protocol):
    """The part of an LMDB cursor that prefix lookup needs."""

    def set_range(self, key: bytes, /) -> bool: ...

    def key(self) -> bytes: ...

    def next(self) -> bool: ...


def resolve_prefix(text: str, cursor: SortedKeys) -> ObjectId:
    """Find the one key starting with hex ``text`` in a cursor over sorted 32-byte ids."""
    t = text.strip().lower()
    if not is_hex_prefix(t):
        raise InputRejected(f"not an object id or id prefix: {text[:80]!r}")
    low = bytes.fromhex(t if len(t) % 2 == 0 else t + "0")
    found: list[bytes] = []
    if cursor.set_range(low):
        while len(found) < 2:
            key = bytes(cursor.key())
            if not key.hex().startswith(t):
                break
            found.append(key)
            if not cursor.next():
                break
    if not found:
        raise ObjectNotFound(f"no object {t}" if len(t) == HEX_LEN else f"no object id starts with {t}")
    if len(found) > 1:
        raise AmbiguousId(f"id prefix {t} is ambiguous; give more digits")
    return ObjectId(found[0])
