"""The key scheme of the projections: user text of any length or content becomes an LMDB key that fits
and keeps lookups exact; revisions of any text parse or are refused cleanly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain.entities import Character, Node, Scene
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.history.revisions import RevisionError, parse_rev
from comfyvn_vault.projections.keys import MARK, MAX_KEY, PART_MAX, fits, key_part, prefix_parts, readable
from comfyvn_vault.projections.registry import document_keys
from comfyvn_vault.projections.search import node_matches

#: Long runs of a few letters (one, two and three UTF-8 bytes each), so texts cross every cut.
LONG = st.text(alphabet="aé€\x00\x01 ", min_size=0, max_size=700)
ANY = st.one_of(st.text(max_size=400), LONG)


@settings(max_examples=300, deadline=None)
@given(text=ANY)
def test_a_part_is_short_nul_free_and_plain_when_it_can_be(text: str) -> None:
    part = key_part(text)
    assert len(part) <= PART_MAX and b"\0" not in part
    raw = text.encode()
    plain = len(raw) <= PART_MAX and "\0" not in text and "\x01" not in text
    assert (part == raw) is plain
    assert (MARK in part) is not plain
    shown = text.replace("\0", "?").replace("\x01", "?")
    assert readable(part) == text if plain else shown.startswith(readable(part)) and len(readable(part)) <= 160


@settings(max_examples=300, deadline=None)
@given(a=ANY, b=ANY)
def test_parts_are_exact_different_texts_never_share_a_part(a: str, b: str) -> None:
    assert (key_part(a) == key_part(b)) is (a == b)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="zé€", min_size=1, max_size=700), data=st.data())
def test_prefix_parts_find_every_part_a_prefix_begins(text: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(1, len(text)))
    prefixes = prefix_parts(text[:cut])
    assert any(key_part(text).startswith(p) for p in prefixes)


def test_surrogates_from_a_command_line_make_a_part_not_an_error() -> None:
    part = key_part("caf\udce9")
    assert MARK in part and fits(part)
    assert key_part("caf\udce9") != key_part("caf\udce8")


@settings(max_examples=60, deadline=None)
@given(text=LONG, word=st.text(alphabet="wé", min_size=1, max_size=900))
def test_every_projection_key_of_long_text_fits_lmdb(text: str, word: str) -> None:
    node = Node(id="n1", speaker=text or None, content=f"{word} {text}")
    scene = Scene(id="s" * 64, title=text, nodes=[node])
    keys = [k for _, k in document_keys(f"scenes/{scene.id}", scene)]
    keys += [k for _, k in document_keys("characters/c", Character(id="c", name=text))]
    assert keys and all(0 < len(k) <= MAX_KEY for k in keys)
    assert node_matches(word, node) and node_matches(word[: len(word) // 2 + 1], node)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=60), st.from_regex(r"[a-z@]{0,6}([~^][0-9]{0,12}){0,5}", fullmatch=True)))
def test_any_revision_text_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        base, steps = parse_rev(text)
    except RevisionError as exc:
        assert isinstance(exc, InputRejected) and exc.exit_code == 3 and len(exc.message) < 200
        return
    assert "~" not in base and "^" not in base
    assert all(op in "~^" and 0 <= n < 10**9 for op, n in steps)


def test_revision_steps_read_as_git_does() -> None:
    assert parse_rev("main~2^2~") == ("main", [("~", 2), ("^", 2), ("~", 1)])
    assert parse_rev("HEAD^^") == ("HEAD", [("^", 1), ("^", 1)])
    assert parse_rev("~3") == ("", [("~", 3)])
    for bad in ("", " ", "main~x", "HEAD^-1", "a~1b", "HEAD~" + "9" * 12):
        try:
            parse_rev(bad)
        except RevisionError as exc:
            assert not exc.base_found
        else:
            raise AssertionError(bad)
