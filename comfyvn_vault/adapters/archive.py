"""Reading what arrives from outside safely: zip archives, JSON, text.

Every importer that opens an archive or parses JSON goes through here, so the
checks are made once, for the whole class of hostile input:

* :class:`SafeZip` refuses a member whose name escapes the archive (``..``, an
  absolute or drive path, a backslash, a NUL), a symlink or any other
  non-regular member, more members than :data:`MAX_MEMBERS`, a member or an
  archive that inflates past its cap, and a compression ratio past
  :data:`MAX_RATIO` (a zip bomb). Sizes are checked while inflating, not
  trusted from the header; leading folders shared by every member can be
  stripped (``pack/manifest.json`` → ``manifest.json``).
* :func:`load_json` caps the size and the nesting depth before msgspec decodes.
* :func:`decode_text` takes UTF-8 only and caps the length of a line.

Each refusal is an :class:`~comfyvn_vault.errors.InputRejected` (exit 3) with
one line naming the source and the member.
"""

from __future__ import annotations

import io
import lzma
import os
import posixpath
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Final

import msgspec

from comfyvn_vault.errors import InputRejected

MAX_MEMBERS: Final = 100_000
MAX_MEMBER_BYTES: Final = 1 << 30
MAX_TOTAL_BYTES: Final = 4 << 30
#: Inflated ÷ compressed past which a member is a zip bomb (text rarely passes 20).
MAX_RATIO: Final = 200
#: Members this small are never judged by ratio (a few KB of zeros is not a bomb).
RATIO_FLOOR: Final = 1 << 20
MAX_JSON_BYTES: Final = 64 << 20
MAX_JSON_DEPTH: Final = 64
MAX_LINE_CHARS: Final = 1 << 20
_CHUNK: Final = 1 << 16


def member_name(raw: str, where: str = "the archive") -> str:
    """``raw`` as a safe relative POSIX path (``a/b.png``), or :class:`InputRejected`."""
    if not raw or "\0" in raw or "\\" in raw:
        raise InputRejected(f"{where}: unsafe member name {raw[:120]!r}")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise InputRejected(f"{where}: member {raw[:120]!r} has an absolute path")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise InputRejected(f"{where}: member {raw[:120]!r} leaves the archive")
    return "/".join(parts)


class SafeZip:
    """A zip archive whose regular members are read with every cap checked (see the module docstring).

    ``strip_common`` drops the leading folders every member shares, as packs made
    by zipping a folder have them.
    """

    def __init__(
        self,
        data: bytes | BinaryIO,
        where: str = "the archive",
        *,
        strip_common: bool = False,
        max_total: int = MAX_TOTAL_BYTES,
        max_member: int = MAX_MEMBER_BYTES,
    ) -> None:
        self.where = where
        self.max_member = max_member
        self.max_total = max_total
        self._inflated = 0
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
            infos = self._zip.infolist()
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            struct.error,
        ) as exc:
            raise InputRejected(f"{where}: not a readable zip archive ({exc})") from None
        if len(infos) > MAX_MEMBERS:
            raise InputRejected(f"{where}: more than {MAX_MEMBERS} members")
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = member_name(info.filename, where)
            mode = info.external_attr >> 16
            if info.is_dir():
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits: a plain file (zipfile's own)
                kind = "a symlink" if stat.S_ISLNK(mode) else "not a regular file"
                raise InputRejected(f"{where}: member {name!r} is {kind}")
            if info.flag_bits & 0x1:
                raise InputRejected(f"{where}: member {name!r} is encrypted")
            if info.file_size > max_member:
                raise InputRejected(f"{where}: member {name!r} would inflate past {max_member} bytes")
            if name in members:
                raise InputRejected(f"{where}: member {name!r} appears twice")
            members[name] = info
        self._members = _strip(members) if strip_common else members

    def names(self) -> list[str]:
        """The regular members' safe names, sorted."""
        return sorted(self._members)

    def __contains__(self, name: str) -> bool:
        return name in self._members

    def read(self, name: str) -> bytes:
        """The bytes of member ``name``, inflated under the caps."""
        return b"".join(self.chunks(name))

    def chunks(self, name: str) -> Iterator[bytes]:
        """Member ``name`` in pieces, each counted against the caps as it is inflated."""
        info = self._members.get(name)
        if info is None:
            raise InputRejected(f"{self.where}: no member {name!r}")
        size = 0
        try:
            with self._zip.open(info) as f:
                while part := f.read(_CHUNK):
                    size += len(part)
                    self._inflated += len(part)
                    if size > self.max_member:
                        raise InputRejected(f"{self.where}: member {name!r} inflates past {self.max_member} bytes")
                    if self._inflated > self.max_total:
                        raise InputRejected(f"{self.where}: the archive inflates past {self.max_total} bytes")
                    if size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
                        raise InputRejected(f"{self.where}: member {name!r} inflates {MAX_RATIO}x past its size")
                    yield part
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            NotImplementedError,
            ValueError,
            zlib.error,
            lzma.LZMAError,
            struct.error,
        ) as exc:
            raise InputRejected(f"{self.where}: member {name!r} does not inflate ({exc})") from None


