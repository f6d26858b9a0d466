"""What every projection is: the databases it owns and how a change of documents moves their keys.

A projection is a query index kept in LMDB beside the object store. Each one
is a subclass of :class:`Projection` in its own module, listed once in
:mod:`.registry`; the :class:`~.index.Projections` façade opens the
databases of all of them and hands each change to each.

*State* projections describe the checked-out story. A document contributes
keys (values empty) as a whole (:meth:`Projection.doc_keys`, a character's
name) and, for a scene, per node (:meth:`Projection.node_keys`, a line's
words); when documents change, the difference of their keys is collected in a
:class:`Delta` and written, so the cost is the size of the change and a
rebuild from history gives the same bytes. *History* projections
(``state = False``) cover every commit ever recorded instead
(:meth:`Projection.add_commit`).

Every read of stored keys goes through :func:`reading`, so a key or value
that does not decode reports a damaged index (``comfyvn reindex`` repairs it)
instead of a traceback.
"""

from __future__ import annotations

import functools
import struct
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar, Final, ParamSpec, TypeAlias, TypeVar

from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Node, Scene
from comfyvn_vault.errors import IndexDamaged
from comfyvn_vault.projections.keys import MAX_KEY
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
    import lmdb

#: The LMDB transaction projections read and write in (the store never opens one with ``buffers=True``).
Txn: TypeAlias = "lmdb.Transaction[bytes]"
#: One document's change: (path, old document, new document, new document's id); ``None`` for absent.
DocChange: TypeAlias = tuple[str, Document | None, Document | None, ObjectId | None]
#: A key a document contributes: (database, key); its value is empty.
Key: TypeAlias = tuple[bytes, bytes]

#: About how many keys a line of dialogue contributes (its words), for bounding a batch.
KEYS_PER_LINE: Final = 16
#: Between the parts of a composite key.
SEP: Final = b"\0"

P = ParamSpec("P")
R = TypeVar("R")
_DAMAGE: Final = (struct.error, UnicodeDecodeError, ValueError, IndexError)


def reading(method: Callable[P, R]) -> Callable[P, R]:
    """A projection read whose stored keys or values do not decode reports a damaged index, not a crash."""

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except _DAMAGE as exc:
            what = f"an entry read by {method.__name__} does not decode: {exc.__class__.__name__}"
            raise IndexDamaged.of(what) from None

    return run


class Delta:
    """Projection keys to delete and to add, by database, gathered over a batch of document changes."""

    __slots__ = ("added", "gone", "scenes")

    def __init__(self) -> None:
        self.gone: defaultdict[bytes, list[bytes]] = defaultdict(list)
        self.added: defaultdict[bytes, list[bytes]] = defaultdict(list)
        #: Scenes added (True) or removed (False) whole, for projections that write them scene by scene
        #: (:meth:`Projection.whole_scene`).
        self.scenes: list[tuple[Scene, bool]] = []

    def keys(self, gone: Iterable[Key], added: Iterable[Key]) -> None:
        for db, key in gone:
            self.gone[db].append(key)
        for db, key in added:
            self.added[db].append(key)

    def size(self) -> int:
        """About how many keys it holds, gone and added (a whole scene's lines count as some each)."""
        lines = sum(len(scene.nodes) for scene, _ in self.scenes)
        return sum(map(len, self.gone.values())) + sum(map(len, self.added.values())) + KEYS_PER_LINE * lines


def delete_keys(txn: Txn, db: lmdb._Database, keys: Iterable[bytes]) -> None:
    """Delete ``keys`` from ``db`` in key order (neighbouring keys share B-tree pages)."""
    delete = txn.delete
    for key in sorted(keys):
        delete(key, db=db)


def put_keys(txn: Txn, db: lmdb._Database, keys: Iterable[bytes]) -> None:
    """Add ``keys`` (empty values) to ``db`` in key order (neighbouring keys share B-tree pages)."""
    put = txn.put
    for key in sorted(keys):
        put(key, b"", db=db)


