"""The bytes of a signed file without its embedded C2PA manifest store.

c2pa embeds the manifest store as one more piece of the file and leaves the
rest as it was: a ``caBX`` chunk in a PNG, APP11 segments holding JUMBF boxes
in a JPEG, a ``C2PA`` chunk in a WAV (whose RIFF size grows by it). Taking
that piece out again gives the original bytes, which is how a bundle carries
each signed medium once and a restore stores the blob it came from. Callers
check the result against the blob id: when a writer changed anything else,
the hash says so (and the bundle carries the original beside it).

Each function returns ``None`` for bytes that are not the format it reads.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Final

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
PNG_C2PA_CHUNK: Final = b"caBX"
JPEG_APP11: Final = 0xEB
JUMBF_PREFIX: Final = b"JP"
WAV_C2PA_CHUNK: Final = b"C2PA"


def strip_png(data: bytes) -> bytes | None:
    """``data`` without its ``caBX`` chunks."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    out = [PNG_SIGNATURE]
    at = len(PNG_SIGNATURE)
    while at < len(data):
        if at + 8 > len(data):
            return None
        (length,) = struct.unpack(">I", data[at : at + 4])
        end = at + 12 + length
        if end > len(data):
            return None
        if data[at + 4 : at + 8] != PNG_C2PA_CHUNK:
            out.append(data[at:end])
        at = end
    return b"".join(out)


def strip_jpeg(data: bytes) -> bytes | None:
    """``data`` without the APP11 segments holding JUMBF boxes, up to the start of scan; the rest as it is."""
    if not data.startswith(b"\xff\xd8"):
        return None
    out = [data[:2]]
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: entropy-coded data follows, no more segments to look at
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            return None
        # An APP11 segment of JUMBF: the common identifier "JP" after the length.
        if not (marker == JPEG_APP11 and data[at + 4 : at + 6] == JUMBF_PREFIX):
            out.append(data[at:end])
        at = end
    out.append(data[at:])
    return b"".join(out)


def strip_wav(data: bytes) -> bytes | None:
    """``data`` without its ``C2PA`` chunk, the RIFF size set to what is left."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    chunks = []
    at = 12
    while at < len(data):
        if at + 8 > len(data):
            return None
        kind = data[at : at + 4]
        (size,) = struct.unpack("<I", data[at + 4 : at + 8])
        end = at + 8 + size + (size & 1)
        if end > len(data):
            return None
        if kind != WAV_C2PA_CHUNK:
            chunks.append(data[at:end])
        at = end
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


STRIPPERS: Final[dict[str, Callable[[bytes], bytes | None]]] = {
    "image/png": strip_png,
    "image/jpeg": strip_jpeg,
    "audio/wav": strip_wav,
}


def strip(data: bytes, mime: str) -> bytes | None:
    """``data`` of type ``mime`` without its C2PA manifest store; None when the type is not one c2pa signs here."""
    stripper = STRIPPERS.get(mime)
    return stripper(data) if stripper is not None else None


__all__ = ["strip", "strip_jpeg", "strip_png", "strip_wav"]
