"""The on-disk object store: pack files for small objects, loose files for large
blobs, one LMDB environment for the index and refs.

Durability order (DESIGN §3): inside a transaction, object bytes are appended
or staged first; at commit the pack is fsynced, staged blobs are renamed into
place and their folders fsynced, and only then does the LMDB transaction that
points at them commit (LMDB fsyncs its own commit). A crash before that commit
leaves bytes nothing points at: an uncommitted pack tail, which the next writer
truncates, or a loose file, which is harmless and reused.

The pack being appended to usually ends in zeros written ahead and synced
(:func:`prealloc_size`): a small transaction overwrites them, so its sync is an
``fdatasync`` of data blocks alone instead of a journal commit of the file
system. A crashed writer's tail starts with a record header where the zeros
start with zeros, which is how the next writer and fsck tell the two apart.

Writers serialise on an flock held for the whole transaction; readers never
block and never see a half-written transaction (LMDB MVCC plus append-only
packs read only up to the committed length).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import stat
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal

import lmdb

from comfyvn_vault.errors import (
    REINDEX,
    ConcurrentWork,
    CorruptObject,
    IndexDamaged,
    InputRejected,
    LockHeld,
    ObjectNotFound,
    RefMoved,
    UsageError,
)
from comfyvn_vault.store import compression
from comfyvn_vault.store import journal as journal_mod
from comfyvn_vault.store.base import CHUNK, AddResult, Kind, ObjectInfo, check_ref_name
from comfyvn_vault.store.codec import MAX_STRUCTURED, StoredObject, encode
from comfyvn_vault.store.fsck_index import damage_at, index_error
from comfyvn_vault.store.fsutil import WriterLock, fsync_dir, os_error
from comfyvn_vault.store.gc_pause import gc_paused
from comfyvn_vault.store.ids import ObjectId, hash_bytes, hash_file, new_hasher
from comfyvn_vault.store.layout import (
    DB_OBJECTS,
    DB_PACKS,
    DB_REFS,
    FLAG_OBJECT,
    FLAG_ZSTD,
    LOC_LOOSE,
    LOC_PACK,
    PACK_MAGIC,
    PACK_ROLL,
    RECORD,
    Entry,
    Paths,
)
from comfyvn_vault.store.resolve import resolve_prefix

_pack_record: Final = RECORD.pack
#: Data-only sync where the system has one (macOS has no fdatasync).
_datasync: Final = getattr(os, "fdatasync", os.fsync)

#: Blobs this large or larger get a file of their own and are streamed.
LOOSE_THRESHOLD: Final = 1 << 20
#: Zeros written ahead at the end of the pack being appended to (see :func:`prealloc_size`).
PREALLOC_MIN: Final = 256 << 10
PREALLOC_MAX: Final = 8 << 20

CommitHook = Callable[[Any], None]


def _env_number(name: str, default: float, least: float, what: str) -> float:
    """A number from the environment, or a usage error naming the variable."""
    raw = os.environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < least:
        raise UsageError(f"{name} must be {what}, not {raw!r}")
    return value


def lock_timeout_from_env() -> float:
    """How long a writer waits for the lock: ``COMFYVN_LOCK_TIMEOUT`` seconds (default 30)."""
    return _env_number("COMFYVN_LOCK_TIMEOUT", 30, 0, "a number of seconds (0 or more)")


def map_size_from_env() -> int:
    """The largest the index may grow: ``COMFYVN_MAP_SIZE`` bytes (default 64 GiB)."""
    return int(_env_number("COMFYVN_MAP_SIZE", 1 << 36, 1 << 20, "a number of bytes (at least 1048576)"))


def open_env(paths: Paths, readonly: bool = False, sync: bool = True) -> lmdb.Environment:
    map_size = map_size_from_env()
    try:
        return lmdb.open(
            str(paths.index),
            map_size=map_size,
            max_dbs=64,
            subdir=True,
            readahead=False,
            readonly=readonly,
            lock=True,
            sync=sync,
        )
    except lmdb.Error as exc:
        raise index_error(exc) from None


class Staged:
    """A large blob written to ``objects/tmp`` and fsynced, not yet pointed at."""

    __slots__ = ("id", "size", "stored", "tmp", "zstd")

    def __init__(self, oid: ObjectId, tmp: Path, size: int, stored: int, zstd: bool) -> None:
        self.id, self.tmp, self.size, self.stored, self.zstd = oid, tmp, size, stored, zstd

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


class DiskObjectStore:
    """Objects in ``.comfyvn/objects``, indexed in ``.comfyvn/index``."""

    def __init__(
        self,
        root: Path,
        *,
        loose_threshold: int = LOOSE_THRESHOLD,
        lock_timeout: float | None = None,
        journal: bool = True,
        repair: bool | Literal["always"] = False,
    ) -> None:
        """Open the store; with ``repair`` (``comfyvn reindex``) a missing or damaged index is rebuilt
        from the packs first (``"always"``: rebuilt even when no damage shows)."""
        self.paths = Paths(root)
        if not self.paths.objects.is_dir():
            raise InputRejected(f"not a vault store: {root}")
        rebuildable = journal and ((root / "index.old").is_dir() or journal_mod.index_untrusted(self.paths))
        if not self.paths.index.is_dir() and not rebuildable and not repair:
            raise IndexDamaged(f"the vault index ({self.paths.index}) is missing: {REINDEX}")
        if repair and not journal:
            raise InputRejected("the index of a format 1 vault cannot be rebuilt from its packs")
        self.loose_threshold = loose_threshold
        self.lock_timeout = lock_timeout_from_env() if lock_timeout is None else lock_timeout
        #: Packs end transactions with commit records and the index is synced lazily (store/journal.py).
        self.journal = journal
        self._wrote = False
        #: True when this open rebuilt the index from the packs (the projections must follow).
        self.rebuilt = False
        if repair or (journal and (journal_mod.index_untrusted(self.paths) or not self.paths.index.is_dir())):
            self._rebuild_index(repair)
        self.env = open_env(self.paths, sync=not journal)
        try:
            # Free reader slots left by processes that died (SIGKILL) while reading.
            self.env.reader_check()
            self.objects_db = self.env.open_db(DB_OBJECTS)
            self.packs_db = self.env.open_db(DB_PACKS)
            self.refs_db = self.env.open_db(DB_REFS)
        except lmdb.Error as exc:
            self.env.close()
            raise index_error(exc) from None
        #: Which index this process opened: ``comfyvn reindex`` may replace it (see :meth:`transaction`).
        self._index_file = self._index_identity()
        self._pack_fds: dict[int, int] = {}
        #: The writer lock's file stays open between transactions (flock is taken per transaction).
        self._lock = WriterLock(self.paths.lock, self.lock_timeout, keep_open=True)
        #: The pack this process last appended to: (number, fd, committed length), kept open
        #: between transactions while nobody else has appended to it.
        self._append: tuple[int, int, int] | None = None
        # The open transaction of this process, whose objects its own reads
        # (tree writers, commit hooks) must see before the index commits.
        self._pending: DiskWriter | None = None

    def _rebuild_index(self, repair: bool | Literal["always"]) -> None:
        """Rebuild the index from the packs when it may have lost unsynced writes (another boot)
        or, with ``repair``, when it is missing or damaged (:mod:`.fsck_index`)."""
        lock = WriterLock(self.paths.lock, self.lock_timeout)
        lock.acquire()
        try:
            if (
                journal_mod.index_untrusted(self.paths)
                or not self.paths.index.is_dir()
                or repair == "always"
                or (repair and damage_at(self.paths, open_env, self.journal))
            ):
                journal_mod.rebuild(self.paths, open_env, (DB_OBJECTS, DB_PACKS, DB_REFS))
                self.rebuilt = True
        except OSError as exc:
            raise os_error(exc, "rebuild the vault index from its packs") from None
        finally:
            lock.release()

    def _index_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.paths.index / "data.mdb")
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def check_index_current(self) -> None:
        """Refuse to write through an index another process replaced (``comfyvn reindex``); hold the lock."""
        if self.journal and self._index_identity() != self._index_file:
            raise ConcurrentWork("the vault index was rebuilt by another process (comfyvn reindex); run this again")

    def projections_stale(self) -> bool:
        """True after the index was rebuilt from the packs, until the projections are rebuilt too."""
        return journal_mod.rebuilt_path(self.paths).exists()

    def projections_rebuilt(self) -> None:
        journal_mod.rebuilt_path(self.paths).unlink(missing_ok=True)

    def sync_index(self) -> None:
        """Make every index write so far durable and drop the dirty marker (needs no lock held by us)."""
        lock = WriterLock(self.paths.lock, 0)
        try:
            lock.acquire()
        except LockHeld:
            return  # a writer is busy: it syncs when it closes
        try:
            self.env.sync(True)
            journal_mod.dirty_path(self.paths).unlink(missing_ok=True)
        except (OSError, lmdb.Error):
            pass  # the marker stays: the next boot rebuilds, which is always safe
        finally:
            lock.release()

    @classmethod
    def create(cls, root: Path, **kwargs: Any) -> DiskObjectStore:
        """Lay out an empty store (idempotent) and open it."""
        paths = Paths(root)
        for d in paths.all_dirs():
            d.mkdir(parents=True, exist_ok=True)
        env = open_env(paths)
        for name in (DB_OBJECTS, DB_PACKS, DB_REFS):
            env.open_db(name)
        env.close()
        fsync_dir(root)
        fsync_dir(root.parent)
        return cls(root, **kwargs)

    def close(self) -> None:
        for fd in self._pack_fds.values():
            os.close(fd)
        self._pack_fds.clear()
        self.forget_append_pack()
        self._lock.close()
        if self.journal and self._wrote:
            self.sync_index()
            self._wrote = False
        self.env.close()

    def __enter__(self) -> DiskObjectStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- reading

    def entry(self, oid: ObjectId) -> Entry | None:
        with self.env.begin(db=self.objects_db) as txn:
            raw = txn.get(oid)
        if raw is not None:
            return Entry.unpack(raw)
        return self._pending.entries.get(oid) if self._pending is not None else None

    def _entry_or_raise(self, oid: ObjectId) -> Entry:
        e = self.entry(oid)
        if e is None:
            raise ObjectNotFound(f"no object {oid.hex()}")
        return e

    def has(self, oid: ObjectId) -> bool:
        with self.env.begin(db=self.objects_db) as txn:
            if txn.get(oid) is not None:
                return True
        return self._pending is not None and oid in self._pending.entries

    def info(self, oid: ObjectId) -> ObjectInfo:
        e = self._entry_or_raise(oid)
        return info_of(oid, e)

    def _pack_fd(self, number: int) -> int:
        fd = self._pack_fds.get(number)
        if fd is None:
            fd = os.open(self.paths.pack(number), os.O_RDONLY)
            self._pack_fds[number] = fd
        return fd

    def read_stored(self, oid: ObjectId, e: Entry) -> bytes:
        """The stored (maybe compressed) bytes of a packed object, unverified."""
        if self._pending is not None:
            self._pending.flush_for_read(e.pack)
        try:
            fd = self._pack_fd(e.pack)
            if e.stored > self.loose_threshold and e.offset + e.stored > os.fstat(fd).st_size:
                # pread allocates what it is asked for: a damaged size must not ask for gigabytes
                raise IndexDamaged.of(f"the entry of object {oid.hex()} claims more bytes than its pack holds")
            data = os.pread(fd, e.stored, e.offset)
        except FileNotFoundError:
            raise CorruptObject(f"object {oid.hex()}: its pack {e.pack} is missing") from None
        except OverflowError:
            raise IndexDamaged.of(f"the entry of object {oid.hex()} points past any pack") from None
        if len(data) != e.stored:
            raise CorruptObject(f"object {oid.hex()}: pack {e.pack} is truncated")
        return data

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
            for _ in self.iter_chunks(oid, verify_first=False):
                pass
        h = new_hasher()
        n = 0
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            raise CorruptObject(f"object {oid.hex()}: its file is missing") from None
        with f:
            src: Any = compression.stream_decompressor().stream_reader(f) if e.flags & FLAG_ZSTD else f
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
        with self.env.begin(db=self.objects_db) as txn:
            return resolve_prefix(text, txn.cursor())

    def ids(self) -> Iterator[ObjectId]:
        with self.env.begin(db=self.objects_db) as txn:
            for key in txn.cursor().iternext(keys=True, values=False):
                yield ObjectId(bytes(key))

    def entries(self) -> Iterator[tuple[ObjectId, Entry]]:
        with self.env.begin(db=self.objects_db) as txn:
            for key, value in txn.cursor():
                yield ObjectId(bytes(key)), Entry.unpack(value)

    def count(self) -> int:
        with self.env.begin(db=self.objects_db) as txn:
            n: int = txn.stat(self.objects_db)["entries"]
            return n

    def packs(self) -> dict[int, int]:
        """Pack number → committed length."""
        with self.env.begin(db=self.packs_db) as txn:
            return {int.from_bytes(k, "big"): int.from_bytes(v, "big") for k, v in txn.cursor()}

    def ref(self, name: str) -> ObjectId | None:
        with self.env.begin() as txn:
            return self.ref_in(txn, name)

    def ref_in(self, txn: Any, name: str) -> ObjectId | None:
        """The ref ``name`` as LMDB transaction ``txn`` sees it."""
        raw = txn.get(name.encode(), db=self.refs_db)
        return ObjectId(bytes(raw)) if raw is not None else None

    def refs(self, prefix: str = "") -> dict[str, ObjectId]:
        out: dict[str, ObjectId] = {}
        p = prefix.encode()
        with self.env.begin(db=self.refs_db) as txn:
            cur = txn.cursor()
            if cur.set_range(p):
                for key, value in cur:
                    if not bytes(key).startswith(p):
                        break
                    out[bytes(key).decode()] = ObjectId(bytes(value))
        return out

    # ----------------------------------------------------------------- writing

    @contextmanager
    def transaction(self) -> Iterator[DiskWriter]:
        """One atomic, durable write: objects, refs and commit hooks land together or not at all."""
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

    def forget_append_pack(self) -> None:
        """Close the pack kept open for appends (gc rewrites packs; close ends the store)."""
        if self._append is not None:
            os.close(self._append[1])
            self._append = None

    def stage_stream(self, src: Any, first: bytes) -> Staged:
        """Copy a large stream into ``objects/tmp``, hashing as it goes; no lock needed."""
        zstd = compression.sample_pays(first)
        tmp = self.paths.tmp / f"{uuid.uuid4().hex}.tmp"
        h = new_hasher()
        size = 0
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        try:
            with open(tmp, "wb", buffering=0) as raw_out:
                sink: Any = compression.stream_compressor().stream_writer(raw_out, closefd=False) if zstd else raw_out
                h.update(first)
                sink.write(first)
                size += len(first)
                while n := src.readinto(buf):
                    h.update(view[:n])
                    sink.write(view[:n])
                    size += n
                if zstd:
                    sink.flush(1)  # zstandard.FLUSH_FRAME
                    sink.close()
                os.fsync(raw_out.fileno())
                stored = os.fstat(raw_out.fileno()).st_size
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise os_error(exc, "store a blob") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return Staged(ObjectId(h.digest()), tmp, size, stored, zstd)

    def stage_file(self, path: str | os.PathLike[str]) -> Staged | AddResult | bytes:
        """Stage a file of any size, outside any transaction.

        Returns an :class:`AddResult` when it is already stored, the bytes
        themselves when the file is small enough for a pack, else a :class:`Staged`.

        Large files are hashed first (8 MiB reads, every core) so re-adding
        stored content costs one read and no write.
        """
        p = Path(path)
        try:
            f = open(p, "rb")
        except IsADirectoryError:
            raise InputRejected(f"{p}: is a directory") from None
        except OSError as exc:
            raise os_error(exc, "read") from None
        with f:
            try:
                st = os.fstat(f.fileno())
                if not _is_regular(st.st_mode):
                    raise InputRejected(f"{p}: not a regular file")
                if st.st_size >= self.loose_threshold:
                    oid, _ = hash_file(f)
                    if self.has(oid):
                        return AddResult(oid, st.st_size, new=False)
                    f.seek(0)
                first = f.read(self.loose_threshold)
                if len(first) < self.loose_threshold:
                    return first
                return self.stage_stream(f, first)
            except OSError as exc:
                raise os_error(exc, f"read {p}") from None


def prealloc_size(end: int, wrote: int) -> int:
    """How many zero bytes to write after a transaction that ended a pack at ``end`` (0: none).

    The next transactions overwrite them and sync with ``fdatasync``: on a file
    whose blocks and size are already durable that flushes the data alone,
    where an append must also commit the file system's journal (with whatever
    else is pending in it, such as the index's page writes). Large
    transactions skip it (their one fsync is spread over many objects); the
    amount grows with the pack, so small vaults stay small.
    """
    if wrote > PREALLOC_MAX // 2:
        return 0
    return min(PREALLOC_MAX, max(PREALLOC_MIN, end // 8))


def _write_zeros(fd: int, offset: int, length: int) -> None:
    zeros = bytes(min(length, CHUNK))
    end = offset + length
    while offset < end:
        offset += os.pwrite(fd, zeros[: end - offset], offset)


def _usable_end(fd: int, committed: int) -> int:
    """The pack's length after dropping an uncommitted tail; preallocated zeros are kept.

    A writer that crashed left its records from ``committed`` on, so a tail is
    either all junk (its first bytes are a record header) or zeros written ahead.
    """
    size = os.fstat(fd).st_size
    # A short pack is damaged (fsck says so): appends still go where the index expects.
    if size < committed or (size > committed and not tail_is_preallocated(fd, committed)):
        os.ftruncate(fd, committed)
        return committed
    return size


def _drop_zeros(path: Path, committed: int) -> None:
    """A full pack keeps no zeros written ahead (appends go to the next one)."""
    # Failing here loses only space, which a rebuild or gc gives back.
    with contextlib.suppress(OSError):
        if path.stat().st_size > committed:
            os.truncate(path, committed)


def tail_is_preallocated(fd: int, committed: int) -> bool:
    """True when what follows the committed length starts with zeros, not a record header."""
    head = os.pread(fd, RECORD.size, committed)
    return head.count(0) == len(head)


def _is_regular(mode: int) -> bool:
    return stat.S_ISREG(mode)


def info_of(oid: ObjectId, e: Entry) -> ObjectInfo:
    return ObjectInfo(
        id=oid,
        kind=Kind.OBJECT if e.flags & FLAG_OBJECT else Kind.BLOB,
        size=e.size,
        stored=e.stored,
        compression="zstd" if e.flags & FLAG_ZSTD else "none",
        location="pack" if e.location == LOC_PACK else "loose",
    )


class DiskWriter:
    """The write side of one transaction (see :meth:`DiskObjectStore.transaction`)."""

    def __init__(self, store: DiskObjectStore) -> None:
        self.store = store
        self.entries: dict[ObjectId, Entry] = {}
        self.staged: dict[ObjectId, Staged] = {}
        self.ref_updates: dict[str, ObjectId | None] = {}
        self.hooks: list[CommitHook] = []
        #: Effects to run after the commit (see :meth:`DiskObjectStore.after_commit`).
        self.after: list[Callable[[], None]] = []
        self._pack: int | None = None
        self._pack_fd: int | None = None
        self._buf = bytearray()  # appended records not yet written to the pack
        self._rtxn: Any = None
        self._pack_base = 0
        self._pack_len = 0
        self._pack_new = False
        self._drained = False  # some records reached the pack file
        self._alloc = 0  # the pack's length on disk: committed bytes, then preallocated zeros
        self._placed: list[Path] = []

    # -- objects

    def has(self, oid: ObjectId) -> bool:
        if oid in self.entries or oid in self.staged:
            return True
        return self._reader().get(oid) is not None

    def _reader(self) -> Any:
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
            staged = self.store.stage_stream(buf, buf.read(CHUNK))
            return self.add_staged(staged)
        self._append(oid, data, FLAG_OBJECT if kind == Kind.OBJECT else 0)
        return AddResult(oid, len(data), new=True)

    def put_object(self, obj: StoredObject) -> ObjectId:
        return self.put_bytes(encode(obj), Kind.OBJECT).id

    def put_objects(self, objs: Sequence[StoredObject]) -> list[ObjectId]:
        """Store many structured objects; their ids, in order (what :meth:`put_object` gives each).

        The bulk path of a batched import: one loop encodes, hashes, checks and
        appends, without the per-object result :meth:`put_bytes` builds.
        """
        entries, staged = self.entries, self.staged
        indexed, append = self._reader().get, self._append
        datas = [encode(obj) for obj in objs]
        ids = [hash_bytes(data) for data in datas]
        buf, pack, record, new_entry = self._buf, self._pack, _pack_record, tuple.__new__
        for oid, data in zip(ids, datas, strict=True):
            if oid in entries or oid in staged or indexed(oid) is not None:
                continue
            size = len(data)
            if size >= compression.TINY:
                append(oid, data, FLAG_OBJECT)  # may compress
                continue
            # Too small for zstd to pay: append it here, without the per-object call.
            if pack is None:
                self._open_pack()
                pack = self._pack
            buf += record(PACK_MAGIC, FLAG_OBJECT, size, size, oid)
            buf += data
            offset = self._pack_len + RECORD.size
            self._pack_len = offset + size
            entries[oid] = new_entry(Entry, (LOC_PACK, FLAG_OBJECT, pack, offset, size, size))
            if len(buf) >= CHUNK:
                self._drain()
        return ids

    def put_stream(self, src: BinaryIO) -> AddResult:
        first = src.read(self.store.loose_threshold)
        if len(first) < self.store.loose_threshold:
            return self.put_bytes(first)
        return self.add_staged(self.store.stage_stream(src, first))

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
        if self.has(staged.id):
            staged.discard()
            return AddResult(staged.id, staged.size, new=False)
        self.staged[staged.id] = staged
        return AddResult(staged.id, staged.size, new=True)

    def _open_pack(self) -> int:
        if self._pack_fd is not None:
            return self._pack_fd
        packs = self.store.packs()
        number = max(packs) if packs else 1
        committed = packs.get(number, 0)
        if committed >= PACK_ROLL:
            _drop_zeros(self.store.paths.pack(number), committed)
            number, committed = number + 1, 0
        cached = self.store._append
        try:
            if cached is not None and cached[0] == number and cached[2] == committed:
                # Ours since our last commit: no one else committed to it.
                fd = cached[1]
                self._pack_new = False
            else:
                self.store.forget_append_pack()
                path = self.store.paths.pack(number)
                self._pack_new = not path.exists()
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                self.store._append = (number, fd, committed)
            self._alloc = _usable_end(fd, committed)
        except OSError as exc:
            raise os_error(exc, "open a pack") from None
        self._pack, self._pack_fd, self._pack_base, self._pack_len = number, fd, committed, committed
        return fd

    def _drain(self) -> None:
        """Write buffered records to the pack (an unbuffered fd: a failed write is never retried by close)."""
        if self._pack_fd is None or not self._buf:
            return
        self._drained = True
        view = memoryview(self._buf)
        offset = self._pack_len - len(self._buf)
        try:
            while view:
                n = os.pwrite(self._pack_fd, view, offset)
                view = view[n:]
                offset += n
        except OSError as exc:
            raise os_error(exc, "append to a pack") from None
        finally:
            view.release()
        self._buf.clear()

    def _append(self, oid: ObjectId, raw: bytes, flags: int) -> None:
        packed = compression.compress_if_worth(raw)
        data = raw if packed is None else packed
        if packed is not None:
            flags |= FLAG_ZSTD
        if self._pack_fd is None:
            self._open_pack()
        buf = self._buf
        buf += _pack_record(PACK_MAGIC, flags, len(raw), len(data), oid)
        buf += data
        assert self._pack is not None
        offset = self._pack_len + RECORD.size
        self._pack_len = offset + len(data)
        self.entries[oid] = Entry(LOC_PACK, flags, self._pack, offset, len(data), len(raw))
        if len(buf) >= CHUNK:
            self._drain()

    def flush_for_read(self, pack: int) -> None:
        """Make appended bytes visible to preads of the same pack."""
        if pack == self._pack:
            self._drain()

    # -- refs and hooks

    def ref(self, name: str) -> ObjectId | None:
        if name in self.ref_updates:
            return self.ref_updates[name]
        # The writer's own read snapshot: nobody else commits while it holds the lock.
        return self.store.ref_in(self._reader(), name)

    def set_ref(self, name: str, new: ObjectId | None, expected: ObjectId | None) -> None:
        """Compare-and-swap: move ``name`` to ``new`` only if it is now ``expected``."""
        check_ref_name(name)
        current = self.ref(name)
        if current != expected:
            raise RefMoved(f"ref {name} moved (expected {_short(expected)}, found {_short(current)}); retry")
        self.ref_updates[name] = new

    def on_commit(self, hook: CommitHook) -> None:
        """Run ``hook(lmdb_txn)`` inside the index transaction that commits this write."""
        self.hooks.append(hook)

    # -- commit / abort

    def commit(self) -> None:
        self._end_read()
        store = self.store
        paths = store.paths
        try:
            # Loose blobs first: the commit record in the pack names them.
            dirs: set[Path] = set()
            for oid, st in self.staged.items():
                final = paths.loose_file(oid, st.zstd)
                if not final.parent.is_dir():
                    final.parent.mkdir(parents=True, exist_ok=True)
                    dirs.add(paths.loose)
                existed = final.exists()
                os.replace(st.tmp, final)
                if not existed:
                    self._placed.append(final)
                dirs.add(final.parent)
                self.entries[oid] = Entry(LOC_LOOSE, FLAG_ZSTD if st.zstd else 0, 0, 0, st.stored, st.size)
            for d in sorted(dirs):
                fsync_dir(d)
            if store.journal and (self.entries or self.ref_updates):
                loose = [(oid, self.entries[oid]) for oid in self.staged]
                self._open_pack()
                record = journal_mod.encode_commit(self.ref_updates, loose)
                self._buf += record
                self._pack_len += len(record)
            if self._pack_fd is not None:
                self._drain()
                if self._pack_len <= self._alloc:
                    # Overwritten zeros: no size or block change, so only the data needs syncing.
                    _datasync(self._pack_fd)
                else:
                    grow = prealloc_size(self._pack_len, self._pack_len - self._pack_base)
                    if grow:
                        _write_zeros(self._pack_fd, self._pack_len, grow)
                    os.fsync(self._pack_fd)
                if self._pack_new:
                    fsync_dir(paths.packs)
            if store.journal:
                journal_mod.mark_dirty(paths)
                store._wrote = True
        except OSError as exc:
            raise os_error(exc, "write objects") from None
        try:
            with store.env.begin(write=True) as txn:
                put, objects_db = txn.put, store.objects_db
                for oid, e in self.entries.items():
                    put(oid, e.pack_value(), db=objects_db, overwrite=False)
                if self._pack is not None:
                    txn.put(self._pack.to_bytes(4, "big"), self._pack_len.to_bytes(8, "big"), db=store.packs_db)
                for name, value in self.ref_updates.items():
                    if value is None:
                        txn.delete(name.encode(), db=store.refs_db)
                    else:
                        txn.put(name.encode(), bytes(value), db=store.refs_db)
                for hook in self.hooks:
                    hook(txn)
        except lmdb.MapFullError:
            raise os_error(OSError(28, "index map full"), "update the index") from None
        except lmdb.Error as exc:
            if "No space left" in str(exc):
                raise os_error(OSError(28, str(exc)), "update the index") from None
            raise index_error(exc) from None
        if self._pack is not None and self._pack_fd is not None:
            self.store._append = (self._pack, self._pack_fd, self._pack_len)
        self._pack_fd = None
        self._end_read()  # a hook may have read through the writer after the first _end_read

    def _restore_pack(self) -> None:
        """Put the pack back as the transaction found it: committed bytes, then its zeros written ahead."""
        fd, base, alloc = self._pack_fd, self._pack_base, self._alloc
        assert fd is not None
        if alloc <= base:
            os.ftruncate(fd, base)
        else:
            if self._pack_len > alloc:
                os.ftruncate(fd, alloc)
            _write_zeros(fd, base, min(self._pack_len, alloc) - base)
        # A commit record may have been synced before the index failed: a crash
        # now must not bring back a transaction its caller saw fail.
        _datasync(fd)

    def abort(self) -> None:
        """Undo everything this transaction wrote; the store is as it was."""
        self._end_read()
        self._buf.clear()
        if self._pack_fd is not None and self._drained:
            try:
                self._restore_pack()
            except OSError:
                self.store.forget_append_pack()  # the next writer truncates to the committed length
        if self._pack_fd is not None:
            self._pack_fd = None
            if self._pack_new and self._pack_base == 0 and self._pack is not None:
                self.store.forget_append_pack()
                self.store.paths.pack(self._pack).unlink(missing_ok=True)
        for st in self.staged.values():
            st.discard()
        for placed in self._placed:
            placed.unlink(missing_ok=True)


def _short(oid: ObjectId | None) -> str:
    return oid.short() if oid is not None else "nothing"
