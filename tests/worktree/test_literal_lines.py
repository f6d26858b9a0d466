"""The fast path of the file format writes exactly what tomli_w writes, for any table of literals."""

from __future__ import annotations

import tomllib
from typing import Any

import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.worktree.format import literal_lines

keys = st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True), st.text(max_size=6))
values = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.lists(st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.floats()), max_size=3),
)


def _crlf(value: Any) -> bool:
    return "\r\n" in value if isinstance(value, str) else isinstance(value, list) and any(map(_crlf, value))


@settings(max_examples=500)
@given(st.dictionaries(keys, values, max_size=6))
def test_literal_lines_are_what_tomli_w_writes(table: dict[str, Any]) -> None:
    if not any(map(_crlf, table.values())):
        assert literal_lines(tomli_w.dumps, table) == tomli_w.dumps(table, multiline_strings=True)


crlf_text = st.lists(st.sampled_from(["a", "\r\n", "\n", "\r", '"', "\\", " "]), max_size=12).map("".join)


@settings(max_examples=300)
@given(st.dictionaries(keys, st.one_of(crlf_text, st.lists(crlf_text, max_size=3), st.text(max_size=20)), max_size=5))
def test_literal_lines_read_back_exactly_crlf_and_all(table: dict[str, Any]) -> None:
    # tomli_w's multi-line strings turn CRLF into LF; the file format keeps every character
    assert tomllib.loads(literal_lines(tomli_w.dumps, table)) == table


def test_the_common_lines_take_the_fast_path() -> None:
    def refuse(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("tomli_w was called")

    line = {
        "speaker": "mira",
        "content": "The lamp is out. Tabs\tand ünïcode ☃ too.",
        "source_message": 12,
        "hidden": True,
    }
    assert literal_lines(refuse, line) == tomli_w.dumps(line, multiline_strings=True)
