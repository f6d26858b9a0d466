"""The expression language, by table: precedence, types, truthiness, effects, and errors with their columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from comfyvn_vault.domain.runtime.expr import (
    MAX_DEPTH,
    MAX_LENGTH,
    Arith,
    Assign,
    Compare,
    EvalError,
    ExprError,
    Int,
    Logic,
    Name,
    Neg,
    Not,
    Str,
    Value,
    apply_effects,
    evaluate,
    names_read,
    names_written,
    parse_condition,
    parse_effects,
    resolve_name,
    unparse,
)
from comfyvn_vault.errors import InputRejected

ENV: dict[str, Value] = {
    "global.trust": 3,
    "scene.trust": 5,
    "global.name": "Alice",
    "session.items": ["key", "map"],
    "global.done": False,
    "global.nothing": None,
    "global.zero": 0,
}


def ev(text: str, env: dict[str, Value] | None = None) -> Value:
    return evaluate(parse_condition(text), ENV if env is None else env)


# --------------------------------------------------------------------------- precedence and canonical text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1+2*3", "1 + 2 * 3"),
        ("(1+2)*3", "(1 + 2) * 3"),
        ("1-2-3", "1 - 2 - 3"),
        ("1-(2-3)", "1 - (2 - 3)"),
        ("-a*b", "-a * b"),
        ("-(a*b)", "-(a * b)"),
        ("--a", "--a"),
        ("a - -b", "a - -b"),
        ("not a == b", "not a == b"),
        ("(not a) == b", "(not a) == b"),
        ("not not a", "not not a"),
        ("a or b and c", "a or b and c"),
        ("(a or b) and c", "(a or b) and c"),
        ("not a and b", "not a and b"),
        ("not (a and b)", "not (a and b)"),
        ("a + 1 < b * 2", "a + 1 < b * 2"),
        ("(a < b) == c", "(a < b) == c"),
        ("a == (b < c)", "a == (b < c)"),
        ("x not in [1,2,]", "x not in [1, 2]"),
        ("'it\\'s' in s", '"it\'s" in s'),
        ('"a\\"b\\n\\t\\\\"', '"a\\"b\\n\\t\\\\"'),
        ("1_000_000 % 7 // 2", "1000000 % 7 // 2"),
        ("global.x + scene.y - session.z", "global.x + scene.y - session.z"),
        ("[]", "[]"),
        ("[[1], [none, true, false]]", "[[1], [none, true, false]]"),
        ("a\n  and\n b", "a and b"),
        ("scene", "scene"),
    ],
)
def test_precedence_and_canonical_text(text: str, canonical: str) -> None:
    tree = parse_condition(text)
    assert unparse(tree) == canonical
    assert parse_condition(canonical) == tree


def test_the_tree_shapes() -> None:
    assert parse_condition("1 + 2 * 3") == Arith("+", Int(1), Arith("*", Int(2), Int(3)))
    assert parse_condition("-x // 2") == Arith("//", Neg(Name("x")), Int(2))
    assert parse_condition("not a or b") == Logic("or", Not(Name("a")), Name("b"))
    assert parse_condition("a not in 'xyz'") == Compare("not in", Name("a"), Str("xyz"))


# --------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 3 - 2", 5),
        ("-7 // 2", -4),
        ("-7 % 3", 2),
        ("7 % -3", -2),
        ("'ab' + \"cd\"", "abcd"),
        ("trust", 5),  # scene.trust comes first
        ("global.trust", 3),
        ("scene.trust > global.trust", True),
        ("name == 'Alice'", True),
        ("'lic' in name", True),
        ("'key' in items and 'sword' not in items", True),
        ("1 == true", False),
        ("0 == false", False),
        ("1 != '1'", True),
        ("none == nothing", True),
        ("[1, [2]] == [1, [2]]", True),
        ("[1] == [true]", False),
        ("1 in [true, 1]", True),
        ("true in [1]", False),
        ("'a' < 'b'", True),
        ("3 <= 3", True),
        ("1 and 'x'", True),
        ("0 or ''", False),
        ("not []", True),
        ("not none", True),
        ("not zero", True),
        ("[0]", [0]),
        ("done or not done", True),
        ("none", None),
        # short circuits: the undefined name is never looked at
        ("false and undefined", False),
        ("true or undefined", True),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775807 - 1", -(2**63)),
    ],
)
def test_evaluation(text: str, value: Value) -> None:
    got = ev(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("name + 1", 6, "cannot add a string and an integer with '+'"),
        ("1 + true", 3, "cannot add an integer and a boolean with '+'"),
        ("true * 2", 6, "cannot multiply a boolean by an integer with '*'"),
        ("2 - 'a'", 3, "cannot subtract a string from an integer with '-'"),
        ("-done", 1, "cannot negate a boolean"),
        ("1 // zero", 3, "division by zero"),
        ("1 % 0", 3, "modulo by zero"),
        ("1 < 'a'", 3, "cannot order an integer and a string with '<'"),
        ("true < false", 6, "cannot order a boolean and a boolean with '<'"),
        ("none >= 1", 6, "cannot order none and an integer with '>='"),
        ("1 in 'abc'", 3, "'in' a string looks for a string, not an integer"),
        ("1 not in 5", 3, "'not in' needs a list or a string on its right, not an integer"),
        ("ghost == 1", 1, "ghost is not defined"),
        ("global.ghost", 1, "global.ghost is not defined"),
        ("1 + (2 * ghost)", 10, "ghost is not defined"),
        ("9223372036854775807 + 1", 21, "integer overflow: the result leaves the 64-bit range"),
        ("-(-9223372036854775807 - 1)", 1, "integer overflow: the result leaves the 64-bit range"),
        ("(-9223372036854775807 - 1) // -1", 28, "integer overflow: the result leaves the 64-bit range"),
    ],
)
def test_evaluation_errors_name_the_expression_and_the_operator(text: str, column: int, reason: str) -> None:
    with pytest.raises(EvalError) as info:
        ev(text)
    assert info.value.column == column
    assert info.value.reason == reason
    assert str(info.value) == f'condition "{text}": column {column}: {reason}'
    assert isinstance(info.value, InputRejected) and info.value.exit_code == 3


def test_a_built_tree_names_its_canonical_text_and_no_column() -> None:
    with pytest.raises(EvalError) as info:
        evaluate(Arith("+", Int(1), Str("a")), {})
    assert info.value.column is None
    assert str(info.value) == """condition "1 + "a"": cannot add an integer and a string with '+'"""


def test_env_values_outside_the_language_are_refused() -> None:
    with pytest.raises(EvalError, match="holds a float"):
        evaluate(parse_condition("x"), {"global.x": 1.5})  # type: ignore[dict-item]
    with pytest.raises(EvalError, match="outside the 64-bit range"):
        evaluate(parse_condition("x"), {"global.x": 2**70})


def test_name_resolution_order() -> None:
    env: dict[str, Value] = {"global.x": 1, "session.x": 2}
    assert resolve_name("x", env) == "session.x"
    assert resolve_name("global.x", env) == "global.x"
    assert resolve_name("scene.x", env) is None
    assert resolve_name("y", env) is None
    assert evaluate(parse_condition("x"), env) == 2


# --------------------------------------------------------------------------- syntax errors, with columns


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("trust >>= banana((", 8, "expected an expression after '>', found '>='"),
        ("x >>= (", 4, "expected an expression after '>', found '>='"),
        ("a < b < c", 7, "comparisons do not chain: after '<' comes '<'; join them with 'and'"),
        ("a == b != c", 8, "comparisons do not chain: after '==' comes '!='; join them with 'and'"),
        ("x in y not in z", 8, "comparisons do not chain: after 'in' comes 'not in'; join them with 'and'"),
        ("a / b", 3, "'/' is not an operator: use '//' for integer division"),
        ("!a", 1, "'!' is not an operator: use 'not', or '!=' to compare"),
        ("a && b", 3, "'&' is not an operator: use 'and'"),
        ("a || b", 3, "'|' is not an operator: use 'or'"),
        ("a = 1", 3, "expected an operator or the end, found '=' (compare with '==')"),
        ('"abc', 1, 'the string opened here is not closed (end it with ")'),
        ("x == 'abc", 6, "the string opened here is not closed (end it with ')"),
        ("'abc\\", 1, "the string opened here is not closed (end it with ')"),
        ("'a\nb'", 1, "the string opened here is not closed (end it with ')"),
        ("'a\\qb'", 3, "unknown escape '\\q' (the escapes are \\\\ \\\" \\' \\n \\t)"),
        ("foo.bar", 4, "'.' may only follow a scope (global, session or scene), not 'foo'"),
        ("global.x.y", 9, "'.' may only follow a scope (global, session or scene), not 'global.x'"),
        ("global.", 8, "expected a variable name after 'global.'"),
        ("scene.1", 7, "expected a variable name after 'scene.'"),
        ("global .x", 8, "'.' may only join a scope (global, session or scene) to a variable name"),
        (".5", 1, "'.' may only join a scope (global, session or scene) to a variable name"),
        ("1.5", 2, "numbers are whole: there are no fractions (use // for integer division)"),
        ("session.not", 9, "'not' is a keyword, not a variable name"),
        ("and", 1, "expected an expression, found 'and'"),
        ("a and or", 7, "expected an expression after 'and', found 'or'"),
        ("in x", 1, "expected an expression, found 'in'"),
        ("not in x", 5, "expected an expression after 'not', found 'in'"),
        ("a not b", 3, "expected an operator or the end, found 'not'"),
        ("1 + not 2", 5, "'not' cannot stand after '+': put it in parentheses, e.g. (not x)"),
        ("a == not b", 6, "'not' cannot stand after '==': put it in parentheses, e.g. (not x)"),
        ("(a + b", 7, "expected ')' to close the '(' of column 1, found the end"),
        ("a + b)", 6, "expected an operator or the end, found ')'"),
        ("[1, 2", 6, "expected ',' or ']' in the list opened at column 1, found the end"),
        ("[1 2]", 4, "expected ',' or ']' in the list opened at column 1, found 2"),
        ("[,]", 2, "expected an expression after '[', found ','"),
        ("", 1, "expected an expression, found nothing"),
        ("   ", 4, "expected an expression, found nothing"),
        ("1__0", 2, "a '_' in a number must stand between two digits"),
        ("1_", 2, "a '_' in a number must stand between two digits"),
        ("12abc", 3, "a number cannot run into a name: put a space or an operator before 'a'"),
        ("9223372036854775808", 1, "integer too large (the largest is 9223372036854775807)"),
        ("x ? 1", 3, "unexpected character '?'"),
        ("a b", 3, "expected an operator or the end, found 'b'"),
        ("a; b", 2, "expected an operator or the end, found ';'"),
        ("f(x)", 2, "expected an operator or the end, found '('"),
        ("x[0]", 2, "expected an operator or the end, found '['"),
        ("é", 1, "unexpected character 'é'"),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, column: int, reason: str) -> None:
    with pytest.raises(ExprError) as info:
        parse_condition(text)
    assert (info.value.column, info.value.reason) == (column, reason)
    if "\n" not in text:
        assert str(info.value) == f'condition "{text}": column {column}: {reason}'
    assert isinstance(info.value, InputRejected) and info.value.exit_code == 3


def test_the_message_of_the_brief() -> None:
    with pytest.raises(ExprError) as info:
        parse_condition("trust >>= banana((")
    assert str(info.value) == "condition \"trust >>= banana((\": column 8: expected an expression after '>', found '>='"


def test_keywords_are_not_names() -> None:
    for word in ("and", "or", "not", "in", "true", "false", "none"):
        with pytest.raises(ExprError, match="keyword"):
            parse_effects(f"{word} = 1")
        with pytest.raises(ExprError, match="keyword"):
            parse_condition(f"global.{word}")
    assert parse_condition("android or nothing or inner") == Logic(
        "or", Logic("or", Name("android"), Name("nothing")), Name("inner")
    )


def test_a_multi_line_text_names_line_and_column() -> None:
    with pytest.raises(ExprError) as info:
        parse_condition("a and\n  b c")
    assert (info.value.line, info.value.column) == (2, 5)
    expected = "line 2, column 5: expected an operator or the end, found 'c'"
    assert str(info.value) == f'condition "a and\\n  b c": {expected}'


def test_limits() -> None:
    with pytest.raises(ExprError, match=f"longer than {MAX_LENGTH} characters") as info:
        parse_condition("1" + " " * MAX_LENGTH)
    assert info.value.column == MAX_LENGTH + 1
    for deep in ("(" * 3000 + "x" + ")" * 3000, "-" * 3000 + "x", "not " * 900 + "x", "[" * 2000 + "]" * 2000):
        with pytest.raises(ExprError, match="nested too deeply"):
            parse_condition(deep[:MAX_LENGTH])
    with pytest.raises(ExprError, match="nested too deeply"):
        parse_condition("+".join(["1"] * 100))
    # right at the limit everything still works, evaluation included
    chain = "+".join(["1"] * MAX_DEPTH)
    assert evaluate(parse_condition(chain), {}) == MAX_DEPTH
    nested = "-(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1)
    assert evaluate(parse_condition(nested), {}) == -1
    assert evaluate(parse_condition("(" * 150 + "1" + ")" * 150), {}) == 1


def test_parsing_is_cached_and_the_cache_hands_out_fresh_effect_lists() -> None:
    assert parse_condition("a + 1") is parse_condition("a + 1")
    first = parse_effects("x = 1")
    first.clear()
    assert parse_effects("x = 1") == [Assign("x", "=", Int(1))]


def test_names_read() -> None:
    assert names_read(parse_condition("a + scene.b > c and 'd' in [e, 1]")) == {"a", "scene.b", "c", "e"}
    assert names_read(parse_condition("1")) == set()


# --------------------------------------------------------------------------- effects


def test_effects_read() -> None:
    assert parse_effects("") == []
    assert parse_effects(" \n ;; \n") == []
    assert parse_effects("a = 1; b += 2\nscene.c -= 3;\n\nglobal.d *= (4 +\n 5)\n") == [
        Assign("a", "=", Int(1)),
        Assign("b", "+=", Int(2)),
        Assign("scene.c", "-=", Int(3)),
        Assign("global.d", "*=", Arith("+", Int(4), Int(5))),
    ]


def test_effects_apply_in_order_to_a_new_dict() -> None:
    effects = parse_effects("trust += 1; global.trust = trust * 2\nname += '!'")
    before = dict(ENV)
    after = apply_effects(effects, ENV)
    assert before == ENV
    assert after["scene.trust"] == 6 and after["global.trust"] == 12 and after["global.name"] == "Alice!"
    assert names_written(effects) == {"trust", "global.trust", "name"}
    assert names_read(effects) == {"trust", "name"}


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("ghost = 1", 7, "ghost is not defined"),
        ("global.ghost += 1", 14, "global.ghost is not defined"),
        ("trust = 'high'", 7, "scene.trust holds an integer; it cannot be given a string"),
        ("done = 0", 6, "global.done holds a boolean; it cannot be given an integer"),
        ("trust += true", 7, "cannot add an integer and a boolean with '+'"),
        ("name -= 'e'", 6, "cannot subtract a string from a string with '-'"),
        ("name *= 2", 6, "cannot multiply a string by an integer with '*'"),
        ("trust = 1 // 0", 11, "division by zero"),
    ],
)
def test_effect_errors(text: str, column: int, reason: str) -> None:
    with pytest.raises(EvalError) as info:
        apply_effects(parse_effects(text), ENV)
    assert (info.value.column, info.value.reason) == (column, reason)
    assert str(info.value) == f'effects "{text}": column {column}: {reason}'


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("true = 1", 1, "'true' is a keyword, not a variable name"),
        ("x == 1", 3, "expected '=', '+=', '-=' or '*=' after 'x', found '=='"),
        ("x = 1 y = 2", 7, "expected an operator or ';' or a new line, found 'y'"),
        ("x = y = 2", 7, "expected an operator or ';' or a new line, found '='"),
        ("42 = 1", 1, "expected a variable name to assign to, found 42"),
        ("x /= 2", 3, "'/' is not an operator: use '//' for integer division"),
        ("x =", 4, "expected an expression after '=', found the end"),
        ("x = 1;\ny", 2, "expected '=', '+=', '-=' or '*=' after 'y', found the end"),
        ("foo.x = 1", 4, "'.' may only follow a scope (global, session or scene), not 'foo'"),
    ],
)
def test_effect_syntax_errors(text: str, column: int, reason: str) -> None:
    with pytest.raises(ExprError) as info:
        parse_effects(text)
    assert (info.value.column, info.value.reason) == (column, reason)
    assert str(info.value).startswith("effects ")


# --------------------------------------------------------------------------- the writers' page


def test_the_error_examples_of_the_docs_are_what_the_language_says() -> None:
    doc = Path(__file__).resolve().parents[3] / "docs" / "expressions.md"
    env: dict[str, Value] = {"scene.trust": 5, "global.name": "Alice", "global.gold": 3, "global.rounds": 0}
    lines = doc.read_text(encoding="utf-8").splitlines()
    examples = [line for line in lines if line.startswith(('condition "', 'effects "'))]
    assert len(examples) >= 10
    for line in examples:
        kind, rest = line.split(" ", 1)
        text = rest[1 : rest.index('": ')]
        with pytest.raises((ExprError, EvalError)) as info:
            if kind == "condition":
                evaluate(parse_condition(text), env)
            else:
                apply_effects(parse_effects(text), env)
        assert str(info.value) == line
