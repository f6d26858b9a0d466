"""Refs: names that point at objects, kept in the refs database of the index.

A ref moves only inside a write transaction, by compare-and-swap: the move
names what the ref must point at now (:func:`expect_ref`), so of two writers
that read the same tip only the first moves it. The moves are written in the
index transaction that commits the objects they point at, after those bytes
are durable; a journaled store also records them in the transaction's commit
record, from which the refs can be rebuilt (store/journal.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from comfyvn_vault.errors import RefMoved
from comfyvn_vault.store.base import IndexDb, IndexTxn
from comfyvn_vault.store.ids import ObjectId


def read_ref(txn: IndexTxn, db: IndexDb, name: str) -> ObjectId | None:
    """The ref ``name`` as index transaction ``txn`` sees it."""
    raw = txn.get(name.encode(), db=db)
    return ObjectId(bytes(raw)) if raw is not None else None


def list_refs(txn: IndexTxn, db: IndexDb, prefix: str = "") -> dict[str, ObjectId]:
    """Every ref whose name starts with ``prefix``, in name order."""
    out: dict[str, ObjectId] = {}
    p = prefix.encode()
    cur = txn.cursor(db=db)
    if cur.set_range(p):
        for key, value in cur:
            if not bytes(key).startswith(p):
                break
            out[bytes(key).decode()] = ObjectId(bytes(value))
    return out


def write_ref_moves(txn: IndexTxn, db: IndexDb, moves: Mapping[str, ObjectId | None]) -> None:
    """Apply one transaction's ref moves (None deletes the ref)."""
    for name, value in moves.items():
        if value is None:
            txn.delete(name.encode(), db=db)
        else:
            txn.put(name.encode(), bytes(value), db=db)


def expect_ref(name: str, found: ObjectId | None, expected: ObjectId | None) -> None:
    """Refuse to move ref ``name`` unless it points at ``expected`` (it points at ``found``)."""
    if found != expected:
        raise RefMoved(f"ref {name} moved (expected {_short(expected)}, found {_short(found)}); retry")


def _short(oid: ObjectId | None) -> str:
    return oid.short() if oid is not None else "nothing"
