"""Verbs of the ``history`` group: what the story was and is, and moving between versions of it.

Reads here — :func:`log`, :func:`diff`, :func:`blame`, :func:`search`,
:func:`op_log` — and, from the modules each concept has:

* :mod:`~comfyvn_vault.api.working_copy` — :func:`status`, :func:`commit`,
  :func:`restore`, :func:`watch`;
* :mod:`~comfyvn_vault.api.show` — :func:`show`, :func:`story_at` (the story
  at any revision), :func:`entity_path_for`;
* :mod:`~comfyvn_vault.api.branches` — :func:`branches`, :func:`branch_create`,
  :func:`branch_delete`, :func:`switch`, :func:`undo`, :func:`redo`;
* :mod:`~comfyvn_vault.api.find` — :func:`entity_index`, :func:`find`,
  :func:`find_nodes` (go to an entity or a node).

Each returns a typed result whose encoding is the ``--json`` document the CLI
prints (see :mod:`comfyvn_vault.api`); the rows those are made of live in
:mod:`comfyvn_vault.api.documents`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, Final

import msgspec
from msgspec import UNSET, UnsetType

from comfyvn_vault.api.branches import (
    BranchCreated,
    BranchDeleted,
    Branches,
    BranchHead,
    Redone,
    Switched,
    Undone,
    branch_create,
    branch_delete,
    branches,
    head_branch,
    is_merged,
    redo,
    switch,
    undo,
)
from comfyvn_vault.api.documents import CommitFields, CommitRow, DiffChange, commit_row
from comfyvn_vault.api.find import Found, entity_index, find, find_nodes
from comfyvn_vault.api.show import (
    EventLine,
    Shown,
    ShownCommit,
    ShownDocument,
    ShownObject,
    ShownTree,
    TreeEntry,
    blob_chunks,
    commit_show,
    document_result,
    entity_path_for,
    object_show,
    show,
    story_at,
)
from comfyvn_vault.api.working_copy import (
    Committed,
    OpenConflict,
    Restored,
    Status,
    WordMerge,
    WorkingChange,
    commit,
    restore,
    status,
    watch,
)
from comfyvn_vault.domain.paths import SCENES
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.history.graph import Lanes
from comfyvn_vault.hooks import HookResult
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.watch.record import Settled

if TYPE_CHECKING:
    from comfyvn_vault.history.objects import Operation
    from comfyvn_vault.vault import Vault


# ----------------------------------------------------------------- log


class Log(msgspec.Struct, kw_only=True):
    """``comfyvn log``: commits, newest first."""

    schema: str = "comfyvn.log/1"
    entity: str | UnsetType = UNSET
    """With ``--entity``: the path the log is of."""
    commits: list[CommitRow]


def log(
    vault: Vault, rev: str = "HEAD", limit: int | None = None, entity: str | None = None, *, every: bool = False
) -> Log:
    """Commits reachable from ``rev``, newest first; with ``entity``, only those touching it.

    ``every`` walks from every branch and the checkout instead (``log --all``).
    A commit a remote-tracking ref points at names it (``remotes``).
    """
    if limit is not None and limit < 0:
        raise InputRejected(f"-n takes a count of commits (0 or more), not {limit}")
    if every:
        if entity is not None:
            raise InputRejected("--all and --entity do not combine")
        return _mark_remotes(vault, Log(commits=list(islice(log_all(vault), limit))))
    start = vault.history.resolve_rev(rev)
    if entity is None:
        return _mark_remotes(vault, Log(commits=[commit_row(oid, c) for oid, c in vault.history.log(start, limit)]))
    path = entity_path_for(vault, entity)
    hits = vault.projections.events_for(path)
    if "#" not in path:
        # A scene's log includes the events on its nodes.
        hits.extend(vault.projections.events_for(path, nodes=True))
    if not hits and vault.history.document_at(vault.history.tree_of(start), path.partition("#")[0]) is None:
        raise ObjectNotFound(f"no {path} at {rev[:80]} and no commit on any branch touched it")
    by_commit: dict[ObjectId, list[int]] = {}
    for _, commit_id, idx, _ in hits:
        by_commit.setdefault(commit_id, []).append(idx)
    out = []
    for cid in sorted(by_commit, key=lambda c: (-vault.history.commit(c).generation, c)):
        if not vault.history.is_ancestor(cid, start):
            continue
        row = commit_row(cid, vault.history.commit(cid))
        row.touching = sorted(set(by_commit[cid]))
        out.append(row)
        if limit is not None and len(out) >= limit:
            break
    return _mark_remotes(vault, Log(entity=path, commits=out))


def _mark_remotes(vault: Vault, result: Log) -> Log:
    """Name on each commit the remote-tracking refs that point at it."""
    by_tip: dict[str, list[str]] = {}
    for name, tip in sorted(vault.history.view().remotes.items()):
        by_tip.setdefault(tip.hex(), []).append(name)
    for c in result.commits:
        if c.id in by_tip:
            c.remotes = by_tip[c.id]
    return result


def log_all(vault: Vault) -> Iterator[CommitRow]:
    """Commits reachable from any branch or the checkout, newest first, as ``log`` rows.

    Each row also names the branches whose tip it is (``branches``); on ties
    (same generation and time) the checkout comes first, then by id. Lazy: the
    walk reads commits only as rows are taken, so a long history pages cheaply.
    """
    view = vault.history.view()
    tips: dict[ObjectId, list[str]] = {}
    for name, tip in sorted(view.branches.items()):
        tips.setdefault(tip, []).append(name)
    starts = set(tips)
    if view.checkout is not None:
        starts.add(view.checkout)
    heap: list[tuple[int, int, int, bytes]] = []
    seen: set[ObjectId] = set()

    def push(oid: ObjectId) -> None:
        c = vault.history.commit(oid)
        seen.add(oid)
        heapq.heappush(heap, (-c.generation, -c.time, 0 if oid == view.checkout else 1, bytes(oid)))

    for oid in starts:
        push(oid)
    while heap:
        oid = ObjectId(heapq.heappop(heap)[3])
        c = vault.history.commit(oid)
        row = commit_row(oid, c)
        row.branches = tips.get(oid, [])
        yield row
        for p in c.parents:
            if p not in seen:
                push(p)


def commit_of(vault: Vault, rev: str) -> CommitRow:
    """One commit (a revision or a commit id) as ``log`` lists it."""
    oid = vault.history.resolve_rev(rev)
    return commit_row(oid, vault.history.commit(oid))


def graph(commits: Sequence[CommitFields]) -> list[tuple[list[str], str, list[str]]]:
    """``log --graph``: for each commit of a newest-first listing, (join rows, its row, fork rows) as git draws them."""
    walker = Lanes()
    return [walker.draw(c.id, c.parents) for c in commits]


# ----------------------------------------------------------------- diff


class EntityDiff(msgspec.Struct, kw_only=True):
    """One entity or record that differs, with its changes."""

    path: str
    kind: str
    """``added``, ``modified`` or ``deleted`` (``broken``/``misnamed`` for an unreadable working-copy file)."""
    type: str | UnsetType = UNSET
    """The document's type (absent for an unreadable file)."""
    changes: list[DiffChange]
    error: str | UnsetType = UNSET
    """Why a working-copy file cannot be read (it then has no changes)."""


