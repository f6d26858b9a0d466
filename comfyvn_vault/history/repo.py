"""History over an object store: commits, branches, HEAD and the operation log.

Refs live in the store's ref table: ``heads/<branch>`` for branch tips and
``ops/head`` for the newest operation. The operation's :class:`View` is the
truth for HEAD and the checkout; branch refs mirror it for fast lookups and are
always written in the same transaction.

Every command that moves refs or the working copy appends an
:class:`Operation`. ``undo`` appends an operation restoring the previous view;
``redo`` undoes an undo; nothing is ever destroyed (old views stay reachable
through the operation chain, which is itself reachable from ``ops/head``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

from comfyvn_vault.domain.assets import RECORD_TYPES, Asset, Finding, Policy, is_record_path
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.entities import ENTITY_TYPES, Entity
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.events import Event, touched
from comfyvn_vault.domain.paths import CONFLICTS
from comfyvn_vault.domain.validate import Document
from comfyvn_vault.errors import InputRejected, ObjectNotFound, RefMoved
from comfyvn_vault.history import graph
from comfyvn_vault.history.author import Author
from comfyvn_vault.history.objects import Commit, EventList, Operation, View
from comfyvn_vault.history.tree import TreeReader, TreeWriter
from comfyvn_vault.store.base import check_ref_name
from comfyvn_vault.store.codec import StoredObject, decode, decode_as
from comfyvn_vault.store.ids import ObjectId, is_hex_prefix
from comfyvn_vault.suggest import did_you_mean

HEADS: Final = "heads/"
OPS_HEAD: Final = "ops/head"
DEFAULT_BRANCH: Final = "main"

#: Called inside the commit's index transaction: (lmdb txn, old tree, new tree, commit id, commit, events).
CommitHook = Callable[[Any, "CommitRecord"], None]


def now_ms() -> int:
    fixed = os.environ.get("COMFYVN_TIME_MS")
    return int(fixed) if fixed else int(time.time() * 1000)


#: The author of writes made without a vault's config (see :mod:`comfyvn_vault.history.author`).
default_author: Final = Author()


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


def check_branch_name(name: str) -> str:
    check_ref_name(HEADS + name)
    if name in ("HEAD",) or name.startswith("-") or "~" in name:
        raise InputRejected(f"invalid branch name: {name!r}")
    return name


#: Decoded objects kept per open vault. Documents are the large ones (a 20-line
#: scene is ~6 KB of Python objects), so memory stays bounded at ~50 MB of them;
#: a commit is ~0.3 KB, and walks of long histories reread them.
DOC_CACHE: Final = 8_192
COMMIT_CACHE: Final = 200_000


class History:
    """Commits, branches and the operation log of one store."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.trees = TreeReader(store)
        self._docs: dict[ObjectId, Entity] = {}
        self._commits: dict[ObjectId, Commit] = {}
        self._views: dict[ObjectId, View] = {}
        self.hooks: list[CommitHook] = []
        self.view_hooks: list[Callable[[Any, View, View], None]] = []
        #: Who writes: the Vault sets one that reads its config (author.py).
        self.author: Callable[[], str] = default_author

    # ----------------------------------------------------------------- reading

    def commit(self, oid: ObjectId) -> Commit:
        c = self._commits.get(oid)
        if c is None:
            obj = decode(self.store.get(oid))
            if not isinstance(obj, Commit):
                raise InputRejected(f"{oid.short()} is a {type(obj).__name__}, not a commit")
            c = obj
            self._remember_commit(oid, c)
        return c

    def _remember_commit(self, oid: ObjectId, c: Commit) -> None:
        if len(self._commits) >= COMMIT_CACHE:
            self._commits.clear()
        self._commits[oid] = c

    def entity_doc(self, doc_id: ObjectId) -> Entity:
        cached = self._docs.get(doc_id)
        if cached is not None:
            return cached
        obj = decode(self.store.get(doc_id))
        if not isinstance(obj, ENTITY_TYPES):
            raise InputRejected(f"{doc_id.short()} is a {type(obj).__name__}, not an entity document")
        self._remember_doc(doc_id, obj)
        return obj

    def _remember_doc(self, doc_id: ObjectId, doc: Entity) -> None:
        if len(self._docs) >= DOC_CACHE:
            self._docs.clear()
        self._docs[doc_id] = doc

    def forget(self) -> None:
        """Drop every decoded object kept (the vault is closing: return the memory now)."""
        self._docs.clear()
        self._commits.clear()
        self._views.clear()
        self.trees.cache.clear()

    def any_doc(self, doc_id: ObjectId) -> StoredObject:
        """Any document a tree holds (entities, and records such as merge conflicts)."""
        return decode(self.store.get(doc_id))

    def document(self, doc_id: ObjectId) -> Document:
        """Any document a tree holds, checked to be one: an entity, a conflict or a record (asset, finding…)."""
        cached = self._docs.get(doc_id)
        if cached is not None:
            return cached
        obj = decode(self.store.get(doc_id))
        if isinstance(obj, ENTITY_TYPES):
            self._remember_doc(doc_id, obj)
            return obj
        if isinstance(obj, Conflict | Asset | Finding | Policy):
            return obj
        raise InputRejected(f"{doc_id.short()} is a {type(obj).__name__}, not a document of a story tree")

    def document_at(self, tree: ObjectId | None, path: str) -> Document | None:
        """What ``tree`` holds at ``path``, whatever its kind; ``None`` when nothing is there."""
        doc_id = self.trees.get(tree, path) if tree is not None else None
        return self.document(doc_id) if doc_id is not None else None

    def entity(self, tree: ObjectId, path: str) -> Entity | None:
        doc_id = self.trees.get(tree, path)
        return self.entity_doc(doc_id) if doc_id is not None else None

    def lookup_in(self, tree: ObjectId | None) -> Callable[[str], Document | None]:
        def lookup(path: str) -> Document | None:
            if tree is None:
                return None
            if path.startswith(CONFLICTS + "/"):
                doc_id = self.trees.get(tree, path)
                found = self.any_doc(doc_id) if doc_id is not None else None
                return found if isinstance(found, Conflict) else None
            if is_record_path(path):
                doc_id = self.trees.get(tree, path)
                record = self.any_doc(doc_id) if doc_id is not None else None
                return record if isinstance(record, RECORD_TYPES) else None
            return self.entity(tree, path)

        return lookup

    def listing_in(self, tree: ObjectId | None) -> Callable[[str], Iterator[str]]:
        """The paths of a folder (``scenes``) in ``tree``: what ``apply_all`` checks removals against."""

        def listing(folder: str) -> Iterator[str]:
            if tree is not None:
                yield from (path for path, _ in self.trees.items(tree, folder + "/"))

        return listing

    def op_head(self) -> ObjectId | None:
        r: ObjectId | None = self.store.ref(OPS_HEAD)
        return r

    def operation(self, oid: ObjectId) -> Operation:
        return decode_as(self.store.get(oid), Operation)

    def view(self) -> View:
        op = self.op_head()
        if op is None:
            return View(branches={}, head=DEFAULT_BRANCH)
        return self.view_of(op)

    def head_branch(self) -> str:
        return self.view().head

    def branch_tip(self, name: str) -> ObjectId | None:
        r: ObjectId | None = self.store.ref(HEADS + name)
        return r

    def branches(self) -> dict[str, ObjectId]:
        return {k[len(HEADS) :]: v for k, v in self.store.refs(HEADS).items()}

    def head(self) -> ObjectId | None:
        return self.branch_tip(self.head_branch())

    def tree_of(self, commit_id: ObjectId | None) -> ObjectId | None:
        return self.commit(commit_id).tree if commit_id is not None else None

    def resolve_rev(self, text: str) -> ObjectId:
        """A revision to a commit id: ``BASE`` then any number of ``~N`` and ``^N``.

        ``BASE`` is ``HEAD`` (or ``@``, or nothing), a branch, a remote-tracking
        ref (``origin/main``) or a commit id prefix. ``~N`` goes N first parents
        back (``~`` alone: one), ``^N`` takes the N-th parent (``^`` alone: the
        first; ``^0``: the commit itself), as in git: ``main~2^2~1``. Raises
        :class:`RevisionError` (exit 3) with one line naming what went wrong.
        """
        base, steps = parse_rev(text)
        oid = self._rev_base(base, text)
        walked = 0
        for op, n in steps:
            if op == "^" and n != 1:  # ^1 is ~1: the first parent
                if n == 0:
                    continue
                parents = self.commit(oid).parents
                if n > len(parents):
                    have = f"{len(parents)} parent{'s' if len(parents) != 1 else ''}"
                    raise RevisionError(f"{text[:80]!r}: commit {oid.short()} has {have}, not a parent {n}", True)
                oid = parents[n - 1]
                walked += 1
                continue
            for _ in range(n):
                parents = self.commit(oid).parents
                if not parents:
                    raise RevisionError(
                        f"{text[:80]!r}: history is not that long ({walked} step{'s' if walked != 1 else ''} "
                        f"back reach the first commit {oid.short()})",
                        True,
                    )
                oid = parents[0]
                walked += 1
        return oid

    def _rev_base(self, base: str, text: str) -> ObjectId:
        if base in ("HEAD", "@", ""):
            oid = self.head()
            if oid is None:
                raise RevisionError("HEAD has no commits yet", True)
            return oid
        if _branchy(base) and (tip := self.branch_tip(base)) is not None:
            return tip
        remote = self.view().remotes.get(base)
        if remote is not None:
            return remote  # a remote-tracking ref, e.g. origin/main (after local branches)
        if is_hex_prefix(base):
            try:
                found: ObjectId = self.store.resolve(base)
            except ObjectNotFound:
                raise RevisionError(f"no branch or commit {base!r}", False) from None
            self.commit(found)  # must be a commit
            return found
        names = [*self.branches(), *self.view().remotes, "HEAD"]
        raise RevisionError(f"no branch or commit {base[:80]!r}{did_you_mean(base, names)}", False)

    def log(self, start: ObjectId, limit: int | None = None) -> Iterator[tuple[ObjectId, Commit]]:
        """Commits reachable from ``start``, newest first (by generation, then time)."""
        import heapq

        seen = {start}
        heap: list[tuple[int, int, bytes]] = []
        c = self.commit(start)
        heapq.heappush(heap, (-c.generation, -c.time, start))
        n = 0
        while heap and (limit is None or n < limit):
            _, _, raw = heapq.heappop(heap)
            oid = ObjectId(raw)
            c = self.commit(oid)
            yield oid, c
            n += 1
            for p in c.parents:
                if p not in seen:
                    seen.add(p)
                    pc = self.commit(p)
                    heapq.heappush(heap, (-pc.generation, -pc.time, p))

    def events_of(self, c: Commit) -> list[tuple[ObjectId, Event]]:
        if c.events is None:
            return []
        ids = decode_as(self.store.get(c.events), EventList).events
        return [(i, decode(self.store.get(i))) for i in ids]  # type: ignore[misc]

    def is_ancestor(self, a: ObjectId, b: ObjectId) -> bool:
        """True when commit ``a`` is reachable from ``b`` (or equal)."""
        return graph.is_ancestor(self.commit, a, b)

    def merge_bases(self, a: ObjectId, b: ObjectId) -> list[ObjectId]:
        return graph.merge_bases(self.commit, a, b)

    def op_log(self, limit: int | None = None) -> Iterator[tuple[ObjectId, Operation]]:
        oid = self.op_head()
        n = 0
        while oid is not None and (limit is None or n < limit):
            op = self.operation(oid)
            yield oid, op
            oid = op.parent
            n += 1

    # ----------------------------------------------------------------- writing

    def _put_view(
        self, w: Any, old: View, new: View, description: str, notify: bool = True, **op_fields: Any
    ) -> ObjectId:
        """Write ``new`` as the current view: mirror branch refs, append the operation."""
        for name in old.branches.keys() | new.branches.keys():
            before, after = old.branches.get(name), new.branches.get(name)
            if before != after:
                w.set_ref(HEADS + name, after, w.ref(HEADS + name))
        parent = w.ref(OPS_HEAD)
        op = Operation(
            parent=parent,
            view=None,
            description=description,
            time=now_ms(),
            author=self.author(),
            state=new,
            **op_fields,
        )
        op_id: ObjectId = w.put_object(op)
        w.set_ref(OPS_HEAD, op_id, parent)
        self._views[op_id] = new
        if notify and old.checkout != new.checkout:
            for hook in self.view_hooks:
                w.on_commit(lambda txn, h=hook, o=old, n=new: h(txn, o, n))
        return op_id

    def initialize(self, w: Any, branch: str = DEFAULT_BRANCH) -> ObjectId:
        """The root commit (an empty story) and the first operation; run once by ``init``."""
        tree = TreeWriter(self.trees, w).empty()
        root = Commit(
            parents=[], tree=tree, generation=1, author=self.author(), time=now_ms(), message="Create the vault"
        )
        cid: ObjectId = w.put_object(root)
        view = View(branches={branch: cid}, head=branch, checkout=cid)
        self._put_view(w, View(branches={}, head=branch), view, "init", back=None)
        return cid

    def record(
        self,
        w: Any,
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
            time=now_ms(),
            message=message,
            events=elist,
            event_count=len(event_ids),
        )
        cid: ObjectId = w.put_object(c)
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
        for hook in self.hooks:
            w.on_commit(lambda txn, h=hook: h(txn, record))
        return record

    def view_in(self, w: Any) -> View:
        op = w.ref(OPS_HEAD)
        if op is None:
            return View(branches={}, head=DEFAULT_BRANCH)
        return self.view_of(op)

    def view_of(self, op_id: ObjectId) -> View:
        """The view operation ``op_id`` left in force (cached: operations are immutable)."""
        cached = self._views.get(op_id)
        if cached is None:
            cached = self.op_view(self.operation(op_id))
            if len(self._views) > 1_000:
                self._views.clear()
            self._views[op_id] = cached
        return cached

    def op_view(self, op: Operation) -> View:
        """The view ``op`` left in force: inline, or (operations written before views were inlined) linked."""
        if op.state is not None:
            return op.state
        if op.view is None:
            raise InputRejected("an operation without a view")
        return decode_as(self.store.get(op.view), View)

    def set_view(self, w: Any, new: View, description: str, **op_fields: Any) -> ObjectId:
        """Move branches / HEAD / checkout to ``new`` as one operation."""
        old = self.view_in(w)
        return self._put_view(w, old, new, description, back=w.ref(OPS_HEAD), **op_fields)

    def undo(self, w: Any) -> tuple[View, View]:
        """Restore the view before the last operation still in effect; returns (old, new) views."""
        current = w.ref(OPS_HEAD)
        if current is None:
            raise InputRejected("nothing to undo")
        cur_op = self.operation(current)
        target = cur_op.back
        if target is None:
            raise InputRejected("nothing to undo")
        t_op = self.operation(target)
        old, new = self.view_in(w), self.op_view(t_op)
        label = self.label(current)
        self._put_view(w, old, new, f"undo {label}", kind="undo", back=t_op.back, forward=current, restores=target)
        return old, new

    def redo(self, w: Any) -> tuple[View, View]:
        current = w.ref(OPS_HEAD)
        cur_op = self.operation(current) if current is not None else None
        if cur_op is None or cur_op.forward is None:
            raise InputRejected("nothing to redo")
        target = cur_op.forward
        t_op = self.operation(target)
        old, new = self.view_in(w), self.op_view(t_op)
        label = self.label(target)
        self._put_view(w, old, new, f"redo {label}", kind="redo", back=t_op.back, forward=t_op.forward, restores=target)
        return old, new

    def label(self, op_id: ObjectId) -> str:
        """What an operation did, seen through undo/redo: the normal operation whose view is in force."""
        op = self.operation(op_id)
        while op.kind != "op" and op.restores is not None:
            op = self.operation(op.restores)
        return repr(op.description)


