"""The working copy on disk: entity files materialized from the checked-out tree.

A stat cache in LMDB (``wc.stat``: file → size, mtime, inode, document id)
lets ``status`` skip files nobody touched, as git's index does. A file whose
mtime is within ``RACY_NS`` of when it was cached is re-read anyway, since an
edit in the same clock tick would keep its size and mtime.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.entities import TYPE_OF, Entity
from comfyvn_vault.domain.paths import CONFLICTS
from comfyvn_vault.history.repo import History
from comfyvn_vault.store.codec import encode
from comfyvn_vault.store.fsutil import fsync_dir, os_error
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.worktree.format import MalformedFile, file_of, parse_marked, path_of_file, render

DB_STAT: Final = b"wc.stat"
_STAT: Final = struct.Struct(">QqQ32s")
RACY_NS: Final = 2_000_000_000


class Change:
    """One entity whose file differs from the checkout: ``old`` → ``new`` (None: absent).

    ``settled``: the conflicts whose marker the file no longer has (committing it resolves them).
    """

    __slots__ = ("new", "old", "path", "settled")

    def __init__(
        self, path: str, old: Entity | None, new: Entity | None, settled: list[Conflict] | None = None
    ) -> None:
        self.path, self.old, self.new = path, old, new
        self.settled = settled or []

    @property
    def kind(self) -> str:
        return "added" if self.old is None else "deleted" if self.new is None else "modified"


class WorkingCopy:
    """Reads and writes the entity files under a vault's folder."""

    def __init__(self, root: Path, env: Any, history: History) -> None:
        self.root = root
        self.env = env
        self.history = history
        self.db = env.open_db(DB_STAT)
        self._marks: tuple[ObjectId | None, dict[str, list[Conflict]]] = (None, {})

    def marks(self, tree: ObjectId | None) -> dict[str, list[Conflict]]:
        """The unresolved conflicts (and word-merge reviews) of ``tree``, by entity path."""
        if tree is None:
            return {}
        if self._marks[0] != tree:
            found: dict[str, list[Conflict]] = {}
            for _, doc_id in self.history.trees.items(tree, CONFLICTS + "/"):
                doc = self.history.any_doc(doc_id)
                if isinstance(doc, Conflict):
                    found.setdefault(doc.path, []).append(doc)
            self._marks = (tree, found)
        return self._marks[1]

    def files(self) -> Iterator[tuple[str, str, os.stat_result]]:
        """Every entity file on disk, as (relative path, entity path, stat)."""
        for folder in sorted(TYPE_OF):
            d = self.root / folder
            if not d.is_dir():
                continue
            with os.scandir(d) as it:
                for entry in it:
                    rel = f"{folder}/{entry.name}"
                    path = path_of_file(rel)
                    if path is not None and entry.is_file():
                        yield rel, path, entry.stat()

    def _some_files(self, paths: Iterable[str]) -> Iterator[tuple[str, str, os.stat_result]]:
        for path in sorted(set(paths)):
            if path.split("/", 1)[0] not in TYPE_OF:
                continue
            rel = file_of(path)
            try:
                st = (self.root / rel).stat()
            except FileNotFoundError:
                continue
            yield rel, path, st

    def changes(self, tree: ObjectId | None, paths: Iterable[str] | None = None) -> list[Change]:
        """Entity-level differences between the files and ``tree`` (raises MalformedFile).

        With ``paths``, only those entities are looked at (a verb about to rewrite
        a few files need not stat the whole story).
        """
        trees = self.history.trees
        wanted = set(paths) if paths is not None else None
        on_disk: set[str] = set()
        out: list[Change] = []
        now = time.time_ns()
        files = self.files() if wanted is None else self._some_files(wanted)
        with self.env.begin(db=self.db) as txn:
            for rel, path, st in files:
                on_disk.add(path)
                committed_id = trees.get(tree, path) if tree is not None else None
                cached = txn.get(rel.encode())
                if cached is not None and committed_id is not None:
                    size, mtime, ino, doc = _STAT.unpack(cached)
                    if (
                        (size, mtime, ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
                        and doc == committed_id
                        and now - mtime > RACY_NS
                    ):
                        continue
                old = self.history.entity_doc(committed_id) if committed_id is not None else None
                entity, settled = self.read_marked(rel, old, self.marks(tree).get(path, []))
                if committed_id is not None and hash_bytes(encode(entity)) == committed_id and not settled:
                    continue
                out.append(Change(path, old, entity, settled))
        if tree is not None:
            if wanted is None:
                committed = (item for folder in sorted(TYPE_OF) for item in trees.items(tree, folder + "/"))
            else:
                committed = ((p, d) for p in wanted if (d := trees.get(tree, p)) is not None)
            for path, doc_id in committed:
                if path not in on_disk and path.split("/", 1)[0] in TYPE_OF:
                    out.append(Change(path, self.history.entity_doc(doc_id), None))
        out.sort(key=lambda c: c.path)
        return out

    def read(self, rel: str) -> Entity:
        """The entity a file describes now (its conflict markers read against the checkout)."""
        path = path_of_file(rel)
        tree = self.history.tree_of(self.history.view().checkout)
        conflicts = self.marks(tree).get(path or "", [])
        committed = self.history.entity(tree, path) if conflicts and tree is not None and path else None
        return self.read_marked(rel, committed, conflicts)[0]

    def read_marked(
        self, rel: str, committed: Entity | None, conflicts: list[Conflict]
    ) -> tuple[Entity, list[Conflict]]:
        """The entity a file describes and the ``conflicts`` whose markers it no longer has."""
        try:
            text = (self.root / rel).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise MalformedFile(rel, None, "not UTF-8 text") from None
        except OSError as exc:
            raise os_error(exc, f"read {rel}") from None
        return parse_marked(rel, text, committed, conflicts)

    def write(
        self,
        txn: Any,
        docs: Mapping[str, tuple[Any, ObjectId | None]],
        tree: ObjectId | None = None,
        changed_conflicts: Iterable[Any] = (),
    ) -> None:
        """Write (or delete) the files of changed entities and cache their stats in ``txn``.

        ``tree`` is the tree the files now show: its unresolved conflicts are
        marked in them. The files of the entities of ``changed_conflicts``
        (conflict records added or removed) are rewritten from ``tree`` too.
        """
        docs = dict(docs)
        if tree is not None:
            for c in changed_conflicts:
                if isinstance(c, Conflict) and c.path not in docs and c.path.split("/", 1)[0] in TYPE_OF:
                    doc_id = self.history.trees.get(tree, c.path)
                    docs[c.path] = (self.history.entity_doc(doc_id) if doc_id is not None else None, doc_id)
        marks = self.marks(tree)
        dirs: set[Path] = set()
        for path, (entity, doc_id) in sorted(docs.items()):
            if path.split("/", 1)[0] not in TYPE_OF:
                continue  # conflicts and other records live in history, not in files
            target = self.write_file(path, entity, sync_dir=False, conflicts=marks.get(path, []))
            dirs.add(target.parent)
            if entity is None or doc_id is None:
                self.forget(txn, path)
            else:
                self.remember(txn, path, doc_id)
        for d in dirs:
            if d.is_dir():
                fsync_dir(d)

    def write_file(
        self, path: str, entity: Entity | None, sync_dir: bool = True, conflicts: list[Conflict] | None = None
    ) -> Path:
        """Replace one entity file atomically (temp file + rename), or delete it for None.

        An editor or a crash never sees half a file. The file marks ``conflicts``
        (default: the checkout's, except where ``entity`` holds a new value).
        """
        if conflicts is None:
            from comfyvn_vault.domain.resolve import changed_between

            tree = self.history.tree_of(self.history.view().checkout)
            committed = self.history.entity(tree, path) if tree is not None else None
            conflicts = [c for c in self.marks(tree).get(path, []) if not changed_between(committed, entity, c)]
        rel = file_of(path)
        target = self.root / rel
        if entity is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.comfyvn-tmp")
            try:
                with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                    f.write(render(entity, conflicts))
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise os_error(exc, f"write {rel}") from None
        if sync_dir and target.parent.is_dir():
            fsync_dir(target.parent)
        return target

    def remember(self, txn: Any, path: str, doc_id: ObjectId) -> None:
        """Cache the stat of a file whose content is now committed as ``doc_id``."""
        rel = file_of(path)
        try:
            st = (self.root / rel).stat()
        except FileNotFoundError:
            txn.delete(rel.encode(), db=self.db)
            return
        txn.put(rel.encode(), _STAT.pack(st.st_size, st.st_mtime_ns, st.st_ino, bytes(doc_id)), db=self.db)

    def forget(self, txn: Any, path: str) -> None:
        txn.delete(file_of(path).encode(), db=self.db)
