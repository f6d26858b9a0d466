"""Read-only questions about history: log, show, diff, blame, search.

Each returns plain JSON-able data; the CLI prints it (``--json`` or text) and
the TUI renders it, so both say the same thing.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import islice
from typing import Any, Final, TypeGuard

import msgspec

from comfyvn_vault.api.entities import find_id
from comfyvn_vault.domain.conflicts import Conflict, conflict_json
from comfyvn_vault.domain.conflicts import describe as describe_conflict
from comfyvn_vault.domain.diffing import diff_entities, field_changes
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import ENTITY_TYPES, Entity, Scene
from comfyvn_vault.domain.events import Cause
from comfyvn_vault.domain.paths import (
    CHARACTERS,
    FOLDERS,
    SCENES,
    TIMELINES,
    VARIABLES,
    EntityPath,
    entity_path,
    id_problem,
    node_path,
)
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.history.describe import describe
from comfyvn_vault.history.objects import Commit
from comfyvn_vault.history.repo import RevisionError
from comfyvn_vault.projections.keys import inexact
from comfyvn_vault.projections.search import last_word, node_matches, tokens
from comfyvn_vault.store.base import Kind
from comfyvn_vault.store.codec import decode, json_enc_hook, to_plain
from comfyvn_vault.store.ids import HEX_LEN, ObjectId, is_hex_prefix
from comfyvn_vault.vault import Vault


def commit_json(oid: ObjectId, c: Commit) -> dict[str, Any]:
    return {
        "id": oid.hex(),
        "parents": [p.hex() for p in c.parents],
        "message": c.message,
        "author": c.author,
        "time": c.time,
        "events": c.event_count,
        "tree": c.tree.hex(),
    }


#: The folders an id or a name is looked up in, in this order (records are named by path or id prefix).
STORY_FOLDERS: Final = (SCENES, CHARACTERS, TIMELINES, VARIABLES)


def entity_path_for(vault: Vault, text: str) -> str:
    """The path ``text`` names: a path as given (``scenes/intro``, ``scenes/intro#n2``, ``assets/<id>``,
    checked), else an id, else an exact name or title (case-insensitive), looked up in the checkout.

    An id wins over a name. An id or a name that several entities share is refused
    (exit 3) with the candidates listed; nothing found is :class:`ObjectNotFound`.
    """
    if "/" in text:
        return str(EntityPath.parse(text))
    if not text.strip():
        raise InputRejected("no entity given: an id, a name or a path such as scenes/intro")
    by_id = []
    if id_problem(text) is None:
        by_id = [p for folder in STORY_FOLDERS if vault.projections.entity_id(p := f"{folder}/{text}") is not None]
    named = by_id or [entity_path(f, eid) for f in STORY_FOLDERS for eid in vault.projections.by_name(f, text)]
    if len(named) == 1:
        return named[0]
    if named:
        what = "is the id of" if by_id else "names"
        shown = ", ".join(named[:10]) + (", …" if len(named) > 10 else "")
        raise InputRejected(f"{text[:80]!r} {what} {len(named)} entities: give the path ({shown})")
    raise ObjectNotFound(f"no scene, character, timeline or variable with id or name {text[:80]!r}")


def document_json(doc: Document) -> dict[str, Any]:
    """Any document of a story tree as JSON-able data: an entity, a record (asset, finding, policy) or a conflict."""
    if isinstance(doc, Conflict):
        data = conflict_json(doc)
        if doc.after is not None:
            data["after"] = doc.after
        return data
    plain: dict[str, Any] = msgspec.to_builtins(doc, enc_hook=json_enc_hook)
    plain.pop("_type", None)
    return plain


def document_result(vault: Vault, path: str, commit: ObjectId | None = None) -> dict[str, Any]:
    """``comfyvn.entity/1`` for the document at ``path`` (a node path gives the node) at ``commit``.

    Without ``commit``: the checkout. Any kind a tree holds: entities, records, conflicts.
    """
    where = EntityPath.parse(path)
    tree = vault.history.tree_of(commit) if commit is not None else vault.checkout_tree()
    doc = vault.history.document_at(tree, where.entity)
    at = f" at {commit.short()}" if commit is not None else ""
    if doc is None:
        raise ObjectNotFound(f"no {where.entity}{at}")
    body = document_json(doc)
    if where.node is not None:
        node = next((n for n in doc.nodes if n.id == where.node), None) if isinstance(doc, Scene) else None
        if node is None:
            raise ObjectNotFound(f"no node {where.node} in {where.entity}{at}")
        body = msgspec.to_builtins(node)
    out: dict[str, Any] = {"schema": "comfyvn.entity/1", "path": path, "type": type(doc).__name__}
    if commit is not None:
        out["commit"] = commit.hex()
    out["document"] = body
    return out


def log(
    vault: Vault, rev: str = "HEAD", limit: int | None = None, entity: str | None = None, *, every: bool = False
) -> dict[str, Any]:
    """Commits reachable from ``rev``, newest first; with ``entity``, only those touching it.

    ``every`` walks from every branch and the checkout instead (``log --all``).
    """
    if limit is not None and limit < 0:
        raise InputRejected(f"-n takes a count of commits (0 or more), not {limit}")
    if every:
        if entity is not None:
            raise InputRejected("--all and --entity do not combine")
        return {"schema": "comfyvn.log/1", "commits": list(islice(log_all(vault), limit))}
    start = vault.history.resolve_rev(rev)
    if entity is None:
        commits = [commit_json(oid, c) for oid, c in vault.history.log(start, limit)]
        return {"schema": "comfyvn.log/1", "commits": commits}
    path = entity_path_for(vault, entity)
    hits = vault.projections.events_for(path)
    if "#" not in path:
        # A scene's log includes the events on its nodes.
        hits.extend(vault.projections.events_for(path, nodes=True))
    if not hits and vault.history.document_at(vault.history.tree_of(start), path.partition("#")[0]) is None:
        raise ObjectNotFound(f"no {path} at {rev[:80]} and no commit on any branch touched it")
    by_commit: dict[ObjectId, list[int]] = {}
    for _, commit, idx, _ in hits:
        by_commit.setdefault(commit, []).append(idx)
    out = []
    for cid in sorted(by_commit, key=lambda c: (-vault.history.commit(c).generation, c)):
        if not vault.history.is_ancestor(cid, start):
            continue
        c = vault.history.commit(cid)
        doc = commit_json(cid, c)
        doc["touching"] = sorted(set(by_commit[cid]))
        out.append(doc)
        if limit is not None and len(out) >= limit:
            break
    return {"schema": "comfyvn.log/1", "entity": path, "commits": out}


def log_all(vault: Vault) -> Iterator[dict[str, Any]]:
    """Commits reachable from any branch or the checkout, newest first, as ``log`` rows.

    Each row also names the branches whose tip it is (``"branches"``); on ties
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
        row = commit_json(oid, c)
        row["branches"] = tips.get(oid, [])
        yield row
        for p in c.parents:
            if p not in seen:
                push(p)


