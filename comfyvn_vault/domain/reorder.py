"""Turning one order of ids into another with few, anchored moves.

Used by :mod:`~comfyvn_vault.domain.diffing` for both nodes and choices. The ids
on a longest increasing subsequence (relative to the target order) stay where
they are; every other id moves once, right after its predecessor in the target
order. So swapping two neighbours is one move, and moving one node far away is
one move, however long the scene.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import NamedTuple

from comfyvn_vault.domain.events import START


class Move(NamedTuple):
    """Move ``item`` to just after ``after`` (``START``: to the front); it lands at index ``at``."""

    item: str
    after: str
    at: int


def _stay(current: list[str], target: list[str]) -> set[str]:
    """The ids of a longest run of ``current`` that is already in target order."""
    rank = {item: i for i, item in enumerate(target)}
    tail_ranks: list[int] = []  # smallest last rank of an increasing run of each length
    tail_at: list[int] = []  # position in ``current`` where that run ends
    back = [-1] * len(current)  # previous position on the best run through each position
    for pos, item in enumerate(current):
        r = rank[item]
        length = bisect_left(tail_ranks, r)
        if length == len(tail_ranks):
            tail_ranks.append(r)
            tail_at.append(pos)
        else:
            tail_ranks[length] = r
            tail_at[length] = pos
        back[pos] = tail_at[length - 1] if length else -1
    stay: set[str] = set()
    pos = tail_at[-1] if tail_at else -1
    while pos >= 0:
        stay.add(current[pos])
        pos = back[pos]
    return stay


def plan_moves(current: list[str], target: list[str]) -> list[Move]:
    """The moves, in order, that turn ``current`` into ``target`` (the same ids, rearranged)."""
    stay = _stay(current, target)
    order = list(current)
    moves: list[Move] = []
    for i, item in enumerate(target):
        if item in stay:
            continue
        was = order.index(item)
        del order[was]
        after = target[i - 1] if i else START
        at = order.index(after) + 1 if i else 0
        order.insert(at, item)
        if at != was:
            moves.append(Move(item, after, at))
    return moves
