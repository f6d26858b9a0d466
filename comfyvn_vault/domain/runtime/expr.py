"""The expression language of story conditions and effects: tokenizer, parser, evaluator, printer.

A *condition* is one expression (``trust >= 3 and "key" in items``); *effects*
are assignments (``trust += 1; scene.seen = true``). Nothing here uses Python's
own ``eval``, ``exec``, ``compile`` or ``ast``: the text is read by a
hand-written tokenizer and a precedence-climbing (Pratt) parser into a small
immutable tree, and the tree is evaluated against a mapping of variables. There
is no attribute access, no call and no indexing, so a condition can read
variables and nothing else.

The language (``docs/expressions.md`` is the writers' reference):

* values: integers (64-bit, ``1_000`` allowed), ``true``/``false``, strings in
  double or single quotes (escapes ``\\\\ \\" \\' \\n \\t``), ``none`` and lists
  ``[1, "a"]``;
* operators, loosest first: ``or``; ``and``; ``not``; the comparisons
  ``== != < <= > >= in``, ``not in`` (which do not chain); ``+ -``;
  ``* // %``; unary ``-``; then parentheses. ``/`` is not an operator (``//``
  is floor division);
* types are strict: arithmetic takes integers (never booleans), ``+`` also
  joins two strings, ``<`` and friends compare two integers or two strings,
  ``==`` between different types is false, ``in`` looks in a list or for a
  substring. ``and``, ``or`` and ``not`` accept any value by truthiness
  (``0``, ``""``, ``none``, ``[]`` and ``false`` are false) and always return a
  boolean; ``and`` and ``or`` stop at the first operand that decides;
* variables are names, optionally with a scope: ``global.x``, ``session.x``,
  ``scene.x``. The environment's keys are always scoped; a bare ``x`` means the
  first of ``scene.x``, ``session.x``, ``global.x`` the environment holds.

Every text is read with limits (:data:`MAX_LENGTH` characters,
:data:`MAX_DEPTH` levels of nesting), so reading *any* string raises nothing
but :class:`ExprError`, whose message points at a column. Evaluation raises
nothing but :class:`EvalError`, naming the expression and the column of the
operator that failed.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, TypeAlias, TypeGuard

from comfyvn_vault.errors import InputRejected

Value: TypeAlias = "int | bool | str | list[Value] | None"
"""What a variable holds and an expression yields."""

ArithOp: TypeAlias = Literal["+", "-", "*", "//", "%"]
LogicOp: TypeAlias = Literal["and", "or"]
CompareOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
AssignOp: TypeAlias = Literal["=", "+=", "-=", "*="]

MAX_LENGTH: Final = 4000
"""The longest condition or effects text, in characters."""
MAX_DEPTH: Final = 64
"""How deep an expression's tree may be: every operator and list is a level (``1 + 2 + 3`` is 3 deep).

Brackets that only group add no level to the tree, but the reader itself
nests at most ``3 * MAX_DEPTH`` levels (about that many brackets inside one
another), so reading never runs out of stack.
"""
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1
"""Integers are 64-bit signed: a literal or a result outside the range is an error."""

SCOPES: Final = ("scene", "session", "global")
"""The scope prefixes, in the order a bare name is looked up."""
KEYWORDS: Final = frozenset({"and", "or", "not", "in", "true", "false", "none"})


class ExprError(InputRejected):
    """A condition or effects text that does not read; the message points at ``line`` and ``column`` (1-based)."""

    def __init__(self, message: str, *, column: int, line: int = 1, reason: str = "") -> None:
        super().__init__(message)
        self.column = column
        self.line = line
        self.reason = reason or message


class EvalError(InputRejected):
    """An expression that reads but cannot be evaluated: a type error, an unknown variable, a division by zero.

    ``column`` (1-based, with ``line``) is that of the failing operator or name
    in the text the expression was read from, or ``None`` for a tree that was
    built rather than read.
    """

    def __init__(self, message: str, *, column: int | None, line: int = 1, reason: str = "") -> None:
        super().__init__(message)
        self.column = column
        self.line = line
        self.reason = reason or message


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class _Node:
    """Common bookkeeping, never part of equality: where the node was read, its depth, the text read."""

    col: int = field(default=0, kw_only=True, compare=False, repr=False)
    """0-based offset into the text it was read from (0 for a built tree)."""
    text: str | None = field(default=None, kw_only=True, compare=False, repr=False)
    """On the root of a parsed condition: the condition's text (for error messages)."""
    depth: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "depth", 1 + max((c.depth for c in _children(self)), default=0))


