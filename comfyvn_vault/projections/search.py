"""Dialogue search: the word index of every line and choice, and its log of recent changes.

==================  ============================================  =================
name                key                                           value
==================  ============================================  =================
p.word              token \\0 scene id                              its node ids, sorted,
                                                                  ``\\0``-separated
p.wordlog           sequence number (8, big-endian)               word-index changes
p.wordlog.meta      ``meta``                                      next sequence number, changes
                                                                  in the log, folds so far
==================  ============================================  =================

A token is a lowercased word (:func:`tokens`, Unicode-aware). A search finds
the nodes holding every word typed, the last as a prefix, so results appear
while typing.

A word change is named by a *change key*, ``token \\0 scene id \\0 node
id``; ``p.word`` keeps one entry per (token, scene) with the scene's nodes
holding the token, so a scene of a thousand lines costs as many entries as it
has distinct words, not twenty per line. A small edit still touches about
eight entries, each on a different B-tree page, so small commits append their
change keys to ``p.wordlog`` instead, one sequential key per commit,
and the log is folded into ``p.word`` once it holds :data:`WORDLOG_FOLD`
changes or before any bulk update. Searches read ``p.word`` and the unfolded
log in one snapshot, so results are always current; :meth:`WordIndex.dump`
(and so ``reindex --verify``) sees the folded view.
"""

from __future__ import annotations

import functools
import re
import struct
import threading
from collections.abc import Iterable, Iterator
from typing import Final

import msgspec

from comfyvn_vault.domain.entities import Node, Scene
from comfyvn_vault.projections.base import KEYS_PER_LINE, SEP, Databases, Delta, Key, Projection, Txn, reading
from comfyvn_vault.projections.keys import key_part, prefix_parts

#: Words repeat across lines (a story's vocabulary is small): their key parts are made once.
word_part: Final = functools.lru_cache(maxsize=1 << 16)(key_part)

DB_WORD: Final = b"p.word"
DB_WORDLOG: Final = b"p.wordlog"
DB_WORDLOG_META: Final = b"p.wordlog.meta"
#: Fold the word log into the word index once it holds this many changes.
WORDLOG_FOLD: Final = 20_000
_SEQ: Final = struct.Struct(">Q")
_META: Final = struct.Struct(">QQQ")  # next sequence number, changes in the log, folds so far
_log_enc: Final = msgspec.msgpack.Encoder()
_log_dec: Final = msgspec.msgpack.Decoder(list[tuple[bytes, bool]])
_WORD: Final = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> set[str]:
    """Search tokens of a line: lowercased words (Unicode-aware, so Japanese runs count)."""
    if text.isascii():  # the same tokens, cheaper: lowercasing ASCII moves no word boundary
        return set(_WORD.findall(text.lower()))
    return set(map(str.lower, _WORD.findall(text)))


def last_word(text: str) -> str:
    """The word of a search that matches as a prefix: the last one typed."""
    words: list[str] = _WORD.findall(text.lower())
    return words[-1] if words else ""


def node_words(node: Node) -> set[str]:
    """The tokens a node is found by: its line and its choices' texts."""
    words = tokens(node.content)
    for choice in node.choices:
        words |= tokens(choice.text)
    return words


def node_matches(text: str, node: Node) -> bool:
    """True when ``node`` holds every word of the search ``text``, the last as a prefix (what search means)."""
    words = tokens(text)
    if not words:
        return False
    last, have = last_word(text), node_words(node)
    return all(w in have for w in words if w != last) and any(t.startswith(last) for t in have)


