"""Garbage collection: remove what no ref reaches, never what one does.

Reachability follows the links inside structured objects (see ``codec``), so gc
needs no knowledge of commits or stories. It runs under the writer lock, so no
transaction is in flight. Order for crash safety: live records are copied to a
new pack and fsynced, the index switches to them in one LMDB commit, and only
then are old files unlinked; a crash leaves at worst files nothing points at.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import msgspec

from comfyvn_vault.errors import VaultError
from comfyvn_vault.store import codec
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.store.fsutil import WriterLock, fsync_dir, os_error
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.store.journal import encode_commit
from comfyvn_vault.store.layout import FLAG_OBJECT, FLAG_ZSTD, LOC_LOOSE, LOC_PACK, RECORD, Entry, pack_number

#: Staging files younger than this may belong to a writer that has not taken the lock yet.
STALE_TMP_SECONDS = 3600


class GcReport(msgspec.Struct):
    kept: int = 0
    removed: int = 0
    bytes_freed: int = 0
    packs_rewritten: int = 0


def reachable(store: DiskObjectStore, roots: Iterable[ObjectId]) -> set[ObjectId]:
    """Every object reachable from ``roots`` through links."""
    live: set[ObjectId] = set()
    stack = [r for r in roots]
    while stack:
        oid = stack.pop()
        if oid in live:
            continue
        e = store.entry(oid)
        if e is None:
            continue  # dangling: fsck reports it; gc only keeps what exists
        live.add(oid)
        if e.flags & FLAG_OBJECT:
            stack.extend(t for t in codec.links(store.get(oid)) if t not in live)
    return live


def gc(store: DiskObjectStore, extra_roots: Iterable[ObjectId] = ()) -> GcReport:
    lock = WriterLock(store.paths.lock, store.lock_timeout)
    lock.acquire()
    try:
        return _collect(store, list(store.refs().values()) + list(extra_roots))
    finally:
        lock.release()


def _collect(store: DiskObjectStore, roots: list[ObjectId]) -> GcReport:
    report = GcReport()
    live = reachable(store, roots)
    entries = dict(store.entries())
    dead = {oid: e for oid, e in entries.items() if oid not in live}
    report.kept = len(entries) - len(dead)
    report.removed = len(dead)
    report.bytes_freed = sum(e.stored for e in dead.values())

    committed = store.packs()
    dirty_packs = sorted({e.pack for e in dead.values() if e.location == LOC_PACK})
    moved: dict[ObjectId, Entry] = {}
    new_pack: int | None = None
    new_len = 0
    if dirty_packs:
        new_pack = max(committed) + 1
        new_path = store.paths.pack(new_pack)
        try:
            with open(new_path, "wb") as out:
                for oid, e in sorted(entries.items(), key=lambda i: (i[1].pack, i[1].offset)):
                    if e.location != LOC_PACK or e.pack not in dirty_packs or oid in dead:
                        continue
                    header = RECORD.pack(b"CVO1", e.flags & (FLAG_OBJECT | FLAG_ZSTD), e.size, e.stored, oid)
                    out.write(header)
                    out.write(store.read_stored(oid, e))
                    moved[oid] = e._replace(pack=new_pack, offset=new_len + RECORD.size)
                    new_len += RECORD.size + e.stored
                if store.journal:
                    # The rewritten packs' commit records go away: one snapshot of
                    # every ref and live loose blob takes their place (store/journal.py).
                    loose = sorted((o, e) for o, e in entries.items() if e.location == LOC_LOOSE and o not in dead)
                    record = encode_commit(dict(store.refs()), loose, snapshot=True)
                    out.write(record)
                    new_len += len(record)
                out.flush()
                os.fsync(out.fileno())
            fsync_dir(store.paths.packs)
        except OSError as exc:
            new_path.unlink(missing_ok=True)
            raise os_error(exc, "rewrite packs") from None
        report.packs_rewritten = len(dirty_packs)

    store.mark_index_dirty()  # close() syncs the index and clears the marker
    with store.env.begin(write=True) as txn:
        for oid in dead:
            txn.delete(oid, db=store.objects_db)
        for oid, e in moved.items():
            txn.put(oid, e.pack_value(), db=store.objects_db)
        for number in dirty_packs:
            txn.delete(number.to_bytes(4, "big"), db=store.packs_db)
        if new_pack is not None:
            txn.put(new_pack.to_bytes(4, "big"), new_len.to_bytes(8, "big"), db=store.packs_db)

    # Nothing points at these any more: unlink them.
    store.pack_files.close()
    for number in dirty_packs:
        store.paths.pack(number).unlink(missing_ok=True)
    for oid, e in dead.items():
        if e.location == LOC_LOOSE:
            store.paths.loose_file(oid, bool(e.flags & FLAG_ZSTD)).unlink(missing_ok=True)
    _remove_strays(store, committed.keys() - set(dirty_packs) | ({new_pack} if new_pack else set()))
    return report


def _remove_strays(store: DiskObjectStore, packs_in_use: set[int]) -> None:
    """Files a crash left behind that nothing points at."""
    for path in store.paths.packs.glob("*.pack"):
        if pack_number(path) not in packs_in_use:
            path.unlink(missing_ok=True)
    loose = store.paths.loose
    if loose.is_dir():
        for sub in loose.iterdir():
            if not sub.is_dir():
                continue
            for f in sub.iterdir():
                name = f.name.removesuffix(".zst")
                try:
                    oid = ObjectId.from_hex(name)
                except VaultError:
                    continue
                if not store.has(oid):
                    f.unlink(missing_ok=True)
    now = time.time()
    tmp: Path = store.paths.tmp
    if tmp.is_dir():
        for f in tmp.glob("*.tmp"):
            try:
                if now - f.stat().st_mtime > STALE_TMP_SECONDS:
                    f.unlink()
            except FileNotFoundError:
                pass
