"""One vault seen as a sync peer: what a remote answers and how its refs move.

:class:`Endpoint` is the "smart" side of every transport that can run code
next to the vault: the filesystem transport calls it in-process and
``comfyvn serve`` exposes it over HTTP. It walks its own commit DAG to offer
exactly what a receiver lacks, streams verified objects, ingests pushed
streams (verifying each object) and moves a branch only by compare-and-swap on
the value the pusher saw, refusing a non-fast-forward unless forced.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from comfyvn_vault.errors import InputRejected, RefMoved
from comfyvn_vault.history.objects import Commit, EventList, View
from comfyvn_vault.history.repo import check_branch_name
from comfyvn_vault.store.codec import decode_as
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.sync import packstream
from comfyvn_vault.sync.protocol import NonFastForward, RemoteInfo
from comfyvn_vault.sync.walk import Graph, Offer, missing, new_commits
from comfyvn_vault.vault import Vault


class RWLock:
    """Many readers or one writer (a server's request threads share one open vault)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._readers:
                self._cond.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class _GuardedStore:
    """A store whose reads wait while a write transaction of another thread is open."""

    def __init__(self, store: Any, lock: RWLock) -> None:
        self._store, self._lock = store, lock

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if name not in ("has", "info", "get", "ids", "ref", "refs", "entry"):
            return attr

        def guarded(*args: Any, **kwargs: Any) -> Any:
            with self._lock.read():
                return attr(*args, **kwargs)

        return guarded

    def iter_chunks(self, oid: ObjectId) -> Iterator[bytes]:
        with self._lock.read():
            info = self._store.info(oid)
            if info.location == "pack":
                yield self._store.get(oid)
                return
        # A loose file is immutable once indexed: stream it without holding the lock.
        yield from self._store.iter_chunks(oid)


class Endpoint:
    """A vault on this machine acting as a sync peer (filesystem transport and ``serve``)."""

    def __init__(self, vault: Vault, lock: RWLock | None = None) -> None:
        self.vault = vault
        self.lock = lock or RWLock()
        self.reader = _GuardedStore(vault.store, self.lock)

    @classmethod
    def open(cls, path: Path) -> Endpoint:
        meta = path / ".comfyvn" / "format"
        if not meta.is_file():
            raise InputRejected(f"{path}: not a vault (no .comfyvn/ there)")
        return cls(Vault.open(path))

    def close(self) -> None:
        self.vault.close()

    def writing(self) -> AbstractContextManager[None]:
        return self.lock.write()

    # ----------------------------------------------------------------- reading

    def info(self) -> RemoteInfo:
        with self.lock.read():
            view = self.vault.history.view()
        return RemoteInfo(
            heads={k: v.hex() for k, v in sorted(view.branches.items())},
            head=view.head if view.head in view.branches else None,
        )

    def has(self, ids: list[ObjectId]) -> list[bool]:
        with self.lock.read():
            return [self.vault.store.has(i) for i in ids]

    def offer(self, wants: list[ObjectId], haves: list[ObjectId]) -> list[Offer]:
        g = Graph(self.reader)
        for w in wants:
            if not g.is_commit(w):
                raise InputRejected(f"{w.hex()[:12]} is not a commit here")
        return missing(g, wants, haves)

    def stream(self, ids: Iterable[ObjectId]) -> Iterator[bytes]:
        return packstream.encode_stream(self.reader, ids)

    # ----------------------------------------------------------------- writing

    def receive(self, chunks: Iterable[bytes], *, max_bytes: int | None = None) -> int:
        """Ingest a pushed stream: every object verified; nothing but objects is written."""
        ingest = _LockedIngest(self, max_bytes)
        return ingest.run(chunks)

    def update_ref(self, branch: str, old: ObjectId | None, new: ObjectId, force: bool = False) -> None:
        """Compare-and-swap ``branch`` from ``old`` to ``new`` as one operation of this vault.

        If the branch is checked out here and the working copy is at its tip,
        the working copy follows (as a fast-forward merge would), provided the
        files it rewrites have no uncommitted edits.
        """
        check_branch_name(branch)
        v = self.vault
        h = v.history
        with self.lock.write():
            g = Graph(v.store)
            if not g.is_commit(new):
                raise InputRejected(f"{new.hex()[:12]} is not a commit here; send its objects first")
            with v.store.transaction() as w:
                view = h.view_in(w)
                cur = view.branches.get(branch)
                if cur != old:
                    raise RefMoved(f"branch {branch} moved on the remote (someone pushed first); fetch and retry")
                if cur is not None and not force and not h.is_ancestor(cur, new):
                    raise NonFastForward(f"pushing {branch} would drop remote commits; pull first or use --force")
                checkout = view.checkout
                if branch == view.head and view.checkout == cur:
                    changed = (p for p, _, _ in h.trees.diff(h.tree_of(cur), h.tree_of(new)))
                    v.require_clean(changed)
                    checkout = new
                index_new_commits(v, w, [new], [c for c in view.branches.values() if c is not None])
                branches = {**view.branches, branch: new}
                h.set_view(
                    w,
                    View(branches=branches, head=view.head, checkout=checkout, remotes=view.remotes),
                    f"push {branch}",
                )


class _LockedIngest(packstream.Ingest):
    """An ingest whose batch commits take the endpoint's write lock."""

    def __init__(self, endpoint: Endpoint, max_bytes: int | None) -> None:
        super().__init__(endpoint.vault.store, None, max_bytes=max_bytes)
        self._endpoint = endpoint

    def _present(self, oid: ObjectId) -> bool:
        with self._endpoint.lock.read():
            return super()._present(oid)

    def _flush(self) -> None:
        with self._endpoint.lock.write():
            super()._flush()


def index_new_commits(vault: Vault, w: Any, tips: list[ObjectId], known: list[ObjectId]) -> list[ObjectId]:
    """Add the events of commits that arrived from elsewhere to the events-by-entity index.

    Local commits are indexed as they are made; received ones are indexed here,
    inside the transaction that makes them reachable, so ``blame`` and
    ``log --entity`` see them and ``reindex --verify`` still matches.
    """
    h = vault.history
    commits = new_commits(Graph(vault.store), tips, known)
    rows: list[tuple[ObjectId, Commit, EventList]] = []
    for cid in commits:
        c = h.commit(cid)
        if c.events is not None:
            rows.append((cid, c, decode_as(vault.store.get(c.events), EventList)))

    def hook(txn: Any) -> None:
        for cid, c, el in rows:
            touched = el.touched or [[] for _ in el.events]
            vault.projections.add_events(
                txn,
                cid,
                c.generation,
                ((i, paths, eid) for i, (paths, eid) in enumerate(zip(touched, el.events, strict=True))),
            )

    if rows:
        w.on_commit(hook)
    return commits
