"""The working copy on disk: entity files materialized from the checked-out tree.

A stat cache in LMDB (``wc.stat``: file → size, mtime, inode, document id)
lets ``status`` skip files nobody touched, as git's index does. A file whose
mtime is within ``RACY_NS`` of when it was cached is re-read anyway, since an
edit in the same clock tick would keep its size and mtime.

Files follow commits, never precede them: a commit records the files it will
rewrite in ``wc.pending`` (in the index transaction that commits it) and the
files are written once that transaction has committed. A process killed before
the commit leaves the files as they were (nothing happened); one killed after it
leaves pending entries, and the next vault to open finishes the writes
(:meth:`WorkingCopy.recover`), so the working copy never runs ahead of HEAD nor
stays behind it.

A file that cannot be read as an entity (bad TOML, wrong types, not UTF-8, a
name that is not an id) is reported by :meth:`WorkingCopy.scan` as a change of
kind ``broken`` or ``misnamed`` instead of hiding the rest of the working copy.
"""

from __future__ import annotations

import os
import re
import struct
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.entities import TYPE_OF, Entity
from comfyvn_vault.domain.paths import CONFLICTS, ID_MAX, check_tree_path, id_problem
from comfyvn_vault.errors import ConcurrentWork, InputRejected
from comfyvn_vault.history.repo import History
from comfyvn_vault.store.codec import encode
from comfyvn_vault.store.fsutil import fsync_dir, os_error
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.worktree.format import SUFFIX, MalformedFile, file_of, parse_marked, path_of_file, render

if TYPE_CHECKING:
    from comfyvn_vault.store.disk import DiskObjectStore

DB_STAT: Final = b"wc.stat"
#: File → (its stat when a commit recorded it, the document it is to hold; empty: deleted).
DB_PENDING: Final = b"wc.pending"
_STAT: Final = struct.Struct(">QqQ32s")
_SEEN: Final = struct.Struct(">?QqQ")  # exists, size, mtime, inode
RACY_NS: Final = 2_000_000_000


class MisnamedFile(MalformedFile):
    """A ``.toml`` file in an entity folder whose name is not ``<id>.toml``."""


class Change:
    """One entity whose file differs from the checkout: ``old`` → ``new`` (None: absent).

    With ``problem`` the file could not be read (``new`` is None): kind ``broken``,
    or ``misnamed`` for a file that maps to no entity (its ``path`` is then only a label).
    ``settled``: the conflicts whose marker the file no longer has (committing it resolves them).
    """

    __slots__ = ("new", "old", "path", "problem", "settled")

    def __init__(
        self,
        path: str,
        old: Entity | None,
        new: Entity | None,
        problem: InputRejected | None = None,
        settled: list[Conflict] | None = None,
    ) -> None:
        self.path, self.old, self.new, self.problem = path, old, new, problem
        self.settled = settled or []

    @property
    def file(self) -> str:
        """The file's name in the working copy."""
        return self.problem.file if isinstance(self.problem, MalformedFile) else file_of(self.path)

    @property
    def kind(self) -> str:
        if self.problem is not None:
            return "misnamed" if isinstance(self.problem, MisnamedFile) else "broken"
        return "added" if self.old is None else "deleted" if self.new is None else "modified"


