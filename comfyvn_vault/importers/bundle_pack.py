"""Reading a ComfyVN studio pack: what files it holds and which of them are story documents or assets.

Two layouts, both as a zip (``.cvnpack``/``.zip``, a leading folder shared by
every member stripped) or as a folder:

* a **studio pack**: ``manifest.json`` (``id``, ``title``, ``engine``,
  ``licenses``) beside ``scenes/``, ``characters/``, ``timelines/`` (JSON
  documents, also any ``character.json``) and ``assets/`` (media);
* a **``comfyvn-pack@1``** folder: ``manifest.json`` with ``"schema":
  "comfyvn-pack@1"`` listing ``assets``, ``text`` and ``raw`` entries, each
  ``{"path", "sha1"}`` (assets may add ``license``, ``nsfw``, ``tags``); every
  SHA-1 is checked against the bytes before anything is planned.

:func:`read_pack` returns a :class:`Pack`: the manifest, the JSON documents by
path (decoded with the size and depth caps of :mod:`comfyvn_vault.adapters.archive`)
and the asset files with what the manifest says about them. Reading is pure:
it works on the bytes or :class:`~comfyvn_vault.adapters.importer.SourceFiles`
it is handed.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final, NamedTuple

import msgspec

from comfyvn_vault.adapters.archive import SafeZip, load_json
from comfyvn_vault.adapters.importer import Source, SourceFiles
from comfyvn_vault.errors import InputRejected

PACK_SCHEMA: Final = "comfyvn-pack@1"
MAX_PACK_BYTES: Final = 4 << 30
DOCUMENT_FOLDERS: Final = ("scenes", "characters", "timelines")
MEDIA_FOLDER: Final = "assets"
#: File extensions and the MIME type they name (a pack's media are named by what they are).
MIME_OF: Final[dict[str, str]] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "ogg": "audio/ogg",
    "opus": "audio/opus",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "txt": "text/plain",
    "md": "text/markdown",
    "json": "application/json",
    "rpy": "text/plain",
}


class MediaFile(msgspec.Struct, frozen=True):
    """One asset file of a pack and what the manifest says about it."""

    path: str
    data: bytes
    license: str | None = None
    nsfw: bool = False
    tags: list[str] = []
    raw: bool = False
    """A ``raw`` entry: kept byte for byte as an ``other`` asset."""

    @property
    def mime(self) -> str:
        if self.raw:
            return "application/octet-stream"
        return MIME_OF.get(self.path.rsplit(".", 1)[-1].lower(), "application/octet-stream")


class Pack(msgspec.Struct, frozen=True):
    """A pack as read: its manifest, its JSON documents by path, its media."""

    manifest: dict[str, Any]
    documents: dict[str, Any]
    media: list[MediaFile]
    layout: str
    """``studio`` or ``comfyvn-pack@1``."""
    source_bytes: bytes
    """What the import keeps as its source: the zip itself, or a folder's manifest."""


def open_files(source: Source) -> tuple[SourceFiles, bytes]:
    """The files of ``source`` (a folder's, or a zip's) and the bytes to keep as the source."""
    if source.files is not None:
        return source.files, b""
    data = source.read(MAX_PACK_BYTES)
    if not data.startswith(b"PK"):
        raise InputRejected(f"{source.name or 'the source'}: not a pack (a .cvnpack or .zip, or a folder)")
    return SafeZip(data, source.name or "the pack", strip_common=True), data


class Opened(NamedTuple):
    """A pack or bundle opened: its files, the bytes to keep as the source, and ``manifest.json``."""

    files: SourceFiles
    kept: bytes
    manifest: dict[str, Any]
    manifest_bytes: bytes


def open_pack(source: Source) -> Opened:
    """Open ``source`` and read its ``manifest.json``, to tell what it is before reading the rest."""
    where = source.name or "the pack"
    files, kept = open_files(source)
    if "manifest.json" not in set(files.names()):
        raise InputRejected(f"{where}: no manifest.json (is it a ComfyVN pack?)")
    manifest_bytes = files.read("manifest.json")
    manifest = load_json(manifest_bytes, f"{where}: manifest.json")
    if not isinstance(manifest, dict):
        raise InputRejected(f"{where}: manifest.json is not a JSON object")
    return Opened(files, kept, manifest, manifest_bytes)


