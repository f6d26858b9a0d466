"""The statements of a Ren'Py script: the common subset parsed, everything else kept as written.

Parsed (each into a small frozen record below): ``label``; say statements
(narration, a character, ``extend``, attributes, ``@`` attributes,
``with``, ``id``, ``nointeract``, arguments; a triple-quoted string is split
into lines as Ren'Py's monologue mode does, following ``rpy monologue``);
``menu`` (a name, arguments, ``set``, ``with``, a caption or one say
statement, and choices with arguments and ``if`` conditions); ``if`` /
``elif`` / ``else``; ``jump`` and ``call`` (``expression``, arguments,
``from``); ``return``; ``scene`` / ``show`` / ``hide`` (``expression``,
``as``, ``at``, ``behind``, ``onlayer``, ``zorder``, ``with``, an ATL block);
``with``; ``play`` / ``queue`` / ``stop`` on any channel and ``voice``;
``pause``; ``$`` lines and ``python:`` blocks; ``define`` and ``default``;
``image``; ``pass``.

Everything else (``init`` and ``init python`` blocks, ``screen``,
``transform``, ``style``, ``translate``, ``window``, ``nvl``, ``while``,
creator-defined statements…) is a :class:`Raw` statement holding its first
word and its lines exactly as written, block included, so an exporter can
write it back. A statement that starts like a parsed one but does not parse
is kept raw too, with a note. The lines of ``init`` blocks are still read for
``define``, ``default``, ``image`` and ``X = Character(...)`` so that the
characters and images they declare are known (:attr:`Raw.inner`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from comfyvn_vault.importers.renpy.lexer import Line, Scanner, ScriptError, lex, monologue, say_string

_CHARACTER_ASSIGN: Final = re.compile(
    r"^[ \t]*(?:\$[ \t]*)?(?:store\.)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*"
    r"(?=(?:Character|DynamicCharacter|NVLCharacter|ADVCharacter)[ \t]*\()",
    re.MULTILINE,
)
OPAQUE: Final = frozenset(
    {"screen", "style", "transform", "translate", "testcase", "layeredimage", "camera", "python", "while"}
)
"""Statements whose blocks are not Ren'Py script (screen language, ATL, Python…) or are kept whole."""
BUILTIN_SPEAKERS: Final = frozenset({"narrator", "centered", "vcentered", "nvl_narrator"})
"""Speakers Ren'Py defines itself whose lines are narration."""


@dataclass(frozen=True, slots=True)
class Stmt:
    """Where a statement is: its first physical line, its last one (block included) and its indentation."""

    line: int
    last: int
    indent: int


@dataclass(frozen=True, slots=True)
class Say(Stmt):
    who: str | None
    what: str
    attributes: str | None = None
    temporary: str | None = None
    with_: str | None = None
    arguments: str | None = None
    identifier: str | None = None
    interact: bool = True


@dataclass(frozen=True, slots=True)
class Choice(Stmt):
    text: str
    condition: str | None
    arguments: str | None
    block: list[Statement]


@dataclass(frozen=True, slots=True)
class Menu(Stmt):
    name: str | None
    arguments: str | None
    say: Say | None
    captions: list[str]
    choices: list[Choice]
    with_: str | None = None
    set_: str | None = None


@dataclass(frozen=True, slots=True)
class Branch:
    line: int
    condition: str | None
    block: list[Statement]


@dataclass(frozen=True, slots=True)
class If(Stmt):
    branches: list[Branch]


@dataclass(frozen=True, slots=True)
class Jump(Stmt):
    target: str
    expression: bool = False


@dataclass(frozen=True, slots=True)
class Call(Stmt):
    target: str
    expression: bool = False
    arguments: str | None = None
    from_: str | None = None


@dataclass(frozen=True, slots=True)
class Return(Stmt):
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Label(Stmt):
    name: str
    parameters: str | None
    hide: bool
    block: list[Statement]


@dataclass(frozen=True, slots=True)
class Show(Stmt):
    """``scene``, ``show`` or ``hide`` (``verb``); ``image`` is the name or, with ``expression``, the expression."""

    verb: str
    image: str | None
    expression: bool = False
    clauses: dict[str, str] = field(default_factory=dict)
    """``as``, ``at``, ``behind``, ``onlayer``, ``zorder``, ``with`` and ``atl`` (the block), as written."""


@dataclass(frozen=True, slots=True)
class With(Stmt):
    transition: str


