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

from collections.abc import Callable
from typing import Any, Final

import lmdb

from comfyvn_vault.errors import ConcurrentWork, IndexDamaged, InputRejected, StorageFull, VaultError
from comfyvn_vault.store.journal import replay
from comfyvn_vault.store.layout import DB_OBJECTS, DB_PACKS, DB_REFS, ENTRY, Entry, Paths

REINDEX: Final = "run 'comfyvn reindex' to rebuild it from the packs"

#: LMDB errors that mean the files are not what LMDB wrote.
_DAMAGE: Final = (
    lmdb.CorruptedError,
    lmdb.PageNotFoundError,
    lmdb.InvalidError,
    lmdb.VersionMismatchError,
    lmdb.IncompatibleError,
    lmdb.PanicError,
    lmdb.BadRslotError,
    lmdb.BadTxnError,
    lmdb.BadDbiError,
)


def damaged(detail: str) -> IndexDamaged:
    return IndexDamaged(f"the index is damaged ({detail}): {REINDEX}")


def index_error(exc: lmdb.Error) -> VaultError:
    """The one-line error a user sees for an LMDB failure."""
    if isinstance(exc, lmdb.MapFullError):
        return StorageFull("the index is full (raise COMFYVN_MAP_SIZE, in bytes); nothing was changed")
    if isinstance(exc, lmdb.ReadersFullError):
        return ConcurrentWork("too many processes are reading this vault; retry")
    if isinstance(exc, lmdb.BadValsizeError):
        return InputRejected("a name or key is too long for the index (at most 511 bytes); nothing was changed")
    if isinstance(exc, _DAMAGE):
        return damaged(str(exc))
    return InputRejected(f"cannot use the vault index: {exc}")


# ------------------------------------------------------------------ structure

#: (key length, value length) of the store's own databases; None: any.
_SHAPES: Final[dict[bytes, tuple[int | None, int | None]]] = {
    DB_OBJECTS: (32, ENTRY.size),
    DB_PACKS: (4, 8),
    DB_REFS: (None, 32),
}


def walk(env: Any) -> list[str]:
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


def _walk_db(env: Any, db: Any, shape: tuple[int | None, int | None]) -> str | None:
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
            # A damaged branch page leaves every leaf readable but sends lookups astray.
            if get(k) != v:
                return "a key its own lookup does not find"
            prev = k
            n += 1
        if n != expected:
            return f"{n} keys where it records {expected}"
    return None


# ------------------------------------------------------------------ content


def journal_damage(paths: Paths, env: Any, dbs: tuple[Any, Any, Any]) -> list[str]:
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
    found = replay(paths, verify=False, upto=committed)
    out = []
    journaled = {bytes(oid): e for oid, e in found.entries.items()}
    differ = _count_differences(entries, journaled)
    if differ:
        out.append(f"{differ} object entries differ from the packs")
    short = sorted(n for n, length in committed.items() if found.packs.get(n, 0) != length)
    if short:
        out.append(f"committed lengths of pack(s) {', '.join(map(str, short))} do not end a transaction")
    wanted = {name.encode(): bytes(oid) for name, oid in found.refs.items()}
    bad_refs = _count_differences(refs, wanted)
    if bad_refs:
        out.append(f"{bad_refs} ref(s) differ from the packs' commit records")
    return out


def _count_differences(have: dict[bytes, Any], want: dict[bytes, Any]) -> int:
    return sum(1 for key in have.keys() | want.keys() if have.get(key) != want.get(key))


def store_damage(paths: Paths, env: Any, dbs: tuple[Any, Any, Any], journal: bool) -> list[str]:
    """Everything wrong with a store's index: its structure, then (journaled stores) its content."""
    found = walk(env)
    if not found and journal:
        try:
            found = journal_damage(paths, env, dbs)
        except lmdb.Error as exc:
            found = [str(exc)]
    return found


def damage_at(paths: Paths, open_env: Callable[[Paths], Any], journal: bool) -> list[str]:
    """:func:`store_damage` of an index not yet open in this process (LMDB allows one open per process)."""
    try:
        env = open_env(paths)
    except VaultError as exc:
        return [exc.message]
    try:
        dbs = (env.open_db(DB_OBJECTS), env.open_db(DB_PACKS), env.open_db(DB_REFS))
        return store_damage(paths, env, dbs, journal)
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
