"""Which objects the other side lacks: the commit walk and the object walk of a fetch or push.

Two facts make this cheap without a list of every object either side holds:

* **Closure.** A store only ever holds an object together with everything it
  links to (a transfer stores objects children-first, see :func:`missing`), so
  "the receiver has X" means "the receiver has all of X's history and content".
* **Structural sharing.** A commit's tree shares every unchanged subtree with its
  parent's tree, at the same place.

So the sender walks commits from the wanted tips in generation order and stops
at commits the receiver is known to have (the acknowledged *haves* and their
ancestors), as git's revision walk does. Below each new commit it walks links
(the codec's self-describing ext type 1, so no knowledge of trees or events is
needed) *paired* with the same commit's parents: an object's children are
compared with the children of its counterparts one level up, and a child that a
counterpart also links to is known to the receiver and not descended into. A
one-line edit therefore costs a walk down one path of the tree, whatever the
story's size. What the pairing cannot see (a blob moved between two documents)
is at worst offered and then filtered out by the receiver's own ``has`` check,
so it costs 40 bytes of id list, never the object.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.history.objects import Commit
from comfyvn_vault.store import codec
from comfyvn_vault.store.base import Kind
from comfyvn_vault.store.ids import ObjectId

#: (id, raw size): what a sender offers and a receiver checks arriving bytes against.
Offer = tuple[ObjectId, int]


class Graph:
    """Read-only access to one store for walks: commits, links and sizes, cached."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._commits: dict[ObjectId, Commit] = {}
        self._links: dict[ObjectId, tuple[ObjectId, ...]] = {}
        self._sizes: dict[ObjectId, int] = {}

    def has(self, oid: ObjectId) -> bool:
        return bool(self.store.has(oid))

    def commit(self, oid: ObjectId) -> Commit:
        c = self._commits.get(oid)
        if c is None:
            c = codec.decode_as(self.store.get(oid), Commit)
            self._commits[oid] = c
        return c

    def is_commit(self, oid: ObjectId) -> bool:
        try:
            self.commit(oid)
            return True
        except (InputRejected, ObjectNotFound):
            return False

    def links(self, oid: ObjectId) -> tuple[ObjectId, ...]:
        """What a structured object links to (nothing for a blob); also records its size."""
        found = self._links.get(oid)
        if found is None:
            info = self.store.info(oid)
            self._sizes[oid] = info.size
            found = tuple(codec.links(self.store.get(oid))) if info.kind == Kind.OBJECT else ()
            self._links[oid] = found
        return found

    def size(self, oid: ObjectId) -> int:
        if oid not in self._sizes:
            self._sizes[oid] = self.store.info(oid).size
        return self._sizes[oid]


def new_commits(g: Graph, wants: Iterable[ObjectId], haves: Iterable[ObjectId]) -> list[ObjectId]:
    """Commits reachable from ``wants`` and not from ``haves``, oldest generation first.

    A walk by decreasing generation: a commit is popped only after every commit
    of higher generation, so by then any have that reaches it has marked it;
    the walk stops as soon as only already-known commits are queued.
    """
    known: dict[ObjectId, bool] = {}  # commit -> reachable from a have
    heap: list[tuple[int, bytes]] = []
    queued_new = 0

    def push(oid: ObjectId, mark: bool) -> None:
        nonlocal queued_new
        old = known.get(oid)
        if old is None:
            known[oid] = mark
            heapq.heappush(heap, (-g.commit(oid).generation, bytes(oid)))
            queued_new += not mark
        elif mark and not old:
            known[oid] = True
            queued_new -= 1

    for h in haves:
        if g.has(h) and g.is_commit(h):
            push(h, True)
    for w in wants:
        if not g.has(w):
            raise ObjectNotFound(f"no commit {w.hex()} to send")
        push(w, False)
    out: list[ObjectId] = []
    while heap and queued_new > 0:
        _, raw = heapq.heappop(heap)
        oid = ObjectId(raw)
        mark = known[oid]
        if not mark:
            queued_new -= 1
            out.append(oid)
        for p in g.commit(oid).parents:
            push(p, mark)
    out.reverse()
    return out


def missing(g: Graph, wants: Sequence[ObjectId], haves: Sequence[ObjectId]) -> list[Offer]:
    """Objects reachable from the wanted commits that the receiver lacks.

    The receiver is taken to hold the closure of every commit in ``haves``.
    The list is in a *children-first* order: every object comes after each
    object it links to that is also listed, so storing any prefix of it keeps
    the receiver's store closed.
    """
    sent: set[ObjectId] = set()
    out: list[Offer] = []

    def walk(root: ObjectId, olds: frozenset[ObjectId]) -> None:
        # Iterative post-order: (object, counterparts one level up, children done?).
        stack: list[tuple[ObjectId, frozenset[ObjectId], bool]] = [(root, olds, False)]
        while stack:
            oid, counterparts, expanded = stack.pop()
            if expanded:
                if oid not in sent:
                    sent.add(oid)
                    out.append((oid, g.size(oid)))
                continue
            if oid in sent or oid in counterparts:
                continue
            children = g.links(oid)
            stack.append((oid, counterparts, True))
            if children:
                next_olds = frozenset(c for o in counterparts if g.has(o) for c in g.links(o))
                stack.extend((c, next_olds, False) for c in reversed(children))

    commits = new_commits(g, wants, haves)
    for cid in commits:
        c = g.commit(cid)
        parents = set(c.parents)
        olds = frozenset(link for p in c.parents for link in g.links(p) if link not in g.commit(p).parents)
        for link in g.links(cid):
            if link not in parents:
                walk(link, olds)
        sent.add(cid)
        out.append((cid, g.size(cid)))
    return out


def negotiate(
    local: Graph,
    tips: Iterable[ObjectId],
    remote_has: Callable[[list[ObjectId]], list[bool]],
    *,
    max_rounds: int = 12,
) -> list[ObjectId]:
    """The commits both sides hold, found in have batches (git's fetch negotiation).

    The first batch is the local tips. For every tip the remote does not know,
    the walk steps back through its ancestors by generation, sending batches
    that double in size (32, 64, …) until each line meets a commit the remote
    acknowledges or the history runs out. Returns the acknowledged commits;
    anything they reach need not travel.
    """
    pending = [t for t in dict.fromkeys(tips) if local.has(t)]
    if not pending:
        return []
    acked: list[ObjectId] = []
    common: set[ObjectId] = set()  # acknowledged, or an ancestor of an acknowledged commit
    heap: list[tuple[int, bytes]] = []
    seen = set(pending)
    ask = pending
    batch = 32
    for _ in range(max_rounds):
        for oid, yes in zip(ask, remote_has(ask), strict=True):
            if yes:
                acked.append(oid)
                common.add(oid)
            # Acknowledged commits are queued too, to mark their ancestors common as the walk passes.
            heapq.heappush(heap, (-local.commit(oid).generation, bytes(oid)))
        ask = []
        while heap and len(ask) < batch:
            _, raw = heapq.heappop(heap)
            oid = ObjectId(raw)
            parents = local.commit(oid).parents
            if oid in common:
                common.update(parents)
                continue
            for p in parents:
                if p not in seen:
                    seen.add(p)
                    ask.append(p)
        if not ask:
            break
        batch *= 2
    return acked