def story_at(vault: Vault, rev: str | ObjectId, folder: str = "") -> list[tuple[str, ObjectId]]:
    """Every (entity path, document id) of the story at ``rev``, sorted by path.

    Reads only that commit's state tree (no replay), so any point of a long
    history is as cheap as the newest; documents are read by the caller.
    """
    commit = rev if isinstance(rev, ObjectId) else vault.history.resolve_rev(rev)
    tree = vault.history.tree_of(commit)
    if tree is None:
        return []
    prefix = f"{folder.rstrip('/')}/" if folder else ""
    return sorted(vault.history.trees.items(tree, prefix))


def show(vault: Vault, text: str) -> dict[str, Any]:
    """A commit (with its events), a document (entity, record or conflict), or any object by id.

    Tried in this order: ``REV:PATH`` (the story as it was at a revision:
    ``main~3:scenes/`` lists the scenes then, ``main~3:scenes/intro`` is that
    scene's document then), a revision (``main``, ``HEAD~2``, ``main^2``), an
    entity (path, id or exact name: :func:`entity_path_for`), a conflict id
    prefix (as ``status`` lists them), an object id prefix. A revision whose
    base exists but whose ``~``/``^`` steps do not is refused, not looked up as a
    name; so is a name or id that several entities share.
    """
    if not text.strip():
        raise InputRejected("show needs a revision, an entity (id, name or path) or an object id")
    if len(text) == HEX_LEN and is_hex_prefix(text):
        # A whole id names one object: show it, or say why that object cannot be read.
        try:
            return commit_show(vault, vault.resolve(text))
        except InputRejected:
            return object_show(vault, text)
    rev, colon, path = text.partition(":")
    rev_error: RevisionError | None = None
    if colon:
        try:
            return _show_at(vault, vault.history.resolve_rev(rev or "HEAD"), path)
        except RevisionError as exc:
            if exc.base_found:
                raise
            rev_error = exc  # maybe a name with a colon in it: "Act 1: Dawn"
    else:
        try:
            return commit_show(vault, vault.history.resolve_rev(text))
        except RevisionError as exc:
            if exc.base_found:
                raise
            rev_error = exc
        except InputRejected:
            rev_error = None  # an id prefix of an object that is not a commit: the lookups below show it
    try:
        return document_result(vault, entity_path_for(vault, text))
    except ObjectNotFound:
        if not is_hex_prefix(text):
            if rev_error is not None and ("~" in text or "^" in text or colon):
                raise rev_error from None
            raise ObjectNotFound(
                f"no revision, entity or object {text[:80]!r} (give a branch, REV~N, REV:PATH, "
                "an entity's id, name or path, or an id prefix)"
            ) from None
    conflicts = [c for c in vault.conflicts() if c.id.startswith(text.lower())]
    if len(conflicts) == 1:
        return document_result(vault, f"conflicts/{conflicts[0].id}")
    return object_show(vault, text)


