"""Read-only questions about history: log, show, diff, blame, search.

Each returns plain JSON-able data; the CLI prints it (``--json`` or text) and
the TUI renders it, so both say the same thing.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import islice
from typing import Any

import msgspec

from comfyvn_vault.domain.diffing import diff_entities
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.domain.events import Cause
from comfyvn_vault.domain.paths import SCENES, entity_path, node_path
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.history.describe import describe
from comfyvn_vault.history.objects import Commit
from comfyvn_vault.store.base import Kind
from comfyvn_vault.store.codec import decode, json_enc_hook, to_plain
from comfyvn_vault.store.ids import ObjectId, is_hex_prefix
from comfyvn_vault.story import find_id, to_json
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


def entity_path_for(vault: Vault, text: str) -> str:
    """``scenes/intro``, ``scenes/intro#n2``, or an id/name looked up across folders."""
    if "/" in text:
        return text
    for folder in ("scenes", "characters", "timelines", "variables"):
        try:
            return entity_path(folder, find_id(vault, folder, text))
        except (ObjectNotFound, InputRejected):
            continue
    raise ObjectNotFound(f"no scene, character, timeline or variable {text!r}")


def log(
    vault: Vault, rev: str = "HEAD", limit: int | None = None, entity: str | None = None, *, every: bool = False
) -> dict[str, Any]:
    """Commits reachable from ``rev``, newest first; with ``entity``, only those touching it.

    ``every`` walks from every branch and the checkout instead (``log --all``).
    """
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
    """A commit (with its events), an entity (by path, id or name), or any object by id.

    ``REV:PATH`` shows the story as it was at a revision: ``main~3:scenes/``
    lists the scenes then, ``main~3:scenes/intro`` is that scene's document then.
    """
    if ":" in text:
        return _show_at(vault, *text.split(":", 1))
    try:
        oid = vault.history.resolve_rev(text)
    except (ObjectNotFound, InputRejected):
        oid = None
    if oid is not None:
        c = vault.history.commit(oid)
        doc = commit_json(oid, c)
        doc["schema"] = "comfyvn.commit/1"
        doc["event_list"] = [
            {"id": eid.hex(), "type": type(e).__name__, "summary": describe(e)} for eid, e in vault.history.events_of(c)
        ]
        return doc
    if not is_hex_prefix(text) or "/" in text:
        path = entity_path_for(vault, text)
        from comfyvn_vault.story import current

        ent = current(vault, path)
        if ent is None:
            raise ObjectNotFound(f"no entity {path}")
        return {"schema": "comfyvn.entity/1", "path": path, "document": to_json(ent)}
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


def _show_at(vault: Vault, rev: str, path: str) -> dict[str, Any]:
    commit = vault.history.resolve_rev(rev or "HEAD")
    if not path or path.endswith("/"):
        rows = story_at(vault, commit, path)
        return {
            "schema": "comfyvn.tree/1",
            "commit": commit.hex(),
            "entries": [{"path": p, "document": d.hex()} for p, d in rows],
        }
    tree = vault.history.tree_of(commit)
    doc_id = vault.history.trees.get(tree, path) if tree is not None else None
    if doc_id is None:
        raise ObjectNotFound(f"no {path} at {rev or 'HEAD'}")
    document: dict[str, Any] = msgspec.to_builtins(vault.history.any_doc(doc_id))
    document.pop("_type", None)
    return {"schema": "comfyvn.entity/1", "path": path, "commit": commit.hex(), "document": document}


def diff(vault: Vault, a: str | None = None, b: str | None = None) -> dict[str, Any]:
    """Entity-, node- and field-level differences.

    No revisions: the working copy against HEAD. One: that revision against the
    working copy... as git does, ``diff REV`` compares REV with the working copy.
    Two: REV A against REV B.
    """
    cause = Cause(kind="user")
    entities: list[dict[str, Any]] = []
    if b is None:
        base_rev = vault.history.resolve_rev(a) if a else vault.history.view().checkout
        base_tree = vault.history.tree_of(base_rev)
        pairs = []
        for ch in vault.worktree.scan(base_tree):
            if ch.problem is None:
                pairs.append((ch.path, ch.old, ch.new))
            else:  # an unreadable file has no differences to show, only why
                entities.append({"path": ch.path, "kind": ch.kind, "changes": [], "error": ch.problem.message})
        label_a, label_b = (a or "HEAD"), "working copy"
    else:
        ta = vault.history.tree_of(vault.history.resolve_rev(a or "HEAD"))
        tb = vault.history.tree_of(vault.history.resolve_rev(b))
        pairs = []
        for path, old_id, new_id in vault.history.trees.diff(ta, tb):
            if path.startswith("conflicts/"):
                continue  # conflict records show in `status`, not as story differences
            old = vault.history.entity_doc(old_id) if old_id is not None else None
            new = vault.history.entity_doc(new_id) if new_id is not None else None
            pairs.append((path, old, new))
        label_a, label_b = a or "HEAD", b
    for path, old, new in pairs:
        events = diff_entities(path, old, new, cause=cause)
        kind = "added" if old is None else "deleted" if new is None else "modified"
        entities.append(
            {
                "path": path,
                "kind": kind,
                "changes": [_change_json(e) for e in events],
            }
        )
    return {"schema": "comfyvn.diff/1", "from": label_a, "to": label_b, "entities": entities}


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
    hits = []
    for sid, nid in vault.projections.search(text)[:limit]:
        doc_id = vault.projections.entity_id(entity_path(SCENES, sid))
        scene = vault.history.entity_doc(doc_id) if doc_id is not None else None
        if not isinstance(scene, Scene):
            continue  # removed since the search read the word index (or a damaged index: fsck says)
        node = next((n for n in scene.nodes if n.id == nid), None)
        if node is not None and not shown.hides_node(node):
            hits.append({"scene": sid, "node": nid, "speaker": node.speaker, "content": node.content})
    return {"schema": "comfyvn.search/1", "query": text, "hits": hits}


def op_log(vault: Vault, limit: int | None = None) -> dict[str, Any]:
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


__all__ = ["blame", "diff", "log", "op_log", "search", "show", "to_plain"]


# ----------------------------------------------------------------- any document of a tree (the TUI's time travel)


def tree_document(vault: Vault, doc_id: ObjectId) -> tuple[str, dict[str, Any]]:
    """Any document a state tree holds, for display: its type name and its fields as JSON-able data.

    A tree holds the story's entities and also records: assets, findings, the
    content policy and merge conflicts (a conflict's sides are shown as
    ``conflict_json`` gives them, with absent sides listed).
    """
    from comfyvn_vault.domain.conflicts import Conflict, conflict_json

    obj = vault.history.any_doc(doc_id)
    if isinstance(obj, Conflict):
        return "Conflict", conflict_json(obj)
    data = msgspec.to_builtins(obj, enc_hook=json_enc_hook)
    if not isinstance(data, dict):
        raise InputRejected(f"{doc_id.short()} is a {type(obj).__name__}, not a document")
    data.pop("_type", None)
    return type(obj).__name__, data
