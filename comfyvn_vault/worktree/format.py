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
from collections.abc import Iterator
from typing import Any, Final

import msgspec

from comfyvn_vault.domain.entities import FOLDER_OF, TYPE_OF, Entity
from comfyvn_vault.domain.paths import id_problem
from comfyvn_vault.domain.validate import check_entity_shape
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
    return header + "".join(_table(tomli_w.dumps, "", data))


def _table(dumps: Any, name: str, data: dict[str, Any]) -> Iterator[str]:
    """TOML for one table whose lists of tables are always ``[[name]]`` sections.

    tomli_w picks inline ``{ ... }`` or ``[[...]]`` by line length, so one long
    line would reshape every node of a scene; here the shape never depends on content.
    """
    literals = {k: v for k, v in data.items() if not isinstance(v, dict) and not _is_tables(v)}
    if literals:
        yield dumps(literals, multiline_strings=True)
    for key, value in data.items():
        if key in literals:
            continue
        full = f"{name}.{_key(dumps, key)}" if name else _key(dumps, key)
        for item in value if isinstance(value, list) else [value]:
            yield f"\n[[{full}]]\n" if isinstance(value, list) else f"\n[{full}]\n"
            yield from _table(dumps, full, item)


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(dumps: Any, key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else str(dumps({key: 0})).rsplit(" = ", 1)[0]


_AT_LINE: Final = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")
_PATH_PART: Final = re.compile(r"\.(\w+)|\[(\d+)\]")

#: tomllib's messages, as sentences that say what to do (the first match wins; the rest pass through).
_TOML_HINTS: Final = tuple(
    (re.compile(pattern), hint)
    for pattern, hint in (
        (
            r"Cannot mutate immutable namespace (.+)",
            "{0} was already given in full above ({0} = ...), so it cannot "
            "be extended here; add to that value, or write all of it as [[{0}]] or [{0}] sections",
        ),
        (r"Cannot declare (.+) twice", "[{0}] appears twice; merge the two sections into one"),
        (r"Cannot redefine namespace (.+)", "{0} is already a value or a table above; use another name"),
        (r"Cannot overwrite a value", "this key is already set above; keep only one of the two lines"),
        (r"Duplicate inline table key (.+)", "key {0} appears twice inside {{ ... }}; keep only one"),
        (r"Expected '=' after a key in a key/value pair", "expected '=' after the key: write key = value"),
        (r"Expected '\]' at the end of a table declaration", "close the [section] header with ']'"),
        (r"Expected '\]\]' at the end of an array declaration", "close the [[section]] header with ']]'"),
        (
            r"Invalid initial character for a key part",
            "a key starts with a letter, digit, '_' or '-', or is quoted",
        ),
        (r"Invalid statement", "not a key = value line or a [section] header; quote text values"),
        (r"Unclosed array", "a [ ... ] list is not closed: add the missing ']' (and a ',' between items)"),
        (r"Unclosed inline table", "a {{ ... }} table is not closed: add the missing '}}' (it must end on its line)"),
        (r"Unterminated string", 'a string is not closed: add the closing quote (""" ... """ spans lines)'),
        (r"Unescaped '\\' in a string", "write a backslash in a \"...\" string as \\\\ (or use '...' quotes)"),
        (
            r"Invalid hex value|Escaped character is not a Unicode scalar value",
            "a \\u or \\U escape needs 4 or 8 hex digits of a real character",
        ),
        (
            r"Illegal character '\\n'",
            'a string is not closed on its line: add the closing quote (""" ... """ spans lines)',
        ),
        (r"Illegal character (.+)", "the character {0} is not allowed here; escape it or remove it"),
        (r"Invalid date or datetime", "not a valid date; put the value in quotes if it is text"),
        (r"Invalid value", "not a valid value: put text in quotes; numbers, true/false and [lists] go bare"),
        (r"Found invalid character (.+)", "unexpected character {0}; check the quotes and brackets"),
    )
)


def _hint(message: str) -> str:
    for pattern, hint in _TOML_HINTS:
        m = pattern.fullmatch(message)
        if m:
            # tomllib names keys as tuples: ('nodes', 'choices') → nodes.choices
            return hint.format(*(".".join(re.findall(r"'([^']*)'", g)) or g for g in m.groups()))
    return message


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
        line = (int(m.group(1)) if m.group(1) else text.count("\n") + 1) if m else None
        raise MalformedFile(rel, line, _hint(_AT_LINE.sub("", msg).strip())) from None
    except RecursionError:
        raise MalformedFile(rel, None, "values nested too deeply ([[[... or {{{...); an entity file is flat") from None
    for reserved in ("id", TAG):
        if reserved in data:
            line = _line_of_key(text.splitlines(), 0, reserved)
            raise MalformedFile(rel, line, f"'{reserved}' comes from the file name; remove it")
    data["id"] = entity_id
    try:
        entity: Entity = msgspec.convert(data, kind, strict=True)
    except RecursionError:
        raise MalformedFile(rel, None, "values nested too deeply; an entity file is flat") from None
    except msgspec.ValidationError as exc:
        msg = str(exc)
        where, _, at = msg.partition(" - at `")
        at = at.rstrip("`")
        unknown = re.search(r"unknown field `(\w+)`", where)
        line = locate(text, at, unknown.group(1) if unknown else None)
        shown = at.removeprefix("$").lstrip(".")
        raise MalformedFile(rel, line, f"{shown}: {where}" if shown else where) from None
    try:
        check_entity_shape(entity)  # an id no event could carry makes the file unreadable, not the verb
    except InputRejected as exc:
        raise MalformedFile(rel, None, exc.message) from None
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