def commit_show(vault: Vault, oid: ObjectId) -> dict[str, Any]:
    """``comfyvn.commit/1``: a commit and a one-line summary of each of its events."""
    c = vault.history.commit(oid)
    doc = commit_json(oid, c)
    doc["schema"] = "comfyvn.commit/1"
    doc["event_list"] = [
        {"id": eid.hex(), "type": type(e).__name__, "summary": describe(e)} for eid, e in vault.history.events_of(c)
    ]
    return doc


def object_show(vault: Vault, text: str) -> dict[str, Any]:
    """Any stored object by id prefix: its metadata (kind, size, links), and for events their summary."""
    oid = vault.resolve(text)
    info = vault.info(oid)
    doc = vault.object_json(oid)
    if info.kind == Kind.OBJECT:
        obj = decode(vault.store.get(oid))
        doc["type"] = type(obj).__name__
        if hasattr(obj, "touched"):
            doc["schema"] = "comfyvn.event/1"
            doc["summary"] = describe(obj)  # type: ignore[arg-type]
    return doc


def _show_at(vault: Vault, commit: ObjectId, path: str) -> dict[str, Any]:
    if not path or path.endswith("/"):
        folder = path.rstrip("/")
        if folder and folder not in FOLDERS:
            raise InputRejected(f"not a folder of the story: {path[:80]!r} (one of {', '.join(FOLDERS)})")
        rows = story_at(vault, commit, folder)
        return {
            "schema": "comfyvn.tree/1",
            "commit": commit.hex(),
            "entries": [{"path": p, "document": d.hex()} for p, d in rows],
        }
    return document_result(vault, path, commit)


def diff(vault: Vault, a: str | None = None, b: str | None = None) -> dict[str, Any]:
    """Entity-, node- and field-level differences; records (assets, findings, conflicts) field by field.

    No revisions: the working copy against HEAD. One: that revision against the
    working copy... as git does, ``diff REV`` compares REV with the working copy.
    Two: REV A against REV B.
    """
    cause = Cause(kind="user")
    entities: list[dict[str, Any]] = []
    pairs: list[tuple[str, Document | None, Document | None]] = []
    if b is None:
        base_rev = vault.history.resolve_rev(a) if a else vault.history.view().checkout
        base_tree = vault.history.tree_of(base_rev)
        for ch in vault.worktree.scan(base_tree):
            if ch.problem is None:
                pairs.append((ch.path, ch.old, ch.new))
            else:  # an unreadable file has no differences to show, only why
                entities.append({"path": ch.path, "kind": ch.kind, "changes": [], "error": ch.problem.message})
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
        if _is_entity(old) and _is_entity(new):
            changes = [_change_json(e) for e in diff_entities(path, old, new, cause=cause)]
        else:
            changes = [_record_change(path, old, new)]
        either = new if new is not None else old
        entities.append({"path": path, "kind": kind, "type": type(either).__name__, "changes": changes})
    return {"schema": "comfyvn.diff/1", "from": label_a, "to": label_b, "entities": entities}


def _is_entity(doc: Document | None) -> TypeGuard[Entity | None]:
    return doc is None or isinstance(doc, ENTITY_TYPES)


