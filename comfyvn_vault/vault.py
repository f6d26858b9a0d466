"""The Vault: an open vault and the transactions the core shares.

A vault is a project folder (the working copy) holding ``.comfyvn/``. This
class opens it, holds its store, history, projections and working copy, and
offers the writes other code builds on: the one write path (:meth:`Vault.change`),
commits of working-copy edits, ref moves (switch, branches, undo, redo) and
the projections' rebuild. The verbs the CLI and the TUI call are
:mod:`comfyvn_vault.api`'s; they take a Vault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import lmdb

from comfyvn_vault import hooks
from comfyvn_vault.changeset import ChangeKind, Changeset, Files, require_clean, with_restore_hint
from comfyvn_vault.domain.suggest import did_you_mean
from comfyvn_vault.errors import InputRejected, NotAVault
from comfyvn_vault.history.author import Author
from comfyvn_vault.history.objects import View
from comfyvn_vault.history.repo import CommitRecord, History, check_branch_name
from comfyvn_vault.projections.version import PROJECTIONS_VERSION, version_of
from comfyvn_vault.settings import Settings
from comfyvn_vault.store.base import ObjectInfo
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.store.fsutil import os_error, write_durably
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.store.index_errors import index_error
from comfyvn_vault.store.layout import FORMAT_VERSION, READABLE_FORMATS, Paths
from comfyvn_vault.store.layout import STORE_DIR as STORE_DIR  # re-exported: where callers look for it
from comfyvn_vault.worktree.checkout import Change, WorkingCopy

if TYPE_CHECKING:
    # Imported where used: ``comfyvn status`` should not load fsck, gc or the differ.
    from comfyvn_vault.domain.conflicts import Conflict
    from comfyvn_vault.domain.events import Cause, Event
    from comfyvn_vault.projections.index import Projections
    from comfyvn_vault.store.fsck import FsckReport
    from comfyvn_vault.store.gc import GcReport

Progress = Callable[[int], None]


def find_vault(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds ``.comfyvn/``."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / STORE_DIR / "format").is_file():
            return folder
    raise NotAVault(f"not inside a vault (no {STORE_DIR}/ at or above {start}); run 'comfyvn init'")


class Vault:
    """An open vault. Use :meth:`open` or :meth:`init`; close it (or use ``with``)."""

    #: Where hook results go (output, failures); None prints them on stderr. The TUI notifies.
    hook_reporter: hooks.Reporter | None = None

    def __init__(self, root: Path, store: DiskObjectStore, settings: Settings | None = None) -> None:
        self.root = root
        self.store = store
        #: What the environment tunes (clock, author, timeouts, tokens), read once.
        self.settings = Settings.from_env() if settings is None else settings
        #: What :meth:`reindex` gave when opening rebuilt the projections (the index was rebuilt).
        self.rebuilt: dict[str, Any] | None = None
        self.history = History(store, self.settings)
        self.history.author = Author(root / STORE_DIR, fixed=self.settings.author)
        self._projections: Projections | None = None
        # Every write keeps the projections current: they are opened (and their commit
        # hooks attached) before any write transaction starts, and by the first query.
        store.before_write.append(lambda: self.projections)
        self.worktree = WorkingCopy(root, store, self.history)
        self.history.view_hooks.append(self._write_checkout)

    @property
    def projections(self) -> Projections:
        """The query indexes, opened on first use (a verb that queries none never imports them)."""
        if self._projections is None:
            from comfyvn_vault.projections.index import Projections
            from comfyvn_vault.projections.maintain import attach

            projections = Projections(self.store.env)
            attach(self.history, projections)
            self._projections = projections
        return self._projections

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def init(cls, path: Path, settings: Settings | None = None) -> tuple[Vault, bool]:
        """Create a vault in ``path`` (made if missing). Returns the vault and whether it is new."""
        settings = Settings.from_env() if settings is None else settings
        path = path.resolve()
        meta = path / STORE_DIR
        if (meta / "format").is_file():
            return cls.open(path, settings=settings), False
        if path.exists() and not path.is_dir():
            raise InputRejected(f"{path}: exists and is not a folder")
        try:
            path.mkdir(parents=True, exist_ok=True)
            store = DiskObjectStore.create(meta, lock_timeout=settings.lock_timeout, map_size=settings.map_size)
            vault = cls(path, store, settings)
            if vault.history.op_head() is None:
                with store.transaction() as w:
                    vault.history.initialize(w)
                    w.on_commit(vault.projections.set_version)
            # The format file is written last: its presence is what makes this a vault.
            write_durably(Paths(meta).format, f"{FORMAT_VERSION}\n".encode())
        except OSError as exc:
            raise os_error(exc, f"create a vault in {path}") from None
        return vault, True

    @classmethod
    def open(
        cls,
        start: Path | str | None = None,
        *,
        repair: bool | Literal["always"] = False,
        settings: Settings | None = None,
    ) -> Vault:
        """Open the vault at or above ``start``.

        A missing or damaged index raises :class:`IndexDamaged`; with ``repair``
        (``comfyvn reindex``) it is rebuilt from the packs instead. ``settings``
        default to what the environment says (:meth:`Settings.from_env`).
        """
        settings = Settings.from_env() if settings is None else settings
        root = find_vault(Path(start) if start is not None else Path.cwd())
        meta = root / STORE_DIR
        version = (meta / "format").read_text().strip()
        number = int(version) if version.isdigit() else None
        if number not in READABLE_FORMATS:
            readable = ", ".join(map(str, READABLE_FORMATS))
            raise InputRejected(f"vault format {version!r} is not supported (this comfyvn reads {readable})")
        store = DiskObjectStore(
            meta,
            lock_timeout=settings.lock_timeout,
            map_size=settings.map_size,
            journal=number >= 2,
            repair=repair,
        )
        try:
            vault = cls(root, store, settings)
            if store.projections_stale():
                # The index was rebuilt from the packs (after a crash of the machine, or
                # by ``reindex``): the projections come back from history (store/journal.py).
                vault.rebuilt = vault.reindex()
                store.projections_rebuilt()
            elif version_of(store.env) != PROJECTIONS_VERSION:
                # Built by a comfyvn with another projection layout: rebuilt from history, once.
                vault.reindex(only_if_outdated=True)
            vault.worktree.recover()  # a process killed after a commit left its files unwritten
        except BaseException as exc:
            store.close()
            if isinstance(exc, lmdb.Error):
                raise index_error(exc) from None
            raise
        return vault

    def close(self) -> None:
        self.history.forget()
        self.store.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- objects

    def resolve(self, text: str) -> ObjectId:
        return self.store.resolve(text)

    def info(self, oid: ObjectId) -> ObjectInfo:
        return self.store.info(oid)

    def iter_object(self, oid: ObjectId) -> Iterator[bytes]:
        """An object's bytes, verified in full before the first chunk is yielded."""
        return self.store.iter_chunks(oid, verify_first=True)

    # ----------------------------------------------------------------- maintenance

    # ----------------------------------------------------------------- history

    def checkout_tree(self) -> ObjectId | None:
        return self.history.tree_of(self.history.view().checkout)

    def changes(self) -> list[Change]:
        """Entity files that differ from the checkout (raises MalformedFile for a bad file)."""
        return self.worktree.changes(self.checkout_tree())

    def change(
        self,
        message: str,
        *,
        kind: ChangeKind = "commit",
        base: ObjectId | None = None,
        parents: Sequence[ObjectId] | None = None,
        description: str | None = None,
        files: Files = "write",
        cause: Cause | None = None,
        branch: str | None = None,
    ) -> Changeset:
        """Open the unit of work every write to history goes through (:mod:`comfyvn_vault.changeset`).

        ``with vault.change("message") as ch: ch.add_blob(data); ch.record(events)``
        lands the blobs and events in one commit when the block ends, with the
        hooks ``kind`` runs; ``ch.commit`` is then the commit (None if nothing was recorded).
        """
        return Changeset(
            self,
            message,
            kind=kind,
            base=base,
            parents=parents,
            description=description,
            files=files,
            cause=cause,
            branch=branch,
        )

    def require_clean(self, paths: Iterable[str] | None = None) -> None:
        """Refuse (exit 3) when the files of ``paths`` (or any) hold edits not committed."""
        require_clean(self, paths)

    def record(
        self,
        events: Sequence[Event],
        message: str,
        *,
        description: str | None = None,
        base: ObjectId | None = None,
    ) -> CommitRecord:
        """Commit events made by a verb on HEAD's branch and write the changed entity files.

        The files of the entities the events change must be clean, so a verb
        never overwrites a hand edit. ``base`` is the HEAD the verb read before
        deriving ``events`` (default: HEAD now): if another writer moved it and
        the events no longer apply, :class:`~comfyvn_vault.errors.RefMoved`
        (exit 4) says so, rather than a rejection of the events as bad input.
        An edit that sets a new value at the place of an unresolved conflict
        (or word-merge review) resolves it.
        """
        with self.change(message, base=base, description=description) as ch:
            ch.record(events, settle=True)
        assert ch.commit is not None, "a verb records at least one event"
        return ch.commit

    def commit(
        self, message: str, cause: Cause | None = None, paths: Iterable[str] | None = None
    ) -> CommitRecord | None:
        """Turn working-copy edits (of ``paths``, or all) into fine-grained events in one commit.

        None when nothing changed. The files are only read, never rewritten.
        """
        from comfyvn_vault.domain.diffing import diff_entities
        from comfyvn_vault.domain.events import Cause
        from comfyvn_vault.domain.resolve import settled_by_edit

        tree = self.checkout_tree()
        changes = self.worktree.scan(tree, paths)
        for ch in changes:
            if ch.kind == "broken":
                raise InputRejected(with_restore_hint(ch, "nothing was committed; fix it or discard it"))
            if ch.problem is not None:
                raise InputRejected(f"{ch.problem}; nothing was committed")
        if not changes:
            return None
        cause = cause or hooks.hook_cause(self.settings) or Cause(kind="user")
        events: list[Event] = []
        for ch in changes:
            events.extend(diff_entities(ch.path, ch.old, ch.new, cause=cause))
        marks = self.worktree.marks(tree)
        for ch in changes:
            events.extend(settled_by_edit(ch.old, ch.new, ch.settled, marks.get(ch.path, []), cause))
        with self.change(message, files="remember") as unit:
            unit.record(events)
        return unit.commit

    def _write_checkout(self, txn: Any, old: View, new: View) -> None:
        """View hook: rewrite the files that differ between the old and new checkout."""
        a, b = self.history.tree_of(old.checkout), self.history.tree_of(new.checkout)
        docs: dict[str, tuple[Any, ObjectId | None]] = {}
        changed = []
        for path, old_id, new_id in self.history.trees.diff(a, b):
            docs[path] = (self.history.any_doc(new_id) if new_id is not None else None, new_id)
            either = new_id if new_id is not None else old_id
            if path.startswith("conflicts/") and either is not None:
                changed.append(self.history.any_doc(either))
        self.worktree.write(txn, docs, b, changed)

    def switch(self, branch: str, create: bool = False) -> View:
        """Check out ``branch`` (creating it at HEAD with ``create``); the files follow."""
        check_branch_name(branch)
        current = self.history.view()
        if not create and branch == current.head and current.checkout == current.branches.get(branch):
            return current  # already there: nothing to check out, no operation to record
        require_clean(self)
        with self.store.transaction() as w:
            view = self.history.view_in(w)
            tip = view.branches.get(branch)
            if create:
                if tip is not None:
                    raise InputRejected(f"branch {branch} already exists")
                tip = view.branches.get(view.head)
            elif tip is None:
                hint = did_you_mean(branch, list(view.branches))
                raise InputRejected(f"no branch {branch}{hint or ' (use switch -c to create it)'}")
            branches = {**view.branches, branch: tip} if tip is not None else dict(view.branches)
            new = View(branches=branches, head=branch, checkout=tip, remotes=view.remotes)
            self.history.set_view(w, new, f"switch to {branch}" + (" (new)" if create else ""))
        return new

    def branch_create(self, name: str, at: str | None = None) -> ObjectId:
        check_branch_name(name)
        target = self.history.resolve_rev(at) if at else self.history.head()
        with self.store.transaction() as w:
            view = self.history.view_in(w)
            if name in view.branches:
                raise InputRejected(f"branch {name} already exists")
            if target is None:
                raise InputRejected("HEAD has no commits yet")
            new = View(
                branches={**view.branches, name: target}, head=view.head, checkout=view.checkout, remotes=view.remotes
            )
            self.history.set_view(w, new, f"create branch {name}")
        return target

    def branch_delete(self, name: str) -> ObjectId:
        """Remove branch ``name`` (not HEAD's); returns the commit it pointed at."""
        with self.store.transaction() as w:
            view = self.history.view_in(w)
            if name not in view.branches:
                raise InputRejected(f"no branch {name}{did_you_mean(name, list(view.branches))}")
            if name == view.head:
                raise InputRejected(f"cannot delete the checked-out branch {name}; switch first")
            branches = {k: v for k, v in view.branches.items() if k != name}
            new = View(branches=branches, head=view.head, checkout=view.checkout, remotes=view.remotes)
            self.history.set_view(w, new, f"delete branch {name}")
        return view.branches[name]

    def undo(self) -> tuple[View, View]:
        require_clean(self)
        with self.store.transaction() as w:
            return self.history.undo(w)

    def redo(self) -> tuple[View, View]:
        require_clean(self)
        with self.store.transaction() as w:
            return self.history.redo(w)

    def conflicts(self, tree: ObjectId | None = None, *, reviews: bool = False) -> list[Conflict]:
        """Unresolved merge conflicts recorded in ``tree`` (default: the checkout).

        With ``reviews``, the lines merged word by word that await review too.
        """
        tree = self.checkout_tree() if tree is None else tree
        found = [c for cs in self.worktree.marks(tree).values() for c in cs if reviews or not c.review]
        return sorted(found, key=lambda c: (c.path, c.locator))

    def reindex(
        self, verify: bool = False, progress: Progress | None = None, *, only_if_outdated: bool = False
    ) -> dict[str, Any]:
        """Rebuild every projection from history.

        With ``verify`` the rebuild happens inside a transaction that is then
        rolled back, and the result says whether it matched what was there byte
        for byte (``differ`` names the projections that did not;
        :mod:`comfyvn_vault.projections.verify`).
        """
        if verify:
            from comfyvn_vault.projections.verify import rebuild_compared

            events, differ = rebuild_compared(self, progress)
            return {"events": events, "identical": not differ, "differ": [name for name, _ in differ]}
        result: dict[str, Any] = {}

        def rebuild_in(txn: Any) -> None:
            if only_if_outdated and self.projections.version(txn) == PROJECTIONS_VERSION:
                return  # another process upgraded them while we waited for the lock
            from comfyvn_vault.projections.maintain import rebuild

            result["events"] = rebuild(txn, self.history, self.projections, progress)

        with self.store.transaction() as w:
            w.on_commit(rebuild_in)
        return result

    def fsck(self, progress: Progress | None = None) -> FsckReport:
        """The store's objects, packs and index, then the projections (:mod:`comfyvn_vault.projections.verify`)."""
        from comfyvn_vault.projections.verify import fsck_vault

        return fsck_vault(self, progress)

    def gc(self) -> GcReport:
        from comfyvn_vault.store.gc import gc

        return gc(self.store)