class RevisionError(ObjectNotFound):
    """A revision that names no commit; ``base_found`` when its base did and a ``~``/``^`` step failed."""

    def __init__(self, message: str, base_found: bool) -> None:
        super().__init__(message)
        self.base_found = base_found


_REV_STEP: Final = re.compile(r"([~^])([0-9]*)")


def parse_rev(text: str) -> tuple[str, list[tuple[str, int]]]:
    """Split a revision into its base and its ``~N``/``^N`` steps; :class:`RevisionError` if malformed."""
    if not text.strip():
        raise RevisionError("empty revision", False)
    cut = min((i for i in (text.find("~"), text.find("^")) if i >= 0), default=len(text))
    base, rest = text[:cut], text[cut:]
    steps: list[tuple[str, int]] = []
    at = 0
    while at < len(rest):
        m = _REV_STEP.match(rest, at)
        if m is None:
            raise RevisionError(f"bad revision {text[:80]!r}: ~ and ^ take a number", False)
        digits = m.group(2)
        if len(digits) > 9:
            raise RevisionError(f"bad revision {text[:80]!r}: {digits[:12]}… steps is more than any history", False)
        steps.append((m.group(1), int(digits) if digits else 1))
        at = m.end()
    return base, steps


def _branchy(text: str) -> bool:
    try:
        check_branch_name(text)
        return True
    except InputRejected:
        return False


__all__ = [
    "DEFAULT_BRANCH",
    "HEADS",
    "OPS_HEAD",
    "CommitRecord",
    "History",
    "RevisionError",
    "StoredObject",
    "check_branch_name",
    "parse_rev",
]
