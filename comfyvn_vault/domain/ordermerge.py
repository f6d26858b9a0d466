"""``merge_order``: three-way merge of an ordered list of unique ids.

Used for a scene's nodes, a node's choices and a timeline's scene order. The
rule is the one anchored events follow (see :mod:`~comfyvn_vault.domain.events`):
an item a side inserted or moved is *placed* right after its anchor, the item
that precedes it on that side (skipping that side's own placed items, so a run of
insertions stays together). Everything else keeps its base order. So:

* a side that changed nothing yields the other side's order exactly;
* a reorder on one side and insertions on the other both survive, and an
  insertion follows its anchor wherever the other side moved it;
* both sides inserting after the same anchor keep both runs, in an order that
  does not depend on which side is "ours" (the runs sorted by their ids), so
  disjoint edits merge the same both ways round;
* an item both sides placed differently (moved to two places) is *contested*:
  ours wins and the caller records a conflict.

Which base items a side moved is the complement of a longest run it kept in base
order (the same rule :func:`~comfyvn_vault.domain.reorder.plan_moves` uses to
describe a reorder with few moves).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

from comfyvn_vault.domain.events import START
from comfyvn_vault.domain.reorder import plan_moves


class Arranged(NamedTuple):
    """The merged order and whether an item was placed differently by the two sides."""

    order: list[str]
    contested: bool


def _unique(items: Iterable[str], keep: Collection[str]) -> list[str]:
    return [item for item in dict.fromkeys(items) if item in keep]


def _placed(base: list[str], base_set: set[str], side: list[str]) -> set[str]:
    """The items ``side`` inserted (not in base) or moved (off its longest run in base order)."""
    side_set = set(side)
    kept = [item for item in base if item in side_set]
    moved = {move.item for move in plan_moves(kept, [item for item in side if item in base_set])}
    return moved | (side_set - base_set)


def _runs(side: list[str], placed: set[str]) -> dict[str, list[str]]:
    """``side``'s placed items grouped by anchor (the last item before them that ``side`` did not place)."""
    runs: dict[str, list[str]] = {}
    anchor = START
    for item in side:
        if item in placed:
            runs.setdefault(anchor, []).append(item)
        else:
            anchor = item
    return runs


def _join(ours: list[str], theirs: list[str]) -> list[str]:
    """Two runs at one anchor: one if the other is empty or equal, else both, sorted by ids (symmetric)."""
    if not theirs or ours == theirs:
        return ours
    if not ours:
        return theirs
    first, second = sorted((ours, theirs))
    return list(dict.fromkeys(first + second))


def arrange(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str], keep: Collection[str]) -> Arranged:
    """The order of the items in ``keep`` that merges the three orders (see the module docstring).

    ``keep`` is decided by the caller (an item one side deleted and the other
    edited may be kept); items of ``keep`` that a side lacks are simply not
    placed by that side. Ids after the first occurrence in a list are ignored.
    """
    keep = set(keep)
    b, o, t = _unique(base, keep), _unique(ours, keep), _unique(theirs, keep)
    base_set = set(b)
    placed_o, placed_t = _placed(b, base_set, o), _placed(b, base_set, t)
    runs_o, runs_t = _runs(o, placed_o), _runs(t, placed_t)
    twice = placed_o & placed_t
    contested = any(
        [x for x in runs_o.get(a, []) if x in twice] != [x for x in runs_t.get(a, []) if x in twice]
        for a in runs_o.keys() | runs_t.keys()
    )
    if contested:  # ours wins: theirs' placements of the items both placed are dropped
        runs_t = {a: [x for x in run if x not in twice] for a, run in runs_t.items()}
    spine = [item for item in b if item not in placed_o and item not in placed_t]
    order: list[str] = []
    done: set[str] = set()
    for root in [START, *spine]:
        # depth first: each item is followed by the runs anchored on it, recursively
        stack = [root]
        while stack:
            item = stack.pop()
            if item in done:
                continue
            if item != START:
                done.add(item)
                order.append(item)
            stack.extend(reversed(_join(runs_o.get(item, []), runs_t.get(item, []))))
    if len(order) < len(keep):
        # anchors that form a cycle (possible only when both sides moved items): keep every item anyway
        rest = _unique([*o, *t, *b], keep - done)
        order.extend(rest)
        contested = contested or bool(rest)
    return Arranged(order, contested)


def merge_order(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Three-way merge of an ordered list of unique ids (a timeline's scene order, say).

    An id either side removed is gone; ids either side added are placed after
    their anchor; a reorder on one side survives the other's insertions. Where
    both sides moved the same id to different places, ours wins (see
    :func:`arrange` for a variant that reports that).
    """
    o, t, b = set(ours), set(theirs), set(base)
    keep = (b & o & t) | (o - b) | (t - b)
    return arrange(base, ours, theirs, keep).order


def follow(current: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """``current`` rearranged so the ids it shares with ``wanted`` come in ``wanted``'s order.

    Ids ``wanted`` does not name keep their place among the ids that need not
    move; ids only in ``wanted`` are ignored. Resolving an order conflict as "theirs" is
    ``follow(merged, theirs)``.
    """
    have = set(current)
    return arrange(current, current, [item for item in wanted if item in have], have).order
