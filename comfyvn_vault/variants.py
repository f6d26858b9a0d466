"""Story variants: merge, pick (cherry-pick), resolve and merge --abort.

All of them run one machinery: a three-way merge of every entity path that
differs, between a base, "ours" (HEAD) and "theirs". What merges is recorded as
the events that turn ours into the result (so a merge commit's events, like any
commit's, replay from its first parent); what cannot merge is recorded as
``ConflictRecorded`` events, which put first-class :class:`Conflict` records in
the merge commit's tree under ``conflicts/<id>``. The merge completes; ``status``
lists the conflicts and ``resolve`` settles them one by one.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from comfyvn_vault import hooks
from comfyvn_vault.domain.assets import is_record_path
from comfyvn_vault.domain.conflicts import Conflict, conflict_json
from comfyvn_vault.domain.diffing import diff_entities
from comfyvn_vault.domain.entities import Entity
from comfyvn_vault.domain.events import Cause, ConflictRecorded, ConflictResolved, Event
from comfyvn_vault.domain.merge import merge_entity
from comfyvn_vault.domain.paths import CONFLICTS
from comfyvn_vault.domain.record_merge import merge_record
from comfyvn_vault.domain.resolve import resolve as resolve_conflict
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.history.objects import View
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.vault import Vault


class MergeResult(msgspec.Struct):
    """What ``merge`` or ``pick`` did."""

    kind: Literal["up-to-date", "fast-forward", "merge", "pick"]
    commit: str | None
    conflicts: list[dict[str, Any]]
    events: int = 0


def conflicts_at(vault: Vault, tree: ObjectId | None) -> list[Conflict]:
    """The unresolved conflicts recorded in a tree."""
    return vault.conflicts(tree) if tree is not None else []


def require_no_conflicts(vault: Vault, what: str) -> None:
    """Refuse ``what`` (play, export…) while the checkout has unresolved conflicts."""
    pending = conflicts_at(vault, vault.checkout_tree())
    if pending:
        raise InputRejected(
            f"cannot {what}: {len(pending)} unresolved merge conflict(s); see `comfyvn status`, then `comfyvn resolve`"
        )


def _three_way(
    vault: Vault, base: ObjectId | None, ours: ObjectId, theirs: ObjectId, cause: Cause
) -> tuple[list[Event], list[Conflict]]:
    """Events turning ``ours`` into the merge of ``ours`` and ``theirs`` over ``base``, and the conflicts."""
    h = vault.history
    tb, to, tt = h.tree_of(base), h.tree_of(ours), h.tree_of(theirs)
    if conflicts_at(vault, to):
        raise InputRejected("resolve the conflicts of the last merge first (`comfyvn status` lists them)")
    paths = {p for p, _, _ in h.trees.diff(tb, tt)}
    events: list[Event] = []
    conflicts: list[Conflict] = []
    for path in sorted(paths):
        if path.startswith(CONFLICTS + "/"):
            continue  # their unresolved conflicts are theirs to settle
        b, o, t = (h.trees.get(tree, path) if tree is not None else None for tree in (tb, to, tt))
        if o == t:
            continue
        if is_record_path(path):  # assets, findings, policy: no working-copy file, their own rules
            rb, ro, rt = (h.any_doc(d) if d is not None else None for d in (b, o, t))
            events.extend(merge_record(path, rb, ro, rt, cause))  # type: ignore[arg-type]
            continue
        if o == b:
            new = h.entity_doc(t) if t is not None else None
        else:
            merged = merge_entity(path, _doc(vault, b), _doc(vault, o), _doc(vault, t))
            new, found = merged.entity, merged.conflicts
            conflicts.extend(found)
        events.extend(diff_entities(path, _doc(vault, o), new, cause=cause))
    events.extend(ConflictRecorded(conflict=c, cause=cause) for c in conflicts)
    return events, conflicts


def _doc(vault: Vault, doc_id: ObjectId | None) -> Entity | None:
    return vault.history.entity_doc(doc_id) if doc_id is not None else None


def _sides(vault: Vault, rev: str) -> tuple[ObjectId, ObjectId]:
    """HEAD and the commit ``rev`` names."""
    ours = vault.history.head()
    if ours is None:
        raise ObjectNotFound("HEAD has no commits yet")
    return ours, vault.history.resolve_rev(rev)


def merge(vault: Vault, rev: str, message: str | None = None) -> MergeResult:
    """Merge branch (or revision) ``rev`` into HEAD's branch."""
    h = vault.history
    ours, theirs = _sides(vault, rev)
    if h.is_ancestor(theirs, ours):
        return MergeResult("up-to-date", ours.hex(), [])
    result = _merge(vault, rev, ours, theirs, message)
    hooks.post_merge(vault, {"rev": rev, **msgspec.to_builtins(result)})
    return result


