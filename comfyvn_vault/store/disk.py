"""The on-disk object store: pack files for small objects, loose files for large
blobs, one LMDB environment for the index and refs.

:class:`DiskObjectStore` assembles the parts, one module each:

* :mod:`.packs`: pack files, appending records, zeros written ahead, reading records;
* :mod:`.staging`: large blobs staged in ``objects/tmp`` and placed in ``objects/loose``;
* :mod:`.index`: the LMDB object index, its lookups and its rebuild from the packs;
* :mod:`.refs`: refs in the index, moved by compare-and-swap;
* :mod:`.writer`: one transaction's writes and the durability order of its commit.

Writers serialise on an flock held for the whole transaction; readers never
block and never see a half-written transaction (LMDB MVCC plus append-only
packs read only up to the committed length). While this process holds a
transaction open its own reads (tree writers, commit hooks) also see the
objects the transaction wrote.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal

from comfyvn_vault.errors import REINDEX, ConcurrentWork, CorruptObject, IndexDamaged, InputRejected, ObjectNotFound
from comfyvn_vault.settings import Settings
from comfyvn_vault.store import compression
from comfyvn_vault.store import journal as journal_mod
from comfyvn_vault.store.base import CHUNK, AddResult, ObjectInfo, ObjectStore, Readable
from comfyvn_vault.store.codec import MAX_STRUCTURED
from comfyvn_vault.store.fsutil import WriterLock, fsync_dir
from comfyvn_vault.store.gc_pause import gc_paused
from comfyvn_vault.store.ids import ObjectId, hash_bytes, new_hasher
from comfyvn_vault.store.index import ObjectIndex, create_index, info_of, rebuild_if_needed
from comfyvn_vault.store.layout import FLAG_ZSTD, LOC_PACK, Entry, Paths
from comfyvn_vault.store.packs import PackFiles
from comfyvn_vault.store.refs import list_refs, read_ref
from comfyvn_vault.store.staging import LOOSE_THRESHOLD, Staged, stage_file, stage_stream
from comfyvn_vault.store.writer import DiskWriter

__all__ = ["LOOSE_THRESHOLD", "DiskObjectStore", "DiskWriter", "Staged"]


class DiskObjectStore(ObjectStore):
    """Objects in ``.comfyvn/objects``, indexed in ``.comfyvn/index``."""

    def __init__(
        self,
        root: Path,
        *,
        loose_threshold: int = LOOSE_THRESHOLD,
        lock_timeout: float | None = None,
        map_size: int | None = None,
        journal: bool = True,
        repair: bool | Literal["always"] = False,
    ) -> None:
        """Open the store; with ``repair`` (``comfyvn reindex``) a missing or damaged index is rebuilt
        from the packs first (``"always"``: rebuilt even when no damage shows).

        ``lock_timeout`` and ``map_size`` come from the vault's
        :class:`~comfyvn_vault.settings.Settings`; None takes their defaults."""
        self.paths = Paths(root)
        if not self.paths.objects.is_dir():
            raise InputRejected(f"not a vault store: {root}")
        rebuildable = journal and ((root / "index.old").is_dir() or journal_mod.index_untrusted(self.paths))
        if not self.paths.index.is_dir() and not rebuildable and not repair:
            raise IndexDamaged(f"the vault index ({self.paths.index}) is missing: {REINDEX}")
        if repair and not journal:
            raise InputRejected("the index of a format 1 vault cannot be rebuilt from its packs")
        self.loose_threshold = loose_threshold
        defaults = Settings()
        self.lock_timeout = defaults.lock_timeout if lock_timeout is None else lock_timeout
        #: Packs end transactions with commit records and the index is synced lazily (store/journal.py).
        self.journal = journal
        self._wrote = False
        #: True when this open rebuilt the index from the packs (the projections must follow).
        self.rebuilt = False
        if repair or (journal and (journal_mod.index_untrusted(self.paths) or not self.paths.index.is_dir())):
            self.rebuilt = rebuild_if_needed(self.paths, self.lock_timeout, journal, repair)
        self.index = ObjectIndex(self.paths, journaled=journal, map_size=map_size or defaults.map_size)
        #: The index's environment and the store's databases in it (other layers keep theirs there too).
        self.env = self.index.env
        self.objects_db = self.index.objects_db
        self.packs_db = self.index.packs_db
        self.refs_db = self.index.refs_db
        self.pack_files = PackFiles(self.paths)
        #: The writer lock's file stays open between transactions (flock is taken per transaction).
        self._lock = WriterLock(self.paths.lock, self.lock_timeout, keep_open=True)
        #: Called before each write transaction starts (the vault opens its projections there:
        #: an LMDB database cannot be opened inside another write transaction of the same thread).
        self.before_write: list[Callable[[], object]] = []
        # The open transaction of this process, whose objects its own reads
        # (tree writers, commit hooks) must see before the index commits.
        self._pending: DiskWriter | None = None

    @classmethod
    def create(
        cls,
        root: Path,
        *,
        loose_threshold: int = LOOSE_THRESHOLD,
        lock_timeout: float | None = None,
        map_size: int | None = None,
        journal: bool = True,
    ) -> DiskObjectStore:
        """Lay out an empty store (idempotent) and open it."""
        paths = Paths(root)
        for d in paths.all_dirs():
            d.mkdir(parents=True, exist_ok=True)
        create_index(paths)
        fsync_dir(root)
        fsync_dir(root.parent)
        return cls(root, loose_threshold=loose_threshold, lock_timeout=lock_timeout, map_size=map_size, journal=journal)

    def check_index_current(self) -> None:
        """Refuse to write through an index another process replaced (``comfyvn reindex``); hold the lock."""
        if self.journal and self.index.replaced():
            raise ConcurrentWork("the vault index was rebuilt by another process (comfyvn reindex); run this again")

    def projections_stale(self) -> bool:
        """True after the index was rebuilt from the packs, until the projections are rebuilt too."""
        return journal_mod.rebuilt_path(self.paths).exists()

    def projections_rebuilt(self) -> None:
        journal_mod.rebuilt_path(self.paths).unlink(missing_ok=True)

    def mark_index_dirty(self) -> None:
        """Before index writes that are not synced (a journaled store): note them durably; :meth:`close` syncs."""
        if self.journal:
            journal_mod.mark_dirty(self.paths)
            self._wrote = True

    def sync_index(self) -> None:
        """Make every index write so far durable and drop the dirty marker (needs no lock held by us)."""
        self.index.sync()

    def close(self) -> None:
        self.pack_files.close()
        self._lock.close()
        if self.journal and self._wrote:
            self.sync_index()
            self._wrote = False
        self.index.close()

    def __enter__(self) -> DiskObjectStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- reading

    def entry(self, oid: ObjectId) -> Entry | None:
        e = self.index.entry(oid)
        if e is not None:
            return e
        return self._pending.entries.get(oid) if self._pending is not None else None

    def _entry_or_raise(self, oid: ObjectId) -> Entry:
        e = self.entry(oid)
        if e is None:
            raise ObjectNotFound(f"no object {oid.hex()}")
        return e

    def has(self, oid: ObjectId) -> bool:
        if self.index.has(oid):
            return True
        return self._pending is not None and oid in self._pending.entries

    def info(self, oid: ObjectId) -> ObjectInfo:
        return info_of(oid, self._entry_or_raise(oid))

    def read_stored(self, oid: ObjectId, e: Entry) -> bytes:
        """The stored (maybe compressed) bytes of a packed object, unverified."""
        if self._pending is not None:
            self._pending.flush_for_read(e.pack)
        return self.pack_files.read_stored(oid, e, self.loose_threshold)

    def get(self, oid: ObjectId) -> bytes:
        """The verified raw bytes of an object (read whole: use :meth:`iter_chunks` for big blobs)."""
        e = self._entry_or_raise(oid)
        if e.location == LOC_PACK:
            data = self.read_stored(oid, e)
            if e.flags & FLAG_ZSTD:
                if e.size > max(MAX_STRUCTURED, self.loose_threshold):  # nothing this large is packed: damage
                    raise IndexDamaged.of(f"the entry of object {oid.hex()} claims an impossible size")
                try:
                    data = compression.decompress(data, e.size)
                except compression.DecompressError:
                    raise CorruptObject(f"object {oid.hex()}: compressed bytes are damaged") from None
            if len(data) != e.size or hash_bytes(data) != oid:
                raise CorruptObject(f"object {oid.hex()}: bytes do not match the id")
            return data
        return b"".join(self.iter_chunks(oid))

    def iter_chunks(self, oid: ObjectId, verify_first: bool = False) -> Iterator[bytes]:
        """Stream an object's raw bytes; raises :class:`CorruptObject` at the end on a mismatch.

        Callers that must not act on bad bytes write to a temp file and keep it
        only when the iteration finished.
        """
        e = self._entry_or_raise(oid)
        if e.location == LOC_PACK:
            yield self.get(oid)
            return
        path = self.paths.loose_file(oid, bool(e.flags & FLAG_ZSTD))
        if verify_first:
            # One hashing pass first (page-cached for the second), so a caller
            # streaming to a pipe never emits a byte of a damaged object.
            collections.deque(self.iter_chunks(oid, verify_first=False), maxlen=0)
        h = new_hasher()
        n = 0
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            raise CorruptObject(f"object {oid.hex()}: its file is missing") from None
        with f:
            src: BinaryIO = compression.stream_decompressor().stream_reader(f) if e.flags & FLAG_ZSTD else f
            try:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    n += len(chunk)
                    yield chunk
            except (compression.DecompressError, OSError):
                raise CorruptObject(f"object {oid.hex()}: stored bytes are damaged") from None
        if n != e.size or h.digest() != oid:
            raise CorruptObject(f"object {oid.hex()}: bytes do not match the id")

    def resolve(self, text: str) -> ObjectId:
        """A full id or an unambiguous hex prefix (at least 4 digits) to an existing id."""
        return self.index.resolve(text)

    def ids(self) -> Iterator[ObjectId]:
        return self.index.ids()

    def entries(self) -> Iterator[tuple[ObjectId, Entry]]:
        return self.index.entries()

    def count(self) -> int:
        return self.index.count()

    def packs(self) -> dict[int, int]:
        """Pack number → committed length."""
        return self.index.packs()

    def ref(self, name: str) -> ObjectId | None:
        with self.env.begin() as txn:
            return read_ref(txn, self.refs_db, name)

    def refs(self, prefix: str = "") -> dict[str, ObjectId]:
        with self.env.begin() as txn:
            return list_refs(txn, self.refs_db, prefix)

    # ----------------------------------------------------------------- writing

    @contextmanager
    def transaction(self) -> Iterator[DiskWriter]:
        """One atomic, durable write: objects, refs and commit hooks land together or not at all."""
        for prepare in self.before_write:
            prepare()
        lock = self._lock
        lock.acquire()
        try:
            self.check_index_current()
        except BaseException:
            lock.release()
            raise
        writer = DiskWriter(self)
        self._pending = writer
        try:
            with gc_paused():
                yield writer
                writer.commit()
        except BaseException:
            writer.abort()
            raise
        else:
            # The commit stands whatever happens now: an error here propagates and undoes nothing.
            self._pending = None
            for effect in writer.after:
                effect()
        finally:
            self._pending = None
            lock.release()

    def after_commit(self, effect: Callable[[], None]) -> None:
        """Run ``effect()`` once the open transaction has committed, still under the writer lock.

        For writes outside the vault that must follow a commit rather than precede it
        (the working-copy files): a process killed before then leaves no trace of them.
        Effects are dropped when the transaction aborts.
        """
        if self._pending is None:
            raise RuntimeError("after_commit needs an open transaction")
        self._pending.after.append(effect)

    def in_transaction(self) -> bool:
        """True while this process holds a write transaction open."""
        return self._pending is not None

    def stage_stream(self, src: Readable, first: bytes) -> Staged:
        """Copy a large stream into ``objects/tmp``, hashing as it goes; no lock needed."""
        return stage_stream(self.paths.tmp, src, first)

    def stage_file(self, path: str | os.PathLike[str]) -> Staged | AddResult | bytes:
        """Stage a file of any size, outside any transaction (see :func:`.staging.stage_file`)."""
        return stage_file(path, self.paths.tmp, self.loose_threshold, self.has)
