"""``merge_text``: dialogue merges word by word; overlapping edits are reported, never guessed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain.textmerge import merge_text, tokens

PROPERTY = settings(max_examples=150, deadline=None)
WORDS = st.lists(st.sampled_from(["the", "lamp", "is", "dark", "tonight", "old", "a", "b", "é", "!"]), max_size=8)
texts = st.text(alphabet="ab é,\n", max_size=12)


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "merged"),
    [
        # the example: an insertion and a replacement in different words
        (
            "The lamp is dark tonight",
            "The old lamp is dark tonight",
            "The lamp is dark this night",
            "The old lamp is dark this night",
        ),
        ("Hello there, friend.", "Hello there, old friend.", "Hi there, friend.", "Hi there, old friend."),
        ("one two three", "one two three four", "zero one two three", "zero one two three four"),
        ("a b c d", "a B c d", "a b c D", "a B c D"),
        ("line one\nline two", "line ONE\nline two", "line one\nline TWO", "line ONE\nline TWO"),
        ("same", "changed", "changed", "changed"),  # the same edit on both sides
        ("a b c", "a c", "a b c!", "a c!"),  # a deletion and an edit elsewhere
    ],
)
def test_disjoint_word_edits_merge(base: str, ours: str, theirs: str, merged: str) -> None:
    assert merge_text(base, ours, theirs) == merged
    assert merge_text(base, theirs, ours) == merged


@pytest.mark.parametrize(
    ("base", "ours", "theirs"),
    [
        ("The lamp is dark tonight", "The lamp is bright tonight", "The lamp is dim tonight"),
        ("a b c", "X a b c", "Y a b c"),  # two insertions at the same spot
        ("a b c", "a c", "a B c"),  # a deletion of a word the other side edited
        ("a b", "A b", "a"),  # neighbouring words: dropping b drops the space beside a
        ("", "new", "other"),
    ],
)
def test_overlapping_edits_are_a_conflict(base: str, ours: str, theirs: str) -> None:
    assert merge_text(base, ours, theirs) is None
    assert merge_text(base, theirs, ours) is None


@PROPERTY
@given(texts)
def test_tokens_cover_the_text(text: str) -> None:
    assert "".join(tokens(text)) == text


@PROPERTY
@given(texts, texts)
def test_an_unchanged_side_yields_the_other(base: str, other: str) -> None:
    assert merge_text(base, base, other) == other
    assert merge_text(base, other, base) == other
    assert merge_text(base, other, other) == other


@st.composite
def disjoint_word_edits(draw: st.DrawFn) -> tuple[list[str], list[str], list[str]]:
    """A line of distinct words and two versions that replace, drop or extend disjoint words.

    Words the two sides edit are at least one untouched word apart: as in diff3
    (and git, line by line), edits to neighbouring tokens overlap (dropping a
    word drops the space beside its neighbour).
    """
    words = draw(st.lists(st.sampled_from([f"w{i}" for i in range(12)]), unique=True, min_size=1, max_size=10))
    owner: list[str | None] = []
    for _ in words:
        who = draw(st.sampled_from([None, None, "o", "t"]))
        owner.append(None if owner and owner[-1] not in (None, who) else who)
    sides: dict[str, list[str]] = {"o": [], "t": []}
    for side in sides:
        for word, who in zip(words, owner, strict=True):
            if who != side:
                sides[side].append(word)
                continue
            edit = draw(st.sampled_from(["replace", "drop", "extend"]))
            if edit == "replace":
                sides[side].append(word.upper())
            elif edit == "extend":
                sides[side] += [word, f"{side}{word}"]
    return words, sides["o"], sides["t"]


@PROPERTY
@given(disjoint_word_edits())
def test_edits_to_different_words_all_survive_and_commute(edits: tuple[list[str], list[str], list[str]]) -> None:
    words, ours, theirs = edits
    base = " ".join(words)
    merged = merge_text(base, " ".join(ours), " ".join(theirs))
    assert merged is not None
    assert merged == merge_text(base, " ".join(theirs), " ".join(ours))
    got = merged.split()
    for word in words:
        o, t = _fate(word, ours), _fate(word, theirs)
        fate = o if o != [word] else t  # at most one side touched the word
        assert [w for w in got if w in fate or w == word or w == word.upper()] == fate
    added = [w for w in got if w.startswith(("o", "t"))]
    assert sorted(added) == sorted(w for w in [*ours, *theirs] if w.startswith(("o", "t")))
    assert all(got[got.index(w) - 1] == w[1:] for w in added)  # each extension right after its word


def _fate(word: str, side: list[str]) -> list[str]:
    """What ``side`` made of ``word``: itself, its replacement, nothing, or itself and its extension."""
    return [w for w in side if w in (word, word.upper())]


@PROPERTY
@given(WORDS, WORDS, WORDS)
def test_the_merge_is_symmetric_and_keeps_agreed_edits(base: list[str], ours: list[str], theirs: list[str]) -> None:
    b, o, t = " ".join(base), " ".join(ours), " ".join(theirs)
    merged = merge_text(b, o, t)
    assert merged == merge_text(b, t, o)
    if merged is not None and o != b and t != b:
        # a clean merge of two real edits differs from base unless they cancel out
        assert merged != b or o == t == b
