"""The working copy against the checkout: ``status``, ``commit``, ``restore`` and ``watch``.

Part of the ``history`` group (:mod:`comfyvn_vault.api.history` lists its
verbs). The working copy is the project folder's entity files; the checkout is
the commit they were last written from. ``status`` says how they differ,
``commit`` turns the differences into events, ``restore`` throws them away and
``watch`` commits them as they happen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import UNSET, UnsetType

from comfyvn_vault.errors import InputRejected, UsageError
from comfyvn_vault.watch.record import Settled

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault
    from comfyvn_vault.watch.watcher import Watcher
    from comfyvn_vault.worktree.checkout import Change


# ----------------------------------------------------------------- status


class WorkingChange(msgspec.Struct, kw_only=True):
    """An entity file that differs from the checkout."""

    path: str
    file: str
    kind: str
    """``added``, ``modified``, ``deleted``, ``broken`` (unreadable) or ``misnamed`` (maps to no entity)."""
    events: list[str]
    """What committing it would record, one line per event."""
    error: str | UnsetType = UNSET
    """Why the file cannot be read (only for an unreadable file)."""
    line: int | UnsetType | None = UNSET
    """The line the error is on, when known (only for an unreadable file)."""


class OpenConflict(msgspec.Struct, kw_only=True):
    """An unresolved merge conflict of the checkout; a side that was absent is listed in ``absent``."""

    id: str
    entity: str
    field: str | None
    """The place inside the entity (``nodes/n2/content``); null for the whole entity."""
    kind: str
    summary: str
    file: str
    base: Any | UnsetType = UNSET
    ours: Any | UnsetType = UNSET
    theirs: Any | UnsetType = UNSET
    absent: list[str]


class WordMerge(msgspec.Struct, kw_only=True):
    """A line both sides edited, merged word by word, that awaits review."""

    id: str
    entity: str
    field: str | None
    file: str
    path: str
    locator: str | None
    kind: str
    base: Any | UnsetType = UNSET
    ours: Any | UnsetType = UNSET
    theirs: Any | UnsetType = UNSET
    absent: list[str]
    merged: Any
    """The merged value the file now holds."""


class Status(msgspec.Struct, kw_only=True):
    """``comfyvn status``: the branch, its head, working-copy edits and open conflicts."""

    schema: str = "comfyvn.status/1"
    vault: str
    """The vault's folder."""
    branch: str
    head: str | None
    """The branch's tip; null before the first commit."""
    changes: list[WorkingChange]
    conflicts: list[OpenConflict]
    word_merges: list[WordMerge]
    objects: int
    """How many objects the store holds."""


def status(vault: Vault) -> Status:
    """The branch and its head, every working-copy edit (with the events it would record), open conflicts."""
    from comfyvn_vault.domain.conflicts import conflict_json
    from comfyvn_vault.domain.conflicts import describe as describe_conflict
    from comfyvn_vault.worktree.format import file_of

    view = vault.history.view()
    conflicts = []
    for c in vault.conflicts():
        sides = conflict_json(c)
        conflicts.append(
            OpenConflict(
                id=c.id,
                entity=c.path,
                field=c.locator,
                kind=c.kind,
                summary=describe_conflict(c),
                file=file_of(c.path),
                base=sides.get("base", UNSET),
                ours=sides.get("ours", UNSET),
                theirs=sides.get("theirs", UNSET),
                absent=sides["absent"],
            )
        )
    merges = []
    for c in vault.conflicts(reviews=True):
        if c.review:
            sides = conflict_json(c)
            merges.append(
                WordMerge(
                    id=c.id,
                    entity=c.path,
                    field=c.locator,
                    file=file_of(c.path),
                    path=c.path,
                    locator=c.locator,
                    kind=c.kind,
                    base=sides.get("base", UNSET),
                    ours=sides.get("ours", UNSET),
                    theirs=sides.get("theirs", UNSET),
                    absent=sides["absent"],
                    merged=sides["merged"],
                )
            )
    return Status(
        vault=str(vault.root),
        branch=view.head,
        head=view.branches[view.head].hex() if view.head in view.branches else None,
        changes=[_working_change(c) for c in vault.worktree.scan(vault.checkout_tree())],
        conflicts=conflicts,
        word_merges=merges,
        objects=vault.store.count(),
    )


