"""The object stream every transport carries: records of verified bytes, zstd-compressed.

Its layout is part of the wire format (:mod:`~comfyvn_vault.sync.protocol`).
Records carry the *raw* bytes (the receiver hashes exactly what it stores),
and the whole stream is one zstd stream, so small structured objects compress
together far better than one by one and already-compressed media pass through
zstd's raw blocks at memory speed. Large blobs are read and written in chunks:
neither side ever holds one whole.

The receiving side (:class:`Ingest`) trusts nothing: every record must be one it
asked for, with the size it was offered at; its bytes must hash to its id.
What an object is comes from its bytes (:func:`codec.structured_tag`), never
from the sender's flag: a structured object must parse and link only to objects
the store already holds or that arrived before it, and every path of a tree
must be a valid tree path (:func:`~comfyvn_vault.domain.paths.check_tree_path`),
so no remote can name a file outside the working copy. Verified objects are
committed in batches through the store's own transaction (pack fsync, renames,
then the index), so an interrupted transfer keeps what arrived and the retry
asks only for the rest.
No ref ever moves here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

import zstandard

from comfyvn_vault.errors import InputRejected, RemoteFailed
from comfyvn_vault.history.objects import Commit
from comfyvn_vault.history.tree import TreeNode, check_tree_node
from comfyvn_vault.store import codec
from comfyvn_vault.store.base import CHUNK, Kind
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.store.staging import Staged
from comfyvn_vault.sync.protocol import FLAG_END, FLAG_OBJECT, HEADER, MAGIC, end_record, record_header

MAX_STRUCTURED: Final = codec.MAX_STRUCTURED
TREE_TAG: Final = TreeNode.__struct_config__.tag
COMMIT_TAG: Final = Commit.__struct_config__.tag
#: Commit received objects at least this often (bytes), so an interruption loses little.
BATCH_BYTES: Final = 8 << 20
ZSTD_LEVEL: Final = 3

Progress = Callable[[int], None]


def encode_stream(
    store: Any, ids: Iterable[ObjectId], progress: Progress | None = None, chunk: int = CHUNK
) -> Iterator[bytes]:
    """The compressed stream of ``ids`` read from ``store`` (each verified as it is read)."""
    cobj = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj()
    pending = bytearray(MAGIC)
    count = 0
    for oid in ids:
        info = store.info(oid)
        flags = FLAG_OBJECT if info.kind == Kind.OBJECT else 0
        pending += record_header(flags, info.size, oid)
        for part in store.iter_chunks(oid):
            pending += part
            if len(pending) >= chunk:
                out = cobj.compress(bytes(pending)) + cobj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
                pending.clear()
                if out:
                    yield out
        count += 1
        if progress is not None:
            progress(info.size + HEADER.size)
    pending += end_record(count)
    yield cobj.compress(bytes(pending)) + cobj.flush()


class ChunkReader:
    """A read-only file over an iterator of byte chunks (an HTTP body, an S3 object)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it = iter(chunks)
        self._parts: list[bytes] = []
        self._have = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        """Whatever is buffered or arrives next, up to ``n`` bytes (short reads are fine for zstd)."""
        if not self._parts:
            nxt = next(self._it, None)
            if nxt is None:
                return b""
            self._parts.append(bytes(nxt))
            self._have = len(nxt)
        if n < 0 or n >= self._have:
            out = b"".join(self._parts)
            self._parts, self._have = [], 0
            return out
        head = b"".join(self._parts)
        self._parts, self._have = [head[n:]], len(head) - n
        return head[:n]


class _Exact:
    """Reads exactly ``size`` bytes from a decompressing reader (for staging a large blob)."""

    def __init__(self, src: Any, size: int) -> None:
        self.src, self.left = src, size

    def readinto(self, buf: bytearray | memoryview) -> int:
        if self.left == 0:
            return 0
        data = _read_exact(self.src, min(len(buf), self.left))
        buf[: len(data)] = data
        self.left -= len(data)
        return len(data)