def read_pack(source: Source, opened: Opened | None = None) -> Pack:
    """Read ``source`` as a pack (see the module docstring); :class:`InputRejected` for anything malformed."""
    where = source.name or "the pack"
    files, kept, manifest, manifest_bytes = opened or open_pack(source)
    names = set(files.names())
    if manifest.get("schema") == PACK_SCHEMA:
        documents, media = _listed(files, names, manifest, where)
        layout = PACK_SCHEMA
    elif "schema" in manifest and manifest["schema"] is not None:
        raise InputRejected(f"{where}: manifest.json has schema {str(manifest['schema'])[:60]!r}, not {PACK_SCHEMA!r}")
    else:
        documents, media = _studio(files, sorted(names), manifest, where)
        layout = "studio"
    return Pack(manifest, documents, media, layout, kept or manifest_bytes)


def _studio(
    files: SourceFiles, names: list[str], manifest: dict[str, Any], where: str
) -> tuple[dict[str, Any], list[MediaFile]]:
    licenses = _licenses(manifest.get("licenses"), where)
    documents: dict[str, Any] = {}
    media: list[MediaFile] = []
    for name in names:
        folder = name.split("/", 1)[0]
        if name.endswith(".json") and (folder in DOCUMENT_FOLDERS or name.rsplit("/", 1)[-1] == "character.json"):
            documents[name] = load_json(files.read(name), f"{where}: {name}")
        elif folder == MEDIA_FOLDER:
            media.append(MediaFile(name, files.read(name), license=licenses.get(name, licenses.get("*"))))
    return documents, media


def _licenses(value: object, where: str) -> dict[str, str]:
    """The manifest's ``licenses``: one for every asset (``"*"``), or by asset path."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"*": value}
    if isinstance(value, list):
        out: dict[str, str] = {}
        for item in value:
            if isinstance(item, str):
                out.setdefault("*", item)
            elif isinstance(item, dict) and isinstance(item.get("license"), str):
                path = item.get("path") or item.get("asset") or "*"
                out[str(path)] = item["license"]
            else:
                raise InputRejected(f"{where}: manifest.json: a licenses entry is not a string or {{path, license}}")
        return out
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    raise InputRejected(f"{where}: manifest.json: licenses is not a string, a list or a map of strings")


def _listed(
    files: SourceFiles, names: set[str], manifest: dict[str, Any], where: str
) -> tuple[dict[str, Any], list[MediaFile]]:
    documents: dict[str, Any] = {}
    media: list[MediaFile] = []
    for section in ("assets", "text", "raw"):
        entries = manifest.get(section, [])
        if not isinstance(entries, list):
            raise InputRejected(f"{where}: manifest.json: {section!r} is not a list")
        for i, entry in enumerate(entries):
            at = f"{where}: manifest.json {section}[{i}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                raise InputRejected(f"{at}: not an object with a path")
            path = entry["path"].strip("/")
            if path not in names:
                raise InputRejected(f"{at}: {path[:120]!r} is not in the pack")
            data = files.read(path)
            want = entry.get("sha1")
            if not isinstance(want, str) or hashlib.sha1(data).hexdigest() != want.lower():
                raise InputRejected(f"{at}: {path[:120]!r} does not match its sha1")
            if section == "text":
                documents[path] = load_json(data, f"{where}: {path}") if path.endswith(".json") else data
            else:
                tags = entry.get("tags", [])
                media.append(
                    MediaFile(
                        path,
                        data,
                        license=entry.get("license") if isinstance(entry.get("license"), str) else None,
                        nsfw=entry.get("nsfw") is True,
                        tags=[t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
                        raw=section == "raw",
                    )
                )
    return documents, media


__all__ = ["PACK_SCHEMA", "MediaFile", "Opened", "Pack", "open_files", "open_pack", "read_pack"]
