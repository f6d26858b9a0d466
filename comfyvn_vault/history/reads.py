"""Reading history: commits, documents and branch tips, with bounded caches of decoded objects.

Objects are immutable, so a decoded commit or entity document is kept and
handed out again; the caches are cleared when they fill (and when the vault
closes, :meth:`Reads.forget`). :class:`Reads` is the base of
:class:`~comfyvn_vault.history.repo.History`; the operation log, revision
parsing and commit creation build on it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import Final

from comfyvn_vault.domain.assets import RECORD_TYPES, is_record_path
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.document import DOCUMENT_TYPES, Document
from comfyvn_vault.domain.entities import ENTITY_TYPES, Entity
from comfyvn_vault.domain.events import Event
from comfyvn_vault.domain.paths import CONFLICTS
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.history import graph
from comfyvn_vault.history.objects import Commit, EventList
from comfyvn_vault.history.refs import HEADS
from comfyvn_vault.history.tree import TreeReader
from comfyvn_vault.store.base import ObjectStore
from comfyvn_vault.store.codec import StoredObject, decode, decode_as
from comfyvn_vault.store.ids import ObjectId

#: Decoded objects kept per open vault. Documents are the large ones (a 20-line
#: scene is ~6 KB of Python objects), so memory stays bounded at ~50 MB of them;
#: a commit is ~0.3 KB, and walks of long histories reread them.
DOC_CACHE: Final = 8_192
COMMIT_CACHE: Final = 200_000


class Reads:
    """Commits, documents, trees and branch tips of one store, read through caches."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.trees = TreeReader(store)
        self._docs: dict[ObjectId, Entity] = {}
        self._commits: dict[ObjectId, Commit] = {}

    def commit(self, oid: ObjectId) -> Commit:
        c = self._commits.get(oid)
        if c is None:
            obj = decode(self.store.get(oid))
            if not isinstance(obj, Commit):
                raise InputRejected(f"{oid.short()} is a {type(obj).__name__}, not a commit")
            c = obj
            self._remember_commit(oid, c)
        return c

    def _remember_commit(self, oid: ObjectId, c: Commit) -> None:
        if len(self._commits) >= COMMIT_CACHE:
            self._commits.clear()
        self._commits[oid] = c

    def entity_doc(self, doc_id: ObjectId) -> Entity:
        cached = self._docs.get(doc_id)
        if cached is not None:
            return cached
        obj = decode(self.store.get(doc_id))
        if not isinstance(obj, ENTITY_TYPES):
            raise InputRejected(f"{doc_id.short()} is a {type(obj).__name__}, not an entity document")
        self._remember_doc(doc_id, obj)
        return obj

    def _remember_doc(self, doc_id: ObjectId, doc: Entity) -> None:
        if len(self._docs) >= DOC_CACHE:
            self._docs.clear()
        self._docs[doc_id] = doc

    def forget(self) -> None:
        """Drop every decoded object kept (the vault is closing: return the memory now)."""
        self._docs.clear()
        self._commits.clear()
        self.trees.cache.clear()

    def any_doc(self, doc_id: ObjectId) -> StoredObject:
        """Any document a tree holds (entities, and records such as merge conflicts)."""
        return decode(self.store.get(doc_id))

    def document(self, doc_id: ObjectId) -> Document:
        """Any document a tree holds, checked to be one: an entity, a conflict or a record (asset, finding…)."""
        cached = self._docs.get(doc_id)
        if cached is not None:
            return cached
        obj = decode(self.store.get(doc_id))
        if isinstance(obj, ENTITY_TYPES):
            self._remember_doc(doc_id, obj)
            return obj
        if isinstance(obj, DOCUMENT_TYPES):
            return obj
        raise InputRejected(f"{doc_id.short()} is a {type(obj).__name__}, not a document of a story tree")

    def document_at(self, tree: ObjectId | None, path: str) -> Document | None:
        """What ``tree`` holds at ``path``, whatever its kind; ``None`` when nothing is there."""
        doc_id = self.trees.get(tree, path) if tree is not None else None
        return self.document(doc_id) if doc_id is not None else None

    def entity(self, tree: ObjectId, path: str) -> Entity | None:
        doc_id = self.trees.get(tree, path)
        return self.entity_doc(doc_id) if doc_id is not None else None

    def lookup_in(self, tree: ObjectId | None) -> Callable[[str], Document | None]:
        def lookup(path: str) -> Document | None:
            if tree is None:
                return None
            if path.startswith(CONFLICTS + "/"):
                doc_id = self.trees.get(tree, path)
                found = self.any_doc(doc_id) if doc_id is not None else None
                return found if isinstance(found, Conflict) else None
            if is_record_path(path):
                doc_id = self.trees.get(tree, path)
                record = self.any_doc(doc_id) if doc_id is not None else None
                return record if isinstance(record, RECORD_TYPES) else None
            return self.entity(tree, path)

        return lookup

    def listing_in(self, tree: ObjectId | None) -> Callable[[str], Iterator[str]]:
        """The paths of a folder (``scenes``) in ``tree``: what ``apply_all`` checks removals against."""

        def listing(folder: str) -> Iterator[str]:
            if tree is not None:
                yield from (path for path, _ in self.trees.items(tree, folder + "/"))

        return listing

    def branch_tip(self, name: str) -> ObjectId | None:
        r: ObjectId | None = self.store.ref(HEADS + name)
        return r

    def branches(self) -> dict[str, ObjectId]:
        return {k[len(HEADS) :]: v for k, v in self.store.refs(HEADS).items()}

    def tree_of(self, commit_id: ObjectId | None) -> ObjectId | None:
        return self.commit(commit_id).tree if commit_id is not None else None

    def log(self, start: ObjectId, limit: int | None = None) -> Iterator[tuple[ObjectId, Commit]]:
        """Commits reachable from ``start``, newest first (by generation, then time)."""
        seen = {start}
        heap: list[tuple[int, int, bytes]] = []
        c = self.commit(start)
        heapq.heappush(heap, (-c.generation, -c.time, start))
        n = 0
        while heap and (limit is None or n < limit):
            _, _, raw = heapq.heappop(heap)
            oid = ObjectId(raw)
            c = self.commit(oid)
            yield oid, c
            n += 1
            for p in c.parents:
                if p not in seen:
                    seen.add(p)
                    pc = self.commit(p)
                    heapq.heappush(heap, (-pc.generation, -pc.time, p))

    def events_of(self, c: Commit) -> list[tuple[ObjectId, Event]]:
        if c.events is None:
            return []
        ids = decode_as(self.store.get(c.events), EventList).events
        return [(i, decode(self.store.get(i))) for i in ids]  # type: ignore[misc]

    def is_ancestor(self, a: ObjectId, b: ObjectId) -> bool:
        """True when commit ``a`` is reachable from ``b`` (or equal)."""
        return graph.is_ancestor(self.commit, a, b)

    def merge_bases(self, a: ObjectId, b: ObjectId) -> list[ObjectId]:
        return graph.merge_bases(self.commit, a, b)


__all__ = ["COMMIT_CACHE", "DOC_CACHE", "Reads"]
