"""The expression language, by property: any text reads or fails with ExprError, trees print and read back,
and evaluating any tree in any environment yields a value or an EvalError, nothing else."""

from __future__ import annotations

from typing import get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain.runtime.expr import (
    INT_MAX,
    INT_MIN,
    KEYWORDS,
    MAX_DEPTH,
    Arith,
    ArithOp,
    Assign,
    AssignOp,
    Bool,
    Compare,
    CompareOp,
    EvalError,
    Expr,
    ExprError,
    Int,
    ListLit,
    Logic,
    LogicOp,
    Name,
    Neg,
    Not,
    Null,
    Str,
    Value,
    apply_effects,
    evaluate,
    names_read,
    names_written,
    parse_condition,
    parse_effects,
    truthy,
    unparse,
    unparse_effects,
)

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BARE = st.one_of(
    st.sampled_from(["a", "b", "x", "trust", "scene", "global", "_n2", "notice", "android"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True).filter(lambda s: s not in KEYWORDS),
)
SCOPE = st.sampled_from(["global", "session", "scene"])
NAMES = st.one_of(BARE, st.builds(lambda scope, name: f"{scope}.{name}", SCOPE, BARE))

LEAVES: st.SearchStrategy[Expr] = st.one_of(
    st.builds(Int, st.one_of(st.integers(0, 12), st.integers(0, INT_MAX))),
    st.builds(Str, st.text(max_size=6)),
    st.builds(Bool, st.booleans()),
    st.just(Null()),
    st.builds(Name, NAMES),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(lambda items: ListLit(tuple(items)), st.lists(children, max_size=3)),
        st.builds(Neg, children),
        st.builds(Not, children),
        st.builds(Arith, st.sampled_from(get_args(ArithOp)), children, children),
        st.builds(Logic, st.sampled_from(get_args(LogicOp)), children, children),
        st.builds(Compare, st.sampled_from(get_args(CompareOp)), children, children),
    )


TREES: st.SearchStrategy[Expr] = st.recursive(LEAVES, _extend, max_leaves=16).filter(lambda e: e.depth <= MAX_DEPTH)
EFFECTS = st.lists(st.builds(Assign, NAMES, st.sampled_from(get_args(AssignOp)), TREES), max_size=3)

VALUES: st.SearchStrategy[Value] = st.recursive(
    st.one_of(
        st.integers(INT_MIN, INT_MAX),
        st.integers(-3, 3),
        st.booleans(),
        st.text(max_size=4),
        st.none(),
    ),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)
ENVS = st.dictionaries(
    st.builds(lambda scope, name: f"{scope}.{name}", SCOPE, BARE),
    VALUES,
    max_size=8,
)


@st.composite
def tree_and_env(draw: st.DrawFn, trees: st.SearchStrategy[Expr] = TREES) -> tuple[Expr, dict[str, Value]]:
    """A tree and an environment that defines most of the variables it reads (so evaluation gets somewhere)."""
    tree = draw(trees)
    env = draw(ENVS)
    for name in sorted(names_read(tree)):
        if draw(st.integers(0, 9)) == 0:
            continue  # now and then a variable is missing
        key = name if "." in name else f"{draw(SCOPE)}.{name}"
        env[key] = draw(st.one_of(st.integers(-3, 3), VALUES))
    return tree, env


# characters that matter to the tokenizer, and words that matter to the parser
ALPHABET = [*"()[]'\"\\.,;=<>!+-*/%_ \n\t0912aZ#é", "and ", " or ", "not ", " in ", "true", "none", "global."]


def _parse_both(text: str) -> None:
    for parse in (parse_condition, parse_effects):
        try:
            parse(text)
        except ExprError as e:
            assert e.column >= 1 and e.line >= 1
            assert "\n" not in str(e), "an error message is one line"


@FUZZ
@given(st.text(max_size=60))
def test_any_text_reads_or_raises_expr_error(text: str) -> None:
    _parse_both(text)


@FUZZ
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_any_token_soup_reads_or_raises_expr_error(text: str) -> None:
    _parse_both(text)


MUTATION = st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, 9999), st.sampled_from(ALPHABET))


@FUZZ
@given(TREES, st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_expressions_read_or_raise_expr_error(tree: Expr, mutations: list[tuple[str, int, str]]) -> None:
    text = unparse(tree)
    for kind, at, piece in mutations:
        i = at % (len(text) + 1)
        if kind == "insert":
            text = text[:i] + piece + text[i:]
        elif kind == "delete":
            text = text[:i] + text[i + 1 :]
        else:
            text = text[:i] + piece + text[i + 1 :]
    _parse_both(text)
    _parse_both("x = " + text)


@PROPS
@given(TREES)
def test_unparse_reads_back_as_the_same_tree(tree: Expr) -> None:
    text = unparse(tree)
    again = parse_condition(text)
    assert again == tree
    assert unparse(again) == text
    assert names_read(again) == names_read(tree)


@PROPS
@given(EFFECTS)
def test_effects_print_and_read_back(effects: list[Assign]) -> None:
    text = unparse_effects(effects)
    assert parse_effects(text) == effects
    assert parse_effects(text.replace("; ", "\n")) == effects
    assert names_written(parse_effects(text)) == {a.name for a in effects}


def _is_value(v: object) -> bool:
    if isinstance(v, list):
        return all(_is_value(x) for x in v)
    return v is None or isinstance(v, bool | str) or (isinstance(v, int) and INT_MIN <= v <= INT_MAX)


@PROPS
@given(tree_and_env())
def test_evaluation_yields_a_value_or_eval_error(case: tuple[Expr, dict[str, Value]]) -> None:
    tree, env = case
    try:
        value = evaluate(tree, env)
    except EvalError as e:
        assert e.column is None  # a built tree has no text to point into
    else:
        assert _is_value(value)
        if isinstance(tree, Logic | Not | Compare):
            assert type(value) is bool
        assert evaluate(Not(tree), env) is (not truthy(value))


@PROPS
@given(tree_and_env())
def test_a_parsed_tree_evaluates_like_the_tree_and_its_errors_point_into_the_text(
    case: tuple[Expr, dict[str, Value]],
) -> None:
    tree, env = case
    text = unparse(tree)
    parsed = parse_condition(text)
    try:
        expected: Value | EvalError = evaluate(tree, env)
    except EvalError as e:
        expected = e
    try:
        got = evaluate(parsed, env)
    except EvalError as e:
        assert isinstance(expected, EvalError) and e.reason == expected.reason
        assert e.column is not None and 1 <= e.column <= len(text)
    else:
        assert got == expected


@st.composite
def effects_and_env(draw: st.DrawFn) -> tuple[list[Assign], dict[str, Value]]:
    """Effects and an environment that defines most of the variables they read and write."""
    effects = draw(EFFECTS)
    env = draw(ENVS)
    for name in sorted(names_read(effects) | names_written(effects)):
        if draw(st.integers(0, 9)) == 0:
            continue
        key = name if "." in name else f"{draw(SCOPE)}.{name}"
        env[key] = draw(st.one_of(st.integers(-3, 3), VALUES))
    return effects, env


@PROPS
@given(effects_and_env())
def test_applying_effects_yields_a_new_env_or_eval_error(case: tuple[list[Assign], dict[str, Value]]) -> None:
    effects, env = case
    before = dict(env)
    try:
        after = apply_effects(parse_effects(unparse_effects(effects)), env)
    except EvalError as e:
        assert e.column is not None
    else:
        assert set(after) == set(env)
        assert all(type(after[k]) is type(env[k]) for k in env), "a variable keeps its type"
        assert all(_is_value(v) for v in after.values())
    assert env == before
