"""The one write path: every change to a vault's history is a :class:`Changeset`.

A writer opens one with :meth:`Vault.change <comfyvn_vault.vault.Vault.change>`,
says what it adds, and leaves the ``with`` block; the changeset then does, in
this order and nowhere else:

1. settles the open conflicts the events set a new value at (when asked: the
   edit verbs' "an edit at a conflicted place resolves it");
2. runs the ``pre-commit`` veto, before the writer lock is taken, so a hook may
   read the vault (a veto raises :class:`~comfyvn_vault.hooks.HookVetoed`,
   exit 3, and nothing is written);
3. in one store transaction: stores the blobs, records the commit on top of
   ``base`` (an automatic rebase when HEAD moved and the events still apply,
   :class:`~comfyvn_vault.errors.RefMoved` when they do not), refuses if a
   working-copy file the commit rewrites holds hand edits, and writes those
   files (or, for a commit of hand edits, remembers them) with the commit;
4. after the commit is durable and the lock released: the caller's
   ``after_commit`` steps, then the post hooks.

Which hooks a change runs is decided here, by its kind (:data:`HOOKS`):

============  ===========  ==============================
kind          pre-commit   after the commit
============  ===========  ==============================
``commit``    yes          ``post-commit``
``merge``     yes          ``post-merge``
``import``    yes          ``post-commit``, ``post-import``
``export``    yes          ``post-commit``, ``post-export``
============  ===========  ==============================

A merge commit runs the ``pre-commit`` veto like any commit: whatever reaches
a branch passes the same checks, however it got there. A fast-forward merge
records no commit (:meth:`Changeset.fast_forward`), so it runs ``post-merge``
only. The ``post-merge``, ``post-import`` and ``post-export`` hooks get the
document the writer gave :meth:`Changeset.report`.

A changeset with no events records nothing and runs no hook (a merge commit,
given its parents, is recorded even when it brings no event). Anything raised
inside the ``with`` block, or by a step above, leaves the vault as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

from comfyvn_vault import hooks
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.base import AddResult
from comfyvn_vault.store.ids import ObjectId, hash_bytes

if TYPE_CHECKING:
    from types import TracebackType

    from comfyvn_vault.domain.conflicts import Conflict
    from comfyvn_vault.domain.events import Cause, Event
    from comfyvn_vault.history.repo import CommitRecord
    from comfyvn_vault.store.disk import Staged
    from comfyvn_vault.vault import Vault
    from comfyvn_vault.worktree.checkout import Change

ChangeKind = Literal["commit", "merge", "import", "export"]
Report = Callable[["CommitRecord | None"], dict[str, Any]]
#: What a change does with the working-copy files of the entities it changes.
Files = Literal["write", "remember"]


class HookPlan(NamedTuple):
    """The hooks one kind of change runs."""

    pre_commit: bool
    after: tuple[str, ...]


HOOKS: Final[dict[ChangeKind, HookPlan]] = {
    "commit": HookPlan(pre_commit=True, after=("post-commit",)),
    "merge": HookPlan(pre_commit=True, after=("post-merge",)),
    "import": HookPlan(pre_commit=True, after=("post-commit", "post-import")),
    "export": HookPlan(pre_commit=True, after=("post-commit", "post-export")),
}

#: The post hooks that read a writer's report.
AFTER: Final[dict[str, Callable[[Vault, dict[str, Any]], None]]] = {
    "post-merge": hooks.post_merge,
    "post-import": hooks.post_import,
    "post-export": hooks.post_export,
}


class Changeset:
    """One unit of work: blobs and events that land in one commit, or not at all."""

    def __init__(
        self,
        vault: Vault,
        message: str,
        *,
        kind: ChangeKind = "commit",
        base: ObjectId | None = None,
        parents: Sequence[ObjectId] | None = None,
        description: str | None = None,
        files: Files = "write",
        cause: Cause | None = None,
        branch: str | None = None,
    ) -> None:
        self.vault = vault
        self.message = message
        self.kind: ChangeKind = kind
        #: The tip the events were derived against (default: the branch's tip when the change opened).
        h = vault.history
        self.base = base if base is not None else h.branch_tip(branch) if branch is not None else h.head()
        self.parents = list(parents) if parents is not None else None
        self.description = description
        self.files: Files = files
        #: The branch the commit goes on (default HEAD's; another branch's commit rewrites no file).
        self.branch = branch
        #: The cause of events the changeset itself adds (conflict settlements); a writer's own events carry theirs.
        self.cause = cause
        self.events: list[Event] = []
        self._blobs: list[bytes | Staged | AddResult | tuple[str, ObjectId]] = []
        self._settle = False
        self._after: list[Callable[[], None]] = []
        self._report: Report | None = None
        self._fast_forward: ObjectId | None = None
        #: The commit, once the change has landed (None when it had nothing to record).
        self.commit: CommitRecord | None = None

    # ----------------------------------------------------------------- what a writer adds

    def add_blob(self, data: bytes) -> ObjectId:
        """Store ``data`` with the commit; its id, for the events that name it."""
        self._blobs.append(data)
        return hash_bytes(data)

    def add_stored(self, blob: bytes | Staged | AddResult) -> None:
        """Store with the commit what the caller identified already: bytes, a staged file (see
        :meth:`DiskObjectStore.stage_file`) or a stored object (nothing to do)."""
        self._blobs.append(blob)

    def add_file(self, path: str | os.PathLike[str], expected: ObjectId) -> None:
        """Store the file at ``path`` with the commit, read when stored; it must still hold ``expected``
        (else nothing lands: a blob the events name would be missing)."""
        self._blobs.append((os.fspath(path), expected))

    def check(self, events: Sequence[Event]) -> None:
        """Validate ``events`` (after those recorded so far) against the base, writing nothing.

        Raises :class:`~comfyvn_vault.domain.errors.Rejected` (exit 3) for an event that does not apply.
        """
        from comfyvn_vault.domain.apply import apply_all

        h = self.vault.history
        tree = h.tree_of(self.base)
        apply_all(h.lookup_in(tree), [*self.events, *events], listing=h.listing_in(tree))

    def record(self, events: Iterable[Event], *, settle: bool = False) -> None:
        """Add events to the commit. With ``settle``, an event that sets a new value at the place of an
        open conflict (or word-merge review) resolves it."""
        self.events.extend(events)
        self._settle = self._settle or settle

    def report(self, doc: Report) -> None:
        """What the ``post-merge``, ``post-import`` or ``post-export`` hook reads: made from the commit
        (None for a fast-forward) once the change has landed."""
        self._report = doc

    def after_commit(self, step: Callable[[], None]) -> None:
        """Run ``step`` once the commit is durable, before the post hooks (e.g. publish thumbnails)."""
        self._after.append(step)

    def fast_forward(self, target: ObjectId, description: str) -> None:
        """Instead of a commit, move HEAD's branch and the checkout to ``target`` (a descendant of it)."""
        self._fast_forward = target
        self.description = description

    # ----------------------------------------------------------------- landing

    def __enter__(self) -> Changeset:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self._land()

    def _land(self) -> None:
        if self._fast_forward is not None:
            self._land_fast_forward(self._fast_forward)
            return
        if not self.events and self.parents is None:
            return  # nothing to record (a merge commit, with its parents, may record no event)
        v, h = self.vault, self.vault.history
        events = self.events
        if self._settle:
            events = [*events, *_settled_by(v, events)]
        plan = HOOKS[self.kind]
        if plan.pre_commit:
            hooks.pre_commit(v, events, self.message, self.base)
        with v.store.transaction() as w:
            for blob in self._blobs:
                _store(w, blob)
            rec = h.record(
                w,
                events,
                self.message,
                branch=self.branch,
                base=self.base,
                parents=self.parents,
                description=self.description,
            )
            if self.files == "write":
                require_clean(v, {*rec.docs.keys(), *(c.path for c in _conflicts_in(rec))})
                if rec.checkout_from is not False:
                    _write_files(v, w, rec)
            else:
                _remember_files(v, w, rec)
        self.commit = rec
        self._post_hooks(rec)

    def _land_fast_forward(self, target: ObjectId) -> None:
        from comfyvn_vault.history.objects import View

        v, h = self.vault, self.vault.history
        # Only the files the fast-forward rewrites must be free of hand edits.
        require_clean(v, (p for p, _, _ in h.trees.diff(h.tree_of(self.base), h.tree_of(target))))
        with v.store.transaction() as w:
            view = h.view_in(w)
            branches = {**view.branches, view.head: target}
            new = View(branches=branches, head=view.head, checkout=target, remotes=view.remotes)
            h.set_view(w, new, self.description or "fast-forward")
        self._post_hooks(None)

    def _post_hooks(self, rec: CommitRecord | None) -> None:
        for step in self._after:
            step()
        for name in HOOKS[self.kind].after:
            if name == "post-commit":
                if rec is not None:
                    hooks.post_commit(self.vault, rec)
            else:
                AFTER[name](self.vault, self._report(rec) if self._report is not None else {})


