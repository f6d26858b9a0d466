"""Ren'Py script text → logical lines in indented blocks, and a scanner for the words of one line.

As Ren'Py reads a ``.rpy`` file:

* a **logical line** runs on over physical lines while a bracket (``(``,
  ``[``, ``{``) is open, inside any string (Ren'Py strings, single-quoted ones
  too, may span lines; triple-quoted ones are monologues), and after a
  backslash that ends a line;
* ``#`` starts a comment outside strings; lines that are blank or only a
  comment are not lines at all;
* indentation is counted in spaces: a line indented deeper than the one
  before it starts that line's block, and a dedent must return to a level an
  outer block used. Tabs and other control characters outside strings are
  refused, as Ren'Py refuses them.

:func:`lex` returns the top-level :class:`Line` objects with their blocks.
:class:`Scanner` reads the words of one logical line the way Ren'Py's lexer
does (names, label names, image-name components, strings, simple
expressions, Python up to a delimiter). :func:`say_string` turns a string
literal into the text Ren'Py shows: runs of whitespace become one space and
escapes are processed (``\\"`` is ``"``, ``\\n`` a newline, ``\\{`` is
``{{``), while text tags (``{b}``) and interpolations (``[name]``) stay as
they are. Everything here raises :class:`ScriptError` (a line number and a
message), which the parser turns into a note or a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

MAX_DEPTH: Final = 64
"""The deepest nesting of blocks read (Ren'Py has no limit; real scripts rarely pass 10)."""

_PLAIN: Final = re.compile(r"[^\n#'\"`\\()\[\]{}\x00-\x1f\x7f]+")
_BLANKS: Final = re.compile(r"(?:[ \t\f]*(?:#[^\n]*)?\n)*")
_STRING_STOP: Final = {q: re.compile(rf"[\\{q}]") for q in "\"'`"}
_CLOSE: Final = {")": "(", "]": "[", "}": "{"}

WORD: Final = r"[a-zA-Z_\u00a0-\ufffd][0-9a-zA-Z_\u00a0-\ufffd]*"
IMAGE_WORD: Final = r"[-0-9a-zA-Z_\u00a0-\ufffd][-0-9a-zA-Z_\u00a0-\ufffd]*"
KEYWORDS: Final = frozenset(
    {
        *("as", "at", "behind", "call", "expression", "hide", "if", "in", "image", "init", "jump", "menu"),
        *("onlayer", "python", "return", "scene", "show", "with", "while", "zorder", "transform"),
    }
)
"""Words Ren'Py 8.0 never reads as a name, an image-name component or a say attribute."""
_WORD_RE: Final = re.compile(WORD)
_IMAGE_WORD_RE: Final = re.compile(IMAGE_WORD)
_WS: Final = re.compile(r"(?:\s|\\\n)+")
_NUMBER: Final = re.compile(r"[+-]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][-+]?\d+)?j?")
_INTEGER: Final = re.compile(r"[+-]?\d+")
_OPERATOR: Final = re.compile(
    r"<>|<<|<=|<|>>|>=|>|!=|==|\||\^|&|\+|-|\*\*|\*|//|/|%|~|@|:=|(?:or|and|not|in|is)(?![0-9a-zA-Z_\u00a0-\ufffd])"
)
_STRING_PREFIX: Final = re.compile(r"(?:[rRuUbBfF]|[rR][bBfF]|[bBfF][rR])?(?=[\"'`])")
_ESCAPE: Final = re.compile(r"\\(u([0-9a-fA-F]{1,4})|.)", re.DOTALL)
_SAY_STRING: Final = {q: re.compile(rf"r?{q}(?:[^\\{q}]|\\.)*{q}", re.DOTALL) for q in "\"'`"}
_TRIPLE: Final = {q: re.compile(rf"r?{q * 3}(?:[^\\{q}]|\\.|{q}(?!{q}{q}))*{q * 3}", re.DOTALL) for q in "\"'`"}


class ScriptError(Exception):
    """Something in a script Ren'Py would not read, at a physical line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(slots=True)
class Line:
    """One logical line: where it starts and ends, its indentation, its text (comments removed) and its block."""

    number: int
    end: int
    indent: int
    text: str
    block: list[Line] = field(default_factory=list)

    @property
    def last(self) -> int:
        """The last physical line of this line and everything in its block."""
        line = self
        while line.block:
            line = line.block[-1]
        return line.end


def string_end(text: str, pos: int) -> int | None:
    """Where the string literal whose quote is at ``pos`` ends (after its closing quote), or ``None``."""
    quote = text[pos]
    triple = text.startswith(quote * 3, pos)
    at = pos + (3 if triple else 1)
    stop = _STRING_STOP[quote]
    while True:
        m = stop.search(text, at)
        if m is None:
            return None
        at = m.start()
        if text[at] == "\\":
            at += 2
            continue
        if not triple:
            return at + 1
        if text.startswith(quote * 3, at):
            return at + 3
        at += 1


def logical_lines(text: str) -> list[tuple[int, int, str]]:
    """``(first physical line, last physical line, text)`` of each logical line (see the module docstring)."""
    if not text.endswith("\n"):
        text += "\n"
    out: list[tuple[int, int, str]] = []
    pos, size, number = 0, len(text), 1
    while True:
        blank = _BLANKS.match(text, pos)
        if blank is not None and blank.end() > pos:
            number += text.count("\n", pos, blank.end())
            pos = blank.end()
        if pos >= size:
            return out
        first = number
        parts: list[str] = []
        start = pos
        brackets: list[tuple[str, int]] = []
        while True:
            plain = _PLAIN.match(text, pos)
            if plain is not None:
                pos = plain.end()
            if pos >= size:  # the text ended inside brackets, or after a backslash ending its last line
                if brackets:
                    raise ScriptError(brackets[-1][1], f"{brackets[-1][0]!r} was never closed")
                parts.append(text[start:pos])
                out.append((first, number - 1, "".join(parts).rstrip()))
                break
            c = text[pos]
            if c == "\n":
                if brackets:
                    pos += 1
                    number += 1
                    continue
                parts.append(text[start:pos])
                out.append((first, number, "".join(parts).rstrip()))
                pos += 1
                number += 1
                break
            if c == "#":
                parts.append(text[start:pos])
                pos = text.index("\n", pos)
                start = pos
                continue
            if c in "\"'`":
                end = string_end(text, pos)
                if end is None:
                    raise ScriptError(number, "unterminated string")
                number += text.count("\n", pos, end)
                pos = end
                continue
            if c in "([{":
                brackets.append((c, number))
                pos += 1
                continue
            if c in ")]}":
                if not brackets or brackets[-1][0] != _CLOSE[c]:
                    raise ScriptError(number, f"unmatched {c!r}")
                brackets.pop()
                pos += 1
                continue
            if c == "\\":
                if text[pos + 1 : pos + 2] != "\n":
                    raise ScriptError(number, "a backslash that does not end the line, outside a string")
                pos += 2
                number += 1
                continue
            what = "a tab character" if c == "\t" else f"control character {c!r}"
            raise ScriptError(number, f"{what} outside a string (Ren'Py refuses it)")


def group(lines: list[tuple[int, int, str]]) -> list[Line]:
    """Logical lines into blocks by indentation."""
    top: list[Line] = []
    stack: list[tuple[int, list[Line]]] = [(0, top)]
    for first, end, text in lines:
        rest = text.lstrip(" ")
        indent = len(text) - len(rest)
        level, block = stack[-1]
        if indent > level:
            if not block:
                raise ScriptError(first, "unexpected indentation")
            if len(stack) > MAX_DEPTH:
                raise ScriptError(first, f"blocks nested deeper than {MAX_DEPTH} levels")
            block = block[-1].block
            stack.append((indent, block))
        elif indent < level:
            while stack and stack[-1][0] > indent:
                stack.pop()
            if not stack or stack[-1][0] != indent:
                raise ScriptError(first, "a dedent to no outer indentation level")
            block = stack[-1][1]
        block.append(Line(first, end, indent, rest))
    return top


def lex(text: str) -> list[Line]:
    """The top-level lines of a script, each with its block."""
    return group(logical_lines(text.replace("\r\n", "\n").replace("\r", "\n")))


def _dequote(m: re.Match[str]) -> str:
    c = m.group(1)
    if c == "{":
        return "{{"
    if c == "[":
        return "[["
    if c == "%":
        return "%%"
    if c == "n":
        return "\n"
    if c[0] == "u" and m.group(2):
        return chr(int(m.group(2), 16))
    return c


def say_string(literal: str) -> str:
    """The text of a Ren'Py string literal (``"..."``, ``'...'``, `` `...` ``, ``r"..."``) as Ren'Py shows it."""
    raw = literal.startswith("r")
    body = literal[2:-1] if raw else literal[1:-1]
    if raw:
        return body
    return _ESCAPE.sub(_dequote, re.sub(r"\s+", " ", body))


def monologue(literal: str, delimiter: str = "\n\n") -> list[str]:
    """The lines a triple-quoted say string is split into (Ren'Py's monologue mode), each as :func:`say_string`."""
    raw = literal.startswith("r")
    body = literal[4:-3] if raw else literal[3:-3]
    if raw:
        return [body]
    body = re.sub(r" *\n *", "\n", body)
    parts = body.split(delimiter) if delimiter else [body]
    out: list[str] = []
    for part in parts:
        part = part.strip()
        if part:
            out.append(_ESCAPE.sub(_dequote, re.sub(r"\s+", " ", part)))
    return out


class Scanner:
    """The words of one logical line, read left to right as Ren'Py's lexer reads them.

    Each reader skips whitespace first and either returns what it read
    (advancing) or ``None`` (not moving). Malformed Python inside brackets is
    a :class:`ScriptError`.
    """

    def __init__(self, text: str, line: int) -> None:
        self.text = text
        self.pos = 0
        self.line = line

    def error(self, message: str) -> ScriptError:
        return ScriptError(self.line, message)

    def ws(self) -> None:
        m = _WS.match(self.text, self.pos)
        if m is not None:
            self.pos = m.end()

    def eol(self) -> bool:
        self.ws()
        return self.pos >= len(self.text)

    def match(self, pattern: re.Pattern[str]) -> str | None:
        self.ws()
        m = pattern.match(self.text, self.pos)
        if m is None:
            return None
        self.pos = m.end()
        return m.group()

    def literal(self, token: str) -> bool:
        """Read ``token`` (punctuation such as ``:`` or ``=``) if it comes next."""
        self.ws()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def peek(self, token: str) -> bool:
        self.ws()
        return self.text.startswith(token, self.pos)

    def word(self) -> str | None:
        return self.match(_WORD_RE)

    def keyword(self, word: str) -> bool:
        start = self.pos
        if self.word() == word:
            return True
        self.pos = start
        return False

    def name(self) -> str | None:
        """A word that is not a keyword (nor a string prefix before a quote)."""
        start = self.pos
        got = self.word()
        if got is None:
            return None
        if got in KEYWORDS or (got in ("r", "u", "ur") and self.text[self.pos : self.pos + 1] in ("'", '"', "`")):
            self.pos = start
            return None
        return got

    def integer(self) -> str | None:
        return self.match(_INTEGER)

    def dotted_name(self) -> str | None:
        return self._dotted(self.name)

    def dotted_word(self) -> str | None:
        """Words (keywords too, as ``define`` and ``default`` take them) joined by dots: ``config.name``."""
        return self._dotted(self.word)

    def _dotted(self, part: Callable[[], str | None]) -> str | None:
        """Parts read by ``part`` joined by dots; a dot not followed by a part is left unread."""
        first = part()
        if first is None:
            return None
        parts = [first]
        while True:
            before = self.pos
            if not self.literal("."):
                break
            more = part()
            if more is None:
                self.pos = before
                break
            parts.append(more)
        return ".".join(parts)

    def label_name(self, global_label: str | None) -> str | None:
        """``name``, ``name.local`` or ``.local`` (made ``global_label.local``)."""
        start = self.pos
        first = self.name()
        if first is None:
            if not self.literal(".") or not global_label:
                self.pos = start
                return None
            local = self.name()
            if local is None:
                self.pos = start
                return None
            return f"{global_label}.{local}"
        before = self.pos
        if self.literal("."):
            local = self.name()
            if local is None:
                self.pos = before
                return first
            return f"{first}.{local}"
        return first

    def image_component(self) -> str | None:
        start = self.pos
        got = self.match(_IMAGE_WORD_RE)
        if got is None:
            return None
        if got in KEYWORDS or (got in ("r", "u") and self.text[self.pos : self.pos + 1] in ("'", '"', "`")):
            self.pos = start
            return None
        return got

    def say_string(self) -> tuple[str, bool] | None:
        """A Ren'Py string literal (``(literal, triple)``), as the say statement and menus read them."""
        self.ws()
        for pattern in _TRIPLE.values():
            m = pattern.match(self.text, self.pos)
            if m is not None:
                self.pos = m.end()
                return m.group(), True
        for pattern in _SAY_STRING.values():
            m = pattern.match(self.text, self.pos)
            if m is not None:
                self.pos = m.end()
                return m.group(), False
        return None

    def string(self) -> str | None:
        """A one-line Ren'Py string's text (:func:`say_string`), for menu choices and captions."""
        start = self.pos
        got = self.say_string()
        if got is None:
            return None
        literal, triple = got
        if triple:
            self.pos = start
            return None
        return say_string(literal)

    def python_string(self) -> bool:
        """Skip a Python string literal (with its prefix) if one comes next."""
        self.ws()
        m = _STRING_PREFIX.match(self.text, self.pos)
        if m is None:
            return False
        end = string_end(self.text, m.end())
        if end is None:
            raise self.error("unterminated string")
        self.pos = end
        return True

    def bracketed(self) -> bool:
        """Skip a balanced ``(...)``, ``[...]`` or ``{...}`` (strings inside skipped whole) if one comes next."""
        if self.pos >= len(self.text) or self.text[self.pos] not in "([{":
            return False
        depth: list[str] = []
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in "\"'`":
                end = string_end(text, self.pos)
                if end is None:
                    raise self.error("unterminated string")
                self.pos = end
                continue
            if c in "([{":
                depth.append(c)
            elif c in ")]}":
                if not depth or depth[-1] != _CLOSE[c]:
                    raise self.error(f"unmatched {c!r}")
                depth.pop()
                if not depth:
                    self.pos += 1
                    return True
            self.pos += 1
        raise self.error("a bracket is never closed")

    def simple_expression(self, *, comma: bool = False, operator: bool = True) -> str | None:
        """A Ren'Py simple expression (a name, string, number or bracket, with dots, calls and operators)."""
        self.ws()
        start = self.pos
        while True:
            while operator and self.match(_OPERATOR) is not None:
                pass
            if self.eol():
                break
            if not (self.python_string() or self.name() or self.match(_NUMBER) or self.bracketed()):
                break
            while not self.eol():
                before = self.pos
                if self.literal("."):
                    if self.word() is None:
                        self.pos = before
                        break
                    continue
                if self.bracketed():
                    continue
                break
            if operator and self.match(_OPERATOR) is not None:
                continue
            if comma and self.literal(","):
                continue
            break
        got = self.text[start : self.pos].strip()
        if not got:
            self.pos = start
            return None
        return got

    def simple_expression_list(self) -> list[str]:
        """One or more simple expressions separated by commas (``at left, truecenter``)."""
        out: list[str] = []
        while True:
            got = self.simple_expression()
            if got is None:
                raise self.error("expected a simple expression")
            out.append(got)
            if not self.literal(","):
                return out

    def python_until(self, delimiters: str) -> str:
        """Python up to (not including) the first of ``delimiters`` outside brackets and strings."""
        self.ws()
        start = self.pos
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in delimiters:
                return text[start : self.pos].strip()
            if c in "\"'`":
                end = string_end(text, self.pos)
                if end is None:
                    raise self.error("unterminated string")
                self.pos = end
                continue
            if c in "([{":
                self.bracketed()
                continue
            self.pos += 1
        raise self.error(f"expected {delimiters[0]!r}")

    def arguments(self) -> str | None:
        """A parenthesised argument list, as written (``(what_color="#f00")``), if one comes next."""
        self.ws()
        start = self.pos
        if not self.peek("(") or not self.bracketed():
            return None
        return self.text[start : self.pos]

    def rest(self) -> str:
        """Everything left on the line, stripped."""
        self.ws()
        got = self.text[self.pos :].strip()
        self.pos = len(self.text)
        return got