@dataclass(frozen=True, slots=True)
class Audio(Stmt):
    """``play``/``queue``/``stop`` (``verb``) on ``channel``, or ``voice`` (channel ``voice``)."""

    verb: str
    channel: str
    file: str | None
    clauses: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pause(Stmt):
    delay: str | None


@dataclass(frozen=True, slots=True)
class Python(Stmt):
    code: str
    block: bool
    header: str = ""
    """What a ``python`` block line has besides ``python:`` (``hide``, ``in store``), as written."""


@dataclass(frozen=True, slots=True)
class Define(Stmt):
    """``define`` (``default=False``) or ``default``: ``name`` may be dotted (``config.name``)."""

    name: str
    value: str
    default: bool
    operator: str = "="
    index: str | None = None
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Image(Stmt):
    name: str
    value: str | None
    atl: bool = False


@dataclass(frozen=True, slots=True)
class Pass(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class Raw(Stmt):
    """A statement kept as written (see the module docstring); ``inner`` is what its ``init`` block declares."""

    keyword: str
    inner: list[Statement] = field(default_factory=list)
    characters: list[tuple[str, str, int]] = field(default_factory=list)
    """``(name, "Character(...)", line)`` for each ``name = Character(...)`` in its Python."""
    script: bool = False
    """Its block reads as Ren'Py script (a creator-defined statement such as ``example:``): ``inner`` is it."""
    head: int = 0
    """The last physical line of the statement's own line (before its block)."""


Statement: TypeAlias = (
    Say | Menu | If | Jump | Call | Return | Label | Show | With | Audio | Pause | Python | Define | Image | Pass | Raw
)


@dataclass
class Script:
    """A parsed file: its top-level statements, its physical lines (for raw text) and what parsing noticed."""

    statements: list[Statement]
    lines: list[str]
    notes: list[tuple[int, str]]

    def source(self, stmt: Stmt, last: int | None = None) -> str:
        """The statement's lines exactly as written (up to ``last``), its own indentation removed."""
        out: list[str] = []
        for text in self.lines[stmt.line - 1 : last or stmt.last]:
            cut = min(stmt.indent, len(text) - len(text.lstrip(" ")))
            out.append(text[cut:])
        return "\n".join(out)


def parse(text: str) -> Script:
    """Parse a whole script; :class:`~comfyvn_vault.importers.renpy.lexer.ScriptError` when it does not lex."""
    lines = lex(text)
    parser = _Parser(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return Script(parser.block(lines), parser.physical, parser.notes)


class _Failed(Exception):
    pass


def _block_text(physical: list[str], lines: list[Line]) -> str:
    if not lines:
        return ""
    first, last = lines[0].number, lines[-1].last
    indent = lines[0].indent
    out = []
    for text in physical[first - 1 : last]:
        cut = min(indent, len(text) - len(text.lstrip(" ")))
        out.append(text[cut:])
    return "\n".join(out)


class _Parser:
    def __init__(self, physical: list[str]) -> None:
        self.physical = physical
        self.notes: list[tuple[int, str]] = []
        self.global_label: str | None = None
        self.monologue = "\n\n"

    # ---------------------------------------------------------------- blocks

    def block(self, lines: list[Line], *, init: bool = False) -> list[Statement]:
        out: list[Statement] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            if _first_word(line.text) == "if":
                chain = [line]
                while i + 1 < len(lines) and _first_word(lines[i + 1].text) in ("elif", "else"):
                    i += 1
                    chain.append(lines[i])
                    if _first_word(lines[i].text) == "else":
                        break
                out.append(self._guard(chain, self._if))
            else:
                out.extend(self._statement(line, init=init))
            i += 1
        return out

    def _guard(self, chain: list[Line], parse: object) -> Statement:
        assert callable(parse)
        try:
            result: Statement = parse(chain)
            return result
        except (_Failed, ScriptError) as exc:
            return self._raw(chain[0], chain[-1].last, _why(exc))

    def _raw(self, line: Line, last: int, why: str | None, keyword: str | None = None) -> Raw:
        word = keyword or _first_word(line.text) or line.text[:1]
        if why:
            self.notes.append((line.number, f"{word!r} statement not understood ({why}): kept as written"))
        return Raw(line.number, last, line.indent, word)

    def _statement(self, line: Line, *, init: bool) -> list[Statement]:
        try:
            return self._dispatch(line, init=init)
        except (_Failed, ScriptError) as exc:
            return [self._raw(line, line.last, _why(exc))]

    def _dispatch(self, line: Line, *, init: bool) -> list[Statement]:
        s = Scanner(line.text, line.number)
        at = (line.number, line.last, line.indent)
        if s.literal("$"):
            self._no_block(line, "$")
            return [Python(*at, code=s.rest(), block=False)]
        start = s.pos
        word = s.word()
        handler = _HANDLERS.get(word or "")
        if handler is not None:
            got = handler(self, s, line, init)
            if got is not None:
                return got
        s.pos = start
        if word in ("elif", "else"):
            raise _Failed(f"{word!r} without an 'if'")
        say = self._say(s, line)
        if say is not None:
            return say
        raw = self._raw(line, line.last, None)
        if line.block and raw.keyword not in OPAQUE and line.text.endswith(":"):
            inner, clean = self._quiet_block(line.block)
            script = clean and any(not isinstance(x, Raw) for x in inner)
            raw = Raw(raw.line, raw.last, raw.indent, raw.keyword, inner, script=script, head=line.end)
        return [raw]

    def _quiet_block(self, lines: list[Line]) -> tuple[list[Statement], bool]:
        """A block's statements, read without a note (and whether reading them noted nothing)."""
        notes, label, mono = self.notes, self.global_label, self.monologue
        self.notes = []
        try:
            inner = self.block(lines)
            return inner, not self.notes
        finally:
            self.notes, self.global_label, self.monologue = notes, label, mono

    def _no_block(self, line: Line, what: str) -> None:
        if line.block:
            raise _Failed(f"a {what} statement has no block")

    def _eol(self, s: Scanner) -> None:
        if not s.eol():
            raise _Failed(f"unexpected {s.text[s.pos : s.pos + 20]!r}")

    # ------------------------------------------------------------ statements

    def _say(self, s: Scanner, line: Line, *, interact: bool = True) -> list[Statement] | None:
        start = s.pos
        what = s.say_string()
        if what is not None:
            got = self._finish_say(s, line, None, what, None, None, interact)
            if s.eol():
                self._no_block(line, "say")
                return got
        s.pos = start
        who = s.simple_expression(operator=False)
        if who is None:
            return None
        attributes = self._attributes(s)
        temporary = self._attributes(s) if s.literal("@") else None
        what = s.say_string()
        if what is None:
            s.pos = start
            return None
        got = self._finish_say(s, line, who, what, attributes, temporary, interact)
        self._eol(s)
        self._no_block(line, "say")
        return got

    def _attributes(self, s: Scanner) -> str | None:
        parts: list[str] = []
        while True:
            before = s.pos
            dash = "-" if s.literal("-") else ""
            component = s.image_component()
            if component is None:
                s.pos = before
                break
            parts.append(dash + component)
        return " ".join(parts) or None

    def _finish_say(
        self,
        s: Scanner,
        line: Line,
        who: str | None,
        what: tuple[str, bool],
        attributes: str | None,
        temporary: str | None,
        interact: bool,
    ) -> list[Statement]:
        with_ = arguments = identifier = None
        while True:
            if s.keyword("nointeract"):
                interact = False
            elif s.keyword("with"):
                with_ = self._need(s.simple_expression(), "a transition after 'with'")
            elif s.keyword("id"):
                identifier = self._need(s.name(), "an identifier after 'id'")
            else:
                got = s.arguments()
                if got is None:
                    break
                arguments = got
        literal, triple = what
        texts = monologue(literal, self.monologue) if triple else [say_string(literal)]
        at = (line.number, line.last, line.indent)
        return [
            Say(
                *at,
                who=who,
                what=text,
                attributes=attributes,
                temporary=temporary,
                with_=with_,
                arguments=arguments,
                identifier=identifier,
                interact=interact,
            )
            for text in texts
        ]

    @staticmethod
    def _need(value: str | None, what: str) -> str:
        if value is None:
            raise _Failed(f"expected {what}")
        return value

    def _if(self, chain: list[Line]) -> If:
        branches: list[Branch] = []
        for line in chain:
            s = Scanner(line.text, line.number)
            word = s.word()
            condition: str | None = None
            if word in ("if", "elif"):
                condition = s.python_until(":")
                if not condition:
                    raise _Failed(f"{word!r} without a condition")
            if not s.literal(":"):
                raise _Failed(f"expected ':' after {word!r}")
            self._eol(s)
            if not line.block:
                raise _Failed(f"{word!r} has no block")
            branches.append(Branch(line.number, condition, self.block(line.block)))
        first = chain[0]
        return If(first.number, chain[-1].last, first.indent, branches)

    def _menu(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        name = s.label_name(self.global_label)
        if name is not None:  # a menu's name is a label, and global as any label (local labels follow it)
            self.global_label = name.split(".", 1)[0]
        arguments = s.arguments()
        if not s.literal(":"):
            raise _Failed("expected ':' after 'menu'")
        self._eol(s)
        say: Say | None = None
        captions: list[str] = []
        choices: list[Choice] = []
        with_ = set_ = None
        for item in line.block:
            t = Scanner(item.text, item.number)
            if t.keyword("with"):
                with_ = self._need(t.simple_expression(), "a transition after 'with'")
                self._eol(t)
                continue
            if t.keyword("set"):
                set_ = self._need(t.simple_expression(), "a set after 'set'")
                self._eol(t)
                continue
            start = t.pos
            who = t.simple_expression(operator=False)
            if who is not None:
                attributes = self._attributes(t)
                temporary = self._attributes(t) if t.literal("@") else None
                what = t.say_string()
                if what is not None:
                    if say is not None or captions:
                        raise _Failed("a menu has one say statement or captions, not both")
                    said = self._finish_say(t, item, who, what, attributes, temporary, False)
                    self._eol(t)
                    say = next(x for x in said if isinstance(x, Say))
                    continue
            t.pos = start
            text = t.string()
            if text is None:
                raise _Failed("expected a menu choice")
            if t.eol():
                if item.block:
                    raise _Failed("a caption has no block (a choice ends with ':')")
                if say is not None and text:
                    raise _Failed("a menu has one say statement or captions, not both")
                if text:
                    captions.append(text)
                continue
            item_args = t.arguments()
            condition = t.python_until(":") if t.keyword("if") else None
            if not t.literal(":"):
                raise _Failed("expected ':' after a menu choice")
            self._eol(t)
            if not item.block:
                raise _Failed("a menu choice has no block")
            block = self.block(item.block)
            choices.append(Choice(item.number, item.last, item.indent, text, condition, item_args, block))
        if not choices:
            raise _Failed("a menu has no choices")
        return [
            Menu(
                line.number,
                line.last,
                line.indent,
                name,
                arguments,
                say,
                captions,
                choices,
                with_,
                set_,
            )
        ]

    def _label(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        name = s.label_name(self.global_label)
        if name is None:
            raise _Failed("expected a label name")
        if "." not in name:
            self.global_label = name
        else:
            self.global_label = name.split(".", 1)[0]
        parameters = s.arguments()
        hide = s.keyword("hide")
        if not s.literal(":"):
            raise _Failed("expected ':' after the label name")
        self._eol(s)
        block = self.block(line.block)
        return [Label(line.number, line.last, line.indent, name, parameters, hide, block)]

    def _jump_call(self, s: Scanner, line: Line, init: bool) -> list[Statement] | None:
        verb = s.text[: s.pos].strip()
        self._no_block(line, verb)
        expression = s.keyword("expression")
        if expression:
            target = self._need(s.simple_expression(), "an expression")
        else:
            start = s.pos
            if verb == "call" and s.keyword("screen"):  # 'call screen' is another statement
                s.pos = start
                return None
            target = self._need(s.label_name(self.global_label), "a label name")
        at = (line.number, line.last, line.indent)
        if verb == "jump":
            self._eol(s)
            return [Jump(*at, target=target, expression=expression)]
        s.keyword("pass")
        arguments = s.arguments()
        from_ = self._need(s.label_name(self.global_label), "a label after 'from'") if s.keyword("from") else None
        self._eol(s)
        return [Call(*at, target=target, expression=expression, arguments=arguments, from_=from_)]

    def _return(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        self._no_block(line, "return")
        return [Return(line.number, line.last, line.indent, s.rest() or None)]

    def _show(self, s: Scanner, line: Line, init: bool) -> list[Statement] | None:
        verb = s.text[: s.pos].strip()
        start = s.pos
        if verb in ("show", "hide") and (s.keyword("screen") or s.keyword("layer")):
            s.pos = start
            return None
        clauses: dict[str, str] = {}
        image: str | None = None
        expression = False
        if verb == "scene" and s.keyword("onlayer"):
            clauses["onlayer"] = self._need(s.name(), "a layer")
        if verb == "scene" and s.eol():
            self._no_block(line, "scene")
            return [Show(line.number, line.last, line.indent, verb, None, False, clauses)]
        if s.keyword("expression") or s.keyword("image"):
            expression = True
            image = self._need(s.simple_expression(), "an image expression")
        else:
            parts: list[str] = []
            while (part := s.image_component()) is not None:
                parts.append(part)
            if not parts:
                raise _Failed("expected an image name")
            image = " ".join(parts)
        while True:
            if s.keyword("onlayer"):
                clauses["onlayer"] = self._need(s.name(), "a layer")
            elif s.keyword("at"):
                clauses["at"] = ", ".join(s.simple_expression_list())
            elif s.keyword("as"):
                clauses["as"] = self._need(s.name(), "a tag after 'as'")
            elif s.keyword("zorder"):
                clauses["zorder"] = self._need(s.simple_expression(), "a zorder")
            elif s.keyword("behind"):
                behind = [self._need(s.name(), "a tag after 'behind'")]
                while s.literal(","):
                    behind.append(self._need(s.name(), "a tag after ','"))
                clauses["behind"] = ", ".join(behind)
            else:
                break
        if s.keyword("with"):
            clauses["with"] = self._need(s.simple_expression(), "a transition after 'with'")
        if verb != "hide" and s.literal(":"):
            self._eol(s)
            clauses["atl"] = _block_text(self.physical, line.block)
        else:
            self._eol(s)
            self._no_block(line, verb)
        return [Show(line.number, line.last, line.indent, verb, image, expression, clauses)]

    def _with(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        self._no_block(line, "with")
        transition = self._need(s.simple_expression(), "a transition")
        self._eol(s)
        return [With(line.number, line.last, line.indent, transition)]

    def _audio(self, s: Scanner, line: Line, init: bool) -> list[Statement] | None:
        verb = s.text[: s.pos].strip()
        self._no_block(line, verb)
        clauses: dict[str, str] = {}
        if verb == "voice":
            if s.keyword("sustain"):
                self._eol(s)
                return [Audio(line.number, line.last, line.indent, "voice", "voice", None, {"sustain": "true"})]
            channel = "voice"
        else:
            channel = self._need(s.name(), "a channel")
        file: str | None = None
        if verb != "stop":
            file = self._need(s.simple_expression(), "a file")
        while not s.eol():
            word = s.word()
            if word in ("fadeout", "fadein", "volume", "channel") and verb != "voice":
                clauses[word] = self._need(s.simple_expression(), f"a value after {word!r}")
            elif word in ("loop", "noloop", "if_changed") and verb in ("play", "queue"):
                clauses[word] = "true"
            else:
                raise _Failed(f"unexpected {word or s.text[s.pos : s.pos + 20]!r}")
        return [Audio(line.number, line.last, line.indent, verb, channel, file, clauses)]

    def _pause(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        self._no_block(line, "pause")
        delay = s.simple_expression()
        self._eol(s)
        return [Pause(line.number, line.last, line.indent, delay)]

    def _python(self, s: Scanner, line: Line, init: bool) -> list[Statement] | None:
        header = s.text[s.pos :].strip()
        if not header.endswith(":") or not line.block:
            raise _Failed("a python block is 'python:' and an indented block")
        header = header[:-1].strip()
        if any(w == "early" for w in header.split()):
            return [self._raw(line, line.last, None, "python")]
        code = _block_text(self.physical, line.block)
        return [Python(line.number, line.last, line.indent, code, True, header)]

    def _define(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        default = s.text[: s.pos].strip() == "default"
        self._no_block(line, "default" if default else "define")
        priority = s.integer()
        name = self._need(s.dotted_word(), "a name")
        index = None
        if not default and s.literal("["):
            index = s.python_until("]")
            s.literal("]")
        operator = "="
        if not default and s.literal("+="):
            operator = "+="
        elif not default and s.literal("|="):
            operator = "|="
        elif not s.literal("="):
            raise _Failed("expected '='")
        value = s.rest()
        if not value:
            raise _Failed("expected a value")
        return [
            Define(
                line.number,
                line.last,
                line.indent,
                name,
                value,
                default,
                operator,
                index,
                int(priority) if priority else 0,
            )
        ]

    def _image(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        parts: list[str] = []
        while (part := s.image_component()) is not None:
            parts.append(part)
        if not parts:
            raise _Failed("expected an image name")
        at = (line.number, line.last, line.indent)
        if s.literal(":"):
            self._eol(s)
            return [Image(*at, name=" ".join(parts), value=None, atl=True)]
        if not s.literal("="):
            raise _Failed("expected '=' or ':' after the image name")
        value = s.rest()
        if not value:
            raise _Failed("expected an image")
        self._no_block(line, "image")
        return [Image(*at, name=" ".join(parts), value=value)]

    def _pass(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        self._no_block(line, "pass")
        self._eol(s)
        return [Pass(line.number, line.last, line.indent)]

    def _init(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        """Kept raw; what its block (or its one statement) declares is read into ``inner``."""
        start = s.pos
        inner: list[Statement] = []
        if s.keyword("offset") or s.keyword("label"):
            return [self._raw(line, line.last, None, "init")]
        s.pos = start
        s.integer()
        if s.keyword("python"):
            return [self._raw_python(line, "init")]
        if s.literal(":"):
            inner = self.block(line.block, init=True)
        else:
            rest = s.text[s.pos :].strip()
            if rest:
                inner = self._statement(Line(line.number, line.end, line.indent, rest, line.block), init=True)
        raw = Raw(line.number, line.last, line.indent, "init", inner)
        return [raw]

    def _raw_python(self, line: Line, keyword: str) -> Raw:
        first = line.block[0].number if line.block else line.number
        found = character_assignments(_block_text(self.physical, line.block), first)
        return Raw(line.number, line.last, line.indent, keyword, [], found)

    def _rpy(self, s: Scanner, line: Line, init: bool) -> list[Statement]:
        if s.keyword("monologue"):
            if s.keyword("double"):
                self.monologue = "\n\n"
            elif s.keyword("single"):
                self.monologue = "\n"
            elif s.keyword("none"):
                self.monologue = ""
        return [self._raw(line, line.last, None, "rpy")]


def character_assignments(code: str, first_line: int) -> list[tuple[str, str, int]]:
    """``(name, "Character(...)", line)`` for each ``name = Character(...)`` in Python ``code``."""
    found: list[tuple[str, str, int]] = []
    for m in _CHARACTER_ASSIGN.finditer(code):
        s = Scanner(code, first_line)
        s.pos = m.end()
        try:
            call = s.simple_expression()
        except ScriptError:
            continue
        if call:
            found.append((m["name"], call, first_line + code.count("\n", 0, m.start())))
    return found


def says(statements: list[Statement]) -> int:
    """How many say statements ``statements`` hold, blocks included."""
    return sum(isinstance(x, Say) for x in _walk(statements))


def _walk(statements: list[Statement]) -> list[Statement]:
    out: list[Statement] = []
    stack = list(reversed(statements))
    while stack:
        stmt = stack.pop()
        out.append(stmt)
        if isinstance(stmt, Label):
            stack.extend(reversed(stmt.block))
        elif isinstance(stmt, Menu):
            stack.extend(reversed([x for c in stmt.choices for x in c.block]))
        elif isinstance(stmt, If):
            stack.extend(reversed([x for b in stmt.branches for x in b.block]))
        elif isinstance(stmt, Raw):
            stack.extend(reversed(stmt.inner))
    return out


def _why(exc: Exception) -> str:
    return exc.message if isinstance(exc, ScriptError) else str(exc)


_FIRST: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_]*|\$")


def _first_word(text: str) -> str:
    m = _FIRST.match(text)
    return m.group() if m else ""


_Handler: TypeAlias = Callable[[_Parser, Scanner, Line, bool], list[Statement] | None]
_HANDLERS: Final[dict[str, _Handler]] = {
    "menu": _Parser._menu,
    "label": _Parser._label,
    "jump": _Parser._jump_call,
    "call": _Parser._jump_call,
    "return": _Parser._return,
    "scene": _Parser._show,
    "show": _Parser._show,
    "hide": _Parser._show,
    "with": _Parser._with,
    "play": _Parser._audio,
    "queue": _Parser._audio,
    "stop": _Parser._audio,
    "voice": _Parser._audio,
    "pause": _Parser._pause,
    "python": _Parser._python,
    "define": _Parser._define,
    "default": _Parser._define,
    "image": _Parser._image,
    "pass": _Parser._pass,
    "init": _Parser._init,
    "rpy": _Parser._rpy,
}