def _merge(vault: Vault, rev: str, ours: ObjectId, theirs: ObjectId, message: str | None) -> MergeResult:
    h = vault.history
    if h.is_ancestor(ours, theirs):
        # Only the files the fast-forward rewrites must be free of hand edits.
        vault._require_clean(p for p, _, _ in h.trees.diff(h.tree_of(ours), h.tree_of(theirs)))
        with vault.store.transaction() as w:
            view = h.view_in(w)
            branches = {**view.branches, view.head: theirs}
            new = View(branches=branches, head=view.head, checkout=theirs, remotes=view.remotes)
            h.set_view(w, new, f"merge {rev} (fast-forward)")
        return MergeResult("fast-forward", theirs.hex(), [])
    bases = h.merge_bases(ours, theirs)
    base = bases[0] if bases else None
    cause = Cause(kind="merge", ref=theirs.hex())
    events, conflicts = _three_way(vault, base, ours, theirs, cause)
    text = message or f"Merge {rev} into {h.head_branch()}"
    with vault.store.transaction() as w:
        rec = h.record(w, events, text, base=ours, parents=[ours, theirs], description=f"merge {rev}")
        _write_files(vault, w, rec)
    return MergeResult("merge", rec.commit_id.hex(), [conflict_json(c) for c in conflicts], len(events))


def pick(vault: Vault, rev: str, message: str | None = None) -> MergeResult:
    """Apply the change one commit made (against its first parent) on top of HEAD."""
    h = vault.history
    ours, theirs = _sides(vault, rev)
    picked = h.commit(theirs)
    parent = picked.parents[0] if picked.parents else None
    cause = Cause(kind="merge", ref=theirs.hex(), note="pick")
    events, conflicts = _three_way(vault, parent, ours, theirs, cause)
    if not events:
        return MergeResult("pick", None, [])
    text = message or f"{picked.message} (picked from {theirs.short()})"
    hooks.pre_commit(vault, events, text, ours)
    with vault.store.transaction() as w:
        rec = h.record(w, events, text, base=ours, description=f"pick {theirs.short()}")
        _write_files(vault, w, rec)
    hooks.post_commit(vault, rec)
    return MergeResult("pick", rec.commit_id.hex(), [conflict_json(c) for c in conflicts], len(events))


def _write_files(vault: Vault, w: Any, rec: Any) -> None:
    """Refuse if a file the commit rewrites has hand edits; else rewrite those files with the commit."""
    vault._require_clean(rec.docs.keys())
    if rec.checkout_from is False:
        return
    docs = {p: (new, new_id) for p, (_, new, new_id) in rec.docs.items() if not p.startswith(CONFLICTS + "/")}
    w.on_commit(lambda txn: vault.worktree.write(txn, docs))


def resolve(
    vault: Vault,
    conflict_id: str,
    how: Literal["ours", "theirs", "both"] | None = None,
    value: Any = None,
    message: str | None = None,
) -> MergeResult:
    """Settle one conflict of the checkout: keep ours, take theirs, keep both, or set a value."""
    tree = vault.checkout_tree()
    matches = [c for c in conflicts_at(vault, tree) if c.id.startswith(conflict_id)]
    if not matches:
        raise ObjectNotFound(f"no unresolved conflict {conflict_id!r} (see `comfyvn status`)")
    if len(matches) > 1:
        raise InputRejected(f"conflict id {conflict_id!r} is ambiguous; give more digits")
    conflict = matches[0]
    h = vault.history
    assert tree is not None
    current = h.entity(tree, conflict.path)
    new = resolve_conflict(current, conflict, how, value)
    cause = Cause(kind="user", note=f"resolve {conflict.id}")
    events: list[Event] = list(diff_entities(conflict.path, current, new, cause=cause))
    events.append(ConflictResolved(conflict_id=conflict.id, how=how or "value", before=conflict, cause=cause))
    text = message or f"Resolve {conflict.path} {conflict.locator or '(entity)'}: {how or 'value'}"
    base = h.head()
    hooks.pre_commit(vault, events, text, base)
    with vault.store.transaction() as w:
        rec = h.record(w, events, text, base=base, description=f"resolve {conflict.id}")
        _write_files(vault, w, rec)
    hooks.post_commit(vault, rec)
    return MergeResult("merge", rec.commit_id.hex(), [conflict_json(conflict)], len(events))


def abort(vault: Vault) -> None:
    """Undo the last operation if it was a merge (``merge --abort``)."""
    op_id = vault.history.op_head()
    if op_id is None or not vault.history.operation(op_id).description.startswith("merge "):
        raise InputRejected("the last operation was not a merge; nothing to abort")
    vault.undo()
