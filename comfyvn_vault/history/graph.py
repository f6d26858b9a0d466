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


def lanes(commits: list[tuple[ObjectId, list[ObjectId]]]) -> list[str]:
    """ASCII lanes for commits listed newest first (a topological order), one prefix per commit.

    Each commit is drawn as ``*`` in its lane and other open lanes as ``|``; a
    merge opens a lane for its second parent and lanes that reach the same
    parent close into one, so ``log --graph`` shows where variants split and join.
    """
    columns: list[ObjectId | None] = []
    out: list[str] = []
    for oid, parents in commits:
        if oid in columns:
            col = columns.index(oid)
        else:
            col = columns.index(None) if None in columns else len(columns)
            if col == len(columns):
                columns.append(oid)
        cells = ["*" if i == col else ("|" if c is not None else " ") for i, c in enumerate(columns)]
        out.append(" ".join(cells).rstrip())
        # This lane now waits for the first parent; other parents get lanes of their own.
        for i, c in enumerate(columns):
            if c == oid and i != col:
                columns[i] = None  # another lane reached the same commit: it closes here
        first = parents[0] if parents else None
        if first is not None and first in columns:
            j = columns.index(first)
            # Two lanes wait for one commit: keep the leftmost, close the other.
            if j > col:
                columns[j] = None
                columns[col] = first
            else:
                columns[col] = None
        else:
            columns[col] = first
        for p in parents[1:]:
            if p not in columns:
                if None in columns:
                    columns[columns.index(None)] = p
                else:
                    columns.append(p)
        while columns and columns[-1] is None:
            columns.pop()
    return out
