"""Checking the LMDB index itself, and naming its damage.

The index is a cache of the packs (store/journal.py), so it can be checked
against them and rebuilt from them (``comfyvn reindex``). Two kinds of damage:

* **structural**: a page LMDB cannot read (``MDB_CORRUPTED``,
  ``MDB_PAGE_NOTFOUND``...), keys out of order or not found by a lookup (a
  damaged branch page), a database whose entry count disagrees with its keys,
  store values of the wrong size. :func:`walk` reads every key and value of
  every database, so the rest of fsck reads only pages that are sound;
* **content**: object entries, pack lengths and refs that differ from what the
  packs' records and commit records say (:func:`journal_damage`, reading record
  headers only: fsck verifies the bytes themselves through the index).

Projections are checked against a rebuild from history by
:mod:`comfyvn_vault.projections.verify`. Any LMDB error that reaches a verb
becomes one line through :func:`index_error`.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Mapping
from typing import Final

import lmdb

from comfyvn_vault.errors import VaultError
from comfyvn_vault.store.base import IndexDb
from comfyvn_vault.store.journal import replay
from comfyvn_vault.store.layout import DB_OBJECTS, DB_PACKS, DB_REFS, ENTRY, LOC_LOOSE, LOC_PACK, RECORD, Entry, Paths

# ------------------------------------------------------------------ structure

#: (key length, value length) of the store's own databases; None: any.
_SHAPES: Final[dict[bytes, tuple[int | None, int | None]]] = {
    DB_OBJECTS: (32, ENTRY.size),
    DB_PACKS: (4, 8),
    DB_REFS: (None, 32),
}


def walk(env: lmdb.Environment) -> list[str]:
    """Read every key and value of every database; what is wrong with them (empty: sound)."""
    try:
        with env.begin() as txn:
            names = [bytes(k) for k in txn.cursor().iternext(keys=True, values=False)]
    except lmdb.Error as exc:
        return [f"its list of databases cannot be read: {exc}"]
    found = []
    for name in names:
        label = name.decode(errors="replace")
        try:
            db = env.open_db(name, create=False)
            problem = _walk_db(env, db, _SHAPES.get(name, (None, None)))
        except lmdb.Error as exc:
            problem = str(exc)
        if problem is not None:
            found.append(f"database {label}: {problem}")
    return found


def _walk_db(env: lmdb.Environment, db: IndexDb, shape: tuple[int | None, int | None]) -> str | None:
    key_len, value_len = shape
    with env.begin(db=db) as txn:
        expected = txn.stat(db)["entries"]
        get = txn.get
        n = 0
        prev: bytes | None = None
        for k, v in txn.cursor():
            k = bytes(k)
            if prev is not None and k <= prev:
                return "keys out of order"
            if (key_len is not None and len(k) != key_len) or (value_len is not None and len(v) != value_len):
                return f"an entry of the wrong size ({len(k)}-byte key, {len(v)}-byte value)"
            if value_len == ENTRY.size and not _plausible(Entry.unpack(v)):
                return "an object entry pointing nowhere"
            # A damaged branch page leaves every leaf readable but sends lookups astray.
            if get(k) != v:
                return "a key its own lookup does not find"
            prev = k
            n += 1
        if n != expected:
            return f"{n} keys where it records {expected}"
    return None


def _plausible(e: Entry) -> bool:
    return e.location in (LOC_PACK, LOC_LOOSE) and max(e.offset, e.stored, e.size) < 1 << 48


# ------------------------------------------------------------------ pages

#: LMDB's on-disk format (lmdb 0.9, 64-bit): page header, meta page fields, node header.
_PAGE: Final = struct.Struct("<QHHHH")  # number, pad, flags, lower, upper (overflow: pages in lower/upper)
_META: Final = struct.Struct("<IIQQ48s48sQQ")  # magic, version, address, map size, free db, main db, last page, txn
_DB_ROOT: Final = struct.Struct("<40xQ")  # an MDB_db's root page
_NODE: Final = struct.Struct("<HHHH")  # lo, hi, flags, key size
_MAGIC: Final = 0xBEEFC0DE
_BRANCH, _LEAF, _OVERFLOW = 0x01, 0x02, 0x04
_BIGDATA, _SUBDATA = 0x01, 0x02
_NO_PAGE: Final = (1 << 64) - 1
_MAX_DEPTH: Final = 32


class _Pages:
    """Every page of one snapshot's trees and free list, each claimed once: LMDB's free list is read
    only when a writer allocates, so damage there would hand live pages out again unless found here."""

    def __init__(self, fd: int, psize: int, last: int) -> None:
        self.fd, self.psize, self.last = fd, psize, last
        self.claimed = bytearray(last + 1)

    def page(self, number: int) -> bytes:
        if not 2 <= number <= self.last:
            raise ValueError(f"page {number} is past the last page {self.last}")
        data = os.pread(self.fd, self.psize, number * self.psize)
        if len(data) < self.psize:
            raise ValueError(f"page {number} is past the end of the file")
        return data

    def claim(self, number: int, count: int = 1) -> None:
        for n in range(number, number + count):
            if not 2 <= n <= self.last:
                raise ValueError(f"page {n} is past the last page {self.last}")
            if self.claimed[n]:
                raise ValueError(f"page {n} is used twice")
            self.claimed[n] = 1

    def tree(self, root: int, leaf_value: Callable[[bytes, int], None] | None = None) -> None:
        """Claim a B-tree's pages; ``leaf_value(value, flags)`` sees each leaf value."""
        if root == _NO_PAGE:
            return
        stack = [(root, 0)]
        while stack:
            number, depth = stack.pop()
            if depth > _MAX_DEPTH:
                raise ValueError("a tree deeper than LMDB makes")
            self.claim(number)
            data = self.page(number)
            pgno, _, flags, lower, upper = _PAGE.unpack_from(data)
            if pgno != number or not flags & (_BRANCH | _LEAF) or not 16 <= lower <= upper <= self.psize:
                raise ValueError(f"page {number} has a damaged header")
            for (at,) in struct.iter_unpack("<H", data[16:lower]):
                if not upper <= at <= self.psize - _NODE.size:
                    raise ValueError(f"page {number} points outside its nodes")
                lo, hi, nflags, ksize = _NODE.unpack_from(data, at)
                if flags & _BRANCH:
                    stack.append((lo | hi << 16 | nflags << 32, depth + 1))
                    continue
                start = at + _NODE.size + ksize
                size = 8 if nflags & _BIGDATA else lo | hi << 16
                if start + size > self.psize:
                    raise ValueError(f"page {number} has a node past its end")
                value = data[start : start + size]
                if nflags & _BIGDATA:
                    value = self.overflow(int.from_bytes(value, "little"), lo | hi << 16)
                if leaf_value is not None:
                    leaf_value(value, nflags)

    def overflow(self, number: int, size: int) -> bytes:
        data = self.page(number)
        pgno, _, flags, lower, upper = _PAGE.unpack_from(data)
        count = lower | upper << 16
        if pgno != number or not flags & _OVERFLOW or count * self.psize < 16 + size:
            raise ValueError(f"overflow page {number} has a damaged header")
        self.claim(number, count)
        return (data + os.pread(self.fd, (count - 1) * self.psize, (number + 1) * self.psize))[16 : 16 + size]

    def free_list(self, value: bytes, _flags: int) -> None:
        count = int.from_bytes(value[:8], "little")
        if len(value) != 8 * (count + 1):
            raise ValueError("a free-list record of the wrong size")
        for (number,) in struct.iter_unpack("<Q", value[8:]):
            self.claim(number)

    def named(self, value: bytes, flags: int) -> None:
        if flags & _SUBDATA:
            if len(value) != 48:
                raise ValueError("a database record of the wrong size")
            self.tree(_DB_ROOT.unpack(value)[0])