class Diff(msgspec.Struct, kw_only=True):
    """``comfyvn diff``: entity-, node- and field-level differences between two versions of the story."""

    schema: str = "comfyvn.diff/1"
    from_: str = msgspec.field(name="from")
    to: str
    entities: list[EntityDiff]


def diff(vault: Vault, a: str | None = None, b: str | None = None) -> Diff:
    """Entity-, node- and field-level differences; records (assets, findings, conflicts) field by field.

    No revisions: the working copy against HEAD. One: that revision against the
    working copy... as git does, ``diff REV`` compares REV with the working copy.
    Two: REV A against REV B.
    """
    from comfyvn_vault.api.documents import event_change, is_entity, record_change
    from comfyvn_vault.domain.diffing import diff_entities
    from comfyvn_vault.domain.document import Document
    from comfyvn_vault.domain.events import Cause

    cause = Cause(kind="user")
    entities: list[EntityDiff] = []
    pairs: list[tuple[str, Document | None, Document | None]] = []
    if b is None:
        base_rev = vault.history.resolve_rev(a) if a else vault.history.view().checkout
        base_tree = vault.history.tree_of(base_rev)
        for ch in vault.worktree.scan(base_tree):
            if ch.problem is None:
                pairs.append((ch.path, ch.old, ch.new))
            else:  # an unreadable file has no differences to show, only why
                entities.append(EntityDiff(path=ch.path, kind=ch.kind, changes=[], error=ch.problem.message))
        label_a, label_b = (a or "HEAD"), "working copy"
    else:
        ta = vault.history.tree_of(vault.history.resolve_rev(a or "HEAD"))
        tb = vault.history.tree_of(vault.history.resolve_rev(b))
        for path, old_id, new_id in sorted(vault.history.trees.diff(ta, tb)):
            old = vault.history.document(old_id) if old_id is not None else None
            new = vault.history.document(new_id) if new_id is not None else None
            pairs.append((path, old, new))
        label_a, label_b = a or "HEAD", b
    for path, old, new in pairs:
        kind = "added" if old is None else "deleted" if new is None else "modified"
        if is_entity(old) and is_entity(new):
            changes = [event_change(e) for e in diff_entities(path, old, new, cause=cause)]
        else:
            changes = [record_change(path, old, new)]
        either = new if new is not None else old
        entities.append(EntityDiff(path=path, kind=kind, type=type(either).__name__, changes=changes))
    return Diff(from_=label_a, to=label_b, entities=entities)