def _read_exact(src: Any, n: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < n:
        part = src.read(n - got)
        if not part:
            raise _Truncated
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _skip(src: Any, n: int) -> None:
    while n > 0:
        n -= len(_read_exact(src, min(n, CHUNK)))


class _Truncated(Exception):
    """The stream ended inside a record (the sender died or the connection dropped)."""


class Ingest:
    """Receive one stream into a disk store, verifying everything (see the module docstring)."""

    def __init__(
        self,
        store: DiskObjectStore,
        offered: dict[ObjectId, int] | None,
        progress: Progress | None = None,
        *,
        max_bytes: int | None = None,
        skip_unasked: bool = False,
    ) -> None:
        self.store = store
        self.skip_unasked = skip_unasked
        #: id -> size for every object asked for; None accepts any (a push into a server).
        self.offered = offered
        self.progress = progress
        self.max_bytes = max_bytes
        self.received: set[ObjectId] = set()
        self.stored = 0  # objects committed
        self.bytes = 0  # raw bytes received
        self._small: list[tuple[ObjectId, bytes, Kind]] = []
        self._staged: list[Staged] = []
        self._batch_bytes = 0

    def run(self, chunks: Iterable[bytes]) -> int:
        """Read a whole stream; commit what verified even when the stream breaks off."""
        source: Any = ChunkReader(chunks)  # file-like enough for zstd: only read() is called
        try:
            self._read(zstandard.ZstdDecompressor().stream_reader(source, read_size=CHUNK, read_across_frames=True))
        except InputRejected:
            self._discard()
            raise
        except (_Truncated, zstandard.ZstdError) as exc:
            self._flush()
            why = "the stream ended early" if isinstance(exc, _Truncated) else f"damaged stream ({exc})"
            raise RemoteFailed(f"transfer interrupted: {why}; {self.stored} objects kept, retry to resume") from None
        except RemoteFailed:
            self._flush()
            raise
        except BaseException:
            self._discard()
            raise
        self._flush()
        return self.stored

    def _read(self, src: Any) -> None:
        """One stream, or several concatenated (an S3 pack's frames); records not asked for are skipped
        only when :attr:`skip_unasked` (a bucket holds more than one fetch wants)."""
        first = True
        while True:
            lead = src.read(1)
            if not lead:
                if first:
                    raise _Truncated
                return
            if lead + _read_exact(src, len(MAGIC) - 1) != MAGIC:
                raise InputRejected("the remote sent something that is not a comfyvn object stream")
            first = False
            self._read_records(src)

    def _read_records(self, src: Any) -> None:
        count = 0
        while True:
            flags, size, raw_id = HEADER.unpack(_read_exact(src, HEADER.size))
            if flags == FLAG_END:
                if size != count:
                    raise InputRejected(f"object stream claims {size} objects but carried {count}")
                return
            if flags not in (0, FLAG_OBJECT):
                raise InputRejected(f"object stream has a record with unknown flags {flags}")
            count += 1
            oid = ObjectId(raw_id)
            if self.skip_unasked and (oid in self.received or (self.offered is not None and oid not in self.offered)):
                _skip(src, size)
                continue
            self._check_offer(oid, size)
            self.bytes += size
            if self.max_bytes is not None and self.bytes > self.max_bytes:
                raise InputRejected(f"object stream exceeds the limit of {self.max_bytes} bytes")
            if flags & FLAG_OBJECT:
                if size > MAX_STRUCTURED:
                    raise InputRejected(f"structured object {oid.hex()} is implausibly large ({size} bytes)")
                data = _read_exact(src, size)
                self._verify(oid, data)
                self._classified(oid, data, flagged=True)
            elif size >= self.store.loose_threshold:
                self._large(oid, src, size)
            else:
                data = _read_exact(src, size)
                self._verify(oid, data)
                self._classified(oid, data)
            if self.progress is not None:
                self.progress(size + HEADER.size)

    def _check_offer(self, oid: ObjectId, size: int) -> None:
        if oid in self.received:
            raise InputRejected(f"object stream repeats object {oid.hex()}")
        if self.offered is not None:
            want = self.offered.get(oid)
            if want is None:
                raise InputRejected(f"the remote sent object {oid.hex()}, which was not asked for")
            if want != size:
                raise InputRejected(f"object {oid.hex()} arrived with {size} bytes, offered with {want}")

    def _verify(self, oid: ObjectId, data: bytes) -> None:
        if hash_bytes(data) != oid:
            raise InputRejected(f"the remote sent object {oid.hex()[:12]} whose bytes do not match its id")

    def _present(self, oid: ObjectId) -> bool:
        return oid in self.received or self.store.has(oid)

    def _classified(self, oid: ObjectId, data: bytes, flagged: bool = False) -> None:
        """Store verified bytes as what they are, whatever the sender's flag said.

        Structured bytes are a structured object (its links checked, a tree's
        paths too), so a commit or tree sent as a "blob" cannot slip in
        unchecked and later be lost to ``gc``, which follows only objects' links.
        Bytes ``flagged`` structured that are not are refused.
        """
        tag = codec.structured_tag(data)
        if tag is None:
            if flagged:
                raise InputRejected(f"the remote sent object {oid.hex()[:12]} as structured, but it is not")
            self._add(oid, data, Kind.BLOB, len(data))
            return
        for link in codec.links(data):
            if not self._present(link):
                raise InputRejected(f"object {oid.hex()[:12]} arrived before {link.hex()[:12]}, which it links to")
        if tag == TREE_TAG:
            check_tree_node(codec.decode_as(data, TreeNode))
        elif tag == COMMIT_TAG:
            codec.decode_as(data, Commit)
        self._add(oid, data, Kind.OBJECT, len(data))

    def _large(self, oid: ObjectId, src: Any, size: int) -> None:
        reader = _Exact(src, size)
        first = bytearray(min(size, CHUNK))
        n = reader.readinto(first)
        if size <= MAX_STRUCTURED and codec.looks_structured(bytes(first[: codec.SNIFF_BYTES])):
            # Perhaps a structured object sent as a blob: small enough to read whole and look at.
            data = bytes(first[:n]) + _read_exact(src, reader.left)
            self._verify(oid, data)
            self._classified(oid, data)
            return
        staged = self.store.stage_stream(reader, bytes(first[:n]))
        if staged.id != oid or staged.size != size:
            staged.discard()
            raise InputRejected(f"the remote sent object {oid.hex()[:12]} whose bytes do not match its id")
        self._staged.append(staged)
        self.received.add(oid)
        self._flush()  # a large blob is worth keeping at once

    def _add(self, oid: ObjectId, data: bytes, kind: Kind, size: int) -> None:
        self._small.append((oid, data, kind))
        self.received.add(oid)
        self._batch_bytes += size
        if self._batch_bytes >= BATCH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._small and not self._staged:
            return
        small, staged = self._small, self._staged
        self._small, self._staged, self._batch_bytes = [], [], 0
        try:
            with self.store.transaction() as w:
                for oid, data, kind in small:
                    if w.put_bytes(data, kind).id != oid:
                        raise InputRejected(f"object {oid.hex()} changed while being stored")
                for st in staged:
                    w.add_staged(st)
        except BaseException:
            for st in staged:
                st.discard()
            raise
        self.stored += len(small) + len(staged)

    def _discard(self) -> None:
        for st in self._staged:
            st.discard()
        for oid, _, _ in self._small:
            self.received.discard(oid)
        self._small, self._staged, self._batch_bytes = [], [], 0
