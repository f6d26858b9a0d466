"""Ren'Py archives (``.rpa``), read from bytes with every name, offset and size checked.

An archive is a header line, the members' bytes, and an index::

    RPA-3.0 <16 hex digits: index offset> <8 hex digits: key>\\n
    RPA-2.0 <16 hex digits: index offset>\\n

The index runs from its offset to the end of the file: a zlib stream of a
pickle of ``{name: [(offset, length), ...]}`` or ``[(offset, length, prefix),
...]`` (a member may be several pieces; ``prefix`` is bytes stored in the
index itself, put before the piece). RPA-3.0 XORs every offset and length
with the key. RPA-1.0 (a separate ``.rpi`` index) is not read.

The index is a pickle from whoever made the archive, so it is never handed to
``pickle.loads``: its opcodes are first checked against a list that holds only
what builds dicts, lists, tuples, ints, strings and bytes (no ``GLOBAL``,
``STACK_GLOBAL``, ``REDUCE``, ``BUILD``, ``INST``, ``OBJ``, ``NEWOBJ``, ``EXT``
or persistent ids) and no memo slot past what the pickle could fill (the
unpickler grows its memo table to the slot named), then it is unpickled by an unpickler whose
``find_class`` and ``persistent_load`` refuse everything, so no callable can
ever be reached. The stream is inflated under a cap (:data:`MAX_INDEX_BYTES`),
the result must have exactly the shape above, every name is confined
(:func:`~comfyvn_vault.adapters.archive.member_name`), and every piece must
lie between the header and the index; the pieces of all members together may
not add up to more than that (overlapping pieces cannot multiply it). Each
refusal is one :class:`~comfyvn_vault.errors.InputRejected` line.
"""

from __future__ import annotations

import pickle
import pickletools
import zlib
from dataclasses import dataclass
from typing import Final, NoReturn

from comfyvn_vault.adapters.archive import MAX_MEMBERS, member_name
from comfyvn_vault.errors import InputRejected

MAX_INDEX_BYTES: Final = 16 << 20
"""The largest index (inflated) read: well over the :data:`MAX_MEMBERS` members' worth."""
MAX_OPCODES: Final = 2_000_000
"""The most pickle opcodes read (a member costs about ten), so the objects built stay few."""
MAX_PIECES: Final = 1 << 20
#: Opcodes whose argument is a memo slot (a pickle fills at most one slot per opcode).
_MEMO_OPCODES: Final = frozenset({"PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"})
HEADER_MAX: Final = 128
MAGIC: Final = b"RPA-"

#: Every opcode a pickle of dicts, lists, tuples, ints, strings and bytes needs; anything else is refused.
ALLOWED_OPCODES: Final = frozenset(
    {
        "PROTO",
        "FRAME",
        "STOP",
        "MARK",
        "POP",
        "POP_MARK",
        "DUP",
        "NONE",
        "NEWTRUE",
        "NEWFALSE",
        "INT",
        "BININT",
        "BININT1",
        "BININT2",
        "LONG",
        "LONG1",
        "LONG4",
        "STRING",
        "BINSTRING",
        "SHORT_BINSTRING",
        "BINBYTES",
        "SHORT_BINBYTES",
        "BINBYTES8",
        "UNICODE",
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINUNICODE8",
        "EMPTY_LIST",
        "APPEND",
        "APPENDS",
        "LIST",
        "EMPTY_TUPLE",
        "TUPLE",
        "TUPLE1",
        "TUPLE2",
        "TUPLE3",
        "EMPTY_DICT",
        "DICT",
        "SETITEM",
        "SETITEMS",
        "GET",
        "BINGET",
        "LONG_BINGET",
        "PUT",
        "BINPUT",
        "LONG_BINPUT",
        "MEMOIZE",
    }
)


@dataclass(frozen=True, slots=True)
class Piece:
    """``prefix`` then ``length`` bytes of the archive from ``offset``."""

    offset: int
    length: int
    prefix: bytes = b""


def is_rpa(data: bytes) -> bool:
    """True when ``data`` starts like a Ren'Py archive (any version)."""
    return data.startswith(MAGIC)


