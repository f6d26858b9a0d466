"""Turn a settled set of changed files into events: a commit, or a pending change set.

Each file is validated exactly as ``comfyvn commit`` validates it (parse, then
diff into events, then apply to the checkout), but one file at a time, so a
malformed file is reported (``file:line: reason``) and left out while the other
files of the same burst are still recorded. The files are only ever read: a
bad edit stays in the working copy, untouched, for the writer to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import msgspec

from comfyvn_vault.errors import ConcurrentWork, InputRejected
from comfyvn_vault.worktree.format import MalformedFile, file_of

if TYPE_CHECKING:
    from comfyvn_vault.domain.events import Cause, Event
    from comfyvn_vault.vault import Vault
    from comfyvn_vault.worktree.checkout import Change

Mode = Literal["commit", "pending"]
SCHEMA = "comfyvn.watch/1"
MESSAGE_FILES = 3  # files named in an auto-commit's message


class Problem(msgspec.Struct, frozen=True):
    """A file that was not recorded, and why (``message`` is one line and names the file)."""

    file: str
    line: int | None
    message: str


class Settled(msgspec.Struct):
    """What ``watch`` did with one settled change (one JSON line with ``--json``)."""

    mode: Mode
    files: list[str]
    commit: str | None = None
    events: list[str] = []
    rejected: list[Problem] = []
    error: str | None = None
    #: The edits could not be recorded because of concurrent work; they are tried again.
    retry: bool = False
    schema: str = SCHEMA

    @property
    def empty(self) -> bool:
        return not (self.files or self.rejected or self.error)


def watch_cause(files: Sequence[str]) -> Cause:
    from comfyvn_vault.domain.events import Cause

    if len(files) == 1:
        return Cause(kind="watch", ref=files[0])
    return Cause(kind="watch", note=f"{len(files)} files")


def watch_message(files: Sequence[str]) -> str:
    shown = ", ".join(files[:MESSAGE_FILES])
    more = f" (+{len(files) - MESSAGE_FILES} more)" if len(files) > MESSAGE_FILES else ""
    return f"watch: {shown}{more}"


def dirty_paths(vault: Vault) -> list[str]:
    """Every entity path that may differ from the checkout (what ``watch`` records at start).

    The whole-copy scan is tried first; when a file in it is malformed, every
    file on disk and every committed entity is returned instead, so each can be
    checked on its own.
    """
    try:
        return [c.path for c in vault.changes()]
    except MalformedFile:
        pass
    from comfyvn_vault.domain.entities import TYPE_OF

    paths = {path for _, path, _ in vault.worktree.files()}
    tree = vault.checkout_tree()
    if tree is not None:
        for folder in sorted(TYPE_OF):
            paths.update(p for p, _ in vault.history.trees.items(tree, folder + "/"))
    return sorted(paths)


def record_paths(vault: Vault, paths: Iterable[str], mode: Mode = "commit") -> Settled:
    """Validate the changes of entity ``paths`` and commit them (or, pending, only describe them)."""
    from comfyvn_vault.history.describe import describe

    tree = vault.checkout_tree()
    rejected: list[Problem] = []
    changes: list[Change] = []
    for path in sorted(set(paths)):
        try:
            changes.extend(vault.worktree.changes(tree, [path]))
        except InputRejected as exc:  # MalformedFile, or an unreadable file
            rejected.append(_problem(file_of(path), exc))
    changes, events, more = _applicable(vault, changes)
    rejected.extend(more)
    files = [file_of(c.path) for c in changes]
    report = Settled(mode, files, rejected=rejected)
    if not changes:
        return report
    if mode == "pending":
        report.events = [describe(e) for e in events]
        return report
    try:
        rec = vault.commit(watch_message(files), watch_cause(files), paths=[c.path for c in changes])
    except ConcurrentWork as exc:
        report.error, report.retry = exc.message, True
        return report
    except InputRejected as exc:
        # A pre-commit veto, or a file that changed again (and broke) since it was checked:
        # nothing was written; the next change to it is tried again.
        report.error = exc.message
        return report
    if rec is not None:
        report.commit = rec.commit_id.hex()
        report.events = [describe(e) for e in rec.events]
    else:
        report.files = []
    return report


def _problem(file: str, exc: InputRejected) -> Problem:
    line = exc.line if isinstance(exc, MalformedFile) else None
    message = exc.message if exc.message.startswith(file) else f"{file}: {exc.message}"
    return Problem(file, line, message)


def _applicable(vault: Vault, changes: list[Change]) -> tuple[list[Change], list[Event], list[Problem]]:
    """The changes whose events apply to the checkout together, their events, and the others.

    A change that fails on its own is left out; when every change applies on
    its own but not together, all of them are refused with the combined reason.
    """
    rejected: list[Problem] = []
    ok = list(changes)
    while ok:
        events, error = _try(vault, ok)
        if error is None:
            return ok, events, rejected
        bad = [c for c in ok if _try(vault, [c])[1] is not None] or ok
        for c in bad:
            reason = _try(vault, [c])[1] or error
            rejected.append(_problem(file_of(c.path), reason))
        ok = [c for c in ok if c not in bad]
    return [], [], rejected


def _try(vault: Vault, changes: Sequence[Change]) -> tuple[list[Event], InputRejected | None]:
    """Diff ``changes`` into events and apply them to the checkout without writing anything."""
    from comfyvn_vault.domain.apply import apply_all
    from comfyvn_vault.domain.diffing import diff_entities

    cause = watch_cause([file_of(c.path) for c in changes])
    try:
        events = [e for c in changes for e in diff_entities(c.path, c.old, c.new, cause=cause)]
        # cast: the lookup may also return records (assets, findings) that apply_all's type leaves out.
        apply_all(cast("Any", vault.history.lookup_in(vault.checkout_tree())), events)
    except InputRejected as exc:
        return [], exc
    return events, None
