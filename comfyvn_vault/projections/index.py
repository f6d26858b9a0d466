"""Query indexes (projections) in LMDB, kept current from tree diffs.

State projections describe the checked-out story and change when a commit
moves the checkout or ``switch``/``undo`` moves it; they are updated from the
diff of the old and new trees, so their cost is the size of the change.
The events-by-entity projection covers every commit ever recorded (on any
branch); readers filter it by ancestry (``log --entity``, ``blame``).

Databases (all keys are bytes, ``\\0``-separated where composite):

==================  ============================================  =================
name                key                                           value
==================  ============================================  =================
p.entity            entity path (``scenes/intro``)                document id
p.name              folder \\0 lowercased name \\0 entity id       b""
p.speaker           lowercased speaker \\0 scene id \\0 node id    b""
p.word              token \\0 scene id \\0 node id                 b""
p.events            entity path \\0 generation(8) commit(32)       (i(4) event id(32))…
p.wordlog           sequence number (8, big-endian)               word-index changes
==================  ============================================  =================

Text a user typed (names, speakers, words, tags) enters a key through
:func:`.keys.key_part`, which hashes what would not fit LMDB's 511-byte keys
(or holds a ``\\0``) and keeps lookups exact.

``p.events`` holds one key per path a commit touches, its value every event
of that commit on the path (position in the commit, event id), in order: a
batched import of 100,000 line edits over 20,000 lines writes 21,000 keys,
not 200,000.

The word index takes the most keys per edit (a rewritten line deletes and
adds about eight, each on a different B-tree page), so small commits append
their word changes to ``p.wordlog`` instead, one sequential key per commit,
and the log is folded into ``p.word`` once it holds ``WORDLOG_FOLD``
changes or before any bulk update. Searches read ``p.word`` and the unfolded
log in one snapshot, so results are always current; ``dump`` (and so
``reindex --verify``) sees the folded view.

Asset facets, lineage edges and asset uses are described in :mod:`.assets`.

``reindex`` rebuilds all of them from history; the result is byte-identical.
"""

from __future__ import annotations

import functools
import re
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, ParamSpec, TypeAlias, TypeVar

import msgspec

from comfyvn_vault.domain.entities import Node, Scene, name_of
from comfyvn_vault.errors import IndexDamaged
from comfyvn_vault.projections.assets import ASSET_DBS, node_keys, record_keys
from comfyvn_vault.projections.keys import MAX_KEY, fits, key_part, prefix_parts, readable
from comfyvn_vault.store.ids import ObjectId

DB_ENTITY: Final = b"p.entity"
DB_NAME: Final = b"p.name"
DB_SPEAKER: Final = b"p.speaker"
DB_WORD: Final = b"p.word"
DB_EVENTS: Final = b"p.events"
STATE_DBS: Final = (DB_ENTITY, DB_NAME, DB_SPEAKER, DB_WORD, *ASSET_DBS)
ALL_DBS: Final = (*STATE_DBS, DB_EVENTS)
DB_META: Final = b"p.meta"
#: The layout of the projections; a vault whose projections have another version rebuilds them on open.
#: 2: ``p.events`` holds one key per (path, commit) instead of one per (path, event).
#: 3: names, speakers, words and asset facets longer than a key allows (or holding ``\\0``) are
#: hashed (:mod:`.keys`).
PROJECTIONS_VERSION: Final = 3
DB_WORDLOG: Final = b"p.wordlog"
DB_WORDLOG_META: Final = b"p.wordlog.meta"
#: Fold the word log into the word index once it holds this many changes.
WORDLOG_FOLD: Final = 20_000
_SEQ: Final = struct.Struct(">Q")
_META: Final = struct.Struct(">QQQ")  # next sequence number, changes in the log, folds so far
_log_enc: Final = msgspec.msgpack.Encoder()
_log_dec: Final = msgspec.msgpack.Decoder(list[tuple[bytes, bool]])

SEP: Final = b"\0"
#: One document's change: (path, old document, new document, new document's id); ``None`` for absent.
DocChange: TypeAlias = tuple[str, Any, Any, "ObjectId | None"]
_WORD: Final = re.compile(r"\w+", re.UNICODE)
_GEN: Final = struct.Struct(">Q")