class RpaArchive:
    """The members of one archive by safe name (``images/bg.png``), read from its bytes (see the module docstring).

    It is a :class:`~comfyvn_vault.adapters.importer.SourceFiles`: :meth:`names`
    and :meth:`read`. Names are as Ren'Py uses them: relative to the game folder.
    """

    def __init__(self, data: bytes, where: str = "the archive") -> None:
        self.where = where
        self._data = data
        self.version, data_at, index_at, key = _header(data, where)
        raw = _inflate(data[index_at:], where)
        index = _unpickle(raw, where)
        self._members = _members(index, key, index_at - data_at, index_at, where)

    def names(self) -> list[str]:
        return sorted(self._members)

    def __contains__(self, name: str) -> bool:
        return name in self._members

    def __len__(self) -> int:
        return len(self._members)

    def size(self, name: str) -> int:
        """How many bytes member ``name`` has."""
        return sum(len(p.prefix) + p.length for p in self._piece_list(name))

    def read(self, name: str) -> bytes:
        """The bytes of member ``name``: its pieces, each after its prefix."""
        view = memoryview(self._data)
        return b"".join(p.prefix + bytes(view[p.offset : p.offset + p.length]) for p in self._piece_list(name))

    def _piece_list(self, name: str) -> tuple[Piece, ...]:
        pieces = self._members.get(name)
        if pieces is None:
            raise InputRejected(f"{self.where}: no member {name!r}")
        return pieces


def _refuse(where: str, why: str) -> NoReturn:
    raise InputRejected(f"{where}: {why}")


def _header(data: bytes, where: str) -> tuple[str, int, int, int]:
    """The version, where the members' data starts and the index starts, and the key (0 for RPA-2.0)."""
    end = data.find(b"\n", 0, HEADER_MAX)
    if not data.startswith(MAGIC) or end < 0:
        _refuse(where, "not a Ren'Py archive (no 'RPA-' header line)")
    try:
        fields = data[:end].decode("ascii").split()
    except UnicodeDecodeError:
        _refuse(where, "the archive's header line is not ASCII")
    version = fields[0]
    try:
        if version == "RPA-3.0" and len(fields) == 3:
            offset, key = int(fields[1], 16), int(fields[2], 16)
        elif version == "RPA-2.0" and len(fields) == 2:
            offset, key = int(fields[1], 16), 0
        elif version in ("RPA-2.0", "RPA-3.0"):
            _refuse(where, f"malformed {version} header")
        else:
            _refuse(where, f"unsupported archive version {version[:16]!r} (RPA-2.0 and RPA-3.0 are read)")
    except ValueError:
        _refuse(where, f"malformed {version} header (offset and key are hexadecimal)")
    if not end < offset < len(data):
        _refuse(where, f"the index offset {offset} is outside the archive ({len(data)} bytes)")
    return version, end + 1, offset, key


def _inflate(stream: bytes, where: str) -> bytes:
    """The index's zlib stream inflated, refused past :data:`MAX_INDEX_BYTES` (checked while inflating)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(stream, MAX_INDEX_BYTES + 1)
    except zlib.error as exc:
        _refuse(where, f"the index does not inflate ({exc})")
    if len(out) > MAX_INDEX_BYTES or inflater.unconsumed_tail:
        _refuse(where, f"the index inflates past {MAX_INDEX_BYTES} bytes")
    if not inflater.eof:
        _refuse(where, "the index is truncated")
    return out


class _Reader:
    """A read-only file over bytes, just what :class:`pickle.Unpickler` calls (no ``io``: planning is pure)."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        start = self._pos
        stop = len(self._view) if n < 0 else min(len(self._view), start + n)
        self._pos = stop
        return bytes(self._view[start:stop])

    def readinto(self, buffer: memoryview) -> int:
        part = self.read(len(buffer))
        buffer[: len(part)] = part
        return len(part)

    def readline(self) -> bytes:
        rest = self._view[self._pos :]
        end = bytes(rest).find(b"\n")
        return self.read(len(rest) if end < 0 else end + 1)


class _NoClasses(pickle.Unpickler):
    """An unpickler that can build no object but the built-in containers and scalars."""

    def find_class(self, module: str, name: str) -> NoReturn:
        raise pickle.UnpicklingError(f"refused class {module[:40]}.{name[:40]}")

    def persistent_load(self, pid: object) -> NoReturn:
        raise pickle.UnpicklingError("refused persistent id")