class WorkingCopy:
    """Reads and writes the entity files under a vault's folder."""

    def __init__(self, root: Path, store: DiskObjectStore, history: History) -> None:
        self.root = root
        self.store = store
        self.env = store.env
        self.history = history
        self.db = self.env.open_db(DB_STAT)
        self.pending_db = self.env.open_db(DB_PENDING)
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
        for rel, path, st in self._entries():
            if path is not None and st is not None:
                yield rel, path, st

    def _entries(self) -> Iterator[tuple[str, str | None, os.stat_result | None]]:
        """Entity files (rel, path, stat) and, with path None, the ``.toml`` files no entity maps to.

        Hidden files (editor swap files, our temp files) and other suffixes are not the vault's.
        """
        for folder in sorted(TYPE_OF):
            d = self.root / folder
            if not d.is_dir():
                continue
            with os.scandir(d) as it:
                for entry in it:
                    rel = f"{folder}/{entry.name}"
                    path = path_of_file(rel)
                    if path is not None:
                        try:
                            yield rel, path, entry.stat()
                        except OSError:
                            yield rel, path, None  # a dangling symlink: read() says why
                    elif not entry.name.startswith(".") and entry.name.lower().endswith(SUFFIX):
                        yield rel, None, None

    def _some_files(self, paths: Iterable[str]) -> Iterator[tuple[str, str | None, os.stat_result | None]]:
        for path in sorted(set(paths)):
            if path.split("/", 1)[0] not in TYPE_OF:
                continue
            rel = file_of(path)
            try:
                st: os.stat_result | None = (self.root / rel).stat()
            except FileNotFoundError:
                if not (self.root / rel).is_symlink():
                    continue
                st = None  # a dangling symlink: read() says why
            except OSError:
                st = None
            yield rel, path, st

    def changes(self, tree: ObjectId | None, paths: Iterable[str] | None = None) -> list[Change]:
        """Entity-level differences between the files and ``tree``; raises the first unreadable file's error.

        With ``paths``, only those entities are looked at (a verb about to rewrite
        a few files need not stat the whole story).
        """
        found = self.scan(tree, paths)
        for change in found:
            if change.problem is not None:
                raise change.problem
        return found

    def scan(self, tree: ObjectId | None, paths: Iterable[str] | None = None) -> list[Change]:
        """Like :meth:`changes`, but an unreadable or misnamed file is a change with a ``problem``."""
        self.recover()
        trees = self.history.trees
        wanted = set(paths) if paths is not None else None
        on_disk: set[str] = set()
        out: list[Change] = []
        now = time.time_ns()
        files = self._entries() if wanted is None else self._some_files(wanted)
        with self.env.begin(db=self.db) as txn:
            for rel, path, st in files:
                if path is None:
                    shown = rel.encode("utf-8", "backslashreplace").decode()  # names need not be UTF-8
                    out.append(Change(shown.removesuffix(SUFFIX), None, None, misnamed(shown)))
                    continue
                on_disk.add(path)
                committed_id = trees.get(tree, path) if tree is not None else None
                cached = txn.get(rel.encode())
                if cached is not None and committed_id is not None and st is not None:
                    size, mtime, ino, doc = _STAT.unpack(cached)
                    if (
                        (size, mtime, ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
                        and doc == committed_id
                        and now - mtime > RACY_NS
                    ):
                        continue
                # The committed document is decoded only when needed: to read markers, or for a change.
                conflicts = self.marks(tree).get(path, [])
                old = self.history.entity_doc(committed_id) if conflicts and committed_id is not None else None
                problem: InputRejected | None = None
                entity: Entity | None = None
                settled: list[Conflict] = []
                try:
                    entity, settled = self.read_marked(rel, old, conflicts)
                except InputRejected as exc:  # MalformedFile, or a file that cannot be read
                    problem = exc
                else:
                    if committed_id is not None and hash_bytes(encode(entity)) == committed_id and not settled:
                        continue
                if old is None and committed_id is not None:
                    old = self.history.entity_doc(committed_id)
                out.append(Change(path, old, entity, problem, settled=settled))
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
            data = (self.root / rel).read_bytes()
        except IsADirectoryError:
            raise MalformedFile(rel, None, "is a folder, not a file; move it away") from None
        except OSError as exc:
            raise os_error(exc, f"read {rel}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise MalformedFile(rel, line, "not UTF-8 text; save the file as UTF-8") from None
        return parse_marked(rel, text, committed, conflicts)

    def write(
        self,
        txn: Any,
        docs: Mapping[str, tuple[Any, ObjectId | None]],
        tree: ObjectId | None = None,
        changed_conflicts: Iterable[Any] = (),
    ) -> None:
        """Rewrite (or delete) the files of changed entities once the transaction of ``txn`` commits.

        Called from a commit hook: the files to rewrite are recorded as pending in
        ``txn``, so if this process dies after the commit the next one finishes them.
        ``tree`` is the tree the files then show: its unresolved conflicts are
        marked in them. The files of the entities of ``changed_conflicts``
        (conflict records added or removed) are rewritten from ``tree`` too.
        """
        docs = dict(docs)
        if tree is not None:
            for c in changed_conflicts:
                if isinstance(c, Conflict) and c.path not in docs and c.path.split("/", 1)[0] in TYPE_OF:
                    doc_id = self.history.trees.get(tree, c.path)
                    docs[c.path] = (self.history.entity_doc(doc_id) if doc_id is not None else None, doc_id)
        docs = {p: d for p, d in sorted(docs.items()) if p.split("/", 1)[0] in TYPE_OF}
        if not docs:
            return  # conflicts and other records live in history, not in files
        for path in docs:
            check_tree_path(path)  # every path before any file: a refused tree writes nothing
        for path, (entity, doc_id) in docs.items():
            rel = file_of(path)
            target = bytes(doc_id) if entity is not None and doc_id is not None else b""
            txn.put(rel.encode(), self._seen(rel) + target, db=self.pending_db)
        marks = self.marks(tree)
        self.store.after_commit(lambda: self._settle(docs, marks))

    def _settle(self, docs: Mapping[str, tuple[Any, ObjectId | None]], marks: dict[str, list[Conflict]]) -> None:
        """Write the files of a commit that has committed, then drop them from the pending list."""
        dirs: set[Path] = set()
        if len(docs) == 1:
            for path, (entity, _) in docs.items():
                dirs.add(self.write_file(path, entity, sync_dir=False, conflicts=marks.get(path, [])).parent)
        else:
            from concurrent.futures import ThreadPoolExecutor

            # Files are rendered here while other threads wait for the disk (fsync and rename release the GIL).
            with ThreadPoolExecutor(max_workers=SYNC_THREADS) as pool:
                waits = [
                    pool.submit(_land, *self._begin_file(path, entity, marks.get(path, [])))
                    for path, (entity, _) in docs.items()
                ]
                for wait in waits:
                    dirs.add(wait.result().parent)
        for d in dirs:
            if d.is_dir():
                fsync_dir(d)
        with self.env.begin(write=True) as txn:
            for path, (entity, doc_id) in docs.items():
                self._cache(txn, path, doc_id if entity is not None else None)
                txn.delete(file_of(path).encode(), db=self.pending_db)

    def recover(self) -> bool:
        """Finish the file writes of a process killed after its commit; True if there were any.

        A pending file still as the commit found it is rewritten; one changed
        since (edited by hand after the crash) is left for ``status`` to show.
        """
        with self.env.begin(db=self.pending_db) as txn:
            if txn.stat(self.pending_db)["entries"] == 0:
                return False
        store = self.store
        if store.in_transaction():
            return False  # our own transaction's files; this process recovered when it opened
        try:
            with store.transaction() as w:
                w.on_commit(self._finish_pending)
        except ConcurrentWork:
            return False  # a busy writer; the next scan tries again
        return True

    def _finish_pending(self, txn: Any) -> None:
        with txn.cursor(db=self.pending_db) as cur:
            pending = [(bytes(k), bytes(v)) for k, v in cur]
        for key, value in pending:
            rel = key.decode()
            path = path_of_file(rel)
            if path is not None:
                target = ObjectId(value[_SEEN.size :]) if len(value) > _SEEN.size else None
                if self._seen(rel) == value[: _SEEN.size]:
                    self.write_file(path, self.history.entity_doc(target) if target is not None else None)
                    self._cache(txn, path, target)
                else:
                    self._cache(txn, path, target if self._holds(rel, target) else None)
            txn.delete(key, db=self.pending_db)

    def _holds(self, rel: str, doc_id: ObjectId | None) -> bool:
        """Whether the file of ``rel`` holds document ``doc_id`` (None: there is no file)."""
        if doc_id is None:
            return not (self.root / rel).exists()
        try:
            return hash_bytes(encode(self.read(rel))) == doc_id
        except InputRejected:
            return False

    def _seen(self, rel: str) -> bytes:
        """The file's stat as recorded for pending writes: whether it exists, size, mtime, inode."""
        try:
            st = (self.root / rel).stat()
        except OSError:
            return _SEEN.pack(False, 0, 0, 0)
        return _SEEN.pack(True, st.st_size, st.st_mtime_ns, st.st_ino)

    def _cache(self, txn: Any, path: str, doc_id: ObjectId | None) -> None:
        if doc_id is None:
            self.forget(txn, path)
        else:
            self.remember(txn, path, doc_id)

    def write_file(
        self, path: str, entity: Entity | None, sync_dir: bool = True, conflicts: list[Conflict] | None = None
    ) -> Path:
        """Replace one entity file atomically (temp file + rename), or delete it for None.

        An editor or a crash never sees half a file. A path that could name a
        file outside the working copy is refused before anything is touched.
        The file marks ``conflicts`` (default: the checkout's, except where
        ``entity`` holds a new value).
        """
        if conflicts is None:
            from comfyvn_vault.domain.resolve import changed_between

            check_tree_path(path)
            tree = self.history.tree_of(self.history.view().checkout)
            committed = self.history.entity(tree, path) if tree is not None else None
            conflicts = [c for c in self.marks(tree).get(path, []) if not changed_between(committed, entity, c)]
        target = _land(*self._begin_file(path, entity, conflicts))
        if sync_dir and target.parent.is_dir():
            fsync_dir(target.parent)
        return target

    def _begin_file(self, path: str, entity: Entity | None, conflicts: list[Conflict]) -> _Pending:
        """The first half of :meth:`write_file`: the text written to a temporary file, not yet synced."""
        check_tree_path(path)
        rel = file_of(path)
        target = self.root / rel
        if entity is None:
            target.unlink(missing_ok=True)
            return _Pending(rel, target, None, -1)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.comfyvn-tmp")
        data = render(entity, conflicts).encode()
        fd = -1
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)
            raise os_error(exc, f"write {rel}") from None
        return _Pending(rel, target, tmp, fd)

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


class _Pending(NamedTuple):
    """A file written to its temporary name (``fd`` still open), or a deletion done (``tmp`` None)."""

    rel: str
    target: Path
    tmp: Path | None
    fd: int


#: Threads that sync and rename the files of a commit while the next ones are rendered.
SYNC_THREADS: Final = 8


def _land(rel: str, target: Path, tmp: Path | None, fd: int) -> Path:
    """The second half of writing a file: sync its bytes, then rename it into place (atomic)."""
    if tmp is None:
        return target
    try:
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_error(exc, f"write {rel}") from None
    return target


def misnamed(rel: str) -> MisnamedFile:
    """The error for a ``.toml`` file in an entity folder that maps to no entity, naming what it expects."""
    folder, name = rel.split("/", 1)
    stem = name[: -len(SUFFIX)]
    kind = folder[:-1]
    problem = id_problem(stem)
    why = f"{stem!r} is not a valid {kind} id: it {problem}" if problem else f"{kind} files end in {SUFFIX}"
    fixed = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-").lstrip(".")[:ID_MAX].rstrip("-")
    return MisnamedFile(rel, None, f"{why}; rename the file to {folder}/{fixed or '<id>'}{SUFFIX} to use it")
