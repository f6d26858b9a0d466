"""Text and conditions as Ren'Py reads them: every string reads back as the story's text, every
translated condition computes what the story language computes."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain.entities import Variable
from comfyvn_vault.domain.runtime.expr import (
    Bool,
    Compare,
    EvalError,
    Expr,
    Logic,
    Name,
    Not,
    evaluate,
    names_read,
    resolve_name,
)
from comfyvn_vault.exporters.renpy import python
from comfyvn_vault.exporters.renpy.text import RESERVED, Names, comment, identifier, renpy_string, say_string
from tests.domain.runtime.test_expr_props import tree_and_env

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: A Ren'Py string literal on one line, as Ren'Py's lexer finds its end.
LITERAL = re.compile(r'"([^\\"\n]|\\.)*"')


def ren_py_reads(literal: str) -> str:
    """What Ren'Py 8.0's script reader makes of a string literal: whitespace runs one space, escapes undone."""
    assert LITERAL.fullmatch(literal), literal
    body = re.sub(r"\s+", " ", literal[1:-1])

    def undo(m: re.Match[str]) -> str:
        c = m.group(1)
        if c in "{[%":
            return c * 2
        if c == "n":
            return "\n"
        if c[0] == "u" and m.group(2):
            return chr(int(m.group(2), 16))
        return c

    return re.sub(r"\\(u([0-9a-fA-F]{1,4})|.)", undo, body)


def shown(renpy_text: str) -> str:
    """Ren'Py text as the player sees it when it holds no tags or interpolations of its own."""
    return renpy_text.replace("[[", "[").replace("{{", "{").replace("%%", "%")


HOSTILE = [
    'She said "hi" \\o/ [name] {b}bold{/b} 100% %(x)s %%',
    "  leading and   inner   and trailing  ",
    "tab\there\nnew line\r\nwindows\x0bvt\x0cff\x1cfs\u2028ls\u00a0nbsp\u3000ideo",
    "\x00nul \x07bell \x7fdel \u200bzwsp \ufeffbom",
    "emoji 🎉 and CJK 漢字 and RTL \u202e reversed",
    "\\u0041 is not A, \\n is not a line break, \\\\ two",
    "x" * 5000,
    "[[double]] {{double}}",
    "",
]


@given(st.text(max_size=200))
@PROPS
def test_a_say_string_reads_back_as_the_text(text: str) -> None:
    assert shown(ren_py_reads(say_string(text))) == text


@given(st.text(alphabet=st.characters(blacklist_characters="[{%"), max_size=200))
@PROPS
def test_ren_py_text_keeps_its_tags_and_reads_back(text: str) -> None:
    assert ren_py_reads(renpy_string(text)) == text


def test_hostile_text_reads_back() -> None:
    for text in HOSTILE:
        literal = say_string(text)
        assert "\n" not in literal and "\r" not in literal
        assert shown(ren_py_reads(literal)) == text


def test_a_tag_in_ren_py_text_stays_a_tag() -> None:
    assert renpy_string("{b}Hi{/b} [player]") == '"{b}Hi{/b} [player]"'
    assert say_string("{b}Hi{/b} [player]") == '"{{b}Hi{{/b} [[player]"'


@given(st.text(max_size=40))
def test_names_are_identifiers_never_reserved_and_never_repeated(text: str) -> None:
    names = Names({"taken"})
    first, second = names.fresh(text, "c"), names.fresh(text, "c")
    for name in (first, second):
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
        assert name not in RESERVED
    assert first != second and "taken" not in (first, second)
    assert identifier(text) == identifier(identifier(text))


def test_a_comment_is_one_line() -> None:
    assert comment("a\nb\x00c\u2028d") == "# a b c d"
    assert len(comment("x" * 1000)) == 202


# ---------------------------------------------------------------- conditions and effects as Python


def _mixes_booleans(tree: Expr, env: dict[str, object]) -> bool:
    """Python's == finds 1 equal to True; the story language does not (the one difference, documented)."""
    stack = [tree]
    has_bool = any(isinstance(v, bool) for v in env.values())
    has_eq = False
    while stack:
        node = stack.pop()
        if isinstance(node, Bool | Logic | Not | Compare):  # a comparison's value is a boolean too
            has_bool = True
        if isinstance(node, Compare) and node.op in ("==", "!=", "in", "not in"):
            has_eq = True
        stack.extend(getattr(node, "items", ()))
        stack.extend(c for c in (getattr(node, "left", None), getattr(node, "right", None)) if c is not None)
        if hasattr(node, "operand"):
            stack.append(node.operand)
    eq_only_on_values = has_eq and not any(
        isinstance(n, Compare) and n.op in ("==", "!=", "in", "not in") and _boolish(n) for n in _walk(tree)
    )
    return has_bool and has_eq and not eq_only_on_values


def _walk(tree: Expr) -> list[Expr]:
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(getattr(node, "items", ()))
        stack.extend(c for c in (getattr(node, "left", None), getattr(node, "right", None)) if c is not None)
        if hasattr(node, "operand"):
            stack.append(node.operand)
    return out


def _boolish(compare: Compare) -> bool:
    """Whether an (in)equality may meet a boolean: an operand that is, or holds, a boolean or a variable."""
    return any(isinstance(n, Bool | Logic | Not | Compare | Name) for side in (compare.left, compare.right)
               for n in _walk(side))  # fmt: skip


def _same(a: object, b: object) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@given(tree_and_env())
@PROPS
def test_a_translated_expression_computes_what_the_story_language_computes(case: tuple[Expr, dict]) -> None:
    tree, env = case
    try:
        expected = evaluate(tree, env)
    except EvalError:
        assume(False)
        return
    assume(not _mixes_booleans(tree, env))
    assume(all(resolve_name(n, env) for n in names_read(tree)))  # an export of an undefined name is refused
    variables = [Variable(id=f"v{i}", name=k.split(".")[1], value=v, scope=k.split(".")[0]) for i, (k, v) in
                 enumerate(sorted(env.items()))]  # type: ignore[arg-type]  # fmt: skip
    names = python.VariableNames(variables, Names())
    store = {names.by_key[k]: v for k, v in env.items()}
    got = eval(python.expression(tree, names, value=True), {"__builtins__": {"bool": bool}}, store)
    assert _same(got, expected), (python.expression(tree, names, value=True), got, expected)


def test_scopes_resolve_to_the_closest_and_names_never_clash() -> None:
    variables = [
        Variable(id="a", name="trust", value=1, scope="global"),
        Variable(id="b", name="trust", value=2, scope="scene"),
        Variable(id="c", name="len", value=3, scope="global"),
        Variable(id="d", name="_hidden", value=4, scope="session"),
    ]
    names = python.VariableNames(variables, Names())
    assert python.condition("trust > 1", names) == "(scene_trust > 1)"
    assert python.condition("global.trust > 1", names) == "(global_trust > 1)"
    assert python.condition("len == 3 and _hidden", names) == "((v_len == 3) and hidden)"
    assert python.effects("trust += 1; global.trust = trust > 0 or false", names) == (
        "scene_trust += 1; global_trust = bool((scene_trust > 0) or False)"
    )
