"""API GAPS: functions the TUI needs that ``comfyvn_vault`` does not offer yet.

Everything here belongs in the core (and in the CLI) and is kept small so it
can move there unchanged; the TUI must not grow logic the CLI lacks. Each
function names where it should live. Nothing here imports Textual.

* :func:`names`        → ``Projections.names(folder)`` (for ``find`` and fuzzy go-to).
* :func:`story_at`     → ``Vault.story_at(rev)`` / ``comfyvn show REV:scenes/``
  (time travel: the whole story as it was at a commit).
* :func:`log_all`      → ``queries.log(vault, all=True)`` / ``comfyvn log --all``.
* :class:`Lanes`       → ``queries.graph`` for ``comfyvn log --graph`` (branch lanes).
* :func:`node_update`  → ``story.node_edit`` that can clear a speaker (None means
  "unchanged" there) and set a node's choices in one edit.
* :func:`choice_edit`  → ``story.choice_edit`` / ``comfyvn scene choice edit``.
* :func:`make_store_reads_thread_safe` → ``store/compression.py`` should keep one
  zstd decompressor per thread. It shares one, and python-zstandard objects
  must not be used from two threads at once: concurrent reads return
  "Data corruption detected" or crash the process (reproduced with three
  threads). The CLI is single-threaded; the TUI reads in worker threads.

Merge, pick and resolve are core verbs now (``comfyvn_vault.variants``) and
are called directly.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import zstandard

from comfyvn_vault.domain.entities import Choice, Node, Scene
from comfyvn_vault.domain.paths import SCENES, entity_path
from comfyvn_vault.errors import ObjectNotFound
from comfyvn_vault.projections.index import DB_NAME, SEP
from comfyvn_vault.queries import commit_json
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.story import Saved, find_id, need, save
from comfyvn_vault.vault import Vault


def names(vault: Vault, folder: str) -> dict[str, str]:
    """Entity id → lowercased name (title) for every entity of ``folder`` in the checkout.

    Reads the name projection's keys only (no documents), so it is cheap for
    10,000 scenes. Should become ``Projections.names(folder)``.
    """
    prefix = folder.encode() + SEP
    out: dict[str, str] = {}
    with vault.store.env.begin(db=vault.projections.dbs[DB_NAME]) as txn:
        cur = txn.cursor()
        if cur.set_range(prefix):
            for k in cur.iternext(keys=True, values=False):
                k = bytes(k)
                if not k.startswith(prefix):
                    break
                name, _, eid = k[len(prefix) :].rpartition(SEP)
                out[eid.decode()] = name.decode()
    return out


def story_at(vault: Vault, commit: ObjectId, folder: str = "") -> list[tuple[str, ObjectId]]:
    """Every (entity path, document id) in the story at ``commit``, sorted by path.

    Reads only the commit's state tree (no replay); the documents are loaded by
    the caller when shown. Should become ``Vault.story_at(rev)``.
    """
    tree = vault.history.tree_of(commit)
    if tree is None:
        return []
    prefix = f"{folder}/" if folder else ""
    return sorted(vault.history.trees.items(tree, prefix))


def log_all(vault: Vault) -> Iterator[dict[str, Any]]:
    """Commits reachable from any branch (or the checkout), newest first, as ``comfyvn log --json`` rows.

    Each row also names the branches whose tip it is (``"branches"``). Lazy:
    the walk reads commits only as rows are taken. Should become
    ``queries.log(vault, all=True)``.
    """
    view = vault.history.view()
    tips: dict[ObjectId, list[str]] = {}
    for name, tip in sorted(view.branches.items()):
        tips.setdefault(tip, []).append(name)
    starts = set(tips)
    if view.checkout is not None:
        starts.add(view.checkout)
    # Ties (same generation and time) go to the checkout first, then by id: stable, and HEAD on top.
    heap: list[tuple[int, int, int, bytes]] = []
    seen: set[ObjectId] = set()

    def push(oid: ObjectId) -> None:
        c = vault.history.commit(oid)
        seen.add(oid)
        heapq.heappush(heap, (-c.generation, -c.time, 0 if oid == view.checkout else 1, bytes(oid)))

    for oid in starts:
        push(oid)
    while heap:
        raw = heapq.heappop(heap)[3]
        oid = ObjectId(raw)
        row = commit_json(oid, vault.history.commit(oid))
        row["branches"] = tips.get(oid, [])
        yield row
        for p in vault.history.commit(oid).parents:
            if p not in seen:
                push(p)


class Lanes:
    """Assigns each commit of a newest-first walk a column, as ``git log --graph`` does.

    Feed rows in order with :meth:`place`; each returns the row's glyphs:
    ``●`` for the commit, ``│`` for lanes passing by, ``┘`` for a lane that
    ends here (a second child of this commit). Incremental, so a long log can
    be drawn page by page.
    """

    def __init__(self) -> None:
        self.expect: list[str | None] = []

    def place(self, commit: str, parents: Sequence[str]) -> str:
        cols = [i for i, e in enumerate(self.expect) if e == commit]
        if cols:
            col = cols[0]
        else:
            col = self.expect.index(None) if None in self.expect else len(self.expect)
            if col == len(self.expect):
                self.expect.append(None)
        ending = set(cols[1:])
        glyphs = []
        for i, e in enumerate(self.expect):
            glyphs.append("●" if i == col else "┘" if i in ending else "│" if e is not None else " ")
        for i in ending:
            self.expect[i] = None
        self.expect[col] = parents[0] if parents else None
        for p in parents[1:]:
            if p in self.expect:
                continue
            free = [i for i, e in enumerate(self.expect) if e is None and i != col]
            if free:
                self.expect[free[0]] = p
            else:
                self.expect.append(p)
        while self.expect and self.expect[-1] is None:
            self.expect.pop()
        return " ".join(glyphs)


def node_update(
    vault: Vault,
    scene_ref: str,
    node_id: str,
    *,
    fields: dict[str, Any],
    message: str | None = None,
    commit: bool = True,
) -> Saved:
    """Set fields of a node (``speaker=None`` clears it; ``choices`` replaces them) as one edit.

    ``story.node_edit`` treats None as "unchanged" and cannot set choices, so
    it cannot clear a speaker or edit a choice. Same path as every verb:
    new scene → ``story.save`` → fine-grained events → a commit.
    """
    sid = find_id(vault, SCENES, scene_ref)
    scene: Scene = need(vault, SCENES, sid, Scene, worktree=not commit)
    nodes = list(scene.nodes)
    for i, node in enumerate(nodes):
        if node.id == node_id:
            nodes[i] = _replace_node(node, fields)
            break
    else:
        raise ObjectNotFound(f"scene {sid} has no node {node_id!r}")
    new = Scene(id=scene.id, title=scene.title, nodes=nodes, meta=scene.meta)
    return save(
        vault,
        {entity_path(SCENES, sid): new},
        message or f"Edit node {node_id}",
        commit=commit,
        subject=node_id,
    )


def _replace_node(node: Node, fields: dict[str, Any]) -> Node:
    from msgspec.structs import replace

    return replace(node, **fields)


def choice_edit(
    vault: Vault,
    scene_ref: str,
    node_id: str,
    choice_id: str,
    *,
    text: str,
    target: str,
    condition: str | None,
    message: str | None = None,
    commit: bool = True,
) -> Saved:
    """Change a choice's text, target and condition. Should become ``story.choice_edit``."""
    sid = find_id(vault, SCENES, scene_ref)
    scene: Scene = need(vault, SCENES, sid, Scene, worktree=not commit)
    node = next((n for n in scene.nodes if n.id == node_id), None)
    if node is None:
        raise ObjectNotFound(f"scene {sid} has no node {node_id!r}")
    if choice_id not in {c.id for c in node.choices}:
        raise ObjectNotFound(f"node {node_id} has no choice {choice_id!r}")
    choices = [
        Choice(id=c.id, text=text, target=target, condition=condition, weight=c.weight) if c.id == choice_id else c
        for c in node.choices
    ]
    return node_update(
        vault,
        sid,
        node_id,
        fields={"choices": choices},
        message=message or f"Edit choice {choice_id} of {node_id}",
        commit=commit,
    )


_per_thread = threading.local()
_installed = False


def _thread_decompressor() -> zstandard.ZstdDecompressor:
    decompressor: zstandard.ZstdDecompressor | None = getattr(_per_thread, "decompressor", None)
    if decompressor is None:
        decompressor = _per_thread.decompressor = zstandard.ZstdDecompressor()
    return decompressor


def _decompress(frame: bytes, raw_len: int) -> bytes:
    data: bytes = _thread_decompressor().decompress(frame, max_output_size=raw_len)
    return data


def make_store_reads_thread_safe() -> None:
    """Give each thread its own zstd decompressor for store reads (see the module doc).

    Replaces ``compression.decompress`` and ``compression.stream_decompressor``
    (looked up at call time by the store) with per-thread versions. Idempotent.
    Belongs in ``comfyvn_vault.store.compression`` itself.
    """
    global _installed
    if _installed:
        return
    from comfyvn_vault.store import compression

    compression.decompress = _decompress
    compression.stream_decompressor = _thread_decompressor
    _installed = True
