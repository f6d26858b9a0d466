"""Walks over the commit DAG that use generation numbers to stop early.

Every commit stores ``generation`` = 1 + the largest parent generation, so a
walk from two tips toward their common ancestors visits commits in decreasing
generation and can stop as soon as nothing left in the queue could lead to a
better answer: finding the merge base of two branches that split 10 commits
ago touches about 20 commits, however deep the history is.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from comfyvn_vault.history.objects import Commit
from comfyvn_vault.store.ids import ObjectId

_ONE, _TWO, _STALE = 1, 2, 4


def merge_bases(commit: Callable[[ObjectId], Commit], a: ObjectId, b: ObjectId) -> list[ObjectId]:
    """The best common ancestors of ``a`` and ``b`` (none is an ancestor of another), sorted by id."""
    if a == b:
        return [a]
    flags: dict[ObjectId, int] = {a: _ONE, b: _TWO}
    heap: list[tuple[int, bytes]] = []
    for oid in (a, b):
        heapq.heappush(heap, (-commit(oid).generation, bytes(oid)))
    found: list[ObjectId] = []
    while heap and any(not flags[ObjectId(o)] & _STALE for _, o in heap):
        _, raw = heapq.heappop(heap)
        oid = ObjectId(raw)
        f = flags[oid]
        both = f & (_ONE | _TWO) == (_ONE | _TWO)
        if both and not f & _STALE:
            found.append(oid)
            f |= _STALE
            flags[oid] = f
        for p in commit(oid).parents:
            pf = flags.get(p, 0)
            new = pf | (f & (_ONE | _TWO | _STALE))
            if new != pf:
                if pf == 0:
                    heapq.heappush(heap, (-commit(p).generation, bytes(p)))
                flags[p] = new
    # A found commit may be an ancestor of another found one (criss-cross); keep the best.
    best = [x for x in found if not any(x != y and is_ancestor(commit, x, y) for y in found)]
    return sorted(best)


def is_ancestor(commit: Callable[[ObjectId], Commit], a: ObjectId, b: ObjectId) -> bool:
    """True when ``a`` is ``b`` or reachable from it; stops below ``a``'s generation."""
    if a == b:
        return True
    target = commit(a).generation
    stack, seen = [b], {b}
    while stack:
        for p in commit(stack.pop()).parents:
            if p == a:
                return True
            if p not in seen and commit(p).generation > target:
                seen.add(p)
                stack.append(p)
    return False