class Databases:
    """An LMDB environment and the projection databases opened in it, by name."""

    def __init__(self, env: lmdb.Environment, names: Iterable[bytes]) -> None:
        self.env = env
        self.dbs = {name: env.open_db(name) for name in names}

    def scan(self, db: bytes, prefix: bytes) -> Iterator[bytes]:
        """The keys of ``db`` that start with ``prefix``, in order, read in one snapshot."""
        if len(prefix) > MAX_KEY:
            return  # no key is that long
        with self.env.begin(db=self.dbs[db]) as txn:
            cur = txn.cursor()
            if cur.set_range(prefix):
                for k in cur.iternext(keys=True, values=False):
                    k = bytes(k)
                    if not k.startswith(prefix):
                        break
                    yield k


class Projection:
    """One query index: its databases, the keys documents contribute to them, and how they are written.

    The key methods are static (a document's keys depend on the document
    alone), so they serve a rebuild, an update and a check alike; an instance
    belongs to one open environment and holds what reading it needs.
    """

    #: The databases it owns, which fsck and ``reindex --verify`` compare with a rebuild.
    databases: ClassVar[tuple[bytes, ...]] = ()
    #: Databases it keeps beside those (a log, its counters): opened, never compared.
    side_databases: ClassVar[tuple[bytes, ...]] = ()
    #: True for a projection of the checkout; False for one of every commit ever recorded.
    state: ClassVar[bool] = True

    def __init__(self, index: Databases) -> None:
        self.index = index

    # -- the keys of documents

    @staticmethod
    def doc_keys(path: str, doc: Document) -> Iterable[Key]:
        """The keys the document at ``path`` contributes as a whole (those of a scene's nodes apart)."""
        return ()

    @staticmethod
    def node_keys(scene_id: str, node: Node) -> Iterable[Key]:
        """The keys one node of a scene contributes."""
        return ()

    @classmethod
    def whole_scene(cls, scene: Scene, added: bool, delta: Delta) -> bool:
        """Take a scene added or removed whole; True when this projection writes it from
        :attr:`Delta.scenes` itself, False for its nodes' keys to be gathered as usual."""
        return False

    @classmethod
    def node_delta(cls, scene_id: str, node_id: str, old: Node | None, new: Node | None, delta: Delta) -> None:
        """Add to ``delta`` the keys that differ between two versions of node ``node_id`` (only called when they do).

        This compares :meth:`node_keys`; a projection that reads few fields of
        a node overrides it to skip nodes whose fields it reads are equal.
        """
        was = set(cls.node_keys(scene_id, old)) if old is not None else set()
        now = set(cls.node_keys(scene_id, new)) if new is not None else set()
        delta.keys(was - now, now - was)

    # -- writing (inside the caller's LMDB write transaction)

    def write_document(self, txn: Txn, path: str, doc_id: ObjectId | None) -> None:
        """Keep what this projection stores per path besides keys (the entity index: the document id)."""

    def write(self, txn: Txn, delta: Delta, *, small: bool) -> None:
        """Delete and add this projection's keys gathered in ``delta``; ``small``: a small commit's change."""
        dbs = self.index.dbs
        for name in self.databases:
            delete_keys(txn, dbs[name], delta.gone.get(name, ()))
            put_keys(txn, dbs[name], delta.added.get(name, ()))

    def add_commit(
        self, txn: Txn, commit: ObjectId, generation: int, touched: Iterable[tuple[int, list[str], ObjectId]]
    ) -> None:
        """Index one commit's events, each (position in the commit, paths it touches, event id): history projections."""

    def reset(self, txn: Txn, names: tuple[bytes, ...]) -> None:
        """The databases ``names`` are about to be emptied: reset what this projection keeps beside them."""

    def dump(self, txn: Txn) -> Iterator[tuple[bytes, bytes, bytes]]:
        """Every (database, key, value) this projection holds, in order, as a rebuild would write them."""
        for name in self.databases:
            for k, v in txn.cursor(db=self.index.dbs[name]):
                yield name, bytes(k), bytes(v)


__all__ = ["SEP", "Databases", "Delta", "DocChange", "Key", "Projection", "Txn", "delete_keys", "put_keys", "reading"]