def _record_change(path: str, old: Document | None, new: Document | None) -> dict[str, Any]:
    """One change for a record that differs: ``AssetAdded``, ``FindingChanged``, ``ConflictRemoved``…"""
    either = new if new is not None else old
    name = type(either).__name__
    verb = "Added" if old is None else "Removed" if new is None else "Changed"
    before = document_json(old) if old is not None else None
    after = document_json(new) if new is not None else None
    fields = field_changes(before, after)
    summary = describe_conflict(either) if isinstance(either, Conflict) else path
    out: dict[str, Any] = {"event": name + verb, "summary": f"{name}{verb} {summary}"}
    if old is not None and new is not None:
        out["summary"] += f" ({', '.join(fields)})"
        out["fields"] = {f: {"before": x, "after": y} for f, (x, y) in fields.items()}
    return out


def _change_json(event: Any) -> dict[str, Any]:
    from comfyvn_vault.history.describe import changed_fields

    data = msgspec.to_builtins(event, enc_hook=json_enc_hook)
    data.pop("cause", None)
    out: dict[str, Any] = {"event": type(event).__name__, "summary": describe(event)}
    fields = changed_fields(event)
    if fields:
        before = data.get("before", {})
        out["fields"] = {f: {"before": before.get(f), "after": data.get(f)} for f in fields}
    for key in ("node_id", "choice_id"):
        if key in data:
            out[key] = data[key]
    return out


def blame(vault: Vault, scene_ref: str, rev: str = "HEAD") -> dict[str, Any]:
    """For each node of a scene: the commit, event, author and time that last changed it."""
    sid = find_id(vault, SCENES, scene_ref)
    head = vault.history.resolve_rev(rev)
    tree = vault.history.tree_of(head)
    assert tree is not None
    scene = vault.history.entity(tree, entity_path(SCENES, sid))
    if not isinstance(scene, Scene):
        raise ObjectNotFound(f"no scene {sid} at {rev}")
    lines = []
    for node in scene.nodes:
        hits = vault.projections.events_for(node_path(sid, node.id))
        found = None
        for _, commit, idx, eid in reversed(hits):
            if vault.history.is_ancestor(commit, head):
                found = (commit, idx, eid)
                break
        entry: dict[str, Any] = {"node": node.id, "speaker": node.speaker, "content": node.content}
        if found is not None:
            commit, idx, eid = found
            c = vault.history.commit(commit)
            event = decode(vault.store.get(eid))
            entry.update(
                commit=commit.hex(),
                event=eid.hex(),
                event_type=type(event).__name__,
                author=c.author,
                time=c.time,
                message=c.message,
            )
        lines.append(entry)
    return {"schema": "comfyvn.blame/1", "scene": sid, "rev": head.hex(), "nodes": lines}


def search(vault: Vault, text: str, limit: int = 200) -> dict[str, Any]:
    from comfyvn_vault.advisory.policy import content_filter

    shown = content_filter(vault)  # sfw hides nodes flagged NSFW or using NSFW assets
    check = bool(tokens(text)) and inexact(last_word(text))  # a very long last word: the hits are candidates
    found = vault.projections.search(text)
    hits: list[dict[str, Any]] = []
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
            hits.append({"scene": sid, "node": nid, "speaker": node.speaker, "content": node.content})
    # the query as typed, but printable: undecodable command-line bytes (lone surrogates) become U+FFFD
    query = text.encode(errors="surrogatepass").decode(errors="replace")
    return {"schema": "comfyvn.search/1", "query": query, "hits": hits}


def op_log(vault: Vault, limit: int | None = None) -> dict[str, Any]:
    if limit is not None and limit < 0:
        raise InputRejected(f"-n takes a count of operations (0 or more), not {limit}")
    ops = []
    for oid, op in vault.history.op_log(limit):
        ops.append(
            {
                "id": oid.hex(),
                "kind": op.kind,
                "description": op.description,
                "time": op.time,
                "author": op.author,
            }
        )
    return {"schema": "comfyvn.op-log/1", "operations": ops}


__all__ = [
    "blame",
    "commit_show",
    "diff",
    "document_json",
    "document_result",
    "entity_path_for",
    "log",
    "object_show",
    "op_log",
    "search",
    "show",
    "to_plain",
    "tree_document",
]


# ----------------------------------------------------------------- any document of a tree (the TUI's time travel)


def tree_document(vault: Vault, doc_id: ObjectId) -> tuple[str, dict[str, Any]]:
    """Any document a state tree holds, for display: its type name and :func:`document_json` of it.

    A tree holds the story's entities and also records: assets, findings, the
    content policy and merge conflicts.
    """
    doc = vault.history.document(doc_id)
    return type(doc).__name__, document_json(doc)
