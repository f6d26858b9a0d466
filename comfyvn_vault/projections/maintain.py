"""Keeping projections current, and rebuilding them from history (``reindex``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from comfyvn_vault.domain.document import DOCUMENT_TYPES, Document
from comfyvn_vault.history.objects import Commit, EventList, View
from comfyvn_vault.history.repo import CommitRecord, History
from comfyvn_vault.projections.base import DocChange, Txn
from comfyvn_vault.projections.events import DB_EVENTS
from comfyvn_vault.projections.index import Projections
from comfyvn_vault.projections.registry import ALL_DBS, STATE_DBS
from comfyvn_vault.store.codec import decode_as
from comfyvn_vault.store.ids import ObjectId

#: Commits changing at most this many documents log their word-index changes (see projections.search).
SMALL_COMMIT_DOCS = 8
#: Documents read per batch when a switch or reindex moves the state projections.
MOVE_BATCH = 1_000


def attach(history: History, projections: Projections) -> None:
    """Register the hooks that keep ``projections`` current on every commit and view change."""

    def on_commit(txn: Txn, rec: CommitRecord) -> None:
        projections.add_events(
            txn,
            rec.commit_id,
            rec.commit.generation,
            ((i, paths, eid) for i, (paths, eid) in enumerate(zip(rec.touched, rec.event_ids, strict=True))),
        )
        if rec.checkout_from is False:
            return
        start = rec.checkout_from if isinstance(rec.checkout_from, ObjectId) else None
        tip_tree = rec.old_tree
        from_tree = history.tree_of(start)
        if from_tree != tip_tree:
            move_state(txn, history, projections, from_tree, tip_tree)
        small = len(rec.docs) <= SMALL_COMMIT_DOCS
        docs = [(path, old, new, new_id) for path, (old, new, new_id) in rec.docs.items()]
        projections.apply_doc_changes(txn, docs, log_words=small)

    def on_view(txn: Txn, old: View, new: View) -> None:
        move_state(txn, history, projections, history.tree_of(old.checkout), history.tree_of(new.checkout))

    history.hooks.insert(0, on_commit)  # first: later hooks (the checkout) read the projections
    history.view_hooks.insert(0, on_view)


def move_state(txn: Txn, history: History, projections: Projections, a: ObjectId | None, b: ObjectId | None) -> None:
    """Update the state projections from tree ``a`` to tree ``b`` (committed trees).

    Documents are read and applied in bounded batches, so memory stays flat on a whole-story move.
    """
    batch: list[DocChange] = []
    for path, old_id, new_id in history.trees.diff(a, b):
        batch.append((path, _indexed(history, old_id), _indexed(history, new_id), new_id))
        if len(batch) >= MOVE_BATCH:
            projections.apply_doc_changes(txn, batch)
            batch.clear()
    projections.apply_doc_changes(txn, batch)


def _indexed(history: History, doc_id: ObjectId | None) -> Document | None:
    """The document ``doc_id`` as projections see it: an object of any other kind contributes no keys."""
    if doc_id is None:
        return None
    obj = history.any_doc(doc_id)
    return obj if isinstance(obj, DOCUMENT_TYPES) else None


def all_commits(history: History) -> Iterator[tuple[ObjectId, Commit]]:
    """Every commit any operation's view ever named (so undone work is included), each once."""
    tips: set[ObjectId] = set(history.branches().values())
    for _, op in history.op_log():
        view = history.op_view(op)
        tips.update(view.branches.values())
        tips.update(view.remotes.values())
        if view.checkout is not None:
            tips.add(view.checkout)
    seen: set[ObjectId] = set()
    stack = list(tips)
    while stack:
        oid = stack.pop()
        if oid in seen:
            continue
        seen.add(oid)
        c = history.commit(oid)
        yield oid, c
        stack.extend(p for p in c.parents if p not in seen)


def rebuild(txn: Txn, history: History, projections: Projections, progress: Callable[[int], None] | None = None) -> int:
    """Drop and rebuild every projection from history inside ``txn``; returns the events indexed."""
    projections.clear(txn, ALL_DBS)
    view = history.view()
    move_state(txn, history, projections, None, history.tree_of(view.checkout))
    n = 0
    for oid, c in all_commits(history):
        if c.events is None:
            continue
        elist = decode_as(history.store.get(c.events), EventList)
        projections.add_events(txn, oid, c.generation, enumerate_events(elist))
        n += len(elist.events)
        if progress:
            progress(len(elist.events))
    projections.set_version(txn)
    return n


__all__ = ["DB_EVENTS", "STATE_DBS", "all_commits", "attach", "move_state", "rebuild"]


def enumerate_events(elist: EventList) -> Iterator[tuple[int, list[str], ObjectId]]:
    for i, (paths, eid) in enumerate(zip(elist.touched, elist.events, strict=True)):
        yield i, paths, eid