def _unpickle(raw: bytes, where: str) -> object:
    """The index object, after its opcodes passed :data:`ALLOWED_OPCODES` (see the module docstring)."""
    try:
        for count, (opcode, arg, _pos) in enumerate(pickletools.genops(raw)):
            if count >= MAX_OPCODES:
                _refuse(where, f"the index pickle has more than {MAX_OPCODES} opcodes")
            if opcode.name not in ALLOWED_OPCODES:
                _refuse(where, f"the index pickle uses {opcode.name}, which could run code: refused")
            if opcode.name in _MEMO_OPCODES and not (isinstance(arg, int) and 0 <= arg < MAX_OPCODES):
                # The unpickler grows its memo table to the index named: 4 billion would take 32 GB.
                _refuse(where, f"the index pickle names memo slot {arg!r}, past any it could fill")
    except InputRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - any malformation of the opcode stream is the same refusal
        _refuse(where, f"the index is not a readable pickle ({type(exc).__name__})")
    try:
        return _NoClasses(_Reader(raw), encoding="utf-8", errors="surrogateescape").load()
    except Exception as exc:  # noqa: BLE001 - memo errors, truncation, recursion: all one refusal
        _refuse(where, f"the index is not a readable pickle ({type(exc).__name__})")


def _members(index: object, key: int, size: int, index_at: int, where: str) -> dict[str, tuple[Piece, ...]]:
    """The validated index: safe name → pieces, each before the index, all together at most ``size`` bytes."""
    if not isinstance(index, dict):
        _refuse(where, "the index is not a mapping of names")
    if len(index) > MAX_MEMBERS:
        _refuse(where, f"more than {MAX_MEMBERS} members")
    out: dict[str, tuple[Piece, ...]] = {}
    total = 0
    count = 0
    for raw_name, entries in index.items():
        name = member_name(_text(raw_name, where), where)
        if name in out:
            _refuse(where, f"member {name!r} appears twice")
        if not isinstance(entries, list | tuple) or not entries:
            _refuse(where, f"member {name!r} has no list of pieces")
        pieces: list[Piece] = []
        for entry in entries:
            count += 1
            if count > MAX_PIECES:
                _refuse(where, f"more than {MAX_PIECES} pieces")
            piece = _piece(entry, key, name, where)
            if piece.offset + piece.length > index_at:
                _refuse(where, f"member {name!r} reaches past the archive's data ({index_at} bytes)")
            total += piece.length
            if total > size:
                _refuse(where, f"the members add up to more than the archive's {size} bytes of data")
            pieces.append(piece)
        out[name] = tuple(pieces)
    return out


def _piece(entry: object, key: int, name: str, where: str) -> Piece:
    if not isinstance(entry, tuple | list) or len(entry) not in (2, 3):
        _refuse(where, f"member {name!r} has a malformed piece")
    offset, length = entry[0], entry[1]
    if type(offset) is not int or type(length) is not int:
        _refuse(where, f"member {name!r} has a piece whose offset or length is not an integer")
    offset ^= key
    length ^= key
    prefix: object = entry[2] if len(entry) == 3 else b""
    if isinstance(prefix, str):
        # Pickled by Python 2 as a byte string and read back as text: the same bytes again.
        prefix = prefix.encode("utf-8", "surrogateescape")
    if not isinstance(prefix, bytes):
        _refuse(where, f"member {name!r} has a piece whose prefix is not bytes")
    if offset < 0 or length < 0:
        _refuse(where, f"member {name!r} has a negative offset or length")
    return Piece(offset, length, prefix)


def _text(raw: object, where: str) -> str:
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            _refuse(where, "a member name is not UTF-8")
    if not isinstance(raw, str):
        _refuse(where, "a member name is not text")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        _refuse(where, f"member name {raw[:120]!r} is not UTF-8")
    return raw


def build(members: dict[str, bytes], *, version: str = "RPA-3.0", key: int = 0x42424242) -> bytes:
    """An archive holding ``members`` laid out as Ren'Py 8's archiver writes one.

    A header, then each member after a short padding, then the index pickled
    with the highest protocol (as the archiver does) and compressed; RPA-3.0
    XORs offsets and lengths with ``key`` (the archiver's fixed key by default).
    """
    padding = b"Made with Ren'Py."
    header_len = 34 if version == "RPA-3.0" else 25
    k = key if version == "RPA-3.0" else 0
    body = bytearray()
    index: dict[str, list[tuple[int, int, bytes]]] = {}
    for name, data in members.items():
        body += padding
        index[name] = [((header_len + len(body)) ^ k, len(data) ^ k, b"")]
        body += data
    index_at = header_len + len(body)
    if version == "RPA-3.0":
        header = f"RPA-3.0 {index_at:016x} {key:08x}\n".encode()
    else:
        header = f"RPA-2.0 {index_at:016x}\n".encode()
    assert len(header) == header_len
    return header + bytes(body) + zlib.compress(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
