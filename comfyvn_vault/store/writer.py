"""The write side of one disk-store transaction, and the order that makes it durable.

While the transaction runs, small objects are appended to a pack (buffered,
store/packs.py), large blobs are staged as files of their own
(store/staging.py), and ref moves and commit hooks are collected. At commit
(:meth:`DiskWriter.commit`) every step makes bytes durable before the next one
points at them (DESIGN §3):

1. staged blobs are renamed into ``objects/loose`` and their folders fsynced;
2. a journaled store appends the commit record naming them and the ref moves;
3. the pack is synced (``fdatasync`` over zeros written ahead, else ``fsync``);
4. a journaled store marks the index dirty, as it is written without a sync;
5. one LMDB transaction enters the objects, the pack's committed length and the
   ref moves, and runs the commit hooks (LMDB fsyncs its own commit in a store
   of format 1).

A crash before step 5 leaves bytes nothing points at: an uncommitted pack
tail, which the next writer truncates, or a loose file, which is harmless and
reused. :meth:`DiskWriter.abort` undoes steps 1 to 3.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import lmdb

from comfyvn_vault.store import journal
from comfyvn_vault.store.base import CHUNK, AddResult, ByteStream, CommitHook, Kind, Writer, check_ref_name
from comfyvn_vault.store.codec import StoredObject, encode
from comfyvn_vault.store.fsutil import os_error
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.store.index import index_write, write_entries, write_pack_length
from comfyvn_vault.store.layout import FLAG_OBJECT, Entry
from comfyvn_vault.store.packs import PackAppender
from comfyvn_vault.store.refs import expect_ref, read_ref, write_ref_moves
from comfyvn_vault.store.staging import Staged, place, stage_stream

if TYPE_CHECKING:
    from comfyvn_vault.store.disk import DiskObjectStore


class DiskWriter(Writer):
    """The write side of one transaction (see :meth:`DiskObjectStore.transaction`)."""

    def __init__(self, store: DiskObjectStore) -> None:
        self.store = store
        self.entries: dict[ObjectId, Entry] = {}
        self.staged: dict[ObjectId, Staged] = {}
        self.ref_updates: dict[str, ObjectId | None] = {}
        self.hooks: list[CommitHook] = []
        #: Effects to run after the commit (see :meth:`DiskObjectStore.after_commit`).
        self.after: list[Callable[[], None]] = []
        self._appender = PackAppender(store.pack_files, store.packs)
        self._rtxn: lmdb.Transaction[bytes] | None = None
        self._placed: list[Path] = []  # loose files this transaction created

    # -- objects

    def has(self, oid: ObjectId) -> bool:
        if oid in self.entries or oid in self.staged:
            return True
        return self._reader().get(oid) is not None

    def _reader(self) -> lmdb.Transaction[bytes]:
        """One read transaction for the writer's life: nobody else commits while we hold the lock."""
        if self._rtxn is None:
            self._rtxn = self.store.env.begin(db=self.store.objects_db)
        return self._rtxn

    def _end_read(self) -> None:
        if self._rtxn is not None:
            self._rtxn.abort()
            self._rtxn = None

    def put_bytes(self, data: bytes, kind: Kind = Kind.BLOB) -> AddResult:
        oid = hash_bytes(data)
        if self.has(oid):
            return AddResult(oid, len(data), new=False)
        if kind == Kind.BLOB and len(data) >= self.store.loose_threshold:
            buf = io.BytesIO(data)
            return self.add_staged(stage_stream(self.store.paths.tmp, buf, buf.read(CHUNK)))
        self._appender.append(oid, data, FLAG_OBJECT if kind == Kind.OBJECT else 0, self.entries)
        return AddResult(oid, len(data), new=True)

    def put_object(self, obj: StoredObject) -> ObjectId:
        return self.put_bytes(encode(obj), Kind.OBJECT).id

    def put_objects(self, objs: Sequence[StoredObject]) -> list[ObjectId]:
        """Store many structured objects; their ids, in order (what :meth:`put_object` gives each).

        The bulk path of a batched import: one pass encodes and hashes, and the
        pack appends what is new, without the per-object result
        :meth:`put_bytes` builds.
        """
        entries, staged, indexed = self.entries, self.staged, self._reader().get
        datas = [encode(obj) for obj in objs]
        ids = [hash_bytes(data) for data in datas]
        # Lazy: each object is entered before the next is checked, so a repeat in the batch is skipped.
        new = (
            (oid, data)
            for oid, data in zip(ids, datas, strict=True)
            if oid not in entries and oid not in staged and indexed(oid) is None
        )
        self._appender.append_objects(new, FLAG_OBJECT, entries)
        return ids

    def put_stream(self, src: ByteStream) -> AddResult:
        first = src.read(self.store.loose_threshold)
        if len(first) < self.store.loose_threshold:
            return self.put_bytes(first)
        return self.add_staged(stage_stream(self.store.paths.tmp, src, first))

    def put_file(self, path: str | os.PathLike[str]) -> AddResult:
        return self.add(self.store.stage_file(path))

    def add(self, staged: Staged | AddResult | bytes) -> AddResult:
        """Add what :meth:`DiskObjectStore.stage_file` returned."""
        if isinstance(staged, AddResult):
            return staged
        if isinstance(staged, bytes):
            return self.put_bytes(staged)
        return self.add_staged(staged)

    def add_staged(self, staged: Staged) -> AddResult:
        """Add a blob staged outside the transaction; it is placed when the transaction commits."""
        if self.has(staged.id):
            staged.discard()
            return AddResult(staged.id, staged.size, new=False)
        self.staged[staged.id] = staged
        return AddResult(staged.id, staged.size, new=True)

    def flush_for_read(self, pack: int) -> None:
        """Make appended bytes visible to preads of the same pack."""
        self._appender.flush_for_read(pack)

    # -- refs and hooks

    def ref(self, name: str) -> ObjectId | None:
        if name in self.ref_updates:
            return self.ref_updates[name]
        # The writer's own read snapshot: nobody else commits while it holds the lock.
        return read_ref(self._reader(), self.store.refs_db, name)

    def set_ref(self, name: str, new: ObjectId | None, expected: ObjectId | None) -> None:
        """Compare-and-swap: move ``name`` to ``new`` only if it is now ``expected``."""
        check_ref_name(name)
        expect_ref(name, self.ref(name), expected)
        self.ref_updates[name] = new

    def on_commit(self, hook: CommitHook) -> None:
        """Run ``hook(txn)`` inside the index transaction that commits this write."""
        self.hooks.append(hook)

    # -- commit / abort

    def commit(self) -> None:
        """Make the transaction durable, then visible, in the order the module docstring gives."""
        self._end_read()
        try:
            self._place_staged()
            self._append_commit_record()
            self._appender.sync()
            self.store.mark_index_dirty()
        except OSError as exc:
            raise os_error(exc, "write objects") from None
        self._commit_index()
        self._appender.keep_open()
        self._end_read()  # a hook may have read through the writer after the first _end_read

    def _place_staged(self) -> None:
        """Rename staged blobs into place (their folders fsynced) and enter them."""
        self.entries.update(place(self.store.paths, self.staged, self._placed))

    def _append_commit_record(self) -> None:
        """Journaled stores: end the transaction's records with what it did besides appending objects."""
        if self.store.journal and (self.entries or self.ref_updates):
            loose = [(oid, self.entries[oid]) for oid in self.staged]
            self._appender.append_record(journal.encode_commit(self.ref_updates, loose))

    def _commit_index(self) -> None:
        """One index transaction: the objects, the pack's committed length, the ref moves, the hooks."""
        store, appender = self.store, self._appender
        with index_write(store.env) as txn:
            write_entries(txn, store.objects_db, self.entries)
            if appender.number is not None:
                write_pack_length(txn, store.packs_db, appender.number, appender.length)
            write_ref_moves(txn, store.refs_db, self.ref_updates)
            for hook in self.hooks:
                hook(txn)

    def abort(self) -> None:
        """Undo everything this transaction wrote; the store is as it was."""
        self._end_read()
        self._appender.abort()
        for st in self.staged.values():
            st.discard()
        for placed in self._placed:
            placed.unlink(missing_ok=True)
