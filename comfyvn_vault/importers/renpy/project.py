"""What a Ren'Py source holds: its files by name under ``game/``, from a folder, an archive or one script.

A source is one of:

* a **project folder** (``source.files``): the folder holding ``game/``, or
  the ``game`` folder itself (it has ``.rpy`` or ``.rpa`` files at its top),
  or a folder with exactly one ``*/game/`` inside. Files outside ``game/``
  (launchers, the engine of a built game, icons) are not read. Archives
  (``.rpa``) under ``game/`` are opened, and their members are files of the
  game as Ren'Py sees them: a loose file wins over an archive member of the
  same name, and among archives the one whose name sorts last wins, as in
  Ren'Py's loader. The source the import points back to is a **manifest**:
  one line per file under ``game/`` (sorted by name) with the BLAKE3 id of its
  bytes, so the lineage names every byte that was there.
* an **archive** alone (``source.content`` is an ``.rpa``): its members are
  the game's files; the archive itself is the source.
* a **script** alone (any other bytes): ``game/<its name>``; it is the source.

Every file is named ``game/<path>``; :class:`Project` holds their bytes and
what holds them (the folder, or the archive), which is what an imported
asset's ``source`` names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from comfyvn_vault.adapters.importer import Source
from comfyvn_vault.domain.assets import AssetKind
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.renpy.rpa import RpaArchive, is_rpa
from comfyvn_vault.store.ids import hash_bytes

MAX_ARCHIVE_BYTES: Final = 2 << 30
MAX_PROJECT_BYTES: Final = 4 << 30
GAME: Final = "game/"
MANIFEST_HEADER: Final = "# comfyvn renpy manifest 1: BLAKE3 id and name of each file under game/\n"

MEDIA: Final[dict[str, tuple[AssetKind, str]]] = {
    "png": ("image", "image/png"),
    "jpg": ("image", "image/jpeg"),
    "jpeg": ("image", "image/jpeg"),
    "webp": ("image", "image/webp"),
    "gif": ("image", "image/gif"),
    "bmp": ("image", "image/bmp"),
    "avif": ("image", "image/avif"),
    "svg": ("image", "image/svg+xml"),
    "ogg": ("audio", "audio/ogg"),
    "opus": ("audio", "audio/opus"),
    "mp3": ("audio", "audio/mpeg"),
    "wav": ("audio", "audio/wav"),
    "flac": ("audio", "audio/flac"),
    "m4a": ("audio", "audio/mp4"),
    "webm": ("video", "video/webm"),
    "ogv": ("video", "video/ogg"),
    "mp4": ("video", "video/mp4"),
    "mkv": ("video", "video/x-matroska"),
    "avi": ("video", "video/x-msvideo"),
}
AUTOMATIC_IMAGES: Final = frozenset({"png", "jpg", "jpeg", "webp"})
"""The files Ren'Py 8.0 defines an image for by itself when they are under ``game/images/``."""
SCRIPT_MIME: Final = "text/x-renpy"
ARCHIVE_MIME: Final = "application/x-renpy-archive"


def extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


@dataclass
class Project:
    """The game's files (``game/...`` → bytes), where each came from, and the bytes that stand for the source."""

    files: dict[str, bytes] = field(default_factory=dict)
    container: dict[str, str] = field(default_factory=dict)
    source: bytes = b""
    source_kind: AssetKind = "other"
    source_mime: str = "application/octet-stream"
    notes: list[tuple[str, str]] = field(default_factory=list)
    """``(message, where)``."""

    def add(self, name: str, data: bytes, container: str) -> None:
        """Add a file unless one of that name came first (a loose file, or an earlier archive)."""
        if name not in self.files:
            self.files[name] = data
            self.container[name] = container


def read_project(source: Source, where: str) -> Project:
    """The project ``source`` is (see the module docstring)."""
    if source.files is not None:
        return _folder(source.files.names(), source.files.read, where)
    data = source.read(MAX_ARCHIVE_BYTES)
    project = Project(source=data)
    if is_rpa(data):
        project.source_kind, project.source_mime = "other", ARCHIVE_MIME
        archive = RpaArchive(data, where)
        _members(project, archive, where)
        return project
    project.source_kind, project.source_mime = "text", SCRIPT_MIME
    base = source.name.replace("\\", "/").rsplit("/", 1)[-1] or "script.rpy"
    project.add(GAME + base, data, where)
    return project


def _root(names: list[str], where: str) -> tuple[str, str]:
    """``(prefix the game folder has in names, prefix its files get)``: ``("game/", "game/")`` for a project folder."""
    if any(n.startswith(GAME) for n in names):
        return GAME, GAME
    if any("/" not in n and extension(n) in ("rpy", "rpa") for n in names):
        return "", GAME
    roots = sorted({n[: n.index("/game/") + 6] for n in names if "/game/" in n and extension(n) in ("rpy", "rpa")})
    shallow = [r for r in roots if not any(o != r and r.startswith(o) for o in roots)]
    if len(shallow) == 1:
        return shallow[0], GAME
    if shallow:
        raise InputRejected(f"{where}: several Ren'Py projects ({', '.join(r[:-1] for r in shallow[:3])}): import one")
    raise InputRejected(f"{where}: no Ren'Py project here (no game/ folder with .rpy or .rpa files)")


def _folder(names: list[str], read: Callable[[str], bytes], where: str) -> Project:
    prefix, canonical = _root(names, where)
    project = Project(source_kind="text", source_mime="text/plain")
    inside = [n for n in names if n.startswith(prefix)]
    outside = len(names) - len(inside)
    if outside:
        project.notes.append((f"{outside} file(s) outside the game folder not read", ""))
    lines: list[str] = [MANIFEST_HEADER]
    archives: list[tuple[str, bytes]] = []
    total = 0
    for name in inside:
        data = read(name)
        total += len(data)
        if total > MAX_PROJECT_BYTES:
            raise InputRejected(f"{where}: the game folder is over {MAX_PROJECT_BYTES} bytes")
        game_name = canonical + name[len(prefix) :]
        lines.append(_manifest_line(hash_bytes(data).hex(), game_name))
        if extension(name) == "rpa":
            archives.append((game_name, data))
        else:
            project.add(game_name, data, where)
    project.source = "".join(lines).encode("utf-8")
    for game_name, data in sorted(archives, reverse=True):
        label = f"{where}/{game_name}" if where else game_name
        _members(project, RpaArchive(data, label), label)
    return project


def _members(project: Project, archive: RpaArchive, where: str) -> None:
    for member in archive.names():
        project.add(GAME + member, archive.read(member), where)


def _manifest_line(hex_id: str, name: str) -> str:
    """``<id>  <name>``; a name with a newline or backslash is escaped and the line starts with ``\\`` (as b3sum)."""
    if any(c in name for c in "\\\n\r"):
        escaped = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return f"\\{hex_id}  {escaped}\n"
    return f"{hex_id}  {name}\n"
