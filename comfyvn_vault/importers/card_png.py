"""PNG chunks, read and written from bytes: what a character card rides in.

A PNG is an 8-byte signature and a run of chunks, each a 4-byte big-endian
length, a 4-byte type, the data and a CRC-32 of type and data; ``IHDR`` comes
first and ``IEND`` last. Card tools put the card's JSON (base64) in text
chunks: ``tEXt`` is a Latin-1 keyword, a NUL and Latin-1 text; ``zTXt`` is the
same with the text deflated; ``iTXt`` has a compression flag, a language tag, a
translated keyword and UTF-8 text.

:func:`read_png` checks every chunk (length, type, CRC, caps) and refuses a
truncated or damaged file with one :class:`InputRejected`; it inflates only the
text chunks a card reader cares about, and never the image data.
:func:`build_png` writes a PNG with new text chunks (any card chunks it had
are dropped first, so a card written twice carries one card), and
:func:`placeholder_png` makes a small one-colour image without an imaging
library.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from comfyvn_vault.errors import InputRejected

SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
#: A text chunk, or what it inflates to, past which a PNG is refused.
MAX_TEXT_CHUNK: Final = 64 << 20
MAX_CHUNK_LENGTH: Final = (1 << 31) - 1
"""The PNG specification's own limit on a chunk's length."""
KEYWORD_MAX: Final = 79
TEXT_TYPES: Final = (b"tEXt", b"zTXt", b"iTXt")
#: Card chunk keywords (compared case-insensitively, as SillyTavern does).
CHARA: Final = "chara"
CCV3: Final = "ccv3"
ASSET_PREFIX: Final = "chara-ext-asset_"
"""Keyword prefix of an asset embedded in a PNG card (``chara-ext-asset_:1``, read as ``__asset:1``)."""


@dataclass(frozen=True)
class Chunk:
    """One chunk: its type and where its bytes are in the file (``raw`` is length, type, data and CRC)."""

    type: bytes
    raw: bytes

    @property
    def data(self) -> bytes:
        return self.raw[8:-4]


@dataclass(frozen=True)
class TextChunk:
    """A text chunk a card reader wants: its keyword as written, its text, and the chunk type it came in."""

    keyword: str
    text: str
    type: str
    index: int


@dataclass(frozen=True)
class Png:
    """A checked PNG: its chunks up to ``IEND``, the card text chunks, and what was odd about it."""

    chunks: tuple[Chunk, ...]
    texts: tuple[TextChunk, ...]
    notes: tuple[str, ...]
    trailing: int
    """Bytes after ``IEND`` (ignored)."""

    def image(self) -> bytes:
        """The PNG without its card chunks (and without anything after ``IEND``): the picture alone."""
        return SIGNATURE + b"".join(c.raw for c in self.chunks if not is_card_chunk(c))


def is_card_keyword(keyword: str) -> bool:
    """``chara``, ``ccv3`` or an embedded asset's keyword, in any case."""
    low = keyword.lower()
    return low in (CHARA, CCV3) or low.startswith(ASSET_PREFIX)


def is_card_chunk(chunk: Chunk) -> bool:
    """A text chunk whose keyword is a card keyword (what :meth:`Png.image` and :func:`build_png` drop)."""
    if chunk.type not in TEXT_TYPES:
        return False
    keyword, nul, _ = chunk.data.partition(b"\0")
    return bool(nul) and is_card_keyword(keyword.decode("latin-1"))


def is_png(data: bytes) -> bool:
    return data.startswith(SIGNATURE)


def read_png(data: bytes, where: str) -> Png:
    """Every chunk of ``data`` checked, and the card text chunks decoded (see the module docstring)."""
    if not is_png(data):
        raise InputRejected(f"{where}: not a PNG file")
    chunks: list[Chunk] = []
    texts: list[TextChunk] = []
    notes: list[str] = []
    pos = len(SIGNATURE)
    end = len(data)
    while True:
        if end - pos < 12:
            raise InputRejected(f"{where}: the PNG is truncated (no IEND chunk)")
        (length,) = struct.unpack_from(">I", data, pos)
        ctype = data[pos + 4 : pos + 8]
        shown = ctype.decode("latin-1")
        if length > MAX_CHUNK_LENGTH:
            raise InputRejected(f"{where}: PNG chunk {len(chunks) + 1} claims {length} bytes")
        if not ctype.isalpha() or not ctype.isascii():
            raise InputRejected(f"{where}: PNG chunk {len(chunks) + 1} has a malformed type {shown!r}")
        if ctype in TEXT_TYPES and length > MAX_TEXT_CHUNK:
            raise InputRejected(f"{where}: PNG {shown} chunk of {length} bytes is over {MAX_TEXT_CHUNK} bytes")
        stop = pos + 12 + length
        if stop > end:
            raise InputRejected(f"{where}: the PNG is truncated inside its {shown} chunk")
        raw = data[pos:stop]
        (crc,) = struct.unpack_from(">I", raw, 8 + length)
        if zlib.crc32(raw[4 : 8 + length]) != crc:
            raise InputRejected(f"{where}: PNG {shown} chunk {len(chunks) + 1} fails its CRC check")
        chunk = Chunk(ctype, raw)
        if not chunks and (ctype != b"IHDR" or length != 13):
            raise InputRejected(f"{where}: the PNG does not start with an IHDR chunk")
        if ctype in TEXT_TYPES:
            text = _text(chunk, len(chunks), where, notes)
            if text is not None:
                texts.append(text)
        chunks.append(chunk)
        pos = stop
        if ctype == b"IEND":
            break
    trailing = end - pos
    return Png(tuple(chunks), tuple(texts), tuple(notes), trailing)


