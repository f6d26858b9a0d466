"""The working-copy file format: one TOML file per entity, stable key order.

``scenes/intro.toml`` holds the scene ``intro``: its id is the file name, so it
does not repeat inside. Fields appear in declaration order, maps sorted, and
defaults are left out, so a file written, read and written again is
byte-identical and a one-line edit is a one-line diff. Multi-line dialogue uses
TOML's triple-quoted strings.

Pure: text in, entity out (or a :class:`MalformedFile` naming the file and line).
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec

from comfyvn_vault.domain.entities import FOLDER_OF, TYPE_OF, Entity
from comfyvn_vault.domain.paths import id_problem
from comfyvn_vault.errors import InputRejected

SUFFIX: Final = ".toml"
TAG: Final = "_type"


class MalformedFile(InputRejected):
    """A working-copy file that does not parse or does not describe a valid entity."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")
        self.file, self.line = file, line


def file_of(path: str) -> str:
    """``scenes/intro`` → ``scenes/intro.toml``."""
    return path + SUFFIX


def path_of_file(rel: str) -> str | None:
    """``scenes/intro.toml`` → ``scenes/intro``; None for files that are not entity files."""
    if not rel.endswith(SUFFIX) or rel.count("/") != 1:
        return None
    folder, name = rel[: -len(SUFFIX)].split("/")
    if folder not in TYPE_OF or id_problem(name) is not None:
        return None
    return f"{folder}/{name}"


def render(entity: Entity) -> str:
    """The file text for an entity."""
    import tomli_w

    data: dict[str, Any] = msgspec.to_builtins(entity, order="deterministic")
    data.pop(TAG, None)
    data.pop("id", None)
    header = f"# {FOLDER_OF[type(entity)][:-1]} {entity.id}: edit freely; `comfyvn status` shows the changes\n"
    return header + tomli_w.dumps(data, multiline_strings=True)


_AT_LINE: Final = re.compile(r"\(at line (\d+), column \d+\)")
_PATH_PART: Final = re.compile(r"\.(\w+)|\[(\d+)\]")


def parse(rel: str, text: str) -> Entity:
    """The entity a working-copy file describes; raises :class:`MalformedFile`."""
    path = path_of_file(rel)
    if path is None:
        raise MalformedFile(rel, None, "not an entity file (expected <folder>/<id>.toml)")
    import tomllib

    folder, entity_id = path.split("/")
    kind = TYPE_OF[folder]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _AT_LINE.search(msg)
        raise MalformedFile(rel, int(m.group(1)) if m else None, _AT_LINE.sub("", msg).strip()) from None
    for reserved in ("id", TAG):
        if reserved in data:
            line = _line_of_key(text.splitlines(), 0, reserved)
            raise MalformedFile(rel, line, f"'{reserved}' comes from the file name; remove it")
    data["id"] = entity_id
    try:
        entity: Entity = msgspec.convert(data, kind, strict=True)
    except msgspec.ValidationError as exc:
        msg = str(exc)
        where, _, at = msg.partition(" - at `")
        at = at.rstrip("`")
        unknown = re.search(r"unknown field `(\w+)`", where)
        line = locate(text, at, unknown.group(1) if unknown else None)
        shown = at.removeprefix("$").lstrip(".")
        raise MalformedFile(rel, line, f"{shown}: {where}" if shown else where) from None
    return entity


def locate(text: str, json_path: str, key: str | None = None) -> int | None:
    """Best-effort line number of a msgspec error path like ``$.nodes[2].choices[0].target``."""
    lines = text.splitlines()
    parts = [(m.group(1), m.group(2)) for m in _PATH_PART.finditer(json_path.removeprefix("$"))]
    start = 0
    table = ""
    last_key = key
    for name, index in parts:
        if name is not None:
            table = f"{table}.{name}" if table else name
            last_key = name if key is None else key
            continue
        # An array element: find the index-th [[table]] header after start.
        header = f"[[{table}]]"
        seen = -1
        for i in range(start, len(lines)):
            if lines[i].strip() == header:
                seen += 1
                if seen == int(index):
                    start = i
                    break
        last_key = key
    if last_key is not None:
        found = _line_of_key(lines, start, last_key)
        if found is not None:
            return found
    return start + 1 if parts else None


def _line_of_key(lines: list[str], start: int, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i in range(start, len(lines)):
        if pattern.match(lines[i]):
            return i + 1
    return None