class WordIndex(Projection):
    """Token → the nodes holding it, with the log small commits append to."""

    databases = (DB_WORD,)
    side_databases = (DB_WORDLOG, DB_WORDLOG_META)

    def __init__(self, index: Databases) -> None:
        super().__init__(index)
        # The unfolded word log as read last: (folds, next sequence number) → key → present.
        self._overlay_lock = threading.Lock()
        self._overlay: tuple[int, int, dict[bytes, bool]] = (-1, 0, {})

    # -- keys

    @staticmethod
    def node_keys(scene_id: str, node: Node) -> Iterable[Key]:
        tail = SEP + scene_id.encode() + SEP + node.id.encode()
        return [(DB_WORD, word_part(word) + tail) for word in node_words(node)]

    @classmethod
    def whole_scene(cls, scene: Scene, added: bool, delta: Delta) -> bool:
        """A whole scene's words go straight to its (word, scene) entries (:meth:`_write_scenes`)."""
        delta.scenes.append((scene, added))
        return True

    @staticmethod
    def scene_changes(scene: Scene, added: bool) -> Iterator[tuple[bytes, bool]]:
        """A whole scene's words as change keys (for the log)."""
        for node in scene.nodes:
            for key in WordIndex.node_keys(scene.id, node):
                yield key[1], added

    @classmethod
    def node_delta(cls, scene_id: str, node_id: str, old: Node | None, new: Node | None, delta: Delta) -> None:
        """Only the words that differ become keys, so a batch that rewrites many lines does little for what stayed."""
        if old is not None and new is not None and old.content == new.content and old.choices == new.choices:
            return
        tail = SEP + scene_id.encode() + SEP + node_id.encode()
        was = node_words(old) if old is not None else set()
        now = node_words(new) if new is not None else set()
        delta.gone[DB_WORD] += [word_part(w) + tail for w in was - now]
        delta.added[DB_WORD] += [word_part(w) + tail for w in now - was]

    # -- writing (inside the caller's LMDB write transaction)

    def _meta(self, txn: Txn) -> tuple[int, int, int]:
        raw = txn.get(b"meta", db=self.index.dbs[DB_WORDLOG_META])
        return _META.unpack(raw) if raw is not None else (0, 0, 0)

    def _meta_or_reset(self, txn: Txn) -> tuple[int, int, int]:
        """:meth:`_meta`, or a fresh start when its value is damaged (a rebuild empties the log anyway)."""
        try:
            return self._meta(txn)
        except struct.error:
            return 0, 0, 0

    def write(self, txn: Txn, delta: Delta, *, small: bool) -> None:
        """Apply word-index changes: appended to the log when ``small`` and it has room, else directly.

        The keys gone and added never share a key (each key names one node of one scene).
        """
        gone, added = delta.gone.get(DB_WORD, []), delta.added.get(DB_WORD, [])
        count = len(gone) + len(added)
        if not count and not delta.scenes:
            return
        dbs = self.index.dbs
        seq, pending, folds = self._meta(txn)
        lines = sum(len(scene.nodes) for scene, _ in delta.scenes)
        if small and pending + count + KEYS_PER_LINE * lines <= WORDLOG_FOLD:
            changes = [(key, False) for key in gone] + [(key, True) for key in added]
            for scene, whole in delta.scenes:
                changes += self.scene_changes(scene, whole)
            txn.put(_SEQ.pack(seq), _log_enc.encode(changes), db=dbs[DB_WORDLOG])
            txn.put(b"meta", _META.pack(seq + 1, pending + len(changes), folds), db=dbs[DB_WORDLOG_META])
            return
        self.fold_words(txn)
        self._apply_changes(txn, [*((key, False) for key in gone), *((key, True) for key in added)])
        self._write_scenes(txn, delta.scenes)

    def _write_scenes(self, txn: Txn, scenes: Iterable[tuple[Scene, bool]]) -> None:
        """Add (or remove) whole scenes' nodes to (from) their (word, scene) entries."""
        db = self.index.dbs[DB_WORD]
        for scene, added in scenes:
            by_word: dict[str, list[bytes]] = {}
            for node in scene.nodes:
                nid = node.id.encode()
                for word in node_words(node):
                    found = by_word.get(word)
                    if found is None:
                        by_word[word] = [nid]
                    else:
                        found.append(nid)
            tail = SEP + scene.id.encode()
            for entry, nodes in sorted((word_part(w) + tail, ns) for w, ns in by_word.items()):
                raw = txn.get(entry, db=db)
                have = set(bytes(raw).split(SEP)) if raw else set()
                have = have | set(nodes) if added else have - set(nodes)
                if have:
                    txn.put(entry, SEP.join(sorted(have)), db=db)
                else:
                    txn.delete(entry, db=db)

    def _apply_changes(self, txn: Txn, changes: Iterable[tuple[bytes, bool]]) -> None:
        """Apply change keys (``token \\0 scene \\0 node``, present or not), in order, to the (token, scene) entries."""
        db = self.index.dbs[DB_WORD]
        entries: dict[bytes, set[bytes]] = {}
        for key, present in changes:
            entry, _, node = key.rpartition(SEP)
            nodes = entries.get(entry)
            if nodes is None:
                raw = txn.get(entry, db=db)
                nodes = entries[entry] = set(bytes(raw).split(SEP)) if raw else set()
            if present:
                nodes.add(node)
            else:
                nodes.discard(node)
        for entry in sorted(entries):
            nodes = entries[entry]
            if nodes:
                txn.put(entry, SEP.join(sorted(nodes)), db=db)
            else:
                txn.delete(entry, db=db)

    def fold_words(self, txn: Txn) -> None:
        """Apply the word log to the word index, in order, and empty it."""
        seq, pending, folds = self._meta(txn)
        if not pending:
            return
        dbs = self.index.dbs
        changes = [change for _, value in txn.cursor(db=dbs[DB_WORDLOG]) for change in _log_dec.decode(value)]
        self._apply_changes(txn, changes)
        txn.drop(dbs[DB_WORDLOG], delete=False)
        txn.put(b"meta", _META.pack(seq, 0, folds + 1), db=dbs[DB_WORDLOG_META])

    def reset(self, txn: Txn, names: tuple[bytes, ...]) -> None:
        """Emptying the word index empties its log too (counting a fold, so cached overlays are dropped)."""
        if DB_WORD not in names:
            return
        seq, _, folds = self._meta_or_reset(txn)
        txn.drop(self.index.dbs[DB_WORDLOG], delete=False)
        txn.put(b"meta", _META.pack(seq, 0, folds + 1), db=self.index.dbs[DB_WORDLOG_META])

    # -- reading

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

    def _word_overlay(self, txn: Txn, *, cache: bool = True) -> dict[bytes, bool]:
        """The unfolded word log as of ``txn``: key → present (later changes win).

        Read transactions share a cache (the log only grows between folds);
        ``cache=False`` for a write transaction, which may still be rolled back.
        """
        seq, pending, folds = self._meta(txn)
        if not pending:
            return {}
        if not cache:
            out: dict[bytes, bool] = {}
            for _, value in txn.cursor(db=self.index.dbs[DB_WORDLOG]):
                out.update(_log_dec.decode(value))
            return out
        with self._overlay_lock:
            at_folds, at_seq, overlay = self._overlay
            if at_folds != folds or at_seq > seq:
                at_seq, overlay = 0, {}
            if at_seq < seq:
                overlay = dict(overlay)
                cur = txn.cursor(db=self.index.dbs[DB_WORDLOG])
                if cur.set_range(_SEQ.pack(at_seq)):
                    for k, value in cur:
                        if _SEQ.unpack(k)[0] >= seq:
                            break
                        overlay.update(_log_dec.decode(value))
                self._overlay = (folds, seq, overlay)
            return overlay

    def _scan_words(self, prefix: bytes) -> list[bytes]:
        """Word-index keys starting with ``prefix``: the index merged with the unfolded log, sorted."""
        with self.index.env.begin() as txn:
            return self._merged_words(txn, self._word_overlay(txn), prefix)

    def _merged_words(self, txn: Txn, overlay: dict[bytes, bool], prefix: bytes = b"") -> list[bytes]:
        """The change keys under ``prefix`` as of ``txn`` (each entry's nodes), with ``overlay`` (the log) applied."""
        found = set()
        cur = txn.cursor(db=self.index.dbs[DB_WORD])
        if cur.set_range(prefix):
            for k, v in cur:
                k = bytes(k)
                if not k.startswith(prefix):
                    break
                for node in bytes(v).split(SEP):
                    key = k + SEP + node
                    if overlay.get(key, True):
                        found.add(key)
        found.update(k for k, present in overlay.items() if present and k.startswith(prefix))
        return sorted(found)

    def dump(self, txn: Txn) -> Iterator[tuple[bytes, bytes, bytes]]:
        """The word index with the log folded in, entry by entry as a rebuild writes them."""
        entries: dict[bytes, list[bytes]] = {}
        for key in self._merged_words(txn, self._word_overlay(txn, cache=False)):
            entry, _, node = key.rpartition(SEP)
            entries.setdefault(entry, []).append(node)
        for entry in sorted(entries):
            yield DB_WORD, entry, SEP.join(sorted(entries[entry]))


__all__ = [
    "DB_WORD",
    "DB_WORDLOG",
    "DB_WORDLOG_META",
    "WORDLOG_FOLD",
    "WordIndex",
    "last_word",
    "node_matches",
    "node_words",
    "tokens",
]