def _text(chunk: Chunk, index: int, where: str, notes: list[str]) -> TextChunk | None:
    """The card text chunk ``chunk`` holds, or None for a text chunk no card reader wants."""
    kind = chunk.type.decode("ascii")
    raw_keyword, nul, rest = chunk.data.partition(b"\0")
    if not nul or not 1 <= len(raw_keyword) <= KEYWORD_MAX:
        notes.append(f"a {kind} chunk without a valid keyword: ignored")
        return None
    keyword = raw_keyword.decode("latin-1")
    if not is_card_keyword(keyword):
        return None
    what = f"{where}: {kind} chunk {keyword[:40]!r}"
    if kind == "tEXt":
        return TextChunk(keyword, rest.decode("latin-1"), kind, index)
    if kind == "zTXt":
        if not rest or rest[0] != 0:
            raise InputRejected(f"{what} uses an unknown compression method")
        return TextChunk(keyword, inflate(rest[1:], what).decode("latin-1"), kind, index)
    if len(rest) < 2:
        raise InputRejected(f"{what} is truncated")
    flag, method = rest[0], rest[1]
    _lang, nul1, rest = rest[2:].partition(b"\0")
    _translated, nul2, body = rest.partition(b"\0")
    if not (nul1 and nul2) or flag not in (0, 1) or (flag and method != 0):
        raise InputRejected(f"{what} is malformed")
    payload = inflate(body, what) if flag else body
    try:
        return TextChunk(keyword, payload.decode("utf-8"), kind, index)
    except UnicodeDecodeError as exc:
        raise InputRejected(f"{what} is not UTF-8 (byte {exc.start})") from None


def inflate(data: bytes, what: str, cap: int = MAX_TEXT_CHUNK) -> bytes:
    """``data`` inflated (zlib), refused when damaged, truncated or past ``cap`` bytes."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, cap + 1)
    except zlib.error as exc:
        raise InputRejected(f"{what} does not inflate ({exc})") from None
    if len(out) > cap or d.unconsumed_tail:
        raise InputRejected(f"{what} inflates past {cap} bytes")
    if not d.eof:
        raise InputRejected(f"{what} is truncated (its compressed text ends early)")
    return out


# ----------------------------------------------------------------- writing


def chunk_bytes(ctype: bytes, data: bytes) -> bytes:
    """One chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def text_chunk(keyword: str, text: str) -> bytes:
    """A ``tEXt`` chunk (keyword and text must be Latin-1; a card's base64 always is)."""
    return chunk_bytes(b"tEXt", keyword.encode("latin-1") + b"\0" + text.encode("latin-1"))


def build_png(png: Png, texts: Iterable[tuple[str, str]]) -> bytes:
    """``png`` without its card chunks and with ``texts`` (keyword, text) as ``tEXt`` chunks before ``IEND``."""
    *body, iend = (c.raw for c in png.chunks if not is_card_chunk(c))
    added = [text_chunk(k, t) for k, t in texts]
    return SIGNATURE + b"".join(body) + b"".join(added) + iend


def placeholder_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A ``width`` × ``height`` image of one colour: 8-bit RGB, no filter, deflated."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\0" + bytes(rgb) * width
    idat = zlib.compress(row * height, 9)
    return SIGNATURE + chunk_bytes(b"IHDR", ihdr) + chunk_bytes(b"IDAT", idat) + chunk_bytes(b"IEND", b"")


# ----------------------------------------------------------------- sniffing

_MAGIC: Final[tuple[tuple[Callable[[bytes], bool], str], ...]] = (
    (lambda b: b.startswith(SIGNATURE), "image/png"),
    (lambda b: b.startswith(b"\xff\xd8\xff"), "image/jpeg"),
    (lambda b: b.startswith((b"GIF87a", b"GIF89a")), "image/gif"),
    (lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP", "image/webp"),
    (lambda b: b[4:12] in (b"ftypavif", b"ftypavis"), "image/avif"),
    (lambda b: b.startswith(b"BM"), "image/bmp"),
    (lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE", "audio/wav"),
    (lambda b: b.startswith(b"OggS"), "audio/ogg"),
    (lambda b: b.startswith(b"fLaC"), "audio/flac"),
    (lambda b: b.startswith(b"ID3") or b[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"), "audio/mpeg"),
    (lambda b: b.startswith(b"\x1a\x45\xdf\xa3"), "video/webm"),
    (lambda b: b[4:8] == b"ftyp", "video/mp4"),
)


def sniff(data: bytes) -> str:
    """The MIME type ``data`` starts like (``application/octet-stream`` when none)."""
    return next((mime for test, mime in _MAGIC if test(data)), "application/octet-stream")