def pages_damage(env: lmdb.Environment) -> str | None:
    """What is wrong with the pages of the index's current snapshot (None: every page sound, used once)."""
    path = os.path.join(env.path(), "data.mdb")
    psize = env.stat()["psize"]
    with env.begin() as txn, open(path, "rb") as f:
        fd = f.fileno()
        metas = [_META.unpack_from(os.pread(fd, _META.size, n * psize + 16)) for n in (0, 1)]
        (magic0, *_, txn0), (magic1, *_, txn1) = metas
        # Transaction n writes meta page n % 2, so the two are one transaction apart.
        if (magic0, magic1) != (_MAGIC, _MAGIC) or abs(txn0 - txn1) > 1 or txn0 % 2 or (txn1 and not txn1 % 2):
            return f"its meta pages disagree (transactions {txn0} and {txn1})"
        meta = next((m for m in metas if m[7] == txn.id()), None)
        if meta is None:
            return None  # a writer moved on since this snapshot: nothing to compare it with
        pages = _Pages(fd, psize, meta[6])
        try:
            pages.tree(_DB_ROOT.unpack(meta[5])[0], pages.named)
            pages.tree(_DB_ROOT.unpack(meta[4])[0], pages.free_list)
        except ValueError as exc:
            return str(exc)
    return None


