"""The object-store interface shared by the disk and the in-memory store: what a
store reads (:class:`ObjectStore`), what a transaction's writer does
(:class:`Writer`), and the index transaction its commit hooks write through
(:class:`IndexTxn`)."""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Final, Literal, Protocol, TypeAlias, TypeVar, overload

import msgspec

from comfyvn_vault.store.codec import StoredObject, decode_as
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.store.prefix import SortedKeys

if TYPE_CHECKING:  # the interface itself never imports LMDB
    import lmdb

T = TypeVar("T", bound=StoredObject)

#: Read and hash in chunks of this size: big enough for throughput, small enough for memory.
CHUNK = 1 << 20


class Kind(enum.IntEnum):
    BLOB = 0
    OBJECT = 1  # structured, canonical msgpack


class ObjectInfo(msgspec.Struct, frozen=True):
    """What the store knows about one object without reading it."""

    id: ObjectId
    kind: Kind
    size: int  # raw bytes
    stored: int  # bytes on disk
    compression: str  # "none" | "zstd"
    location: str  # "pack" | "loose" | "memory"


class AddResult(msgspec.Struct, frozen=True):
    id: ObjectId
    size: int
    new: bool


#: An open database of the index: the handle ``lmdb.Environment.open_db`` returns.
IndexDb: TypeAlias = "lmdb._Database"


class IndexCursor(SortedKeys, Protocol):
    """An LMDB cursor over one database of the index, in key order (``lmdb.Cursor``)."""

    def value(self) -> bytes: ...

    @overload
    def iternext(self, keys: Literal[True] = True, values: Literal[True] = True) -> Iterator[tuple[bytes, bytes]]: ...

    @overload
    def iternext(self, keys: Literal[True], values: Literal[False]) -> Iterator[bytes]: ...

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]: ...

    def __enter__(self) -> IndexCursor: ...

    def __exit__(self, *exc: object) -> None: ...


class IndexTxn(Protocol):
    """An LMDB transaction on the index (``lmdb.Transaction``, opened without buffers).

    What a commit hook is handed: the write transaction that commits the
    store's transaction, so whatever the hook writes lands with it or not at all.
    """

    def get(self, key: bytes, default: None = None, db: IndexDb | None = None) -> bytes | None: ...

    def put(
        self,
        key: bytes,
        value: bytes,
        dupdata: bool = True,
        overwrite: bool = True,
        append: bool = False,
        db: IndexDb | None = None,
    ) -> bool: ...

    def delete(self, key: bytes, value: bytes = b"", db: IndexDb | None = None) -> bool: ...

    def cursor(self, db: IndexDb | None = None) -> IndexCursor: ...

    def drop(self, db: IndexDb, delete: bool = True) -> None: ...

    def stat(self, db: IndexDb) -> lmdb._StatDict: ...


#: Runs inside the index transaction that commits a write (see :meth:`Writer.on_commit`).
CommitHook = Callable[["lmdb.Transaction[bytes]"], None]


class Readable(Protocol):
    """A stream of bytes read into a buffer (a file opened ``rb``, ``io.BytesIO``...)."""

    def readinto(self, buffer: bytearray, /) -> int: ...


class ByteStream(Readable, Protocol):
    """A stream of bytes read both ways (a file opened ``rb``, ``io.BytesIO``...)."""

    def read(self, size: int = -1, /) -> bytes: ...


class Writer(Protocol):
    """Puts objects and moves refs inside one atomic, durable transaction.

    What every store's writer offers. The disk store's writer also adds what
    that store staged outside the transaction (``add``, ``add_staged``).
    """

    def has(self, oid: ObjectId) -> bool:
        """True when the object is stored, or put by this transaction."""

    def put_bytes(self, data: bytes, kind: Kind = Kind.BLOB) -> AddResult: ...

    def put_object(self, obj: StoredObject) -> ObjectId: ...

    def put_objects(self, objs: Sequence[StoredObject]) -> list[ObjectId]: ...

    def put_stream(self, src: ByteStream) -> AddResult: ...

    def put_file(self, path: str | os.PathLike[str]) -> AddResult: ...

    def ref(self, name: str) -> ObjectId | None:
        """The ref as this transaction sees it (its own moves included)."""

    def set_ref(self, name: str, new: ObjectId | None, expected: ObjectId | None) -> None:
        """Compare-and-swap: move ``name`` to ``new`` only if it is now ``expected``."""

    def on_commit(self, hook: CommitHook) -> None:
        """Run ``hook(txn)`` inside the index transaction that commits this write."""


class ObjectStore(Protocol):
    """Read side plus :meth:`transaction` for writes. Every read is verified against its id."""

    def has(self, oid: ObjectId) -> bool: ...

    def info(self, oid: ObjectId) -> ObjectInfo: ...

    def get(self, oid: ObjectId) -> bytes: ...

    def iter_chunks(self, oid: ObjectId) -> Iterator[bytes]: ...

    def resolve(self, text: str) -> ObjectId: ...

    def ids(self) -> Iterator[ObjectId]: ...

    def ref(self, name: str) -> ObjectId | None: ...

    def refs(self, prefix: str = "") -> dict[str, ObjectId]: ...

    def transaction(self) -> AbstractContextManager[Writer]: ...


def get_object(store: ObjectStore, oid: ObjectId, kind: type[T]) -> T:
    """Read and decode a structured object of a known kind."""
    return decode_as(store.get(oid), kind)


#: Control characters, DEL and the characters git also refuses in ref names.
_BAD_REF_CHAR: Final = re.compile(r'[\x00-\x1f\x7f\\~^:?*\[ "]')


def _encodable(text: str) -> bool:
    try:
        text.encode()
        return True
    except UnicodeEncodeError:  # lone surrogates: undecodable bytes on a command line
        return False


def check_ref_name(name: str) -> str:
    """Refuse ref names that could escape a namespace or confuse a terminal."""
    from comfyvn_vault.errors import InputRejected

    bad = (
        not name
        or len(name.encode(errors="surrogatepass")) > 200  # bytes: the ref table's keys are UTF-8
        or not _encodable(name)
        or name.startswith("/")
        or name.endswith("/")
        or "//" in name
        or any(part in ("", ".", "..") for part in name.split("/"))
        or _BAD_REF_CHAR.search(name) is not None
        or name.endswith(".lock")
    )
    if bad:
        raise InputRejected(f"invalid ref name: {name[:80]!r}")
    return name