@dataclass(frozen=True, slots=True)
class Int(_Node):
    """An integer literal; parsed ones are never negative (``-5`` is :class:`Neg` of ``Int(5)``)."""

    value: int


@dataclass(frozen=True, slots=True)
class Str(_Node):
    value: str


@dataclass(frozen=True, slots=True)
class Bool(_Node):
    value: bool


@dataclass(frozen=True, slots=True)
class Null(_Node):
    """``none``."""


@dataclass(frozen=True, slots=True)
class Name(_Node):
    """A variable, as written: ``x`` or ``scene.x``."""

    name: str


@dataclass(frozen=True, slots=True)
class ListLit(_Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Neg(_Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Not(_Node):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Arith(_Node):
    op: ArithOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Logic(_Node):
    op: LogicOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Compare(_Node):
    op: CompareOp
    left: Expr
    right: Expr


Expr: TypeAlias = Int | Str | Bool | Null | Name | ListLit | Neg | Not | Arith | Logic | Compare


@dataclass(frozen=True, slots=True)
class Assign:
    """One effect: ``name op value``; ``col`` is the operator's offset in ``text``, the effects text."""

    name: str
    op: AssignOp
    value: Expr
    col: int = field(default=0, kw_only=True, compare=False, repr=False)
    text: str | None = field(default=None, kw_only=True, compare=False, repr=False)


def _children(node: _Node) -> tuple[Expr, ...]:
    if isinstance(node, Arith | Logic | Compare):
        return (node.left, node.right)
    if isinstance(node, Neg | Not):
        return (node.operand,)
    if isinstance(node, ListLit):
        return node.items
    return ()


# --------------------------------------------------------------------------- positions and messages


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _shown(text: str, limit: int = 80) -> str:
    """``text`` on one line, quoted, shortened to ``limit`` characters."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return '"' + (flat if len(flat) <= limit else flat[: limit - 1] + "…") + '"'


def _where(kind: str, text: str, pos: int) -> tuple[str, int, int]:
    line, col = _line_col(text, pos)
    at = f"line {line}, column {col}" if "\n" in text else f"column {col}"
    return f"{kind} {_shown(text)}: {at}", line, col


def _syntax(kind: str, text: str, pos: int, reason: str) -> ExprError:
    head, line, col = _where(kind, text, pos)
    return ExprError(f"{head}: {reason}", column=col, line=line, reason=reason)


# --------------------------------------------------------------------------- tokens

_DIGITS: Final = frozenset("0123456789")
_IDENT_START: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT: Final = _IDENT_START | _DIGITS
_TWO: Final = frozenset({"==", "!=", "<=", ">=", "//", "+=", "-=", "*="})
_ONE: Final = frozenset("<>+-*%()[],=;")
_ESCAPES: Final = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}
_HINTS: Final = {
    "/": "'/' is not an operator: use '//' for integer division",
    "!": "'!' is not an operator: use 'not', or '!=' to compare",
    "&": "'&' is not an operator: use 'and'",
    "|": "'|' is not an operator: use 'or'",
}

TokKind: TypeAlias = Literal["int", "str", "name", "kw", "op", "nl", "end"]


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: TokKind
    text: str  # the operator, keyword or name; the source of a literal
    pos: int
    value: int | str = 0

    def shown(self) -> str:
        if self.kind == "end":
            return "the end"
        if self.kind == "nl":
            return "a new line"
        if self.kind == "str":
            return "a string"
        if self.kind == "int":
            return self.text if len(self.text) <= 20 else self.text[:19] + "…"
        return repr(self.text) if len(self.text) <= 20 else repr(self.text[:19] + "…")


def _tokens(kind: str, text: str, *, newlines: bool) -> list[_Tok]:
    """The tokens of ``text``; ``newlines``: a line break outside brackets is a token (effects), not a space."""
    out: list[_Tok] = []
    i, n, brackets = 0, len(text), 0

    def fail(pos: int, reason: str) -> ExprError:
        return _syntax(kind, text, pos, reason)

    while i < n:
        c = text[i]
        if c == "\n":
            if newlines and brackets == 0:
                out.append(_Tok("nl", "\n", i))
            i += 1
        elif c in " \t\r":
            i += 1
        elif c in _DIGITS:
            j = i
            while j < n and (text[j] in _DIGITS or text[j] == "_"):
                if text[j] == "_" and (j + 1 >= n or text[j + 1] not in _DIGITS):
                    raise fail(j, "a '_' in a number must stand between two digits")
                j += 1
            if j < n and text[j] in _IDENT_START:
                raise fail(j, f"a number cannot run into a name: put a space or an operator before {text[j]!r}")
            if j < n and text[j] == ".":
                raise fail(j, "numbers are whole: there are no fractions (use // for integer division)")
            value = int(text[i:j].replace("_", ""))
            if value > INT_MAX:
                raise fail(i, f"integer too large (the largest is {INT_MAX})")
            out.append(_Tok("int", text[i:j], i, value))
            i = j
        elif c in _IDENT_START:
            j = i
            while j < n and text[j] in _IDENT:
                j += 1
            word = text[i:j]
            if j < n and text[j] == ".":
                if word not in SCOPES:
                    raise fail(j, f"'.' may only follow a scope (global, session or scene), not {word!r}")
                k = j + 1
                if k >= n or text[k] not in _IDENT_START:
                    raise fail(k, f"expected a variable name after '{word}.'")
                m = k
                while m < n and text[m] in _IDENT:
                    m += 1
                if text[k:m] in KEYWORDS:
                    raise fail(k, f"{text[k:m]!r} is a keyword, not a variable name")
                if m < n and text[m] == ".":
                    raise fail(m, f"'.' may only follow a scope (global, session or scene), not {text[i:m]!r}")
                out.append(_Tok("name", text[i:m], i))
                i = m
            else:
                out.append(_Tok("kw" if word in KEYWORDS else "name", word, i))
                i = j
        elif c in "\"'":
            j, chars = i + 1, []
            while True:
                if j >= n or text[j] == "\n":
                    raise fail(i, f"the string opened here is not closed (end it with {c})")
                d = text[j]
                if d == c:
                    break
                if d == "\\":
                    e = text[j + 1] if j + 1 < n else ""
                    if e not in _ESCAPES:
                        if e in ("", "\n"):
                            raise fail(i, f"the string opened here is not closed (end it with {c})")
                        raise fail(j, f"unknown escape '\\{e}' (the escapes are \\\\ \\\" \\' \\n \\t)")
                    chars.append(_ESCAPES[e])
                    j += 2
                else:
                    chars.append(d)
                    j += 1
            out.append(_Tok("str", text[i : j + 1], i, "".join(chars)))
            i = j + 1
        elif text[i : i + 2] in _TWO:
            out.append(_Tok("op", text[i : i + 2], i))
            i += 2
        elif c in _ONE:
            if c in "([":
                brackets += 1
            elif c in ")]":
                brackets = max(0, brackets - 1)
            out.append(_Tok("op", c, i))
            i += 1
        elif c in _HINTS:
            raise fail(i, _HINTS[c])
        elif c == ".":
            raise fail(i, "'.' may only join a scope (global, session or scene) to a variable name")
        else:
            raise fail(i, f"unexpected character {c!r}")
    out.append(_Tok("end", "", n))
    return out


# --------------------------------------------------------------------------- the parser

_INFIX: Final[dict[str, int]] = {
    "or": 1,
    "and": 2,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "in": 4,
    "not in": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "//": 6,
    "%": 6,
}
_NOT_BP: Final = 3
_NEG_BP: Final = 7
_COMPARE_BP: Final = 4
_MAX_FRAMES: Final = 3 * MAX_DEPTH


class _Parser:
    def __init__(self, kind: str, text: str, *, newlines: bool) -> None:
        self.kind, self.text = kind, text
        if len(text) > MAX_LENGTH:
            raise _syntax(kind, text, MAX_LENGTH, f"longer than {MAX_LENGTH} characters ({len(text)})")
        self.toks = _tokens(kind, text, newlines=newlines)
        self.i = 0
        self.nesting = 0

    def fail(self, tok: _Tok, reason: str) -> ExprError:
        return _syntax(self.kind, self.text, tok.pos, reason)

    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.peek()
        self.i = min(self.i + 1, len(self.toks) - 1)
        return tok

    def after(self) -> str:
        """`` after 'X'`` for the token just taken, or nothing at the start."""
        return f" after {self.toks[self.i - 1].shown()}" if self.i > 0 else ""

    def deeper(self, tok: _Tok) -> None:
        # every level of the parser's recursion counts, so the stack stays short whatever the text
        self.nesting += 1
        if self.nesting > _MAX_FRAMES:
            raise self.fail(tok, f"nested too deeply (at most {MAX_DEPTH} levels)")

    def checked(self, node: Expr) -> Expr:
        if node.depth > MAX_DEPTH:
            raise _syntax(self.kind, self.text, node.col, f"nested too deeply (at most {MAX_DEPTH} levels)")
        return node

    def infix(self) -> tuple[str, int] | None:
        tok = self.peek()
        if tok.kind == "kw" and tok.text == "not" and self.peek(1).kind == "kw" and self.peek(1).text == "in":
            return "not in", _COMPARE_BP
        if tok.kind in ("op", "kw") and tok.text in _INFIX and tok.text != "not":
            return tok.text, _INFIX[tok.text]
        return None

    def expr(self, min_bp: int) -> Expr:
        self.deeper(self.peek())
        left = self.prefix(min_bp)
        while (found := self.infix()) is not None and found[1] >= min_bp:
            op, bp = found
            tok = self.take()
            if op == "not in":
                self.take()
            right = self.expr(bp + 1)
            node: Expr
            if bp == _COMPARE_BP:
                node = Compare(op, left, right, col=tok.pos)  # type: ignore[arg-type]
                chained = self.infix()
                if chained is not None and chained[1] == _COMPARE_BP:
                    raise self.fail(
                        self.peek(),
                        f"comparisons do not chain: after {op!r} comes {chained[0]!r}; join them with 'and'",
                    )
            elif op in ("and", "or"):
                node = Logic(op, left, right, col=tok.pos)  # type: ignore[arg-type]
            else:
                node = Arith(op, left, right, col=tok.pos)  # type: ignore[arg-type]
            left = self.checked(node)
        self.nesting -= 1
        return left

    def prefix(self, min_bp: int) -> Expr:
        tok = self.peek()
        where = self.after()
        if tok.kind == "int":
            self.take()
            return Int(int(tok.value), col=tok.pos)
        if tok.kind == "str":
            self.take()
            return Str(str(tok.value), col=tok.pos)
        if tok.kind == "name":
            self.take()
            return Name(tok.text, col=tok.pos)
        if tok.kind == "kw" and tok.text in ("true", "false"):
            self.take()
            return Bool(tok.text == "true", col=tok.pos)
        if tok.kind == "kw" and tok.text == "none":
            self.take()
            return Null(col=tok.pos)
        if tok.kind == "kw" and tok.text == "not":
            if min_bp > _NOT_BP:
                raise self.fail(tok, f"'not' cannot stand{where}: put it in parentheses, e.g. (not x)")
            self.take()
            return self.checked(Not(self.expr(_NOT_BP), col=tok.pos))
        if tok.kind == "op" and tok.text == "-":
            self.take()
            return self.checked(Neg(self.expr(_NEG_BP), col=tok.pos))
        if tok.kind == "op" and tok.text == "(":
            self.take()
            inner = self.expr(0)
            close = self.peek()
            if close.kind != "op" or close.text != ")":
                col = _line_col(self.text, tok.pos)[1]
                raise self.fail(close, f"expected ')' to close the '(' of column {col}, found {close.shown()}")
            self.take()
            return inner
        if tok.kind == "op" and tok.text == "[":
            return self.list_literal()
        raise self.fail(tok, f"expected an expression{where}, found {tok.shown()}")

    def list_literal(self) -> Expr:
        open_ = self.take()
        self.deeper(open_)
        items: list[Expr] = []
        while not (self.peek().kind == "op" and self.peek().text == "]"):
            items.append(self.expr(0))
            sep = self.peek()
            if sep.kind == "op" and sep.text == ",":
                self.take()
            elif not (sep.kind == "op" and sep.text == "]"):
                col = _line_col(self.text, open_.pos)[1]
                raise self.fail(sep, f"expected ',' or ']' in the list opened at column {col}, found {sep.shown()}")
        self.take()
        self.nesting -= 1
        return self.checked(ListLit(tuple(items), col=open_.pos))

    def end_of_expression(self, allowed: str) -> None:
        tok = self.peek()
        hint = " (compare with '==')" if tok.text == "=" and self.kind == "condition" else ""
        raise self.fail(tok, f"expected an operator or {allowed}, found {tok.shown()}{hint}")

    def condition(self) -> Expr:
        if self.peek().kind == "end":
            raise self.fail(self.peek(), "expected an expression, found nothing")
        root = self.expr(0)
        if self.peek().kind != "end":
            self.end_of_expression("the end")
        return replace(root, text=self.text)

    def effects(self) -> tuple[Assign, ...]:
        out: list[Assign] = []
        while True:
            tok = self.peek()
            if tok.kind == "end":
                return tuple(out)
            if tok.kind == "nl" or (tok.kind == "op" and tok.text == ";"):
                self.take()
                continue
            if tok.kind == "kw":
                raise self.fail(tok, f"{tok.text!r} is a keyword, not a variable name")
            if tok.kind != "name":
                raise self.fail(tok, f"expected a variable name to assign to, found {tok.shown()}")
            self.take()
            op = self.peek()
            if op.kind != "op" or op.text not in ("=", "+=", "-=", "*="):
                raise self.fail(op, f"expected '=', '+=', '-=' or '*=' after {tok.text!r}, found {op.shown()}")
            self.take()
            value = self.expr(0)
            out.append(Assign(tok.text, op.text, value, col=op.pos, text=self.text))  # type: ignore[arg-type]
            end = self.peek()
            if not (end.kind in ("end", "nl") or (end.kind == "op" and end.text == ";")):
                self.end_of_expression("';' or a new line")


@functools.lru_cache(maxsize=2048)
def parse_condition(text: str) -> Expr:
    """The expression ``text`` reads as; :class:`ExprError` if it does not. Line breaks count as spaces."""
    return _Parser("condition", text, newlines=False).condition()


@functools.lru_cache(maxsize=2048)
def _effects(text: str) -> tuple[Assign, ...]:
    return _Parser("effects", text, newlines=True).effects()


def parse_effects(text: str) -> list[Assign]:
    """The assignments of ``text``, separated by ``;`` or line breaks (outside brackets); empty text gives ``[]``."""
    return list(_effects(text))


# --------------------------------------------------------------------------- printing


def _prec(node: Expr) -> int:
    if isinstance(node, Arith | Logic | Compare):
        return _INFIX[node.op]
    if isinstance(node, Not):
        return _NOT_BP
    if isinstance(node, Neg):
        return _NEG_BP
    return 8


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def unparse(expr: Expr) -> str:
    """Canonical text for ``expr``: single spaces, double quotes, the fewest parentheses.

    ``parse_condition(unparse(e)) == e`` for every tree the parser can produce.
    """
    if isinstance(expr, Int):
        return str(expr.value)
    if isinstance(expr, Str):
        return _quote(expr.value)
    if isinstance(expr, Bool):
        return "true" if expr.value else "false"
    if isinstance(expr, Null):
        return "none"
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, ListLit):
        return "[" + ", ".join(unparse(item) for item in expr.items) + "]"
    if isinstance(expr, Neg | Not):
        bp = _prec(expr)
        inner = unparse(expr.operand)
        inner = f"({inner})" if _prec(expr.operand) < bp else inner
        return f"-{inner}" if isinstance(expr, Neg) else f"not {inner}"
    bp = _prec(expr)
    left, right = unparse(expr.left), unparse(expr.right)
    if _prec(expr.left) < bp or (bp == _COMPARE_BP and _prec(expr.left) == bp):
        left = f"({left})"
    if _prec(expr.right) <= bp:
        right = f"({right})"
    return f"{left} {expr.op} {right}"


def unparse_effects(effects: Iterable[Assign]) -> str:
    """Canonical text for ``effects``, joined by ``"; "``; it reads back as the same effects."""
    return "; ".join(f"{a.name} {a.op} {unparse(a.value)}" for a in effects)


# --------------------------------------------------------------------------- names


def names_read(source: Expr | Iterable[Assign]) -> set[str]:
    """The variables an expression (or effects) reads, as written (``x``, ``scene.x``).

    An augmented effect (``x += 1``) reads its target too.
    """
    out: set[str] = set()
    stack: list[Expr] = []
    if isinstance(source, _Node):
        stack.append(source)
    else:
        for effect in source:
            stack.append(effect.value)
            if effect.op != "=":
                out.add(effect.name)
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            out.add(node.name)
        stack.extend(_children(node))
    return out


def names_written(effects: Iterable[Assign]) -> set[str]:
    """The variables ``effects`` assign, as written."""
    return {a.name for a in effects}


def resolve_name(name: str, env: Mapping[str, object]) -> str | None:
    """The key of ``env`` a variable means, or ``None``.

    A scoped name means itself; a bare ``x`` the first of ``scene.x``,
    ``session.x``, ``global.x`` that ``env`` holds.
    """
    if "." in name:
        return name if name in env else None
    for scope in SCOPES:
        key = f"{scope}.{name}"
        if key in env:
            return key
    return None


# --------------------------------------------------------------------------- evaluation


def _type_name(value: object) -> str:
    """The type of ``value`` in words, with its article: ``an integer``, ``a string``, ``none``."""
    if value is None:
        return "none"
    words = {bool: "a boolean", int: "an integer", str: "a string", list: "a list"}
    return words.get(type(value), f"a {type(value).__name__}")


def truthy(value: Value) -> bool:
    """The truth of a value: ``0``, ``""``, ``none``, ``[]`` and ``false`` are false, everything else true."""
    return not (value is None or value is False or value == 0 or value == "" or value == [])


def equal(a: Value, b: Value) -> bool:
    """``==`` of the language: same type and same value (``1 == true`` is false); lists item by item."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _is_int(value: Value) -> TypeGuard[int]:
    """An integer proper: booleans are not numbers here."""
    return isinstance(value, int) and not isinstance(value, bool)


_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Eval:
    def __init__(self, kind: str, text: str | None, root: Expr | Assign) -> None:
        self.kind, self.text, self.root = kind, text, root

    def fail(self, pos: int, reason: str) -> EvalError:
        if self.text is None:
            shown = unparse(self.root) if not isinstance(self.root, Assign) else unparse_effects([self.root])
            return EvalError(f"{self.kind} {_shown(shown)}: {reason}", column=None, reason=reason)
        head, line, col = _where(self.kind, self.text, pos)
        return EvalError(f"{head}: {reason}", column=col, line=line, reason=reason)

    def int_result(self, pos: int, value: int) -> int:
        if not INT_MIN <= value <= INT_MAX:
            raise self.fail(pos, "integer overflow: the result leaves the 64-bit range")
        return value

    def lookup(self, node: Name, env: Mapping[str, Value]) -> Value:
        key = resolve_name(node.name, env)
        if key is None:
            raise self.fail(node.col, f"{node.name} is not defined")
        value = env[key]
        if not (value is None or isinstance(value, int | str | list)):
            raise self.fail(node.col, f"{key} holds {_type_name(value)}, which is not a story value")
        if _is_int(value) and not INT_MIN <= value <= INT_MAX:
            raise self.fail(node.col, f"{key} holds an integer outside the 64-bit range")
        return value

    def arith(self, op: str, a: Value, b: Value, pos: int) -> Value:
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if not (_is_int(a) and _is_int(b)):
            verb = {"+": "add", "-": "subtract", "*": "multiply", "//": "divide", "%": "take the remainder of"}[op]
            joined = {"+": "and", "-": "from", "*": "by", "//": "by", "%": "by"}[op]
            first, second = (b, a) if op == "-" else (a, b)
            raise self.fail(pos, f"cannot {verb} {_type_name(first)} {joined} {_type_name(second)} with '{op}'")
        if op == "+":
            return self.int_result(pos, a + b)
        if op == "-":
            return self.int_result(pos, a - b)
        if op == "*":
            return self.int_result(pos, a * b)
        if b == 0:
            raise self.fail(pos, "division by zero" if op == "//" else "modulo by zero")
        return self.int_result(pos, a // b if op == "//" else a % b)

    def compare(self, op: str, a: Value, b: Value, pos: int) -> bool:
        if op == "==":
            return equal(a, b)
        if op == "!=":
            return not equal(a, b)
        if op in ("in", "not in"):
            if isinstance(b, list):
                found = any(equal(a, item) for item in b)
            elif isinstance(b, str):
                if not isinstance(a, str):
                    raise self.fail(pos, f"'{op}' a string looks for a string, not {_type_name(a)}")
                found = a in b
            else:
                raise self.fail(pos, f"'{op}' needs a list or a string on its right, not {_type_name(b)}")
            return found if op == "in" else not found
        if _is_int(a) and _is_int(b):
            return _ORDER[op](a, b)
        if isinstance(a, str) and isinstance(b, str):
            return _ORDER[op](a, b)
        raise self.fail(pos, f"cannot order {_type_name(a)} and {_type_name(b)} with '{op}'")

    def run(self, node: Expr, env: Mapping[str, Value]) -> Value:
        if isinstance(node, Int):
            return self.int_result(node.col, node.value)
        if isinstance(node, Str | Bool):
            return node.value
        if isinstance(node, Null):
            return None
        if isinstance(node, Name):
            return self.lookup(node, env)
        if isinstance(node, ListLit):
            return [self.run(item, env) for item in node.items]
        if isinstance(node, Not):
            return not truthy(self.run(node.operand, env))
        if isinstance(node, Neg):
            value = self.run(node.operand, env)
            if not _is_int(value):
                raise self.fail(node.col, f"cannot negate {_type_name(value)}")
            return self.int_result(node.col, -value)
        if isinstance(node, Logic):
            left = truthy(self.run(node.left, env))
            if left == (node.op == "or"):
                return left
            return truthy(self.run(node.right, env))
        if isinstance(node, Arith):
            return self.arith(node.op, self.run(node.left, env), self.run(node.right, env), node.col)
        return self.compare(node.op, self.run(node.left, env), self.run(node.right, env), node.col)


def evaluate(expr: Expr, env: Mapping[str, Value]) -> Value:
    """The value of ``expr`` with the variables of ``env`` (keys are scoped: ``global.x``); :class:`EvalError` if none.

    ``and`` and ``or`` return booleans and evaluate their right side only when
    the left does not decide.
    """
    runner = _Eval("condition", expr.text, expr)
    if expr.depth > MAX_DEPTH:
        raise runner.fail(expr.col, f"nested too deeply (at most {MAX_DEPTH} levels)")
    return runner.run(expr, env)


def apply_effects(effects: Sequence[Assign], env: Mapping[str, Value]) -> dict[str, Value]:
    """``env`` after ``effects``, in order (each sees the ones before); a new dict, ``env`` is left alone.

    A target resolves like a name in an expression (a bare ``x`` is the first
    of ``scene.x``, ``session.x``, ``global.x``); it must exist, and it keeps
    its type: assigning a value of another type is an :class:`EvalError`.
    ``x += v`` is ``x = x + v`` (integers, or strings joined), ``-=`` and
    ``*=`` take integers.
    """
    out: dict[str, Value] = dict(env)
    for effect in effects:
        runner = _Eval("effects", effect.text, effect)
        if effect.value.depth > MAX_DEPTH:
            raise runner.fail(effect.col, f"nested too deeply (at most {MAX_DEPTH} levels)")
        key = resolve_name(effect.name, out)
        if key is None:
            raise runner.fail(effect.col, f"{effect.name} is not defined")
        value = runner.run(effect.value, out)
        old = out[key]
        if effect.op != "=":
            value = runner.arith(effect.op[0], old, value, effect.col)
        if type(value) is not type(old):
            raise runner.fail(effect.col, f"{key} holds {_type_name(old)}; it cannot be given {_type_name(value)}")
        out[key] = value
    return out


__all__ = [
    "INT_MAX",
    "INT_MIN",
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "SCOPES",
    "Arith",
    "ArithOp",
    "Assign",
    "AssignOp",
    "Bool",
    "Compare",
    "CompareOp",
    "EvalError",
    "Expr",
    "ExprError",
    "Int",
    "ListLit",
    "Logic",
    "LogicOp",
    "Name",
    "Neg",
    "Not",
    "Null",
    "Str",
    "Value",
    "apply_effects",
    "equal",
    "evaluate",
    "names_read",
    "names_written",
    "parse_condition",
    "parse_effects",
    "resolve_name",
    "truthy",
    "unparse",
    "unparse_effects",
]