# ------------------------------------------------------------------ content


def journal_damage(
    paths: Paths, env: lmdb.Environment, dbs: tuple[IndexDb, IndexDb, IndexDb], refs_too: bool = True
) -> list[str]:
    """How the store's databases differ from the packs (every journaled store's index is their cache).

    Object records are read up to the committed lengths the index records, so
    a crashed writer's uncommitted tail is not counted; a wrong length shows as
    entries that differ.
    """
    objects_db, packs_db, refs_db = dbs
    with env.begin() as txn:
        committed = {int.from_bytes(k, "big"): int.from_bytes(v, "big") for k, v in txn.cursor(db=packs_db)}
        entries = {bytes(k): Entry.unpack(v) for k, v in txn.cursor(db=objects_db)}
        refs = {bytes(k): bytes(v) for k, v in txn.cursor(db=refs_db)}
    # A pack shorter than its committed length is the pack's damage, which fsck reports itself.
    short = {n for n, length in committed.items() if _size(paths.pack(n)) < length}
    if short:
        committed = {n: length for n, length in committed.items() if n not in short}
        entries = {k: e for k, e in entries.items() if e.location != LOC_PACK or e.pack not in short}
    found = replay(paths, verify=False, upto=committed)
    # A pack whose records stop where the index has an object is the pack's damage (a record header):
    # fsck reports that object. Anywhere else, it is the index's committed length that is wrong.
    starts = {(e.pack, e.offset - RECORD.size) for e in entries.values() if e.location == LOC_PACK}
    torn = {n for n, end in found.ends.items() if end < committed[n] and (n, end) in starts}
    if torn:
        committed = {n: length for n, length in committed.items() if n not in torn}
        entries = {k: e for k, e in entries.items() if e.location != LOC_PACK or e.pack not in torn}
        found = replay(paths, verify=False, upto=committed)
    out = []
    journaled = {bytes(oid): e for oid, e in found.entries.items()}
    differ = _count_differences(entries, journaled)
    if differ:
        out.append(f"{differ} object entries differ from the packs")
    unended = sorted(n for n, length in committed.items() if found.packs.get(n, 0) != length)
    if unended:
        out.append(f"committed lengths of pack(s) {', '.join(map(str, unended))} do not end a transaction")
    wanted = {name.encode(): bytes(oid) for name, oid in found.refs.items()}
    bad_refs = 0 if torn or short or not refs_too else _count_differences(refs, wanted)
    if bad_refs:
        out.append(f"{bad_refs} ref(s) differ from the packs' commit records")
    return out


def _size(path: os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return -1


def _count_differences(have: Mapping[bytes, object], want: Mapping[bytes, object]) -> int:
    return sum(1 for key in have.keys() | want.keys() if have.get(key) != want.get(key))


def store_damage(
    paths: Paths, env: lmdb.Environment, dbs: tuple[IndexDb, IndexDb, IndexDb], journal: bool, refs_too: bool = True
) -> tuple[list[str], list[str]]:
    """What is wrong with a store's index: (its structure, its content against the packs).

    Content is compared only when the structure is sound (and the store journaled);
    refs only with ``refs_too`` (fsck checks each ref against the journal itself).
    """
    structural = walk(env)
    if not structural:
        page = pages_damage(env)
        structural = [page] if page else []
    content: list[str] = []
    if not structural and journal:
        try:
            content = journal_damage(paths, env, dbs, refs_too)
        except lmdb.Error as exc:
            structural = [str(exc)]
    return structural, content


def damage_at(paths: Paths, open_env: Callable[[Paths], lmdb.Environment], journal: bool) -> list[str]:
    """:func:`store_damage` of an index not yet open in this process (LMDB allows one open per process)."""
    try:
        env = open_env(paths)
    except VaultError as exc:
        return [exc.message]
    try:
        dbs = (env.open_db(DB_OBJECTS), env.open_db(DB_PACKS), env.open_db(DB_REFS))
        structural, content = store_damage(paths, env, dbs, journal)
        return structural + content
    except lmdb.Error as exc:
        return [str(exc)]
    finally:
        env.close()


def packs_note(paths: Paths) -> str:
    """What a rebuild would restore: the packs' whole transactions, every object re-hashed."""
    found = replay(paths)
    return (
        f"the packs hold {len(found.entries)} objects and {len(found.refs)} refs in whole transactions;"
        " 'comfyvn reindex' rebuilds the index from them"
    )
