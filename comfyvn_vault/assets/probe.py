"""Reading media metadata (and the thumbnail) before anything is written.

Images are decoded in full with Pillow, once: that is what proves a file is
not truncated, and the same decode yields the thumbnail. Decompression bombs
(more pixels than ``MAX_PIXELS``) are refused at the header, before any pixel
is decoded. WAV headers are read with the standard library and checked against
the file's size; other audio and video containers (OGG, MP3, FLAC, MP4, WebM)
through mutagen's header parsers. Nothing here reads a big file whole.

Any problem becomes an :class:`InputRejected` naming the file, so ``asset add``
exits 3 with one line and changes nothing.
"""

from __future__ import annotations

import io
import struct
import warnings
import wave
from pathlib import Path
from typing import Any, Final, NamedTuple

from comfyvn_vault.assets.detect import Sniffed, sniff_file
from comfyvn_vault.errors import InputRejected

MAX_PIXELS: Final = 89_478_485  # Pillow's own default warning threshold (~ 9459 x 9459)
THUMB_BOX: Final = (160, 160)
_NSFW_WORDS: Final = ("nsfw", "explicit", "nude", "nudity", "porn", "hentai", "r18", "r-18")
_LICENSE_KEYS: Final = ("license", "licence", "copyright", "rights", "usageterms")


class Probe(NamedTuple):
    """What a file turned out to be."""

    kind: str
    mime: str
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    nsfw_hint: bool = False
    license_hint: str | None = None
    thumbnail: bytes | None = None
    warning: str | None = None
    """One line for the user: the file's extension names another type than its bytes hold."""


def probe_file(path: Path, *, thumbnail: bool = True, strict: bool = False) -> Probe:
    """Kind, MIME type, dimensions or duration, metadata hints and a PNG thumbnail of ``path``.

    ``strict`` refuses a file whose extension names another type than its bytes hold.
    """
    sniffed = sniff_file(path, strict=strict)
    if sniffed.kind == "image":
        probe = _probe_image(path, sniffed, thumbnail)
    elif sniffed.mime == "audio/wav":
        probe = _probe_wav(path, sniffed)
    elif sniffed.kind in ("audio", "video"):
        probe = _probe_container(path, sniffed)
    else:
        probe = Probe(sniffed.kind, sniffed.mime)
    return probe._replace(warning=sniffed.warning) if sniffed.warning else probe


def _hints(info: dict[str, Any]) -> tuple[bool, str | None]:
    """NSFW flag and license from embedded text metadata (PNG text chunks, generator parameters)."""
    nsfw = False
    license_hint = None
    for key, value in info.items():
        if not isinstance(value, str):
            continue
        low_key, low = str(key).lower(), value.lower()
        flagged = low_key in ("nsfw", "rating") and low not in ("", "0", "false", "no", "safe", "general", "sfw")
        described = low_key in ("prompt", "parameters", "description", "comment") and any(w in low for w in _NSFW_WORDS)
        nsfw = nsfw or flagged or described
        if low_key in _LICENSE_KEYS and value.strip() and license_hint is None:
            license_hint = value.strip()[:120]
    return nsfw, license_hint


def _probe_image(path: Path, sniffed: Sniffed, thumbnail: bool) -> Probe:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise Image.DecompressionBombError(f"{width}x{height}")
                fmt_mime = Image.MIME.get(img.format or "", "")
                if fmt_mime and fmt_mime != sniffed.mime and not (fmt_mime == "image/apng"):
                    raise InputRejected(f"{path}: decodes as {fmt_mime}, not {sniffed.mime}")
                nsfw, license_hint = _hints({str(k): v for k, v in img.info.items()})
                if img.format == "JPEG" and thumbnail:
                    img.draft("RGB", (THUMB_BOX[0] * 2, THUMB_BOX[1] * 2))
                img.load()  # a full decode: truncated or corrupt data fails here
                thumb = _thumbnail_of(img) if thumbnail else None
    except InputRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputRejected(f"{path}: refused as a decompression bomb ({_size_of(exc)} pixels)") from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, MemoryError) as exc:
        raise InputRejected(f"{path}: not a readable {sniffed.mime} image ({_short(exc)})") from None
    return Probe(sniffed.kind, sniffed.mime, width, height, None, nsfw, license_hint, thumb)


