"""Real media files for the asset tests: PNG and JPEG by Pillow, WAV by ``wave``, and broken ones."""

from __future__ import annotations

import struct
import wave
import zlib
from pathlib import Path

from PIL import Image, PngImagePlugin


def png(path: Path, size: tuple[int, int] = (96, 64), color: tuple[int, int, int] = (200, 30, 30), **text: str) -> Path:
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    Image.new("RGB", size, color).save(path, "PNG", pnginfo=info)
    return path


def jpeg(path: Path, size: tuple[int, int] = (80, 60), color: tuple[int, int, int] = (20, 160, 40)) -> Path:
    Image.new("RGB", size, color).save(path, "JPEG", quality=90)
    return path


def wav(path: Path, seconds: float = 0.5, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x10" * int(rate * seconds))
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A tiny PNG whose header claims 10^10 pixels: a decompression bomb (never decoded)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return path


def truncated(source: Path, path: Path, keep: float = 0.6) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def flac(path: Path, seconds: float = 0.5, rate: int = 8000) -> Path:
    """A FLAC stream header (STREAMINFO only): what the probe reads of a FLAC file."""
    total = int(rate * seconds)
    bits = (rate << 44) | (0 << 41) | (15 << 36) | total  # mono, 16 bits per sample
    info = struct.pack(">HH", 4096, 4096) + b"\x00" * 6 + bits.to_bytes(8, "big") + b"\x00" * 16
    path.write_bytes(b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info)
    return path


def image(path: Path, fmt: str, size: tuple[int, int] = (48, 32)) -> Path:
    """An image in any format Pillow writes (PNG, JPEG, GIF, WEBP, BMP, TIFF)."""
    Image.new("RGB", size, (90, 60, 200)).save(path, fmt)
    return path
