"""Events by entity: every event of every commit ever recorded, under each path it touches.

==========  ============================================  ================================
name        key                                           value
==========  ============================================  ================================
p.events    entity path \\0 generation(8) commit(32)       (position(4) event id(32))…
==========  ============================================  ================================

It covers every branch (and undone work); readers filter it by ancestry
(``log --entity``, ``blame``). One key per path a commit touches holds every
event of that commit on the path, in order: a batched import of 100,000 line
edits over 20,000 lines writes 21,000 keys, not 200,000.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Final

from comfyvn_vault.projections.base import SEP, Projection, Txn, reading
from comfyvn_vault.projections.keys import fits, key_part
from comfyvn_vault.store.ids import ObjectId

DB_EVENTS: Final = b"p.events"
_GEN: Final = struct.Struct(">Q")
_EVENT_ROW: Final = struct.Struct(">I32s")


def event_key(path: str, generation: int, commit: ObjectId) -> bytes:
    """The ``p.events`` key of a commit's events on one path."""
    return key_part(path) + SEP + _GEN.pack(generation) + bytes(commit)


def parse_event_key(key: bytes) -> tuple[str, int, ObjectId]:
    cut = len(key) - 40
    path = key[: cut - 1].decode()
    gen = _GEN.unpack_from(key, cut)[0]
    commit = ObjectId(key[cut + 8 : cut + 40])
    return path, gen, commit


class Events(Projection):
    """Path → the events touching it, commit by commit, in the order they were applied."""

    databases = (DB_EVENTS,)
    state = False

    def add_commit(
        self, txn: Txn, commit: ObjectId, generation: int, touched: Iterable[tuple[int, list[str], ObjectId]]
    ) -> None:
        """Index a commit's events under every path they touch: one key per path (see the table above)."""
        rows: dict[str, bytearray] = {}
        row = _EVENT_ROW.pack
        for index, paths, event_id in touched:
            packed = row(index, event_id)
            for path in paths:
                got = rows.get(path)
                if got is None:
                    rows[path] = bytearray(packed)
                else:
                    got += packed
        put, db = txn.put, self.index.dbs[DB_EVENTS]
        for path, value in rows.items():
            put(event_key(path, generation, commit), bytes(value), db=db)

    @reading
    def events_for(self, path: str, *, nodes: bool = False) -> list[tuple[int, ObjectId, int, ObjectId]]:
        """(generation, commit, index, event id) for events touching ``path``, oldest first per path.

        With ``nodes``, a scene path also matches the events of every node in it
        (``scenes/intro#…``) instead of the scene-level ones.
        """
        prefix = key_part(path) + (b"#" if nodes else SEP)
        out: list[tuple[int, ObjectId, int, ObjectId]] = []
        if not fits(prefix):
            return out
        with self.index.env.begin(db=self.index.dbs[DB_EVENTS]) as txn:
            cur = txn.cursor()
            if cur.set_range(prefix):
                for k, v in cur:
                    k = bytes(k)
                    if not k.startswith(prefix):
                        break
                    _, gen, commit = parse_event_key(k)
                    for idx, eid in _EVENT_ROW.iter_unpack(v):
                        out.append((gen, commit, idx, ObjectId(eid)))
        return out


__all__ = ["DB_EVENTS", "Events", "event_key", "parse_event_key"]