def tokens(text: str) -> set[str]:
    """Search tokens of a line: lowercased words (Unicode-aware, so Japanese runs count)."""
    if text.isascii():  # the same tokens, cheaper: lowercasing ASCII moves no word boundary
        return set(_WORD.findall(text.lower()))
    return set(map(str.lower, _WORD.findall(text)))


def _folder(path: str) -> str:
    return path.split("/", 1)[0]


def _node_keys(scene_id: str, node: Node) -> Iterator[tuple[bytes, bytes]]:
    tail = SEP + scene_id.encode() + SEP + node.id.encode()
    if node.speaker:
        yield DB_SPEAKER, key_part(node.speaker.lower()) + tail
    for word in _words(node):
        yield DB_WORD, key_part(word) + tail
    yield from node_keys(scene_id, node)


def _name_key(path: str, doc: Any) -> set[tuple[bytes, bytes]]:
    name = name_of(doc) if doc is not None else ""
    if not name or doc is None:
        return set()
    return {(DB_NAME, _folder(path).encode() + SEP + key_part(name.lower()) + SEP + doc.id.encode())}


def doc_body_keys(path: str, doc: Any) -> Iterator[tuple[bytes, bytes]]:
    """Every (db, key) a document contributes to the state projections but its name key (values are empty)."""
    yield from record_keys(path, doc)
    if isinstance(doc, Scene):
        for node in doc.nodes:
            yield from _node_keys(doc.id, node)


def last_word(text: str) -> str:
    """The word of a search that matches as a prefix: the last one typed."""
    words: list[str] = _WORD.findall(text.lower())
    return words[-1] if words else ""


def node_matches(text: str, node: Node) -> bool:
    """True when ``node`` holds every word of the search ``text``, the last as a prefix (what search means)."""
    words = tokens(text)
    if not words:
        return False
    last, have = last_word(text), _words(node)
    return all(w in have for w in words if w != last) and any(t.startswith(last) for t in have)


def _words(node: Node) -> set[str]:
    words = tokens(node.content)
    for choice in node.choices:
        words |= tokens(choice.text)
    return words


class Delta:
    """Projection keys to delete and to add, the word index's apart (small commits log those)."""

    __slots__ = ("added", "gone", "words_added", "words_gone")

    def __init__(self) -> None:
        self.gone: list[tuple[bytes, bytes]] = []
        self.added: list[tuple[bytes, bytes]] = []
        self.words_gone: list[bytes] = []
        self.words_added: list[bytes] = []

    def keys(self, gone: Iterable[tuple[bytes, bytes]], added: Iterable[tuple[bytes, bytes]]) -> None:
        for db, key in gone:
            if db == DB_WORD:
                self.words_gone.append(key)
            else:
                self.gone.append((db, key))
        for db, key in added:
            if db == DB_WORD:
                self.words_added.append(key)
            else:
                self.added.append((db, key))


def scene_delta(old: Scene | None, new: Scene | None, delta: Delta) -> None:
    """Add to ``delta`` the keys to delete and to add between two versions of a scene, node by node.

    The same keys :func:`_node_keys` gives, compared term by term: only the
    words, speaker and asset uses that differ are turned into keys, so a
    batch that rewrites many lines does little work for what stayed.
    """
    old_nodes = {n.id: n for n in old.nodes} if old else {}
    new_nodes = {n.id: n for n in new.nodes} if new else {}
    either = new if new is not None else old
    sid = either.id if either is not None else ""
    sid_key = SEP + sid.encode() + SEP
    words_gone, words_added = delta.words_gone, delta.words_added
    for nid in old_nodes.keys() | new_nodes.keys():
        a, b = old_nodes.get(nid), new_nodes.get(nid)
        if a == b:
            continue
        tail = sid_key + nid.encode()
        was = a.speaker.lower() if a is not None and a.speaker else ""
        now = b.speaker.lower() if b is not None and b.speaker else ""
        if was != now:
            if was:
                delta.gone.append((DB_SPEAKER, key_part(was) + tail))
            if now:
                delta.added.append((DB_SPEAKER, key_part(now) + tail))
        if a is None or b is None or a.content != b.content or a.choices != b.choices:
            wa = _words(a) if a is not None else set()
            wb = _words(b) if b is not None else set()
            words_gone += [key_part(w) + tail for w in wa - wb]
            words_added += [key_part(w) + tail for w in wb - wa]
        if a is None or b is None or a.directives != b.directives or a.meta != b.meta:
            ua = set(node_keys(sid, a)) if a is not None else set()
            ub = set(node_keys(sid, b)) if b is not None else set()
            delta.keys(ua - ub, ub - ua)


