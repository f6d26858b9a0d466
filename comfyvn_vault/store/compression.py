"""When to compress: zstd where it pays, raw for media that is compressed already."""

from __future__ import annotations

import threading
from typing import Final

import zstandard

LEVEL: Final = 3
#: Keep the compressed form only when it saves at least this fraction.
MIN_SAVING: Final = 0.10
SAMPLE_BYTES: Final = 128 * 1024
#: Below this size zstd rarely saves 10% and costs more than it saves.
TINY: Final = 256

# Magic numbers of formats whose payload is already entropy-coded.
_COMPRESSED_MAGIC: Final[tuple[bytes, ...]] = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"OggS",
    b"fLaC",
    b"ID3",  # MP3 with ID3 tag
    b"\xff\xfb",
    b"\xff\xf3",
    b"\xff\xf2",  # MP3 frames
    b"PK\x03\x04",  # zip and zip-based (docx, epub, cbz)
    b"\x1f\x8b",  # gzip
    b"\x28\xb5\x2f\xfd",  # zstd
    b"BZh",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!",
    b"\x1aE\xdf\xa3",  # Matroska / WebM
    b"%PDF",  # PDF streams are mostly deflated
)


def looks_compressed(head: bytes) -> bool:
    """True when the first bytes name a format that zstd will not shrink."""
    if head.startswith(_COMPRESSED_MAGIC):
        return True
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"AVI "):
        return True
    # ISO base media (mp4, m4a, mov, heic, avif): 'ftyp' box at offset 4.
    return len(head) >= 8 and head[4:8] == b"ftyp"


# zstd contexts are not thread-safe: each thread gets its own (the TUI reads in worker threads).
_local = threading.local()


def _decompressor() -> zstandard.ZstdDecompressor:
    d: zstandard.ZstdDecompressor | None = getattr(_local, "decompressor", None)
    if d is None:
        d = _local.decompressor = zstandard.ZstdDecompressor()
    return d


def _compressor() -> zstandard.ZstdCompressor:
    c: zstandard.ZstdCompressor | None = getattr(_local, "compressor", None)
    if c is None:
        c = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return c


def compress_if_worth(data: bytes) -> bytes | None:
    """The zstd frame of ``data`` if it saves enough, else None (store raw)."""
    if len(data) < TINY or looks_compressed(data[:16]):
        return None
    packed = _compressor().compress(data)
    return packed if len(packed) <= len(data) * (1 - MIN_SAVING) else None


def sample_pays(sample: bytes) -> bool:
    """Decide for a large stream from its first bytes whether zstd pays."""
    if looks_compressed(sample[:16]):
        return False
    probe = sample[:SAMPLE_BYTES]
    return len(_compressor().compress(probe)) <= len(probe) * (1 - MIN_SAVING)


#: What a damaged zstd frame raises.
DecompressError = zstandard.ZstdError


def decompress(frame: bytes, raw_len: int) -> bytes:
    return _decompressor().decompress(frame, max_output_size=raw_len)


_stream_compressor: zstandard.ZstdCompressor | None = None


def stream_compressor() -> zstandard.ZstdCompressor:
    """A compressor for large streams, using every core (built once: building one costs ~0.3 ms)."""
    global _stream_compressor
    if _stream_compressor is None:
        _stream_compressor = zstandard.ZstdCompressor(level=LEVEL, threads=-1)
    return _stream_compressor


def stream_decompressor() -> zstandard.ZstdDecompressor:
    return _decompressor()
