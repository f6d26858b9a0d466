"""Negotiation and the object walk: whatever the DAG and whatever the receiver holds,
the receiver ends up asking for exactly the objects it lacks, children first."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.history.objects import Commit, EventList
from comfyvn_vault.history.tree import TreeReader, TreeWriter
from comfyvn_vault.store import codec
from comfyvn_vault.store.base import Kind
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.store.memory import MemoryObjectStore
from comfyvn_vault.sync.walk import Graph, missing, negotiate

PATHS = [f"scenes/s{i}" for i in range(60)]  # > 48 entries: trees branch


def closure(store: MemoryObjectStore, roots: list[ObjectId]) -> set[ObjectId]:
    seen: set[ObjectId] = set()
    stack = list(roots)
    while stack:
        oid = stack.pop()
        if oid in seen:
            continue
        seen.add(oid)
        if store.info(oid).kind == Kind.OBJECT:
            stack.extend(codec.links(store.get(oid)))
    return seen


@st.composite
def dags(draw: st.DrawFn) -> tuple[MemoryObjectStore, list[ObjectId], list[int], list[int]]:
    store = MemoryObjectStore()
    commits: list[ObjectId] = []
    trees: list[ObjectId] = []
    gens: list[int] = []
    n = draw(st.integers(1, 12))
    with store.transaction() as w:
        tw = TreeWriter(TreeReader(store), w)
        blobs = [w.put_bytes(f"blob {i}".encode() * 40).id for i in range(6)]
        for i in range(n):
            parents = sorted(set(draw(st.lists(st.integers(0, i - 1), max_size=2)))) if i else []
            base = trees[parents[0]] if parents else None
            # Documents are drawn from a small pool, so equal documents recur at other paths and commits.
            changes = draw(st.dictionaries(st.sampled_from(PATHS), st.integers(0, 8), min_size=1, max_size=6))
            docs = {
                p: w.put_object(EventList(events=[blobs[v % len(blobs)]], touched=[[f"doc{v}"]]))
                for p, v in changes.items()
            }
            tree = tw.update(base, docs)
            gen = 1 + max((gens[p] for p in parents), default=0)
            gens.append(gen)
            cid = w.put_object(
                Commit(parents=[commits[p] for p in parents], tree=tree, generation=gen, author="t", time=i, message="")
            )
            commits.append(cid)
            trees.append(tree)
    have = draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True))
    want = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    return store, commits, have, want


@settings(max_examples=60, deadline=None)
@given(dags())
def test_negotiation_yields_exactly_the_missing_set(
    case: tuple[MemoryObjectStore, list[ObjectId], list[int], list[int]],
) -> None:
    sender, commits, have_idx, want_idx = case
    receiver = MemoryObjectStore()
    held = closure(sender, [commits[i] for i in have_idx])
    with receiver.transaction() as w:
        for oid in held:
            info = sender.info(oid)
            w.put_bytes(sender.get(oid), info.kind)
    wants = [commits[i] for i in want_idx]

    acked = negotiate(Graph(receiver), [commits[i] for i in have_idx], lambda ids: [sender.has(i) for i in ids])
    offers = missing(Graph(sender), wants, acked)
    asked = [oid for oid, _ in offers if not receiver.has(oid)]

    assert set(asked) == closure(sender, wants) - held
    assert len(asked) == len(set(asked))
    assert {oid for oid, _ in offers} <= closure(sender, wants)
    # Children first: storing any prefix keeps the receiver closed.
    arrived = set(held)
    for oid in asked:
        if sender.info(oid).kind == Kind.OBJECT:
            assert all(link in arrived for link in codec.links(sender.get(oid)))
        arrived.add(oid)
