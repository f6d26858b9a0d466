"""The working-copy file format: one TOML file per entity, stable key order.

``scenes/intro.toml`` holds the scene ``intro``: its id is the file name, so it
does not repeat inside. Fields appear in declaration order, maps sorted, and
defaults are left out, so a file written, read and written again is
byte-identical and a one-line edit is a one-line diff. Multi-line dialogue uses
TOML's triple-quoted strings.

Unresolved merge conflicts are marked in the file, as git and jj write
conflict markers, but so that the file stays valid TOML. A conflicted value is
replaced by a table naming the conflict and holding each side (a side that is
absent, or unset, is left out)::

    [nodes.content]
    conflict = "3f2a9c0d1e4b5a67"
    ours = "cold and dark again"
    theirs = "dark and wet with rain"
    base = "the lamp is dark again"

and a conflict about a whole node, choice, order of nodes or the whole entity
(the file keeps what the merge kept there) is listed at the end::

    [[conflicts]]
    conflict = "9a0b…"
    at = "nodes/n3"
    [conflicts.theirs]
    …

A marker left exactly as written keeps the conflict open (the file reads as
the committed value there). Replacing a marker by a value, or deleting a
``[[conflicts]]`` entry, resolves that conflict with what the file then holds
when it is committed. A marker whose sides were edited, a marker of a conflict
that is not open, or an edit at a place whose ``[[conflicts]]`` entry is still
there is refused with a sentence saying what to do.

Pure: text in, entity out (or a :class:`MalformedFile` naming the file and line).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any, Final

import msgspec

from comfyvn_vault.domain.conflicts import Conflict, plain
from comfyvn_vault.domain.entities import FOLDER_OF, TYPE_OF, Entity
from comfyvn_vault.domain.paths import id_problem
from comfyvn_vault.domain.validate import check_entity_shape
from comfyvn_vault.errors import InputRejected

SUFFIX: Final = ".toml"
TAG: Final = "_type"
MARK: Final = "conflict"
"""The key that makes a table a conflict marker."""
LISTED: Final = "conflicts"
"""The top-level array of markers for whole nodes, choices, orders of nodes and whole entities."""


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


def render(entity: Entity, conflicts: Sequence[Conflict] = ()) -> str:
    """The file text for an entity, with a marker for each of ``conflicts`` (its unresolved ones)."""
    import tomli_w

    data = _data(entity)
    marked = _marked(conflicts)
    listed = []
    for c in marked:
        spot = _value_spot(type(entity), data, c.locator, create=True)
        if spot is None:
            listed.append(_marker(c, listed=True))
        else:
            holder, key = spot
            holder[key] = _marker(c)
    if listed:
        data[LISTED] = listed
    header = f"# {FOLDER_OF[type(entity)][:-1]} {entity.id}: edit freely; `comfyvn status` shows the changes\n"
    if marked:
        header += (
            "# CONFLICT: unresolved merge conflicts are marked below as `conflict = ID` tables.\n"
            "# Replace each `conflict = ...` table by the value you want (or delete its [[conflicts]] entry)\n"
            "# and commit, or run `comfyvn resolve ID --ours|--theirs|--both|--value TEXT`.\n"
        )
    return header + "".join(_table(tomli_w.dumps, "", data))


def _data(entity: Entity) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(entity, order="deterministic")
    data.pop(TAG, None)
    data.pop("id", None)
    return data


def _marked(conflicts: Sequence[Conflict]) -> list[Conflict]:
    """The conflicts a file marks: not the word-merge reviews (their line is simply in place)."""
    return sorted((c for c in conflicts if not c.review), key=lambda c: c.locator)


def _marker(c: Conflict, listed: bool = False) -> dict[str, Any]:
    """The marker table of conflict ``c`` (absent and unset sides left out)."""
    out: dict[str, Any] = {MARK: c.id}
    if listed:
        out["at"] = c.locator or f"(the whole {c.path.split('/')[0][:-1]})"
    for name in ("ours", "theirs", "base"):
        value = _tomlable(plain(getattr(c, name)))
        if value is not None:
            out[name] = value
    return out


def _tomlable(value: Any) -> Any:
    """``value`` without ``None``s, which TOML cannot write (an unset value is left out)."""
    if isinstance(value, dict):
        return {k: _tomlable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_tomlable(v) for v in value if v is not None]
    return value


_MISSING: Final = object()


def _value_spot(kind: type[Any], data: dict[str, Any], locator: str, create: bool) -> tuple[Any, str] | None:
    """The table and key holding the value at ``locator`` in a file's data.

    ``None`` for a place that is not one value (a whole entity, node or choice,
    the order of nodes or choices) or that the data does not have; with
    ``create``, a map left out of the file because it was empty is added.
    """
    if not locator:
        return None
    from comfyvn_vault.domain.merge import Keyed, rule_of

    segments = locator.split("/")
    holder: Any = data
    while True:
        name, rest = segments[0], segments[1:]
        rule = rule_of(kind, name)
        if not rest:
            return None if isinstance(rule, Keyed) else (holder, name)
        if rule == "map":
            inner = holder.setdefault(name, {}) if create else holder.get(name, {})
            return (inner, "/".join(rest)) if isinstance(inner, dict) else None
        if not isinstance(rule, Keyed):
            return None
        items = holder.get(name, [])
        found = (
            next((x for x in items if isinstance(x, dict) and x.get("id") == rest[0]), None)
            if isinstance(items, list)
            else None
        )
        if found is None or len(rest) == 1:
            return None
        holder, kind, segments = found, rule.item, rest[1:]


def _unmark(
    rel: str,
    text: str,
    kind: type[Entity],
    data: dict[str, Any],
    committed: Entity | None,
    conflicts: Sequence[Conflict],
) -> tuple[list[Conflict], list[Conflict]]:
    """Take the markers out of a file's data: the ``[[conflicts]]`` entries left as written, and the
    conflicts whose marker is gone.

    A value marker left as written is replaced by the committed value there.
    """
    lines = text.splitlines()
    marked = {c.id: c for c in _marked(conflicts)}
    listed = data.pop(LISTED, [])
    if not isinstance(listed, list) or not all(isinstance(e, dict) and isinstance(e.get(MARK), str) for e in listed):
        raise MalformedFile(rel, _line_of_key(lines, 0, LISTED), "[[conflicts]] entries are conflict markers only")
    entries = {e[MARK]: e for e in listed}
    old = _data(committed) if committed is not None else {}
    still: list[Conflict] = []
    settled: list[Conflict] = []
    for c in marked.values():
        spot = _value_spot(kind, data, c.locator, create=False)
        at = spot[0].get(spot[1]) if spot is not None else entries.pop(c.id, None)
        if not (isinstance(at, dict) and at.get(MARK) == c.id):
            settled.append(c)
            continue
        if at != _marker(c, listed=spot is None):
            raise MalformedFile(
                rel,
                _line_of(lines, c.id),
                f"the conflict marker for {c.locator or c.path} ({c.id}) was edited; replace the whole marker by "
                f"the value you want, or throw the edit away with `comfyvn restore {rel}`",
            )
        if spot is None:
            still.append(c)
        else:
            holder, key = spot
            was = _value_spot(kind, old, c.locator, create=False)
            value = was[0].get(was[1], _MISSING) if was is not None else _MISSING
            if value is _MISSING:
                del holder[key]
            else:
                holder[key] = value
    for cid in entries:
        raise MalformedFile(rel, _line_of(lines, cid), _stray(cid))
    _no_stray_markers(rel, lines, data)
    return still, settled


def _stray(cid: str) -> str:
    return (
        f"conflict {cid} is marked here but is not an open conflict (resolved already?); "
        "replace its marker by the value you want"
    )


def _no_stray_markers(rel: str, lines: list[str], data: Any) -> None:
    """Refuse a marker left where no open conflict is (iterative: a file may nest deeply)."""
    stack: list[tuple[Any, bool]] = [(data, True)]
    while stack:
        node, top = stack.pop()
        if isinstance(node, dict):
            if not top and isinstance(node.get(MARK), str):
                raise MalformedFile(rel, _line_of(lines, node[MARK]), _stray(node[MARK]))
            stack.extend((v, False) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, False) for v in node)


def _line_of(lines: list[str], needle: str) -> int | None:
    return next((i + 1 for i, line in enumerate(lines) if needle in line and not line.startswith("#")), None)


def _table(dumps: Any, name: str, data: dict[str, Any], out: list[str] | None = None) -> list[str]:
    """TOML for one table whose lists of tables are always ``[[name]]`` sections, appended to ``out``.

    tomli_w picks inline ``{ ... }`` or ``[[...]]`` by line length, so one long
    line would reshape every node of a scene; here the shape never depends on content.
    """
    out = [] if out is None else out
    literals: dict[str, Any] = {}
    tables: list[tuple[str, Any]] = []
    for key, value in data.items():
        if type(value) is dict or _is_tables(value):
            tables.append((key, value))
        else:
            literals[key] = value
    if literals:
        out.append(literal_lines(dumps, literals))
    for key, value in tables:
        full = f"{name}.{_key(dumps, key)}" if name else _key(dumps, key)
        if type(value) is dict:
            out.append(f"\n[{full}]\n")
            _table(dumps, full, value, out)
        else:
            header = f"\n[[{full}]]\n"
            for item in value:
                out.append(header)
                _table(dumps, full, item, out)
    return out


#: A string tomli_w writes as it is between quotes: no quote, backslash or control character (a tab is fine).
_PLAIN: Final = re.compile(r'[^"\\\x00-\x08\x0a-\x1f\x7f]*')
_BARE: Final = re.compile(r"[A-Za-z0-9_-]+")


def _plain(text: str) -> bool:
    """Whether tomli_w writes ``text`` as it is between quotes (:data:`_PLAIN`); most lines pass the C-speed test."""
    if text.isprintable():  # no control character at all (the few printable-but-odd ones go to the pattern)
        return '"' not in text and "\\" not in text
    return _PLAIN.fullmatch(text) is not None


@functools.lru_cache(maxsize=1024)
def _bare(key: str) -> bool:
    return _BARE.fullmatch(key) is not None


def literal_lines(dumps: Any, literals: dict[str, Any]) -> str:
    """``dumps(literals, multiline_strings=True)``, written directly when every value is a plain string, an int,
    a bool or a list of those under a bare key (most lines of a story): the same text, without tomli_w's
    per-character loop."""
    out = []
    for key, value in literals.items():
        if not _bare(key):
            return _dumped(dumps, literals)
        if type(value) is list:
            items = [_scalar(v) for v in value]
            if None in items:
                return _dumped(dumps, literals)
            out.append(
                f"{key} = [\n" + "".join(f"    {item},\n" for item in items) + "]\n" if items else f"{key} = []\n"
            )
            continue
        text = _scalar(value)
        if text is None:
            return _dumped(dumps, literals)
        out.append(f"{key} = {text}\n")
    return "".join(out)


def _dumped(dumps: Any, literals: dict[str, Any]) -> str:
    """tomli_w's text for ``literals``, multi-line strings and all, except for a value holding a CRLF line
    break: tomli_w writes ``\r\n`` in a multi-line string as a bare line break (LF), so such a value is
    written on one line, its ``\r\n`` escaped, and reads back exactly."""
    if not any(_has_crlf(v) for v in literals.values()):
        return str(dumps(literals, multiline_strings=True))
    return "".join(str(dumps({k: v}, multiline_strings=not _has_crlf(v))) for k, v in literals.items())


def _has_crlf(value: Any) -> bool:
    if type(value) is str:
        return "\r\n" in value
    return type(value) is list and any(_has_crlf(v) for v in value)


def _scalar(value: Any) -> str | None:
    """How tomli_w writes a plain string, an int or a bool (None for anything else)."""
    kind = type(value)
    if kind is str:
        return f'"{value}"' if _plain(value) else None
    if kind is int:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    return None


def _is_tables(value: Any) -> bool:
    return type(value) is list and bool(value) and all(type(v) is dict for v in value)


@functools.lru_cache(maxsize=1024)
def _key(dumps: Any, key: str) -> str:
    return key if _BARE.fullmatch(key) else str(dumps({key: 0})).rsplit(" = ", 1)[0]


_AT_LINE: Final = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")
_PATH_PART: Final = re.compile(r"\.(\w+)|\[(\d+)\]")

#: tomllib's messages, as sentences that say what to do (the first match wins; the rest pass through).
#: Compiled on the first malformed file (:func:`_toml_hints`), not when a verb starts.
_TOML_HINTS: Final = (
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


@functools.cache
def _toml_hints() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern), hint) for pattern, hint in _TOML_HINTS)


def _hint(message: str) -> str:
    for pattern, hint in _toml_hints():
        m = pattern.fullmatch(message)
        if m:
            # tomllib names keys as tuples: ('nodes', 'choices') → nodes.choices
            return hint.format(*(".".join(re.findall(r"'([^']*)'", g)) or g for g in m.groups()))
    return message


def parse(rel: str, text: str) -> Entity:
    """The entity a working-copy file without conflict markers describes; raises :class:`MalformedFile`."""
    return parse_marked(rel, text)[0]


def parse_marked(
    rel: str, text: str, committed: Entity | None = None, conflicts: Sequence[Conflict] = ()
) -> tuple[Entity, list[Conflict]]:
    """The entity a working-copy file describes, and which of its ``conflicts`` the file settles.

    ``committed`` is the entity as committed, ``conflicts`` its unresolved ones
    (see the module's docstring for the markers). Raises :class:`MalformedFile`.
    """
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
    still, settled = _unmark(rel, text, kind, data, committed, conflicts)
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
    if still:
        from comfyvn_vault.domain.resolve import changed_between
    for c in still:
        if changed_between(committed, entity, c):
            raise MalformedFile(
                rel,
                _line_of(text.splitlines(), c.id),
                f"{c.locator or 'the ' + kind.__name__.lower()} was edited but its [[conflicts]] entry {c.id} is "
                "still there; "
                "delete the entry to resolve the conflict with your edit",
            )
    return entity, settled


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