def _store(w: Any, blob: bytes | Staged | AddResult | tuple[str, ObjectId]) -> None:
    if isinstance(blob, AddResult):
        return
    if isinstance(blob, tuple):
        path, expected = blob
        if w.put_file(path).id != expected:
            raise InputRejected(f"{path}: changed while it was being added; nothing was added, retry")
        return
    w.add(blob)


# ----------------------------------------------------------------- the working copy around a commit


def require_clean(vault: Vault, paths: Iterable[str] | None = None) -> None:
    """Refuse (exit 3) when the files of ``paths`` (or any) hold edits not committed: nothing overwrites them."""
    found = vault.worktree.scan(vault.checkout_tree(), paths)
    broken = [c for c in found if c.kind == "broken"]
    if broken:
        raise InputRejected(with_restore_hint(broken[0], "fix the file or discard it"))
    dirty = [c for c in found if c.problem is None]  # a misnamed file is no entity's: nothing overwrites it
    if dirty:
        names = ", ".join(c.file for c in dirty[:3]) + (" …" if len(dirty) > 3 else "")
        raise InputRejected(f"uncommitted edits in {names}; commit them first (comfyvn commit -m MSG)")


def with_restore_hint(change: Change, advice: str) -> str:
    """A broken file's problem and what to do, naming ``restore`` once (some problems already name it)."""
    text = str(change.problem)
    if "comfyvn restore" in text:
        return f"{text}; {advice.split(';')[0]}" if "nothing was committed" in advice else text
    return f"{text}; {advice} (comfyvn restore {change.file})"


