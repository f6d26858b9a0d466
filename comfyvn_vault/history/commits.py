"""Creating commits: the root commit of a new vault, and :meth:`Commits.record` for every edit after.

``record`` applies events to a branch's tree, writes the changed documents,
the new tree, the events and the commit, moves the branch (and the checkout)
as one operation, and hands a :class:`CommitRecord` to the commit hooks
(projections, the working copy) inside the same index transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import ENTITY_TYPES
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.events import Event, touched
from comfyvn_vault.errors import RefMoved
from comfyvn_vault.history.objects import Commit, EventList, View
from comfyvn_vault.history.oplog import OperationLog
from comfyvn_vault.history.refs import DEFAULT_BRANCH, HEADS, OPS_HEAD
from comfyvn_vault.history.tree import TreeWriter
from comfyvn_vault.settings import Settings
from comfyvn_vault.store.base import ObjectStore, Writer
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
    import lmdb

#: Called inside the commit's index transaction: (lmdb txn, what the commit did).
CommitHook = Callable[["lmdb.Transaction[bytes]", "CommitRecord"], None]


class CommitRecord:
    """What a new commit did, handed to projections inside the same transaction."""

    __slots__ = (
        "branch",
        "checkout_from",
        "commit",
        "commit_id",
        "docs",
        "event_ids",
        "events",
        "old_tree",
        "touched",
    )

    def __init__(
        self,
        commit_id: ObjectId,
        commit: Commit,
        events: Sequence[Event],
        event_ids: Sequence[ObjectId],
        old_tree: ObjectId | None,
        docs: dict[str, tuple[Document | None, Document | None, ObjectId | None]],
        branch: str,
        checkout_from: ObjectId | bool | None,
    ) -> None:
        self.commit_id, self.commit, self.events, self.event_ids = commit_id, commit, events, event_ids
        self.old_tree, self.docs, self.branch = old_tree, docs, branch
        self.touched: list[list[str]] = []
        #: False when the checkout did not move; else the commit it moved from.
        self.checkout_from = checkout_from


class Commits(OperationLog):
    """Writes commits on the branches of one store, each with its operation."""

    def __init__(self, store: ObjectStore, settings: Settings | None = None) -> None:
        super().__init__(store, settings)
        self.hooks: list[CommitHook] = []

    def initialize(self, w: Writer, branch: str = DEFAULT_BRANCH) -> ObjectId:
        """The root commit (an empty story) and the first operation; run once by ``init``."""
        tree = TreeWriter(self.trees, w).empty()
        root = Commit(
            parents=[], tree=tree, generation=1, author=self.author(), time=self.clock(), message="Create the vault"
        )
        cid = w.put_object(root)
        view = View(branches={branch: cid}, head=branch, checkout=cid)
        self._put_view(w, View(branches={}, head=branch), view, "init", back=None)
        return cid

    def record(
        self,
        w: Writer,
        events: Sequence[Event],
        message: str,
        *,
        branch: str | None = None,
        base: ObjectId | None = None,
        parents: Sequence[ObjectId] | None = None,
        author: str | None = None,
        move_checkout: bool = True,
        description: str | None = None,
    ) -> CommitRecord:
        """Apply ``events`` on top of ``branch`` (default HEAD's) and commit them, inside writer ``w``.

        ``base`` is the tip the caller computed the events against. If the tip
        has moved since, the events are re-applied on the new tip (an automatic
        rebase); if they no longer apply (an overlapping edit), :class:`RefMoved`
        tells the caller to retry. Raises :class:`Rejected` for events that do
        not apply to an unmoved tip.
        """
        from comfyvn_vault.domain.apply import apply_all

        old_view = self.view_in(w)
        branch = branch or old_view.head
        tip = w.ref(HEADS + branch)
        old_tree = self.tree_of(tip)
        try:
            changes = apply_all(self.lookup_in(old_tree), events, listing=self.listing_in(old_tree))
        except Rejected as exc:
            if base is not None and tip != base:
                raise RefMoved(f"branch {branch} moved while you edited and the edits overlap ({exc}); retry") from None
            raise
        tw = TreeWriter(self.trees, w)
        lookup = self.lookup_in(old_tree)
        docs: dict[str, tuple[Document | None, Document | None, ObjectId | None]] = {}
        for path, doc in changes.items():
            new_id = None if doc is None else w.put_object(doc)
            if new_id is not None and isinstance(doc, ENTITY_TYPES):
                self._remember_doc(new_id, doc)  # the next commit reads it back: skip the decode
            docs[path] = (lookup(path), doc, new_id)
        new_tree = tw.update(old_tree, {path: d[2] for path, d in docs.items()})
        event_ids = w.put_objects(events)
        touched_paths = [touched(e) for e in events]
        elist = w.put_object(EventList(events=event_ids, touched=touched_paths)) if event_ids else None
        parent_ids = list(parents) if parents is not None else ([tip] if tip is not None else [])
        generation = 1 + max((self.commit(p).generation for p in parent_ids), default=0)
        c = Commit(
            parents=parent_ids,
            tree=new_tree,
            generation=generation,
            author=author or self.author(),
            time=self.clock(),
            message=message,
            events=elist,
            event_count=len(event_ids),
        )
        cid = w.put_object(c)
        self._remember_commit(cid, c)
        branches = dict(old_view.branches)
        branches[branch] = cid
        on_head = branch == old_view.head
        checkout = cid if on_head and move_checkout else old_view.checkout
        new_view = View(branches=branches, head=old_view.head, checkout=checkout, remotes=old_view.remotes)
        summary = message.splitlines()[0] if message else ""
        self._put_view(w, old_view, new_view, description or f"commit: {summary}", notify=False, back=w.ref(OPS_HEAD))
        moved: ObjectId | bool | None = old_view.checkout if checkout != old_view.checkout else False
        record = CommitRecord(cid, c, events, event_ids, old_tree, docs, branch, moved)
        record.touched = touched_paths
        if self.hooks:
            hooks = list(self.hooks)

            def committed(txn: lmdb.Transaction[bytes]) -> None:
                for hook in hooks:
                    hook(txn, record)

            w.on_commit(committed)
        return record


__all__ = ["CommitHook", "CommitRecord", "Commits"]
