"""Verbs of the ``merge`` group: merge, pick (cherry-pick), resolve and merge --abort.

All of them run one machinery: a three-way merge of every entity path that
differs, between a base, "ours" (HEAD) and "theirs". What merges is recorded as
the events that turn ours into the result (so a merge commit's events, like any
commit's, replay from its first parent); what cannot merge is recorded as
``ConflictRecorded`` events, which put first-class :class:`Conflict` records in
the merge commit's tree under ``conflicts/<id>``. The merge completes; ``status``
lists the conflicts (:func:`conflicts`) and ``resolve`` settles them one by one.

A line both sides edited that merged word by word is new prose nobody wrote, so
it is recorded too, as a ``word-merge`` review (same storage, same ``resolve``;
``--accept`` keeps the merged line). Reviews block nothing. The vault setting
``[merge] word_level = false`` in ``.comfyvn/config.toml`` turns word-level
merging off: such lines then conflict.

A resolution never overwrites a value that changed since the merge: if the
place no longer holds what the merge left there, ``resolve`` refuses (keep the
newer value with ``--accept``). A commit that sets a new value at a conflicted
place resolves that conflict.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeAlias

import msgspec

from comfyvn_vault.domain.assets import is_record_path
from comfyvn_vault.domain.conflicts import ABSENT, Conflict, ConflictKind, conflict_json
from comfyvn_vault.domain.diffing import diff_entities
from comfyvn_vault.domain.entities import Entity
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.events import Cause, ConflictRecorded, ConflictResolved, Event
from comfyvn_vault.domain.merge import merge_entity
from comfyvn_vault.domain.paths import CONFLICTS
from comfyvn_vault.domain.record_merge import merge_record
from comfyvn_vault.domain.resolve import changed_between, changed_since_merge, value_at, value_from_text
from comfyvn_vault.domain.resolve import resolve as resolve_conflict
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.history.repo import CommitRecord
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.vault import Vault


class ConflictEntry(msgspec.Struct, kw_only=True):
    """A conflict (or a line merged word by word, awaiting review) as the CLI lists it.

    A side that does not exist (a deleted node) is left out and named in
    ``absent``, so it is not confused with a present ``null``.
    """

    id: str
    """The conflict's id: the same for the same place whenever the same versions merge."""
    path: str
    """The entity it is in (``scenes/intro``)."""
    locator: str
    """The place inside the entity (``nodes/n2/content``; empty: the whole entity)."""
    kind: ConflictKind
    base: Any | msgspec.UnsetType = msgspec.UNSET
    """The value at the merge base (left out when absent)."""
    ours: Any | msgspec.UnsetType = msgspec.UNSET
    """Our value, which the merge kept (left out when absent)."""
    theirs: Any | msgspec.UnsetType = msgspec.UNSET
    """Their value (left out when absent)."""
    absent: list[str]
    """The sides that do not have the place: ``base``, ``ours`` or ``theirs``."""
    merged: Any | msgspec.UnsetType = msgspec.UNSET
    """A word-merge review's merged line, which is in place until accepted."""


def entry(conflict: Conflict) -> ConflictEntry:
    """A stored conflict as the CLI lists it (:func:`~comfyvn_vault.domain.conflicts.conflict_json`, typed)."""
    return ConflictEntry(**conflict_json(conflict))


class MergeResult(msgspec.Struct, kw_only=True):
    """What ``merge``, ``pick`` or ``resolve`` did."""

    schema: str = "comfyvn.merge/1"
    """``comfyvn.merge/1``, ``comfyvn.pick/1`` or ``comfyvn.resolve/1``: the verb that made it."""
    kind: Literal["up-to-date", "fast-forward", "merge", "pick"]
    commit: str | None
    """The commit made (for ``up-to-date`` and ``fast-forward``: the one HEAD is at now)."""
    conflicts: list[ConflictEntry]
    """The conflicts the merge recorded (for ``resolve``: the one it settled)."""
    events: int = 0
    word_merges: list[ConflictEntry] = []
    """The lines merged word by word, listed for review (``resolve ID --accept``)."""

    def embedded(self) -> dict[str, Any]:
        """The result as other documents carry it (a pull's ``merge``, the post-merge hook): without ``schema``."""
        doc: dict[str, Any] = msgspec.to_builtins(self)
        del doc["schema"]
        return doc


