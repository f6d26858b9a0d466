"""Pack files: append-only files of object records (the record format is in store/layout.py).

Small objects are stored as records in packs. One transaction appends its
records to the newest pack, or to a new one once that passes ``PACK_ROLL``
(:class:`PackAppender`); the index records how far each pack is committed, and
readers never look past that length (:class:`PackFiles`). A record a writer
appended is durable once its transaction's sync returned; until the index
commits, it is an uncommitted tail, which the next writer drops
(:func:`usable_end`).

The pack being appended to usually ends in zeros written ahead and synced
(:func:`prealloc_size`): a small transaction overwrites them, so its sync is an
``fdatasync`` of data blocks alone instead of a journal commit of the file
system. A crashed writer's tail starts with a record header where the zeros
start with zeros, which is how the next writer and fsck tell the two apart.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final, NamedTuple

from comfyvn_vault.errors import CorruptObject, IndexDamaged
from comfyvn_vault.store import compression
from comfyvn_vault.store.base import CHUNK
from comfyvn_vault.store.fsutil import fsync_dir, os_error
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.store.layout import FLAG_ZSTD, LOC_PACK, PACK_MAGIC, PACK_ROLL, RECORD, Entry, Paths

_pack_record: Final = RECORD.pack
#: Data-only sync where the system has one (macOS has no fdatasync).
datasync: Final[Callable[[int], None]] = getattr(os, "fdatasync", os.fsync)

#: Zeros written ahead at the end of the pack being appended to (see :func:`prealloc_size`).
PREALLOC_MIN: Final = 256 << 10
PREALLOC_MAX: Final = 8 << 20


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


def write_zeros(fd: int, offset: int, length: int) -> None:
    zeros = bytes(min(length, CHUNK))
    end = offset + length
    while offset < end:
        offset += os.pwrite(fd, zeros[: end - offset], offset)


def usable_end(fd: int, committed: int) -> int:
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


def drop_zeros(path: Path, committed: int) -> None:
    """A full pack keeps no zeros written ahead (appends go to the next one)."""
    # Failing here loses only space, which a rebuild or gc gives back.
    with contextlib.suppress(OSError):
        if path.stat().st_size > committed:
            os.truncate(path, committed)


def tail_is_preallocated(fd: int, committed: int) -> bool:
    """True when what follows the committed length starts with zeros, not a record header."""
    head = os.pread(fd, RECORD.size, committed)
    return head.count(0) == len(head)


class KeptPack(NamedTuple):
    """The pack this process last appended to, still open, and its committed length then."""

    number: int
    fd: int
    committed: int


class PackFiles:
    """The pack files one store holds open: one read-only descriptor per pack read,
    and the pack last appended to, kept open between transactions while nobody
    else has appended to it."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self._readers: dict[int, int] = {}
        self.kept: KeptPack | None = None

    def reader(self, number: int) -> int:
        """A read-only descriptor of pack ``number``, opened on first use."""
        fd = self._readers.get(number)
        if fd is None:
            fd = os.open(self.paths.pack(number), os.O_RDONLY)
            self._readers[number] = fd
        return fd

    def read_stored(self, oid: ObjectId, e: Entry, loose_threshold: int) -> bytes:
        """The stored (maybe compressed) bytes of packed object ``oid`` at entry ``e``, unverified.

        No packed object is larger than ``loose_threshold``: an entry claiming
        more than that is checked against the pack's size before it is read.
        """
        try:
            fd = self.reader(e.pack)
            if e.stored > loose_threshold and e.offset + e.stored > os.fstat(fd).st_size:
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

    def keep(self, number: int, fd: int, committed: int) -> None:
        """Keep ``fd`` open as the pack to append to next, while its committed length stays ``committed``."""
        self.kept = KeptPack(number, fd, committed)

    def forget_kept(self) -> None:
        """Close the pack kept open for appends."""
        if self.kept is not None:
            os.close(self.kept.fd)
            self.kept = None

    def close(self) -> None:
        """Close every descriptor (gc rewrites packs; closing the store ends it)."""
        for fd in self._readers.values():
            os.close(fd)
        self._readers.clear()
        self.forget_kept()