def _size_of(exc: BaseException) -> str:
    text = str(exc)
    for token in text.replace("(", " ").replace(")", " ").split():
        if token.isdigit():
            return token
        if "x" in token and token.replace("x", "").isdigit():
            return token
    return "too many"


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


def _thumbnail_of(img: Any) -> bytes:
    """A PNG thumbnail that fits ``THUMB_BOX``, in RGB or RGBA."""
    alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    mode = "RGBA" if alpha else "RGB"
    small = img.convert(mode) if img.mode != mode else img.copy()
    small.thumbnail(THUMB_BOX)
    out = io.BytesIO()
    small.save(out, "PNG", compress_level=1)
    return out.getvalue()


def thumbnail_bytes(data: bytes) -> bytes | None:
    """A thumbnail of image bytes already in the vault (for a cache miss); None if they do not decode."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format == "JPEG":
                    img.draft("RGB", (THUMB_BOX[0] * 2, THUMB_BOX[1] * 2))
                img.load()
                return _thumbnail_of(img)
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, Image.DecompressionBombError, Warning):
        return None


def _probe_wav(path: Path, sniffed: Sniffed) -> Probe:
    size = path.stat().st_size
    try:
        with open(path, "rb") as f:
            data_size, data_at = _riff_data_chunk(f, size)
            f.seek(0)
            with wave.open(f, "rb") as w:
                channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
    except (wave.Error, EOFError, struct.error, ValueError) as exc:
        raise InputRejected(f"{path}: not a readable WAV file ({_short(exc)})") from None
    if data_at + data_size > size:
        raise InputRejected(f"{path}: truncated WAV ({size - data_at} of {data_size} audio bytes present)")
    frame = channels * width
    if rate <= 0 or frame <= 0:
        raise InputRejected(f"{path}: WAV header names {rate} Hz and {frame}-byte frames")
    duration_ms = (data_size // frame) * 1000 // rate
    return Probe(sniffed.kind, sniffed.mime, duration_ms=duration_ms)


def _riff_data_chunk(f: Any, size: int) -> tuple[int, int]:
    """Size and offset of a RIFF/WAVE file's ``data`` chunk, walking chunk headers only."""
    header = f.read(12)
    if len(header) < 12:
        raise EOFError("no RIFF header")
    at = 12
    while at + 8 <= size:
        f.seek(at)
        chunk = f.read(8)
        if len(chunk) < 8:
            break
        name, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if name == b"data":
            return length, at + 8
        at += 8 + length + (length & 1)
    raise EOFError("no data chunk (truncated?)")


def _parsers(mime: str) -> list[Any] | None:
    """The mutagen parsers for a sniffed type: the bytes decide, not the file name mutagen would score."""
    from mutagen import flac, mp3, mp4, oggflac, oggopus, oggspeex, oggtheora, oggvorbis

    by_mime: dict[str, list[Any]] = {
        "audio/flac": [flac.FLAC],
        "audio/mpeg": [mp3.MP3],
        "audio/ogg": [oggvorbis.OggVorbis, oggopus.OggOpus, oggflac.OggFLAC, oggspeex.OggSpeex, oggtheora.OggTheora],
        "audio/mp4": [mp4.MP4],
        "video/mp4": [mp4.MP4],
        "video/quicktime": [mp4.MP4],
    }
    return by_mime.get(mime)


def _probe_container(path: Path, sniffed: Sniffed) -> Probe:
    import mutagen

    try:
        found = mutagen.File(path, options=_parsers(sniffed.mime))
    except mutagen.MutagenError as exc:
        raise InputRejected(f"{path}: not a readable {sniffed.mime} file ({_short(exc)})") from None
    if found is None or getattr(found, "info", None) is None:
        raise InputRejected(f"{path}: not a readable {sniffed.mime} file (no stream header)")
    length = getattr(found.info, "length", None)
    duration_ms = round(length * 1000) if isinstance(length, int | float) and length >= 0 else None
    tags = {str(k): str(v) for k, v in (found.tags or {}).items()} if hasattr(found.tags, "items") else {}
    nsfw, license_hint = _hints(tags)
    return Probe(sniffed.kind, sniffed.mime, duration_ms=duration_ms, nsfw_hint=nsfw, license_hint=license_hint)
