"""The object index: one LMDB environment holding the object entries, the packs'
committed lengths and the refs (store/refs.py).

Each object id maps to an :class:`~.layout.Entry`: where the object's bytes are
(a pack and an offset, or a loose file) and how they are stored. The
projections and the working copy's stat cache keep databases of their own in
the same environment, written by commit hooks in the same transactions.

The index only ever points at bytes that are already durable: a writer syncs
the packs and places loose blobs before the index transaction that names them
commits (store/writer.py). In a journaled store it is a cache of the packs,
committed without a sync of its own and rebuilt from them when it may have
lost writes (another boot) or is damaged (:func:`rebuild_if_needed`,
store/journal.py).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final, Literal

import lmdb

from comfyvn_vault.errors import LockHeld
from comfyvn_vault.settings import Settings
from comfyvn_vault.store import journal
from comfyvn_vault.store.base import IndexDb, IndexTxn, Kind, ObjectInfo
from comfyvn_vault.store.fsutil import WriterLock, os_error
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.store.index_errors import index_error
from comfyvn_vault.store.layout import DB_OBJECTS, DB_PACKS, DB_REFS, FLAG_OBJECT, FLAG_ZSTD, LOC_PACK, Entry, Paths
from comfyvn_vault.store.prefix import resolve_prefix

#: The store's own databases: object entries, pack lengths, refs.
DB_NAMES: Final = (DB_OBJECTS, DB_PACKS, DB_REFS)


#: The largest the index may grow unless the settings say otherwise (``COMFYVN_MAP_SIZE``).
DEFAULT_MAP_SIZE: Final = Settings().map_size


def open_env(
    paths: Paths, readonly: bool = False, sync: bool = True, map_size: int = DEFAULT_MAP_SIZE
) -> lmdb.Environment:
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


def create_index(paths: Paths) -> None:
    """Make the empty index of a new store (idempotent)."""
    env = open_env(paths)
    for name in DB_NAMES:
        env.open_db(name)
    env.close()


def rebuild_if_needed(paths: Paths, lock_timeout: float, journaled: bool, repair: bool | Literal["always"]) -> bool:
    """Rebuild the index from the packs, under the writer lock, when it may have lost unsynced
    writes (another boot) or, with ``repair``, when it is missing or damaged (:mod:`.fsck_index`;
    ``"always"``: even when no damage shows). True when it was rebuilt."""
    lock = WriterLock(paths.lock, lock_timeout)
    lock.acquire()
    try:
        if (
            journal.index_untrusted(paths)
            or not paths.index.is_dir()
            or repair == "always"
            or (repair and _damage_at(paths, journaled))
        ):
            journal.rebuild(paths, open_env, DB_NAMES)
            return True
        return False
    except OSError as exc:
        raise os_error(exc, "rebuild the vault index from its packs") from None
    finally:
        lock.release()


def identity(paths: Paths) -> tuple[int, int] | None:
    """Which index file is there now (device, inode): ``comfyvn reindex`` replaces it with another."""
    try:
        st = os.stat(paths.index / "data.mdb")
    except OSError:
        return None
    return st.st_dev, st.st_ino


def info_of(oid: ObjectId, e: Entry) -> ObjectInfo:
    """What the entry of object ``oid`` says about it."""
    return ObjectInfo(
        id=oid,
        kind=Kind.OBJECT if e.flags & FLAG_OBJECT else Kind.BLOB,
        size=e.size,
        stored=e.stored,
        compression="zstd" if e.flags & FLAG_ZSTD else "none",
        location="pack" if e.location == LOC_PACK else "loose",
    )


def write_entries(txn: IndexTxn, db: IndexDb, entries: Mapping[ObjectId, Entry]) -> None:
    """Enter new objects (an object already entered keeps its entry)."""
    put = txn.put
    for oid, e in entries.items():
        put(oid, e.pack_value(), db=db, overwrite=False)


def write_pack_length(txn: IndexTxn, db: IndexDb, number: int, length: int) -> None:
    """Record how far pack ``number`` is committed."""
    txn.put(number.to_bytes(4, "big"), length.to_bytes(8, "big"), db=db)


@contextmanager
def index_write(env: lmdb.Environment) -> Iterator[lmdb.Transaction[bytes]]:
    """One write transaction on the index; its failures become the errors a user sees."""
    try:
        with env.begin(write=True) as txn:
            yield txn
    except lmdb.MapFullError:
        raise os_error(OSError(28, "index map full"), "update the index") from None
    except lmdb.Error as exc:
        if "No space left" in str(exc):
            raise os_error(OSError(28, str(exc)), "update the index") from None
        raise index_error(exc) from None


class ObjectIndex:
    """The open index of one store: its environment and the store's three databases."""

    def __init__(self, paths: Paths, journaled: bool, map_size: int = DEFAULT_MAP_SIZE) -> None:
        self.paths = paths
        #: A journaled store's index is not synced per commit (:meth:`sync` does it).
        self.env = open_env(paths, sync=not journaled, map_size=map_size)
        try:
            # Free reader slots left by processes that died (SIGKILL) while reading.
            self.env.reader_check()
            self.objects_db = self.env.open_db(DB_OBJECTS)
            self.packs_db = self.env.open_db(DB_PACKS)
            self.refs_db = self.env.open_db(DB_REFS)
        except lmdb.Error as exc:
            self.env.close()
            raise index_error(exc) from None
        #: Which index this process opened (see :meth:`replaced`).
        self._opened = identity(paths)

    def replaced(self) -> bool:
        """True when another process (``comfyvn reindex``) put a new index where this one was."""
        return identity(self.paths) != self._opened

    def entry(self, oid: ObjectId) -> Entry | None:
        with self.env.begin(db=self.objects_db) as txn:
            raw = txn.get(oid)
        return Entry.unpack(raw) if raw is not None else None

    def has(self, oid: ObjectId) -> bool:
        with self.env.begin(db=self.objects_db) as txn:
            return txn.get(oid) is not None

    def resolve(self, text: str) -> ObjectId:
        """A full id or an unambiguous hex prefix (at least 4 digits) to an entered id."""
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

    def sync(self) -> None:
        """Make every index write so far durable and drop the dirty marker (needs no lock held by us)."""
        lock = WriterLock(self.paths.lock, 0)
        try:
            lock.acquire()
        except LockHeld:
            return  # a writer is busy: it syncs when it closes
        try:
            # On failure the marker stays: the next boot rebuilds, which is always safe.
            with contextlib.suppress(OSError, lmdb.Error):
                self.env.sync(True)
                journal.dirty_path(self.paths).unlink(missing_ok=True)
        finally:
            lock.release()

    def close(self) -> None:
        self.env.close()


def _damage_at(paths: Paths, journaled: bool) -> list[str]:
    from comfyvn_vault.store.fsck_index import damage_at  # the checks load only when repairing

    return damage_at(paths, open_env, journaled)