class FolderFiles:
    """The regular files under a folder, read with the same confinement and caps as :class:`SafeZip`.

    Symlinks are not followed (a link inside a game folder could name any file on
    the machine); a file that changes type between listing and reading is refused.
    """

    def __init__(self, root: Path, where: str = "", *, max_member: int = MAX_MEMBER_BYTES) -> None:
        self.root = root
        self.where = where or str(root)
        self.max_member = max_member
        if not root.is_dir():
            raise InputRejected(f"{self.where}: not a folder")
        found: list[str] = []
        for folder, dirs, files in os.walk(root, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder, name)
                if path.is_symlink() or not path.is_file():
                    continue
                found.append(member_name(path.relative_to(root).as_posix(), self.where))
                if len(found) > MAX_MEMBERS:
                    raise InputRejected(f"{self.where}: more than {MAX_MEMBERS} files")
        self._names = sorted(found)
        self._known = frozenset(found)

    def names(self) -> list[str]:
        return list(self._names)

    def __contains__(self, name: str) -> bool:
        return name in self._known

    def read(self, name: str) -> bytes:
        if name not in self._known:
            raise InputRejected(f"{self.where}: no file {name!r}")
        path = self.root / name
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            raise InputRejected(f"{self.where}: cannot read {name!r} ({exc.strerror or exc})") from None
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise InputRejected(f"{self.where}: {name!r} is not a regular file")
            data = f.read(self.max_member + 1)
        if len(data) > self.max_member:
            raise InputRejected(f"{self.where}: {name!r} is over {self.max_member} bytes")
        return data


def _strip(members: dict[str, zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    names = list(members)
    if not names:
        return members
    common = posixpath.commonpath(names) if len(names) > 1 else posixpath.dirname(names[0])
    if not common or common in members:
        return members
    cut = len(common) + 1
    return {name[cut:]: info for name, info in members.items()}


def load_json(data: bytes, where: str, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value in ``data``, refused when it is too large, too deeply nested or not JSON."""
    if len(data) > max_bytes:
        raise InputRejected(f"{where}: over {max_bytes} bytes of JSON")
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise InputRejected(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputRejected(f"{where}: JSON nested deeper than {max_depth} levels") from None
    # Nesting needs an opening bracket per level: a value with few brackets is not walked (JSONL lines).
    if data.count(b"[") + data.count(b"{") > max_depth and json_depth(value) > max_depth:
        raise InputRejected(f"{where}: JSON nested deeper than {max_depth} levels")
    return value


def json_depth(value: Any) -> int:
    """How deeply the lists and dicts of a decoded JSON value nest (a scalar is 0)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def decode_text(data: bytes, where: str, *, max_line: int = MAX_LINE_CHARS) -> str:
    """``data`` as UTF-8 text (a BOM dropped), refused when it is not UTF-8 or has a line past ``max_line``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputRejected(f"{where}: not UTF-8 text (byte {exc.start})") from None
    start = 0
    while True:
        end = text.find("\n", start)
        stop = len(text) if end < 0 else end
        if stop - start > max_line:
            line = text.count("\n", 0, start) + 1
            raise InputRejected(f"{where}: line {line} is longer than {max_line} characters")
        if end < 0:
            return text
        start = end + 1


__all__ = ["FolderFiles", "SafeZip", "decode_text", "json_depth", "load_json", "member_name"]
