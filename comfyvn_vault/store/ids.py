"""Object identity: the BLAKE3-256 of an object's canonical bytes."""

from __future__ import annotations

from typing import Any, Final

import blake3

from comfyvn_vault.errors import InputRejected

ID_BYTES: Final = 32
HEX_LEN: Final = ID_BYTES * 2
_HEX: Final = frozenset("0123456789abcdef")


class ObjectId(bytes):
    """A 32-byte BLAKE3 digest naming an immutable object.

    A ``bytes`` subclass so it is hashable, compact as an LMDB key and cheap to
    compare; it prints as lowercase hex.
    """

    __slots__ = ()

    def __new__(cls, raw: bytes) -> ObjectId:
        if len(raw) != ID_BYTES:
            raise InputRejected(f"an object id has {ID_BYTES} bytes, not {len(raw)}")
        return super().__new__(cls, raw)

    @classmethod
    def from_hex(cls, text: str) -> ObjectId:
        """Parse a full 64-character hex id; raise :class:`InputRejected` otherwise."""
        text = text.strip().lower()
        if len(text) != HEX_LEN or not _HEX.issuperset(text):
            raise InputRejected(f"not an object id: {text[:80]!r}")
        return cls(bytes.fromhex(text))

    @property
    def hex_id(self) -> str:
        return self.hex()

    def short(self, n: int = 12) -> str:
        return self.hex()[:n]

    def __str__(self) -> str:
        return self.hex()

    def __repr__(self) -> str:
        return f"ObjectId({self.hex()[:16]}…)"


def is_hex_prefix(text: str) -> bool:
    """True when ``text`` could be an abbreviated id (4 to 64 hex digits)."""
    t = text.lower()
    return 4 <= len(t) <= HEX_LEN and _HEX.issuperset(t)


def new_hasher() -> blake3.blake3:
    """A hasher for streaming; uses every core on large inputs."""
    return blake3.blake3(max_threads=blake3.blake3.AUTO)


#: Hash files in reads of this size: large enough for blake3 to use every core,
#: small enough that memory stays flat (an mmap would count the whole file in RSS).
HASH_CHUNK: Final = 8 << 20


def hash_file(fileobj: Any) -> tuple[ObjectId, int]:
    """The id and size of a binary file's remaining content, read in bounded chunks."""
    h = new_hasher()
    buf = bytearray(HASH_CHUNK)
    view = memoryview(buf)
    size = 0
    while n := fileobj.readinto(buf):
        h.update(view[:n])
        size += n
    return ObjectId(h.digest()), size


_make: Final = bytes.__new__
_blake3: Final = blake3.blake3


def hash_bytes(data: bytes | memoryview) -> ObjectId:
    """The id of a byte string."""
    # A digest always has ID_BYTES bytes: skip the length check of ObjectId().
    oid: ObjectId = _make(ObjectId, _blake3(data).digest())
    return oid
