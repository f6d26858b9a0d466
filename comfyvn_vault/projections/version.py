"""Which layout the projections were built with, readable without loading the projections.

Opening a vault compares it with :data:`PROJECTIONS_VERSION` and rebuilds the
projections from history when they differ; this module is all that takes, so
a verb that queries no projection never imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import lmdb

    from comfyvn_vault.store.base import IndexDb

DB_META: Final = b"p.meta"
#: The layout of the projections; a vault whose projections have another version rebuilds them on open.
#: 2: ``p.events`` holds one key per (path, commit) instead of one per (path, event).
#: 3: names, speakers, words and asset facets longer than a key allows (or holding ``\\0``) are
#: hashed (:mod:`.keys`).
#: 4: ``p.word`` holds one entry per (word, scene) whose value lists the nodes, not one key per (word, node).
PROJECTIONS_VERSION: Final = 4
_KEY: Final = b"version"


def stored_version(txn: lmdb.Transaction[bytes], db: IndexDb) -> int:
    """The layout version recorded in ``db`` (1: before versions were recorded)."""
    raw = txn.get(_KEY, db=db)
    return int(raw) if raw is not None else 1


def record_version(txn: lmdb.Transaction[bytes], db: IndexDb) -> None:
    """Record that the projections now have this code's layout."""
    txn.put(_KEY, str(PROJECTIONS_VERSION).encode(), db=db)


def version_of(env: lmdb.Environment) -> int:
    """The layout version of the projections in ``env``, read in its own transaction."""
    db = env.open_db(DB_META)
    with env.begin() as txn:
        return stored_version(txn, db)