# ----------------------------------------------------------------- blame and search


class BlameLine(msgspec.Struct, kw_only=True):
    """A node of the scene and the change that last touched it (absent when none on this history did)."""

    node: str
    speaker: str | None
    content: str
    commit: str | UnsetType = UNSET
    event: str | UnsetType = UNSET
    event_type: str | UnsetType = UNSET
    author: str | UnsetType = UNSET
    time: int | UnsetType = UNSET
    message: str | UnsetType = UNSET


class Blame(msgspec.Struct, kw_only=True):
    """``comfyvn blame SCENE``: for each node, the commit, event, author and time that last changed it."""

    schema: str = "comfyvn.blame/1"
    scene: str
    rev: str
    """The commit blamed from."""
    nodes: list[BlameLine]


def blame(vault: Vault, scene_ref: str, rev: str = "HEAD") -> Blame:
    """For each node of a scene: the commit, event, author and time that last changed it."""
    from comfyvn_vault.api.entities import find_id
    from comfyvn_vault.domain.entities import Scene
    from comfyvn_vault.domain.paths import entity_path, node_path
    from comfyvn_vault.store.codec import decode

    sid = find_id(vault, SCENES, scene_ref)
    head = vault.history.resolve_rev(rev)
    tree = vault.history.tree_of(head)
    assert tree is not None
    scene = vault.history.entity(tree, entity_path(SCENES, sid))
    if not isinstance(scene, Scene):
        raise ObjectNotFound(f"no scene {sid} at {rev}")
    lines = []
    for node in scene.nodes:
        line = BlameLine(node=node.id, speaker=node.speaker, content=node.content)
        for _, commit_id, _, eid in reversed(vault.projections.events_for(node_path(sid, node.id))):
            if vault.history.is_ancestor(commit_id, head):
                c = vault.history.commit(commit_id)
                line.commit, line.event = commit_id.hex(), eid.hex()
                line.event_type = type(decode(vault.store.get(eid))).__name__
                line.author, line.time, line.message = c.author, c.time, c.message
                break
        lines.append(line)
    return Blame(scene=sid, rev=head.hex(), nodes=lines)


class SearchHit(msgspec.Struct, kw_only=True):
    """A node whose text matches."""

    scene: str
    node: str
    speaker: str | None
    content: str


class SearchHits(msgspec.Struct, kw_only=True):
    """``comfyvn search TEXT``: the nodes whose dialogue or choice text holds every word (the last as a prefix)."""

    schema: str = "comfyvn.search/1"
    query: str
    hits: list[SearchHit]


