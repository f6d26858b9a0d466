"""Query indexes (projections) in LMDB, kept current from tree diffs: the façade the vault reads them through.

State projections describe the checked-out story and change when a commit
moves the checkout or ``switch``/``undo`` moves it; they are updated from the
diff of the old and new trees, so their cost is the size of the change.
History projections cover every commit ever recorded (on any branch);
readers filter them by ancestry (``log --entity``, ``blame``).

Each projection is a module of its own, listed in :mod:`.registry`:

==================  =========================================================
module              databases
==================  =========================================================
:mod:`.entities`    ``p.entity``: entity path → document id
:mod:`.names`       ``p.name``: entities by folder and name
:mod:`.speakers`    ``p.speaker``: lines by speaker
:mod:`.search`      ``p.word``, ``p.wordlog``: dialogue search
:mod:`.assets`      ``p.asset``, ``p.lineage``, ``p.uses``: facets, lineage, uses
:mod:`.events`      ``p.events``: events by entity (history)
==================  =========================================================

All keys are bytes, ``\\0``-separated where composite. Text a user typed
(names, speakers, words, tags) enters a key through :func:`.keys.key_part`,
which hashes what would not fit LMDB's 511-byte keys (or holds a ``\\0``)
and keeps lookups exact. ``p.meta`` records the layout version.

``reindex`` rebuilds all of them from history; the result is byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Final, TypeVar

from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.projections.base import Databases, Delta, DocChange, Projection, Txn
from comfyvn_vault.projections.entities import Entities
from comfyvn_vault.projections.events import Events
from comfyvn_vault.projections.names import Names
from comfyvn_vault.projections.registry import ALL_DBS, HISTORY, SIDE_DBS, STATE, STATE_DBS
from comfyvn_vault.projections.search import WordIndex
from comfyvn_vault.projections.speakers import Speakers
from comfyvn_vault.projections.version import DB_META, PROJECTIONS_VERSION, record_version, stored_version
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
    import lmdb

K = TypeVar("K", bound=Projection)

#: A change of many documents writes its keys whenever this many have gathered.
FLUSH_KEYS: Final = 200_000


def _scene(doc: Document | None) -> Scene | None:
    return doc if isinstance(doc, Scene) else None


def scene_delta(old: Scene | None, new: Scene | None, delta: Delta) -> None:
    """Add to ``delta`` the keys to delete and to add between two versions of a scene, node by node.

    Nodes that did not change are skipped, and each projection turns into keys
    only what differs in the fields it reads (:meth:`.base.Projection.node_delta`),
    so a batch that rewrites many lines does little work for what stayed.
    """
    if old is None or new is None:  # a scene added or removed whole: every node's keys, nothing to compare
        whole = new if old is None else old
        if whole is not None:
            _whole_scene(whole, old is None, delta)
        return
    old_nodes = {n.id: n for n in old.nodes} if old else {}
    new_nodes = {n.id: n for n in new.nodes} if new else {}
    either = new if new is not None else old
    sid = either.id if either is not None else ""
    for nid in old_nodes.keys() | new_nodes.keys():
        a, b = old_nodes.get(nid), new_nodes.get(nid)
        if a == b:
            continue
        for kind in STATE:
            kind.node_delta(sid, nid, a, b, delta)


def _whole_scene(scene: Scene, added: bool, delta: Delta) -> None:
    into = delta.added if added else delta.gone
    keyed = [kind.node_keys for kind in STATE if not kind.whole_scene(scene, added, delta)]
    keyed = [node_keys for node_keys in keyed if node_keys is not Projection.node_keys]
    sid = scene.id
    for node in scene.nodes:
        for node_keys in keyed:
            for db, key in set(node_keys(sid, node)):
                into[db].append(key)


class Projections(Databases):
    """Opens the projection databases of an LMDB environment, updates them and reads them."""

    def __init__(self, env: lmdb.Environment) -> None:
        super().__init__(env, (*ALL_DBS, *SIDE_DBS, DB_META))
        self.state_projections = [kind(self) for kind in STATE]
        self.history_projections = [kind(self) for kind in HISTORY]
        self.all_projections = (*self.state_projections, *self.history_projections)
        self._of: dict[type[Projection], Projection] = {type(p): p for p in self.all_projections}

    def of(self, kind: type[K]) -> K:
        """This environment's instance of projection ``kind``."""
        found = self._of[kind]
        assert isinstance(found, kind)
        return found

    # -- version

    def version(self, txn: Txn | None = None) -> int:
        """The layout version the projections were built with (1: before versions were recorded)."""
        if txn is None:
            with self.env.begin() as read:
                return self.version(read)
        return stored_version(txn, self.dbs[DB_META])

    def set_version(self, txn: Txn) -> None:
        """Record that the projections now have this code's layout (after a rebuild, or in a new vault)."""
        record_version(txn, self.dbs[DB_META])

    # -- writing (inside the caller's LMDB write transaction)

    def apply_doc_changes(self, txn: Txn, changes: Iterable[DocChange], *, log_words: bool = False) -> None:
        """Move the state projections from each ``old`` document to its ``new`` one (``None``: absent).

        ``log_words``: the changes are a small commit's, which the word index logs (:mod:`.search`).
        """
        projections, delta = self.state_projections, Delta()
        for path, old, new, new_id in changes:
            if delta.size() >= FLUSH_KEYS:  # memory stays bounded on a change of many documents
                for projection in projections:
                    projection.write(txn, delta, small=log_words)
                delta = Delta()
            for projection in projections:
                projection.write_document(txn, path, new_id)
            was = {key for kind in STATE for key in kind.doc_keys(path, old)} if old is not None else set()
            now = {key for kind in STATE for key in kind.doc_keys(path, new)} if new is not None else set()
            delta.keys(was - now, now - was)
            scene_delta(_scene(old), _scene(new), delta)
        for projection in projections:
            projection.write(txn, delta, small=log_words)

    def add_events(
        self, txn: Txn, commit: ObjectId, generation: int, touched: Iterable[tuple[int, list[str], ObjectId]]
    ) -> None:
        """Index a commit's events, each (position in the commit, paths it touches, event id)."""
        rows = touched if len(self.history_projections) == 1 else list(touched)  # each reads them all
        for projection in self.history_projections:
            projection.add_commit(txn, commit, generation, rows)

    def fold_words(self, txn: Txn) -> None:
        """Apply the word log to the word index, in order, and empty it."""
        self.of(WordIndex).fold_words(txn)

    def clear(self, txn: Txn, names: Iterable[bytes] = ALL_DBS) -> None:
        names = tuple(names)
        for projection in self.all_projections:
            projection.reset(txn, names)
        for name in names:
            txn.drop(self.dbs[name], delete=False)

    # -- reading

    def entity_id(self, path: str) -> ObjectId | None:
        return self.of(Entities).entity_id(path)

    def paths(self, folder: str) -> list[tuple[str, ObjectId]]:
        return self.of(Entities).paths(folder)

    def by_name(self, folder: str, name: str) -> list[str]:
        """Ids of entities in ``folder`` named exactly ``name`` (case-insensitive)."""
        return self.of(Names).by_name(folder, name)

    def names(self, folder: str) -> dict[str, str]:
        """Entity id → lowercased name of every entity of ``folder``, from index keys alone (no documents)."""
        return self.of(Names).names(folder)

    def scenes_with_speaker(self, speaker: str) -> dict[str, int]:
        """Scene id → number of lines ``speaker`` has in it."""
        return self.of(Speakers).scenes_with_speaker(speaker)

    def search(self, text: str) -> list[tuple[str, str]]:
        """(scene id, node id) of nodes containing every word of ``text`` (:meth:`.search.WordIndex.search`)."""
        return self.of(WordIndex).search(text)

    def events_for(self, path: str, *, nodes: bool = False) -> list[tuple[int, ObjectId, int, ObjectId]]:
        """(generation, commit, index, event id) for events touching ``path`` (:meth:`.events.Events.events_for`)."""
        return self.of(Events).events_for(path, nodes=nodes)

    def dump(self, txn: Txn) -> Iterator[tuple[bytes, bytes, bytes]]:
        """Every (db, key, value) with the word log folded in, for ``reindex --verify`` (in :data:`ALL_DBS` order)."""
        for projection in self.all_projections:
            yield from projection.dump(txn)


__all__ = ["ALL_DBS", "DB_META", "PROJECTIONS_VERSION", "STATE_DBS", "DocChange", "Projections", "scene_delta"]