class PackAppender:
    """The records one transaction appends to a pack.

    They are buffered and written out in ``CHUNK``-sized pieces
    (:meth:`drain`), made durable when the transaction commits (:meth:`sync`),
    and wiped again when it aborts (:meth:`abort`). Nothing is opened until the
    first record.
    """

    def __init__(self, files: PackFiles, committed: Callable[[], dict[int, int]]) -> None:
        self.files = files
        #: Pack number → committed length, as the index has them now.
        self._committed = committed
        #: The pack appended to (None until the first record) and its descriptor while the transaction runs.
        self.number: int | None = None
        self.fd: int | None = None
        self.base = 0  # the pack's committed length when this transaction opened it
        self.length = 0  # its length with this transaction's records
        self._buf = bytearray()  # appended records not yet written to the pack
        self._new = False  # this transaction created the pack file
        self._drained = False  # some records reached the pack file
        self._alloc = 0  # the pack's length on disk: committed bytes, then preallocated zeros

    def open(self) -> None:
        """Open the pack to append to: the newest one, or a new one once the newest is full."""
        if self.fd is not None:
            return
        packs = self._committed()
        number = max(packs) if packs else 1
        committed = packs.get(number, 0)
        if committed >= PACK_ROLL:
            drop_zeros(self.files.paths.pack(number), committed)
            number, committed = number + 1, 0
        kept = self.files.kept
        try:
            if kept is not None and kept.number == number and kept.committed == committed:
                # Ours since our last commit: no one else committed to it.
                fd = kept.fd
                self._new = False
            else:
                self.files.forget_kept()
                path = self.files.paths.pack(number)
                self._new = not path.exists()
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                self.files.keep(number, fd, committed)
            self._alloc = usable_end(fd, committed)
        except OSError as exc:
            raise os_error(exc, "open a pack") from None
        self.number, self.fd, self.base, self.length = number, fd, committed, committed

    def append(self, oid: ObjectId, raw: bytes, flags: int, entries: dict[ObjectId, Entry]) -> None:
        """Append the record of object ``oid`` (zstd-compressed when that pays) and enter it in ``entries``."""
        packed = compression.compress_if_worth(raw)
        data = raw if packed is None else packed
        if packed is not None:
            flags |= FLAG_ZSTD
        if self.fd is None:
            self.open()
        buf = self._buf
        buf += _pack_record(PACK_MAGIC, flags, len(raw), len(data), oid)
        buf += data
        assert self.number is not None
        offset = self.length + RECORD.size
        self.length = offset + len(data)
        entries[oid] = Entry(LOC_PACK, flags, self.number, offset, len(data), len(raw))
        if len(buf) >= CHUNK:
            self.drain()

    def append_objects(
        self, items: Iterable[tuple[ObjectId, bytes]], flags: int, entries: dict[ObjectId, Entry]
    ) -> None:
        """Append many records as :meth:`append` does, the bulk path of a batched import.

        Each object is entered in ``entries`` before the next item is taken, so
        ``items`` may skip what ``entries`` already holds.
        """
        buf, record, new_entry, append = self._buf, _pack_record, tuple.__new__, self.append
        number = self.number
        for oid, data in items:
            size = len(data)
            if size >= compression.TINY:
                append(oid, data, flags, entries)  # may compress
                continue
            # Too small for zstd to pay: append it here, without the per-object call.
            if number is None:
                self.open()
                number = self.number
            buf += record(PACK_MAGIC, flags, size, size, oid)
            buf += data
            offset = self.length + RECORD.size
            self.length = offset + size
            entries[oid] = new_entry(Entry, (LOC_PACK, flags, number, offset, size, size))
            if len(buf) >= CHUNK:
                self.drain()

    def append_record(self, record: bytes) -> None:
        """Append a whole record that is not an object (a transaction's commit record)."""
        self.open()
        self._buf += record
        self.length += len(record)

    def drain(self) -> None:
        """Write buffered records to the pack (an unbuffered fd: a failed write is never retried by close)."""
        if self.fd is None or not self._buf:
            return
        self._drained = True
        view = memoryview(self._buf)
        offset = self.length - len(self._buf)
        try:
            while view:
                n = os.pwrite(self.fd, view, offset)
                view = view[n:]
                offset += n
        except OSError as exc:
            raise os_error(exc, "append to a pack") from None
        finally:
            view.release()
        self._buf.clear()

    def flush_for_read(self, pack: int) -> None:
        """Make appended bytes visible to preads of the same pack."""
        if pack == self.number:
            self.drain()

    def sync(self) -> None:
        """Make every appended record durable.

        Records that overwrote zeros written ahead change neither the file's
        size nor its blocks, so only the data is synced; otherwise the next
        zeros are written ahead and the file is fsynced. A new pack's folder is
        fsynced too.
        """
        if self.fd is None:
            return
        self.drain()
        if self.length <= self._alloc:
            datasync(self.fd)
        else:
            grow = prealloc_size(self.length, self.length - self.base)
            if grow:
                write_zeros(self.fd, self.length, grow)
            os.fsync(self.fd)
        if self._new:
            fsync_dir(self.files.paths.packs)

    def keep_open(self) -> None:
        """After the index committed this transaction's length: keep the pack open for the next one."""
        if self.number is not None and self.fd is not None:
            self.files.keep(self.number, self.fd, self.length)
        self.fd = None

    def abort(self) -> None:
        """Put the pack back as the transaction found it; remove a pack file it created."""
        self._buf.clear()
        if self.fd is not None and self._drained:
            try:
                self._restore()
            except OSError:
                self.files.forget_kept()  # the next writer truncates to the committed length
        if self.fd is not None:
            self.fd = None
            if self._new and self.base == 0 and self.number is not None:
                self.files.forget_kept()
                self.files.paths.pack(self.number).unlink(missing_ok=True)

    def _restore(self) -> None:
        """Committed bytes, then the zeros written ahead that were there: the pack as it was found."""
        fd, base, alloc = self.fd, self.base, self._alloc
        assert fd is not None
        if alloc <= base:
            os.ftruncate(fd, base)
        else:
            if self.length > alloc:
                os.ftruncate(fd, alloc)
            write_zeros(fd, base, min(self.length, alloc) - base)
        # A commit record may have been synced before the index failed: a crash
        # now must not bring back a transaction its caller saw fail.
        datasync(fd)