_EVENT_ROW: Final = struct.Struct(">I32s")


def event_key(path: str, generation: int, commit: ObjectId) -> bytes:
    """The ``p.events`` key of a commit's events on one path."""
    return key_part(path) + SEP + _GEN.pack(generation) + bytes(commit)


def parse_event_key(key: bytes) -> tuple[str, int, ObjectId]:
    cut = len(key) - 40
    path = key[: cut - 1].decode()
    gen = _GEN.unpack_from(key, cut)[0]
    commit = ObjectId(key[cut + 8 : cut + 40])
    return path, gen, commit


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


class Projections:
    """Opens the projection databases of an LMDB environment and updates them."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.dbs = {name: env.open_db(name) for name in (*ALL_DBS, DB_WORDLOG, DB_WORDLOG_META, DB_META)}
        # The unfolded word log as read last: (folds, next sequence number) → key → present.
        self._overlay_lock = threading.Lock()
        self._overlay: tuple[int, int, dict[bytes, bool]] = (-1, 0, {})

    # -- version

    def version(self, txn: Any | None = None) -> int:
        """The layout version the projections were built with (1: before versions were recorded)."""
        if txn is None:
            with self.env.begin() as read:
                return self.version(read)
        raw = txn.get(b"version", db=self.dbs[DB_META])
        return int(raw) if raw is not None else 1

    def set_version(self, txn: Any) -> None:
        """Record that the projections now have this code's layout (after a rebuild, or in a new vault)."""
        txn.put(b"version", str(PROJECTIONS_VERSION).encode(), db=self.dbs[DB_META])

    # -- writing (inside the caller's LMDB write transaction)

    def _meta(self, txn: Any) -> tuple[int, int, int]:
        raw = txn.get(b"meta", db=self.dbs[DB_WORDLOG_META])
        return _META.unpack(raw) if raw is not None else (0, 0, 0)

    def _meta_or_reset(self, txn: Any) -> tuple[int, int, int]:
        """:meth:`_meta`, or a fresh start when its value is damaged (a rebuild empties the log anyway)."""
        try:
            return self._meta(txn)
        except struct.error:
            return 0, 0, 0

    def _word_changes(self, txn: Any, gone: list[bytes], added: list[bytes], log: bool) -> None:
        """Apply word-index changes: appended to the log when ``log`` and it has room, else directly.

        ``gone`` and ``added`` never share a key (each key names one node of one scene).
        """
        count = len(gone) + len(added)
        if not count:
            return
        seq, pending, folds = self._meta(txn)
        if log and pending + count <= WORDLOG_FOLD:
            changes = [(key, False) for key in gone] + [(key, True) for key in added]
            txn.put(_SEQ.pack(seq), _log_enc.encode(changes), db=self.dbs[DB_WORDLOG])
            txn.put(b"meta", _META.pack(seq + 1, pending + count, folds), db=self.dbs[DB_WORDLOG_META])
            return
        self.fold_words(txn)
        db = self.dbs[DB_WORD]
        delete, put = txn.delete, txn.put
        for key in gone:
            delete(key, db=db)
        for key in added:
            put(key, b"", db=db)

    def fold_words(self, txn: Any) -> None:
        """Apply the word log to the word index, in order, and empty it."""
        seq, pending, folds = self._meta(txn)
        if not pending:
            return
        db = self.dbs[DB_WORD]
        for _, value in txn.cursor(db=self.dbs[DB_WORDLOG]):
            for key, present in _log_dec.decode(value):
                if present:
                    txn.put(key, b"", db=db)
                else:
                    txn.delete(key, db=db)
        txn.drop(self.dbs[DB_WORDLOG], delete=False)
        txn.put(b"meta", _META.pack(seq, 0, folds + 1), db=self.dbs[DB_WORDLOG_META])

    def apply_doc_changes(self, txn: Any, changes: Iterable[DocChange], *, log_words: bool = False) -> None:
        """Move the state projections from each ``old`` document to its ``new`` one (``None``: absent)."""
        dbs = self.dbs
        entity_db = dbs[DB_ENTITY]
        delta = Delta()
        for path, old, new, new_id in changes:
            if new_id is None:
                txn.delete(key_part(path), db=entity_db)
            else:
                txn.put(key_part(path), bytes(new_id), db=entity_db)
            name_gone, name_added = _name_key(path, old), _name_key(path, new)
            delta.keys(name_gone - name_added, name_added - name_gone)
            if isinstance(old, Scene | None) and isinstance(new, Scene | None):
                scene_delta(old, new, delta)
            else:
                ka = set(doc_body_keys(path, old)) if old is not None else set()
                kb = set(doc_body_keys(path, new)) if new is not None else set()
                delta.keys(ka - kb, kb - ka)
        for db, key in delta.gone:
            txn.delete(key, db=dbs[db])
        for db, key in delta.added:
            txn.put(key, b"", db=dbs[db])
        self._word_changes(txn, delta.words_gone, delta.words_added, log_words)

    def add_events(
        self, txn: Any, commit: ObjectId, generation: int, touched: Iterable[tuple[int, list[str], ObjectId]]
    ) -> None:
        """Index a commit's events under every path they touch: one key per path (see the table above)."""
        rows: dict[str, bytearray] = {}
        row = _EVENT_ROW.pack
        for index, paths, event_id in touched:
            packed = row(index, event_id)
            for path in paths:
                got = rows.get(path)
                if got is None:
                    rows[path] = bytearray(packed)
                else:
                    got += packed
        put, db = txn.put, self.dbs[DB_EVENTS]
        for path, value in rows.items():
            put(event_key(path, generation, commit), bytes(value), db=db)

    def clear(self, txn: Any, names: Iterable[bytes] = ALL_DBS) -> None:
        names = tuple(names)
        if DB_WORD in names:
            seq, _, folds = self._meta_or_reset(txn)
            txn.drop(self.dbs[DB_WORDLOG], delete=False)
            txn.put(b"meta", _META.pack(seq, 0, folds + 1), db=self.dbs[DB_WORDLOG_META])
        for name in names:
            txn.drop(self.dbs[name], delete=False)

    # -- reading

    @reading
    def entity_id(self, path: str) -> ObjectId | None:
        key = key_part(path)
        if not fits(key):
            return None  # no path that long or empty is ever stored
        with self.env.begin(db=self.dbs[DB_ENTITY]) as txn:
            raw = txn.get(key)
        return ObjectId(bytes(raw)) if raw is not None else None

    @reading
    def paths(self, folder: str) -> list[tuple[str, ObjectId]]:
        prefix = key_part(folder + "/")
        out: list[tuple[str, ObjectId]] = []
        if not fits(prefix):
            return out
        with self.env.begin(db=self.dbs[DB_ENTITY]) as txn:
            cur = txn.cursor()
            if cur.set_range(prefix):
                for k, v in cur:
                    if not bytes(k).startswith(prefix):
                        break
                    out.append((bytes(k).decode(), ObjectId(bytes(v))))
        return out

    def _scan(self, db: bytes, prefix: bytes) -> Iterator[bytes]:
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

    @reading
    def by_name(self, folder: str, name: str) -> list[str]:
        """Ids of entities in ``folder`` named exactly ``name`` (case-insensitive)."""
        prefix = folder.encode() + SEP + key_part(name.lower()) + SEP
        return [k[len(prefix) :].decode() for k in self._scan(DB_NAME, prefix)]

    @reading
    def names(self, folder: str) -> dict[str, str]:
        """Entity id → lowercased name of every entity of ``folder``, from index keys alone (no documents)."""
        prefix = folder.encode() + SEP
        out: dict[str, str] = {}
        for k in self._scan(DB_NAME, prefix):
            name, _, eid = k[len(prefix) :].rpartition(SEP)
            out[eid.decode()] = readable(name)
        return out

    @reading
    def scenes_with_speaker(self, speaker: str) -> dict[str, int]:
        """Scene id → number of lines ``speaker`` has in it."""
        prefix = key_part(speaker.lower()) + SEP
        out: dict[str, int] = {}
        for k in self._scan(DB_SPEAKER, prefix):
            sid = k[len(prefix) :].split(SEP, 1)[0].decode()
            out[sid] = out.get(sid, 0) + 1
        return out

    @reading
    def search(self, text: str) -> list[tuple[str, str]]:
        """(scene id, node id) of nodes containing every word of ``text``.

        The last word matches as a prefix, so results appear while typing. When
        that word is longer than a hashed key's head (:func:`.keys.inexact`, over
        160 bytes) the hits may include words that only share the head: check
        them with :func:`node_matches`.
        """
        words = sorted(tokens(text))
        if not words:
            return []
        last = last_word(text)
        result: set[tuple[str, str]] | None = None
        for word in words:
            prefixes = prefix_parts(word) if word == last else [key_part(word) + SEP]
            hits: set[tuple[str, str]] = set()
            for k in (k for prefix in prefixes for k in self._scan_words(prefix)):
                parts = k.split(SEP)
                if len(parts) == 3:  # any other key is damage, which fsck reports
                    hits.add((parts[1].decode(errors="replace"), parts[2].decode(errors="replace")))
            result = hits if result is None else result & hits
            if not result:
                return []
        return sorted(result or ())

    @reading
    def events_for(self, path: str, *, nodes: bool = False) -> list[tuple[int, ObjectId, int, ObjectId]]:
        """(generation, commit, index, event id) for events touching ``path``, oldest first per path.

        With ``nodes``, a scene path also matches the events of every node in it
        (``scenes/intro#…``) instead of the scene-level ones.
        """
        prefix = key_part(path) + (b"#" if nodes else SEP)
        out: list[tuple[int, ObjectId, int, ObjectId]] = []
        if not fits(prefix):
            return out
        with self.env.begin(db=self.dbs[DB_EVENTS]) as txn:
            cur = txn.cursor()
            if cur.set_range(prefix):
                for k, v in cur:
                    k = bytes(k)
                    if not k.startswith(prefix):
                        break
                    _, gen, commit = parse_event_key(k)
                    for idx, eid in _EVENT_ROW.iter_unpack(v):
                        out.append((gen, commit, idx, ObjectId(eid)))
        return out

    def _word_overlay(self, txn: Any, *, cache: bool = True) -> dict[bytes, bool]:
        """The unfolded word log as of ``txn``: key → present (later changes win).

        Read transactions share a cache (the log only grows between folds);
        ``cache=False`` for a write transaction, which may still be rolled back.
        """
        seq, pending, folds = self._meta(txn)
        if not pending:
            return {}
        if not cache:
            out: dict[bytes, bool] = {}
            for _, value in txn.cursor(db=self.dbs[DB_WORDLOG]):
                out.update(_log_dec.decode(value))
            return out
        with self._overlay_lock:
            at_folds, at_seq, overlay = self._overlay
            if at_folds != folds or at_seq > seq:
                at_seq, overlay = 0, {}
            if at_seq < seq:
                overlay = dict(overlay)
                cur = txn.cursor(db=self.dbs[DB_WORDLOG])
                if cur.set_range(_SEQ.pack(at_seq)):
                    for k, value in cur:
                        if _SEQ.unpack(k)[0] >= seq:
                            break
                        overlay.update(_log_dec.decode(value))
                self._overlay = (folds, seq, overlay)
            return overlay

    def _scan_words(self, prefix: bytes) -> list[bytes]:
        """Word-index keys starting with ``prefix``: the index merged with the unfolded log, sorted."""
        with self.env.begin() as txn:
            return self._merged_words(txn, self._word_overlay(txn), prefix)

    def _merged_words(self, txn: Any, overlay: dict[bytes, bool], prefix: bytes = b"") -> list[bytes]:
        """The word index's keys under ``prefix`` as of ``txn``, with ``overlay`` (the log) applied."""
        found = set()
        cur = txn.cursor(db=self.dbs[DB_WORD])
        if cur.set_range(prefix):
            for k in cur.iternext(keys=True, values=False):
                k = bytes(k)
                if not k.startswith(prefix):
                    break
                if overlay.get(k, True):
                    found.add(k)
        found.update(k for k, present in overlay.items() if present and k.startswith(prefix))
        return sorted(found)

    def dump(self, txn: Any) -> Iterator[tuple[bytes, bytes, bytes]]:
        """Every (db, key, value) with the word log folded in, for ``reindex --verify``."""
        for name in ALL_DBS:
            if name != DB_WORD:
                for k, v in txn.cursor(db=self.dbs[name]):
                    yield name, bytes(k), bytes(v)
                continue
            for k in self._merged_words(txn, self._word_overlay(txn, cache=False)):
                yield name, k, b""