def _write_files(vault: Vault, w: Any, rec: CommitRecord) -> None:
    """Rewrite, with the commit, the files of the entities it changed or whose conflicts it changed."""
    docs = {p: (new, new_id) for p, (_, new, new_id) in rec.docs.items()}
    changed = [d for old, new, _ in rec.docs.values() for d in (old, new)]
    w.on_commit(lambda txn: vault.worktree.write(txn, docs, rec.commit.tree, changed))


def _remember_files(vault: Vault, w: Any, rec: CommitRecord) -> None:
    """A commit of hand edits: the files are the source, so they are only noted as matching the commit."""
    from comfyvn_vault.domain.entities import TYPE_OF

    def remember(txn: Any) -> None:
        for path, (_, _, new_id) in rec.docs.items():
            if path.split("/", 1)[0] not in TYPE_OF:
                continue
            if new_id is None:
                vault.worktree.forget(txn, path)
            else:
                vault.worktree.remember(txn, path, new_id)

    w.on_commit(remember)


def _conflicts_in(rec: CommitRecord) -> list[Conflict]:
    from comfyvn_vault.domain.conflicts import Conflict

    return [d for old, new, _ in rec.docs.values() for d in (old, new) if isinstance(d, Conflict)]


def _settled_by(vault: Vault, events: Sequence[Event]) -> list[Event]:
    """The resolutions of the open conflicts whose place ``events`` set a new value at."""
    from comfyvn_vault.domain.apply import apply_all
    from comfyvn_vault.domain.resolve import settled_by_edit

    tree = vault.checkout_tree()
    marks = vault.worktree.marks(tree)
    touched = {p.split("#", 1)[0] for e in events for p in e.touched()} & marks.keys()
    if not touched or tree is None:
        return []
    lookup = vault.history.lookup_in(tree)
    after = apply_all(lookup, events)
    out: list[Event] = []
    for path in sorted(touched):
        if path in after:
            old, new = lookup(path), after[path]
            cause = next(e.cause for e in events)
            out.extend(settled_by_edit(old, new, [], marks[path], cause))  # type: ignore[arg-type]
    return out
