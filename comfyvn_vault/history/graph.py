"""Walks over the commit DAG that use generation numbers to stop early.

Every commit stores ``generation`` = 1 + the largest parent generation, so a
walk from two tips toward their common ancestors visits commits in decreasing
generation and can stop as soon as nothing left in the queue could lead to a
better answer: finding the merge base of two branches that split 10 commits
ago touches about 20 commits, however deep the history is.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any

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


class Lanes:
    """Assigns each commit of a newest-first walk a column, as ``git log --graph`` does.

    Feed commits in order with :meth:`place`; each call returns that row's
    cells: ``commit`` for the commit, ``through`` for lanes passing by, ``end``
    for a lane that ends here (a second child of this commit). A merge opens a
    lane for each further parent. Incremental, so a long log is drawn page by
    page (the TUI) or all at once (``comfyvn log --graph``). :meth:`draw` gives
    git's picture instead: a ``|/`` row where lanes join before the commit and a
    ``|\\`` row where a merge forks after it.
    """

    def __init__(self, commit: str = "*", through: str = "|", end: str = "/") -> None:
        self.glyphs = (commit, through, end)
        self.expect: list[Any] = []

    def place(self, commit: Any, parents: Sequence[Any]) -> str:
        col, ending, before, _ = self._step(commit, parents)
        dot, bar, end = self.glyphs
        cells = [dot if i == col else end if i in ending else bar if e is not None else " " for i, e in before]
        return " ".join(cells).rstrip()

    def draw(self, commit: Any, parents: Sequence[Any]) -> tuple[list[str], str, list[str]]:
        """Rows for one commit, as git draws them: (join rows above, the commit's row, fork rows below)."""
        col, ending, before, forks = self._step(commit, parents)
        dot, bar, _ = self.glyphs
        above: list[str] = []
        if ending:
            join = [bar if e is not None and i not in ending else " " for i, e in before]
            canvas = list(" ".join(join))
            for j in ending:
                canvas[2 * j - 1] = "/"
            above.append("".join(canvas).rstrip())
        cells = [dot if i == col else " " if i in ending else bar if e is not None else " " for i, e in before]
        below: list[str] = []
        if forks:
            after = [bar if e is not None and i not in forks else " " for i, e in enumerate(self.expect)]
            canvas = list(" ".join(after))
            for k in forks:
                canvas[2 * k - 1 if k > col else 2 * k + 1] = "\\" if k > col else "/"
            below.append("".join(canvas).rstrip())
        return above, " ".join(cells).rstrip(), below

    def _step(self, commit: Any, parents: Sequence[Any]) -> tuple[int, set[int], list[tuple[int, Any]], list[int]]:
        """Move the lanes past ``commit``: its column, the lanes ending at it, the lanes before, merge lanes."""
        cols = [i for i, e in enumerate(self.expect) if e == commit]
        if cols:
            col = cols[0]
        else:
            col = self.expect.index(None) if None in self.expect else len(self.expect)
            if col == len(self.expect):
                self.expect.append(None)
        ending = set(cols[1:])
        before = list(enumerate(self.expect))
        for i in ending:
            self.expect[i] = None
        self.expect[col] = parents[0] if parents else None
        forks: list[int] = []
        for p in parents[1:]:
            if p in self.expect:
                k = self.expect.index(p)
            else:
                free = [i for i, e in enumerate(self.expect) if e is None and i != col]
                if free:
                    k = free[0]
                    self.expect[k] = p
                else:
                    k = len(self.expect)
                    self.expect.append(p)
            if k != col:
                forks.append(k)
        while self.expect and self.expect[-1] is None:
            self.expect.pop()
        return col, ending, before, forks


def lanes(commits: list[tuple[ObjectId, list[ObjectId]]]) -> list[str]:
    """ASCII lanes for commits listed newest first (a topological order), one prefix per commit."""
    walker = Lanes()
    return [walker.place(oid, parents) for oid, parents in commits]


def graph_rows(commits: list[tuple[ObjectId, list[ObjectId]]]) -> list[tuple[list[str], str, list[str]]]:
    """Git-style graph rows for commits listed newest first: per commit (join rows, its row, fork rows)."""
    walker = Lanes()
    return [walker.draw(oid, parents) for oid, parents in commits]
