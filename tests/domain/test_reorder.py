"""Planning moves: the result is the target order, with as few moves as a longest kept run allows."""

from __future__ import annotations

from bisect import bisect_left

from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain.reorder import START, plan_moves


def _lis_length(values: list[int]) -> int:
    tails: list[int] = []
    for v in values:
        i = bisect_left(tails, v)
        tails[i : i + 1] = [v]
    return len(tails)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 40), unique=True, max_size=25).flatmap(
        lambda xs: st.tuples(st.just(xs), st.permutations(xs))
    )
)
def test_moves_reach_the_target_minimally(pair: tuple[list[int], list[int]]) -> None:
    current, target = [str(x) for x in pair[0]], [str(x) for x in pair[1]]
    order = list(current)
    moves = plan_moves(current, target)
    for move in moves:
        was = order.index(move.item)
        order.remove(move.item)
        at = 0 if move.after == START else order.index(move.after) + 1
        assert at == move.at
        assert at != was, "a move that changes nothing"
        order.insert(at, move.item)
    assert order == target
    rank = {x: i for i, x in enumerate(target)}
    assert len(moves) == len(current) - _lis_length([rank[x] for x in current])