def search(vault: Vault, text: str, limit: int = 200) -> SearchHits:
    """Full-text search over the checkout's dialogue; the content filter hides what it hides everywhere."""
    from comfyvn_vault.advisory.policy import content_filter
    from comfyvn_vault.domain.entities import Scene
    from comfyvn_vault.domain.paths import entity_path
    from comfyvn_vault.projections.keys import inexact
    from comfyvn_vault.projections.search import last_word, node_matches, tokens

    shown = content_filter(vault)  # sfw hides nodes flagged NSFW or using NSFW assets
    check = bool(tokens(text)) and inexact(last_word(text))  # a very long last word: the hits are candidates
    found = vault.projections.search(text)
    hits: list[SearchHit] = []
    for sid, nid in found if check else found[:limit]:
        doc_id = vault.projections.entity_id(entity_path(SCENES, sid))
        scene = vault.history.entity_doc(doc_id) if doc_id is not None else None
        if not isinstance(scene, Scene):
            continue  # removed since the search read the word index (or a damaged index: fsck says)
        node = next((n for n in scene.nodes if n.id == nid), None)
        if check and (node is None or not node_matches(text, node)):
            continue
        if len(hits) >= limit:
            break
        if node is not None and not shown.hides_node(node):
            hits.append(SearchHit(scene=sid, node=nid, speaker=node.speaker, content=node.content))
    # the query as typed, but printable: undecodable command-line bytes (lone surrogates) become U+FFFD
    query = text.encode(errors="surrogatepass").decode(errors="replace")
    return SearchHits(query=query, hits=hits)


# ----------------------------------------------------------------- the operation log


class LoggedOperation(msgspec.Struct, kw_only=True):
    """One operation of the log: a command that changed refs or the working copy."""

    id: str
    kind: str
    description: str
    time: int
    author: str


class OpLog(msgspec.Struct, kw_only=True):
    """``comfyvn op log``: operations, newest first."""

    schema: str = "comfyvn.op-log/1"
    operations: list[LoggedOperation]


def op_log(vault: Vault, limit: int | None = None) -> OpLog:
    if limit is not None and limit < 0:
        raise InputRejected(f"-n takes a count of operations (0 or more), not {limit}")
    return OpLog(operations=[_logged(oid, op) for oid, op in vault.history.op_log(limit)])


def _logged(oid: ObjectId, op: Operation) -> LoggedOperation:
    return LoggedOperation(id=oid.hex(), kind=op.kind, description=op.description, time=op.time, author=op.author)


def operation_id(vault: Vault) -> ObjectId | None:
    """The current operation's id: it changes whenever any process changes refs or the checkout.

    One index read, so pollers (the TUI's live refresh) can call it often.
    """
    return vault.history.op_head()


def operation(vault: Vault, oid: ObjectId | None = None) -> LoggedOperation | None:
    """One operation (default: the current one); None before the first."""
    oid = vault.history.op_head() if oid is None else oid
    return _logged(oid, vault.history.operation(oid)) if oid is not None else None


#: The result types of this module's verbs, for the generated JSON Schemas.
RESULTS: Final[tuple[type[Any], ...]] = (
    Status,
    Log,
    ShownCommit,
    ShownTree,
    ShownDocument,
    ShownObject,
    Diff,
    Blame,
    SearchHits,
    OpLog,
    Committed,
    Restored,
    Branches,
    BranchCreated,
    BranchDeleted,
    Switched,
    Undone,
    Redone,
    Settled,
)

__all__ = [
    "RESULTS",
    "Blame",
    "BlameLine",
    "BranchCreated",
    "BranchDeleted",
    "BranchHead",
    "Branches",
    "CommitRow",
    "Committed",
    "Diff",
    "EntityDiff",
    "EventLine",
    "Found",
    "HookResult",
    "Lanes",
    "Log",
    "LoggedOperation",
    "OpLog",
    "OpenConflict",
    "Redone",
    "Restored",
    "SearchHit",
    "SearchHits",
    "Settled",
    "Shown",
    "ShownCommit",
    "ShownDocument",
    "ShownObject",
    "ShownTree",
    "Status",
    "Switched",
    "TreeEntry",
    "Undone",
    "WordMerge",
    "WorkingChange",
    "blame",
    "blob_chunks",
    "branch_create",
    "branch_delete",
    "branches",
    "commit",
    "commit_of",
    "commit_show",
    "diff",
    "document_result",
    "entity_index",
    "entity_path_for",
    "find",
    "find_nodes",
    "graph",
    "head_branch",
    "is_merged",
    "log",
    "log_all",
    "object_show",
    "op_log",
    "operation",
    "operation_id",
    "redo",
    "restore",
    "search",
    "show",
    "status",
    "story_at",
    "switch",
    "undo",
    "watch",
]