#: The result types of this module's verbs, for the generated JSON Schemas.
RESULTS: Final[tuple[type[Any], ...]] = (MergeResult, ConflictEntry)

Resolution: TypeAlias = Literal["ours", "theirs", "both", "accept"]


def conflicts(vault: Vault, *, reviews: bool = False) -> list[ConflictEntry]:
    """The checkout's unresolved conflicts, by entity and place (with ``reviews``, the word merges to review too)."""
    return [entry(c) for c in vault.conflicts(reviews=reviews)]


def word_level(vault: Vault) -> bool:
    """The ``[merge] word_level`` setting of ``.comfyvn/config.toml`` (default on)."""
    from comfyvn_vault.sync.config import load

    setting = load(vault.root / ".comfyvn").get("merge", {})
    value = setting.get("word_level", True) if isinstance(setting, dict) else None
    if not isinstance(value, bool):
        raise InputRejected(
            "the setting [merge] word_level in .comfyvn/config.toml must be true or false; fix it and retry"
        )
    return value


def conflicts_at(vault: Vault, tree: ObjectId | None) -> list[Conflict]:
    """The unresolved conflicts recorded in a tree."""
    return vault.conflicts(tree) if tree is not None else []


def require_no_conflicts(vault: Vault, what: str) -> None:
    """Refuse ``what`` (play, export…) while the checkout has unresolved conflicts."""
    pending = vault.conflicts()
    if pending:
        raise InputRejected(
            f"cannot {what}: {len(pending)} unresolved merge conflict(s); see `comfyvn status`, then `comfyvn resolve`"
        )


def _three_way(
    vault: Vault, base: ObjectId | None, ours: ObjectId, theirs: ObjectId, cause: Cause
) -> tuple[list[Event], list[Conflict], list[Conflict]]:
    """Events turning ``ours`` into the merge of ``ours`` and ``theirs`` over ``base``, the conflicts and
    the word-merge reviews."""
    h = vault.history
    tb, to, tt = h.tree_of(base), h.tree_of(ours), h.tree_of(theirs)
    if conflicts_at(vault, to):
        raise InputRejected("resolve the conflicts of the last merge first (`comfyvn status` lists them)")
    words = word_level(vault)
    open_reviews = vault.worktree.marks(to)
    paths = {p for p, _, _ in h.trees.diff(tb, tt)}
    events: list[Event] = []
    found_conflicts: list[Conflict] = []
    reviews: list[Conflict] = []
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
        found: list[Conflict] = []
        if o == b:
            new = h.entity_doc(t) if t is not None else None
        else:
            merged = merge_entity(path, _doc(vault, b), _doc(vault, o), _doc(vault, t), word_level=words)
            new, found = merged.entity, [*merged.conflicts, *merged.reviews]
            found_conflicts.extend(merged.conflicts)
            reviews.extend(merged.reviews)
        old = _doc(vault, o)
        events.extend(diff_entities(path, old, new, cause=cause))
        # a review this merge changes the line of, or records anew, is superseded
        ids = {c.id for c in found}
        events.extend(
            ConflictResolved(conflict_id=r.id, how="superseded", before=r, cause=cause)
            for r in open_reviews.get(path, [])
            if r.review and (r.id in ids or changed_between(old, new, r))
        )
    events.extend(ConflictRecorded(conflict=c, cause=cause) for c in [*found_conflicts, *reviews])
    return events, found_conflicts, reviews


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
        return MergeResult(kind="up-to-date", commit=ours.hex(), conflicts=[])
    if h.is_ancestor(ours, theirs):
        result = MergeResult(kind="fast-forward", commit=theirs.hex(), conflicts=[])
        with vault.change(f"merge {rev}", kind="merge", base=ours) as ch:
            ch.fast_forward(theirs, f"merge {rev} (fast-forward)")
            ch.report(lambda _: {"rev": rev, **result.embedded()})
        return result
    bases = h.merge_bases(ours, theirs)
    base = bases[0] if bases else None
    cause = Cause(kind="merge", ref=theirs.hex())
    events, found, reviews = _three_way(vault, base, ours, theirs, cause)
    text = message or f"Merge {rev} into {h.head_branch()}"
    with vault.change(text, kind="merge", base=ours, parents=[ours, theirs], description=f"merge {rev}") as ch:
        ch.record(events)
        ch.report(lambda rec: {"rev": rev, **_landed("merge", rec, found, reviews, events).embedded()})
    return _landed("merge", ch.commit, found, reviews, events)


