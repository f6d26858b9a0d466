"""The object-store interface shared by the disk and the in-memory store."""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, BinaryIO, Final, Protocol, TypeVar

import msgspec

from comfyvn_vault.store.codec import StoredObject, decode_as
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
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


class Writer(Protocol):
    """Puts objects and moves refs inside one atomic, durable transaction."""

    def put_bytes(self, data: bytes, kind: Kind = Kind.BLOB) -> AddResult: ...

    def put_object(self, obj: StoredObject) -> ObjectId: ...

    def put_objects(self, objs: Sequence[StoredObject]) -> list[ObjectId]: ...

    def put_stream(self, src: BinaryIO) -> AddResult: ...

    def put_file(self, path: str | os.PathLike[str]) -> AddResult: ...

    def set_ref(self, name: str, new: ObjectId | None, expected: ObjectId | None) -> None: ...

    def ref(self, name: str) -> ObjectId | None:
        """The ref as this write sees it: its own updates, else the committed value."""
        ...

    def on_commit(self, hook: Callable[[lmdb.Transaction[bytes]], None]) -> None:
        """Run ``hook`` inside the index transaction that commits this write (the memory store passes None)."""
        ...


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
