"""Writing text and names the way Ren'Py reads them back.

Ren'Py reads a say statement's string in steps (``renpy/parser.py``): runs
of whitespace become one space, then backslash escapes are undone (``\\n``,
``\\"``, ``\\\\``, ``\\uXXXX``, ``\\ `` for a space), and when the line is
shown ``[name]`` interpolates a variable, ``{b}`` is a text tag and, with
``config.old_substitutions`` (on in Ren'Py 8.0), ``%`` formats. Story text is
shown verbatim, so :func:`say_string` doubles ``[``, ``{`` and ``%`` and
escapes every character the reader would change; text imported from Ren'Py
already is Ren'Py text (its tags are meant) and only gets the string escapes
(:func:`renpy_string`).

Names (labels, character variables, variables, image tags) are Python-ish
identifiers; :func:`identifier` turns any id into one, and :class:`Names`
hands out unique ones, never one Ren'Py or Python keeps for itself.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from typing import Final

#: Names Ren'Py's store, its statements or Python already mean (a story's own must not shadow them).
RESERVED: Final = frozenset(
    {
        *keyword.kwlist,
        *keyword.softkwlist,
        "renpy", "store", "config", "persistent", "preferences", "style", "gui", "build", "achievement",
        "narrator", "centered", "vcentered", "extend", "nvl", "nvl_narrator", "adv", "name_only", "menu",
        "character", "Character", "ui", "im", "layout", "director", "iap", "updater", "define", "default",
        "image", "label", "screen", "transform", "python", "init", "jump", "call", "return", "scene",
        "show", "hide", "play", "queue", "stop", "voice", "pause", "window", "with", "expression",
        "main_menu", "splashscreen", "before_main_menu", "after_load", "after_warp", "quit", "start",
        "save", "load", "help", "_", "__", "black", "text", "vbox", "hbox", "fixed", "frame", "grid",
        "True", "False", "None", "len", "str", "int", "bool", "list", "dict", "set", "min", "max", "abs",
        "range", "round", "sum", "any", "all", "sorted", "print", "open", "type", "object", "id", "hash",
        "input", "format", "iter", "next", "map", "filter", "zip", "repr", "chr", "ord", "dissolve",
        "fade", "pixellate", "move", "ease", "left", "right", "center", "truecenter", "top", "bottom",
    }
)  # fmt: skip

_NOT_WORD: Final = re.compile(r"[^A-Za-z0-9_]+")
#: What Ren'Py's string reader turns into a single space (Python's ``\s``), besides the plain space.
_SPACE: Final = re.compile(r"\s")


def identifier(text: str, fallback: str = "x") -> str:
    """``text`` as an identifier: ASCII letters, digits and ``_``, not starting with a digit or ``_``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    word = _NOT_WORD.sub("_", ascii_text).strip("_").lower() or fallback
    return word if word[0].isalpha() else f"{fallback}_{word}"


class Names:
    """Unique identifiers for one namespace, none of them reserved (:data:`RESERVED`) or already taken."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(taken or ())

    def claim(self, name: str) -> str:
        """Mark ``name`` taken as it is (a name an imported script already uses) and return it."""
        self.taken.add(name)
        return name

    def fresh(self, text: str, prefix: str) -> str:
        """A new identifier from ``text``: ``prefix_`` in front when it would be reserved, a number after when taken."""
        base = identifier(text, prefix)
        if base in RESERVED or base.casefold() in RESERVED:
            base = f"{prefix}_{base}"
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        return name


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return ch  # Ren'Py's \u takes at most four hex digits: an astral character is written as itself


def _string(text: str, *, plain: bool) -> str:
    out: list[str] = ['"']
    previous_space = True  # a space at the start is kept with "\ " (the reader would keep it, but be explicit)
    for ch in text:
        if ch == " ":
            out.append("\\ " if previous_space else " ")
            previous_space = True
            continue
        previous_space = False
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif plain and ch in "[{%":
            out.append(ch * 2)
        elif _SPACE.match(ch) or not ch.isprintable():
            out.append(_escape_char(ch))
        else:
            out.append(ch)
    if out[-1] == " ":
        out[-1] = "\\ "  # a trailing space survives the reader either way; keep the line's end visible
    out.append('"')
    return "".join(out)


def say_string(text: str) -> str:
    """A Ren'Py string literal that shows ``text`` exactly: tags, interpolation and ``%`` escaped."""
    return _string(text, plain=True)


def renpy_string(text: str) -> str:
    """A Ren'Py string literal for ``text`` that already is Ren'Py text (its ``{tags}`` and ``[names]`` meant)."""
    return _string(text, plain=False)


def display_name(name: str) -> str:
    """A speaker's name as Python (``Character("Name")``, or a say statement's ``"Name"``): a double-quoted
    literal, control characters and line breaks escaped, whose text Ren'Py shows as it is (tags and
    interpolation doubled)."""
    out = ['"']
    for ch in name.replace("[", "[[").replace("{", "{{").replace("%", "%%"):
        if ch in '\\"':
            out.append("\\" + ch)
        elif (ch.isprintable() and not _SPACE.match(ch)) or ch == " ":
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def comment(text: str, limit: int = 200) -> str:
    """``text`` as one comment line (control characters and line breaks made spaces, cut at ``limit``)."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    flat = " ".join(flat.split())
    return "# " + (flat if len(flat) <= limit else flat[: limit - 1] + "…")


def indent(text: str, level: int) -> list[str]:
    """The lines of ``text`` (a statement kept as written, its own indentation removed) at ``level``."""
    pad = "    " * level
    return [pad + line if line.strip() else "" for line in text.split("\n")]