def _landed(
    verb: Literal["merge", "pick", "resolve"],
    rec: CommitRecord | None,
    found: list[Conflict],
    reviews: list[Conflict],
    events: list[Event],
) -> MergeResult:
    return MergeResult(
        schema=f"comfyvn.{verb}/1",
        kind="pick" if verb == "pick" else "merge",
        commit=rec.commit_id.hex() if rec is not None else None,
        conflicts=[entry(c) for c in found],
        events=len(events),
        word_merges=[entry(r) for r in reviews],
    )


def pick(vault: Vault, rev: str, message: str | None = None) -> MergeResult:
    """Apply the change one commit made (against its first parent) on top of HEAD."""
    h = vault.history
    ours, theirs = _sides(vault, rev)
    picked = h.commit(theirs)
    parent = picked.parents[0] if picked.parents else None
    cause = Cause(kind="merge", ref=theirs.hex(), note="pick")
    events, found, reviews = _three_way(vault, parent, ours, theirs, cause)
    if not events:
        return MergeResult(schema="comfyvn.pick/1", kind="pick", commit=None, conflicts=[])
    text = message or f"{picked.message} (picked from {theirs.short()})"
    with vault.change(text, base=ours, description=f"pick {theirs.short()}") as ch:
        ch.record(events)
    return _landed("pick", ch.commit, found, reviews, events)


def resolve(
    vault: Vault,
    conflict_id: str,
    how: Resolution | None = None,
    value: Any = None,
    message: str | None = None,
    *,
    text: str | None = None,
) -> MergeResult:
    """Settle one conflict (or word-merge review) of the checkout.

    Keep ours, take theirs, keep both, accept what is there now, or set a value
    (``value`` as data, or ``text`` as typed after ``--value``). Refuses when the
    place holds a value newer than the merge left there, rather than overwrite it.
    """
    tree = vault.checkout_tree()
    matches = [c for c in vault.conflicts(tree, reviews=True) if c.id.startswith(conflict_id.lower())]
    if not conflict_id or not matches:
        raise ObjectNotFound(
            f"no unresolved conflict or word merge {conflict_id!r}; `comfyvn status` lists them with their ids"
        )
    if len(matches) > 1:
        raise InputRejected(f"conflict id {conflict_id!r} is ambiguous; give more digits")
    conflict = matches[0]
    h = vault.history
    assert tree is not None
    current = h.entity(tree, conflict.path)
    where = f"{conflict.path} {conflict.locator}".strip()
    if how == "accept":
        new = current
    else:
        if changed_since_merge(current, conflict):
            raise InputRejected(
                f"{where} changed since the merge (it now holds {_now(current, conflict)}); resolving would "
                f"overwrite that newer value. Keep it with `comfyvn resolve {conflict.id} --accept`, "
                f"or edit {conflict.path}.toml and commit"
            )
        try:
            if text is not None:
                value = value_from_text(current, conflict, text)
            new = resolve_conflict(current, conflict, how, value)
        except Rejected as exc:
            raise InputRejected(str(exc)) from None
    cause = Cause(kind="user", note=f"resolve {conflict.id}")
    events: list[Event] = list(diff_entities(conflict.path, current, new, cause=cause))
    events.append(ConflictResolved(conflict_id=conflict.id, how=how or "value", before=conflict, cause=cause))
    summary = message or f"Resolve {conflict.path} {conflict.locator or '(entity)'}: {how or 'value'}"
    with vault.change(summary, description=f"resolve {conflict.id}") as ch:
        ch.record(events)
    return _landed("resolve", ch.commit, [conflict], [], events)


def _now(entity: Any, conflict: Conflict) -> str:
    """The value at the conflict's place, shortly, for a message."""
    try:
        now = value_at(entity, conflict.locator) if entity is not None else None
    except Rejected:
        return "nothing: it was removed"
    shown = "nothing" if now is None or now is ABSENT else repr(msgspec.to_builtins(now))
    return shown if len(shown) <= 60 else shown[:59] + "…"


def abort(vault: Vault) -> None:
    """Undo the last operation if it was a merge (``merge --abort``)."""
    op_id = vault.history.op_head()
    if op_id is None or not vault.history.operation(op_id).description.startswith("merge "):
        raise InputRejected("the last operation was not a merge; nothing to abort")
    vault.undo()
