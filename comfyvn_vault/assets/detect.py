"""What a file is: its kind and MIME type from its first bytes, checked against its extension.

The content decides, never the name. A file whose extension names one media
type but whose bytes are another known one (a ``.png`` holding JPEG bytes, as
card exports, generator outputs and downloads often are) is taken for what it
holds, with a one-line warning; ``strict`` refuses it instead (exit 3). A file
named as media whose bytes are no known media at all (a ``.wav`` holding text)
is refused either way. Files whose extension names no media type and whose
bytes match no known signature are kept as ``text`` (valid UTF-8 in the first
8 KiB) or ``other``: the registry stores any file, it only refuses lies.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final, NamedTuple

from comfyvn_vault.domain.assets import AssetKind
from comfyvn_vault.errors import InputRejected

HEAD_BYTES: Final = 8192


class Sniffed(NamedTuple):
    kind: AssetKind
    mime: str
    warning: str | None = None
    """Set when the extension names another type than the bytes hold (the bytes won)."""


_EXTENSIONS: Final[dict[str, str]] = {
    ".png": "image/png",
    ".apng": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".wav": "audio/wav",
    ".wave": "audio/wav",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
}


def _sniff(head: bytes) -> str | None:
    """The MIME type a file's first bytes announce, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    return None


def _sniff_weak(head: bytes, claimed: str) -> str | None:
    """Two-byte signatures random data can show by chance: believed only when the extension names media.

    The extension's own type is tried first; the probe that follows decodes
    the file, so a chance match is refused there.
    """
    weak = {
        "audio/mpeg": len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0,
        "image/bmp": head[:2] == b"BM",
    }
    if weak.get(claimed):
        return claimed
    return next((mime for mime, seen in weak.items() if seen), None)


def safe_name(text: str) -> str:
    """``text`` as valid Unicode: a file name that is not UTF-8 shows each stray byte as ``\\xNN``.

    POSIX file names are bytes; Python hands a name that is not UTF-8 over
    with its stray bytes as lone surrogates (PEP 383), which no encoder, the
    store's included, accepts. Such a name keeps every character it has, its
    backslashes doubled and its stray bytes written ``\\xNN``, so no byte is
    lost and the original bytes can be read back from it. A UTF-8 name is
    returned as it is.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = os.fsencode(text).replace(b"\\", b"\\\\")
        return raw.decode("utf-8", "backslashreplace")


def kind_of(mime: str) -> AssetKind:
    top = mime.split("/", 1)[0]
    if top in ("image", "audio", "video", "text"):
        return top  # type: ignore[return-value]
    return "other"


def _compatible(claimed: str, actual: str) -> bool:
    if claimed == actual:
        return True
    # An .mp4 may hold audio only, an .m4a is MP4 audio, Matroska and WebM share a container.
    same_container = {"video/mp4", "audio/mp4", "video/quicktime"}
    if claimed in same_container and actual in same_container:
        return True
    return {claimed, actual} <= {"video/webm", "video/x-matroska"}


def sniff_file(path: Path, *, strict: bool = False) -> Sniffed:
    """Kind and MIME type of ``path`` from its content (see the module doc for a name that disagrees)."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as exc:
        raise InputRejected(f"{path}: cannot read ({exc.strerror or exc})") from None
    claimed = _EXTENSIONS.get(path.suffix.lower())
    actual = _sniff(head) or (_sniff_weak(head, claimed) if claimed else None)
    if claimed is not None:
        if actual is None:
            raise InputRejected(f"{path}: named {path.suffix} but its bytes are not {claimed} (wrong extension?)")
        if not _compatible(claimed, actual):
            if strict:
                raise InputRejected(f"{path}: named {path.suffix} but holds {actual} data (wrong extension)")
            warning = f"warning: {path}: named {path.suffix} but holds {actual} data; recorded as {actual}"
            return Sniffed(kind_of(actual), actual, warning)
    if actual is not None:
        return Sniffed(kind_of(actual), actual)
    if not head:
        return Sniffed("other", "application/octet-stream")
    try:
        head.decode("utf-8")
        text = b"\x00" not in head
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the sample's end is still text
        text = exc.start >= len(head) - 3 and b"\x00" not in head
    return Sniffed("text", "text/plain") if text else Sniffed("other", "application/octet-stream")