def _working_change(change: Change) -> WorkingChange:
    """One ``status`` entry; an unreadable file says why."""
    if change.problem is None:
        return WorkingChange(path=change.path, file=change.file, kind=change.kind, events=_event_summary(change))
    return WorkingChange(
        path=change.path,
        file=change.file,
        kind=change.kind,
        events=[],
        error=change.problem.message,
        line=getattr(change.problem, "line", None),
    )


def _event_summary(change: Change) -> list[str]:
    """Short descriptions of the events a working-copy change would record."""
    from comfyvn_vault.domain.diffing import diff_entities
    from comfyvn_vault.domain.events import Cause
    from comfyvn_vault.history.describe import describe

    try:
        events = diff_entities(change.path, change.old, change.new, cause=Cause(kind="user"))
    except InputRejected as exc:
        return [f"invalid: {exc}"]
    return [describe(e) for e in events]


# ----------------------------------------------------------------- commit and restore


class Committed(msgspec.Struct, kw_only=True):
    """``comfyvn commit``: the commit the working-copy edits became (null: nothing to commit)."""

    schema: str = "comfyvn.commit-result/1"
    commit: str | None
    events: int
    branch: str
    """The branch the commit is on (HEAD's)."""


def commit(vault: Vault, message: str) -> Committed:
    """Turn every working-copy edit into fine-grained events in one commit on HEAD's branch."""
    rec = vault.commit(message)
    if rec is None:
        return Committed(commit=None, events=0, branch=vault.history.head_branch())
    return Committed(commit=rec.commit_id.hex(), events=len(rec.events), branch=rec.branch)


class Restored(msgspec.Struct, kw_only=True):
    """``comfyvn restore``: the entity paths whose files were rewritten from the checkout."""

    schema: str = "comfyvn.restore/1"
    restored: list[str]


def restore(vault: Vault, files: Sequence[str] | None = None) -> Restored:
    """Throw away working-copy edits (of ``files``, e.g. ``scenes/intro.toml``, or all): rewrite them from the checkout.

    Like ``git restore``: the edits are not in history, so this cannot be
    undone. A name that is no entity file is a usage error; nothing is restored.
    """
    from comfyvn_vault.worktree.format import path_of_file

    wanted: set[str] | None = None
    if files:
        wanted = set()
        for f in files:
            path = path_of_file(f.removeprefix("./"))
            if path is None:
                raise UsageError(f"{f}: not an entity file (scenes/ID.toml, characters/ID.toml, …)")
            wanted.add(path)
    # Files are not parsed to be thrown away: a broken one is restored like any other.
    tree = vault.checkout_tree()
    changes = [c for c in vault.worktree.scan(tree, wanted) if c.kind != "misnamed"]
    if changes:
        with vault.store.transaction() as w:
            docs = {c.path: (c.old, vault.history.trees.get(tree, c.path) if tree else None) for c in changes}
            w.on_commit(lambda txn: vault.worktree.write(txn, docs, tree))
    return Restored(restored=[c.path for c in changes])


# ----------------------------------------------------------------- watch


def watch(
    vault: Vault,
    report: Callable[[Settled], None],
    *,
    pending: bool = False,
    settle_ms: int = 300,
    poll: bool = False,
    hook_timeout: float | None = None,
) -> Watcher:
    """A watcher that records working-copy edits once their files were quiet ``settle_ms``.

    Each settled change is handed to ``report``; with ``pending`` nothing is
    committed (each change is validated and its events listed). Run it with
    ``.run(initial=..., on_ready=...)``; ``.stop()`` (from a signal handler)
    ends it once a change still settling is recorded.
    """
    from comfyvn_vault.watch.watcher import Watcher

    if settle_ms <= 0:
        raise UsageError("--settle must be a positive number of milliseconds")
    if hook_timeout is not None:
        if hook_timeout <= 0:
            raise UsageError("--hook-timeout must be positive")
        vault.settings = vault.settings.but(hook_timeout=hook_timeout)
    quiet = settle_ms / 1000
    return Watcher(
        vault,
        report,
        mode="pending" if pending else "commit",
        quiet=quiet,
        longest=max(10.0, 20 * quiet),
        force_polling=True if poll else None,
    )
