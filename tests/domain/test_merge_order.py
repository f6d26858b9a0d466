"""``merge_order`` and ``arrange``: ordered lists of ids merge by anchors; reorders survive insertions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain.ordermerge import arrange, follow, merge_order

PROPERTY = settings(max_examples=200, deadline=None)
IDS = [f"x{i}" for i in range(8)]


def ids(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "merged"),
    [
        ("a b c d", "a b X c d", "a Y b c d", "a Y b X c d"),  # insertions at different anchors
        ("a b c", "a X b c", "a Y b c", "a X Y b c"),  # same anchor: both, in id order, either way round
        ("a b c d", "d c b a", "a b X c d", "d c b X a"),  # a reorder and an insertion (X follows b)
        ("a b c d", "b c d a", "a b c d z", "b c d a z"),  # a move and an append (same anchor: id order)
        ("a b c d", "a c d", "a b c d Z", "a c d Z"),  # a deletion and an insertion
        ("a b c d", "a b X c d", "a c d", "a X c d"),  # the anchor is deleted: X stays where it was
        ("a b c", "a b c", "c b a", "c b a"),  # one side only: that side
        ("", "a", "b", "a b"),
    ],
)
def test_merge_order_examples(base: str, ours: str, theirs: str, merged: str) -> None:
    assert merge_order(ids(base), ids(ours), ids(theirs)) == ids(merged)


def test_an_item_moved_to_two_places_is_contested_and_ours_wins() -> None:
    base, ours, theirs = ids("a b c d"), ids("b c a d"), ids("b c d a")
    arranged = arrange(base, ours, theirs, set(base))
    assert arranged.contested
    assert arranged.order == ours
    assert not arrange(base, ours, ours, set(base)).contested


def test_kept_items_that_a_side_deleted_stay_at_their_base_place() -> None:
    # d was deleted by theirs but the caller keeps it (it was edited by ours)
    assert arrange(ids("a b c d"), ids("a b c d"), ids("a c b"), set("abcd")).order == ids("a c b d")


def test_follow_takes_the_wanted_order_and_keeps_the_rest() -> None:
    assert follow(ids("a b c d"), ids("d c b a")) == ids("d c b a")
    assert follow(ids("a b c"), ids("b a gone")) == ids("b a c")
    assert [x for x in follow(ids("a b X c"), ids("c b a")) if x != "X"] == ids("c b a")
    assert follow(ids("a b c"), []) == ids("a b c")


orders = st.lists(st.sampled_from(IDS), unique=True, max_size=7)


@st.composite
def edited(draw: st.DrawFn, base: list[str], fresh: list[str], move: bool) -> list[str]:
    """``base`` with some ids dropped, ``fresh`` ids inserted anywhere, and (if ``move``) some moved."""
    out = [x for x in base if draw(st.integers(0, 4))]
    if move and out:
        out = list(draw(st.permutations(out)))
    for item in fresh:
        out.insert(draw(st.integers(0, len(out))), item)
    return out


@PROPERTY
@given(orders, orders)
def test_an_unchanged_side_yields_the_other(base: list[str], other: list[str]) -> None:
    assert merge_order(base, base, other) == other
    assert merge_order(base, other, base) == other
    assert merge_order(other, other, other) == other


@PROPERTY
@given(st.data())
def test_one_side_reorders_both_insert_and_delete(data: st.DataObject) -> None:
    base = data.draw(orders)
    mover = data.draw(st.sampled_from(["ours", "theirs", None]))
    ours = data.draw(edited(base, ["o1", "o2"][: data.draw(st.integers(0, 2))], mover == "ours"))
    theirs = data.draw(edited(base, ["t1"][: data.draw(st.integers(0, 1))], mover == "theirs"))
    merged = merge_order(base, ours, theirs)
    # disjoint edits commute, and nothing is contested
    assert merged == merge_order(base, theirs, ours)
    assert not arrange(base, ours, theirs, set(merged)).contested
    # the right items: kept by both, or added by one
    b, o, t = set(base), set(ours), set(theirs)
    assert set(merged) == (b & o & t) | (o - b) | (t - b)
    assert len(merged) == len(set(merged))
    sides = {"ours": (ours, t - b), "theirs": (theirs, o - b)}
    for name, (side, other_new) in sides.items():
        if mover in (name, None):
            # the reordering side's order holds for everything but the other side's insertions
            mine = [x for x in merged if x not in other_new]
            assert mine == [x for x in side if x in set(mine)]
        else:
            # the other side's insertions follow their anchor wherever the reorder took it
            new = [x for x in side if x not in b]
            for item in new:
                before = side[: side.index(item)]
                anchor = next((x for x in reversed(before) if x in set(merged) and x not in set(new)), None)
                if anchor is not None:
                    assert merged.index(anchor) < merged.index(item)


@PROPERTY
@given(orders, orders, orders)
def test_any_three_orders_merge_to_a_permutation_of_the_survivors(
    base: list[str], ours: list[str], theirs: list[str]
) -> None:
    b, o, t = set(base), set(ours), set(theirs)
    survivors = (b & o & t) | (o - b) | (t - b)
    merged = merge_order(base, ours, theirs)
    assert sorted(merged) == sorted(survivors)
    keep = b | o | t
    assert sorted(arrange(base, ours, theirs, keep).order) == sorted(keep)


@PROPERTY
@given(orders, orders)
def test_follow_puts_wanted_items_in_wanted_order(current: list[str], wanted: list[str]) -> None:
    got = follow(current, wanted)
    assert sorted(got) == sorted(current)
    shared = set(current) & set(wanted)
    assert [x for x in got if x in shared] == [x for x in wanted if x in shared]
