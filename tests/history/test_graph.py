"""Merge bases and ancestry over random DAGs agree with brute force."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.history.graph import is_ancestor, merge_bases
from comfyvn_vault.history.objects import Commit
from comfyvn_vault.store.ids import ObjectId, hash_bytes


@st.composite
def dags(draw: st.DrawFn) -> dict[ObjectId, Commit]:
    n = draw(st.integers(min_value=2, max_value=30))
    ids: list[ObjectId] = []
    commits: dict[ObjectId, Commit] = {}
    for i in range(n):
        parents = sorted(set(draw(st.lists(st.sampled_from(ids), max_size=2)))) if ids else []
        gen = 1 + max((commits[p].generation for p in parents), default=0)
        oid = hash_bytes(f"c{i}".encode())
        commits[oid] = Commit(parents=parents, tree=oid, generation=gen, author="t", time=i, message=str(i))
        ids.append(oid)
    return commits


def ancestors(commits: dict[ObjectId, Commit], x: ObjectId) -> set[ObjectId]:
    seen, stack = {x}, [x]
    while stack:
        for p in commits[stack.pop()].parents:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


@settings(max_examples=300, deadline=None)
@given(dags(), st.data())
def test_merge_bases_match_brute_force(commits: dict[ObjectId, Commit], data: st.DataObject) -> None:
    ids = sorted(commits)
    a = data.draw(st.sampled_from(ids))
    b = data.draw(st.sampled_from(ids))
    common = ancestors(commits, a) & ancestors(commits, b)
    best = {c for c in common if not any(c != d and c in ancestors(commits, d) for d in common)}
    assert set(merge_bases(commits.__getitem__, a, b)) == best
    assert is_ancestor(commits.__getitem__, a, b) == (a in ancestors(commits, b))


def test_merge_base_of_a_long_history_visits_only_the_fork() -> None:
    commits: dict[ObjectId, Commit] = {}
    prev: list[ObjectId] = []
    for i in range(20_000):
        oid = hash_bytes(f"m{i}".encode())
        commits[oid] = Commit(parents=prev, tree=oid, generation=i + 1, author="t", time=i, message="")
        prev = [oid]
    fork = prev[0]
    tips = []
    for side in ("a", "b"):
        p = [fork]
        for i in range(10):
            oid = hash_bytes(f"{side}{i}".encode())
            commits[oid] = Commit(parents=p, tree=oid, generation=20_001 + i, author="t", time=i, message="")
            p = [oid]
        tips.append(p[0])
    visited: list[ObjectId] = []

    def counting(oid: ObjectId) -> Commit:
        visited.append(oid)
        return commits[oid]

    assert merge_bases(counting, tips[0], tips[1]) == [fork]
    assert len(set(visited)) < 40


@settings(max_examples=200, deadline=None)
@given(dags())
def test_lanes_draw_each_commit_once(commits: dict[ObjectId, Commit]) -> None:
    from comfyvn_vault.history.graph import lanes

    order = sorted(commits, key=lambda o: (-commits[o].generation, o))
    rows = lanes([(o, commits[o].parents) for o in order])
    assert len(rows) == len(order)
    assert all(row.count("*") == 1 for row in rows)


def test_lanes_of_a_merge() -> None:
    from comfyvn_vault.history.graph import lanes

    base, a, b, m = (hash_bytes(x.encode()) for x in ["base", "a", "b", "merge"])
    rows = lanes([(m, [a, b]), (b, [base]), (a, [base]), (base, [])])
    assert rows == ["*", "| *", "* |", "* /"]


@settings(max_examples=200, deadline=None)
@given(dags())
def test_graph_rows_draw_each_commit_once_with_joins_and_forks(commits: dict[ObjectId, Commit]) -> None:
    from comfyvn_vault.history.graph import graph_rows

    order = sorted(commits, key=lambda o: (-commits[o].generation, o))
    rows = graph_rows([(o, commits[o].parents) for o in order])
    assert len(rows) == len(order) and all(row.count("*") == 1 for _, row, _ in rows)
    for (above, _, below), oid in zip(rows, order, strict=True):
        assert all("*" not in line and set(line) <= set("|/\\ ") for line in above + below)
        assert bool(below) == (len(set(commits[oid].parents)) > 1)  # a merge always draws its fork


def test_graph_rows_of_a_merge_look_like_git() -> None:
    from comfyvn_vault.history.graph import graph_rows

    base, a, b, m = (hash_bytes(x.encode()) for x in ["base", "a", "b", "merge"])
    rows = graph_rows([(m, [a, b]), (b, [base]), (a, [base]), (base, [])])
    assert rows == [([], "*", ["|\\"]), ([], "| *", []), ([], "* |", []), (["|/"], "*", [])]
