"""Checking the projections against a rebuild from history (``fsck``, ``reindex --verify``).

The rebuild happens inside an LMDB write transaction that is then rolled
back, so checking changes nothing and takes no writer lock. Each projection database is summarised before and
after by its number of keys and a BLAKE3 digest over every key and value (the
word log folded in), so memory stays flat and the result names the databases
that differ.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lmdb
import msgspec

from comfyvn_vault.errors import IndexDamaged, VaultError
from comfyvn_vault.projections.base import Txn
from comfyvn_vault.projections.index import Projections
from comfyvn_vault.projections.maintain import rebuild
from comfyvn_vault.projections.registry import ALL_DBS
from comfyvn_vault.store.fsck import FsckReport, Problem, fsck
from comfyvn_vault.store.fsck_index import packs_note
from comfyvn_vault.store.ids import new_hasher
from comfyvn_vault.store.index_errors import index_error
from comfyvn_vault.store.layout import Paths

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

#: A projection's summary: (keys, digest of its keys and values).
Summary = tuple[int, bytes]
#: Raised by a projection whose values cannot be decoded (the word log, its counters).
_UNREADABLE = (struct.error, msgspec.DecodeError, ValueError)


class _RollBack(Exception):
    """Raised inside the transaction to discard the rebuild."""


def summaries(projections: Projections, txn: Txn) -> dict[bytes, Summary]:
    """Every projection database's key count and digest, as of ``txn``."""
    hashers = {name: new_hasher() for name in ALL_DBS}
    counts = dict.fromkeys(ALL_DBS, 0)
    for db, key, value in projections.dump(txn):
        h = hashers[db]
        h.update(len(key).to_bytes(4, "big") + key)
        h.update(len(value).to_bytes(4, "big") + value)
        counts[db] += 1
    return {name: (counts[name], hashers[name].digest()) for name in ALL_DBS}


def differences(before: dict[bytes, Summary], after: dict[bytes, Summary]) -> list[tuple[str, str]]:
    """(database, what is wrong) for each projection that differs from its rebuild."""
    out = []
    for name in ALL_DBS:
        (had, _), (wants, _) = before[name], after[name]
        if before[name] == after[name]:
            continue
        label = name.decode()
        if had != wants:
            out.append((label, f"projection {label} has {had} entries where a rebuild from history has {wants}"))
        else:
            out.append((label, f"projection {label} has entries that differ from a rebuild from history"))
    return out


def rebuild_compared(vault: Vault, progress: Callable[[int], None] | None = None) -> tuple[int, list[tuple[str, str]]]:
    """Rebuild every projection inside a transaction that is rolled back: (events, differences)."""
    result: dict[str, Any] = {}

    def rebuild_in(txn: Txn) -> None:
        try:
            before: dict[bytes, Summary] | None = summaries(vault.projections, txn)
        except _UNREADABLE as exc:
            before, result["unreadable"] = None, str(exc) or exc.__class__.__name__
        result["events"] = rebuild(txn, vault.history, vault.projections, progress)
        if before is None:
            result["differ"] = [("p.wordlog", f"the word log cannot be decoded ({result['unreadable']})")]
        else:
            result["differ"] = differences(before, summaries(vault.projections, txn))
        raise _RollBack

    # An LMDB write transaction, not the vault's writer lock: it is rolled back, so
    # fsck never waits for a writer (LMDB serialises its commit with ours). The
    # projections are opened first: not inside that transaction.
    vault.projections  # noqa: B018
    try:
        with vault.store.env.begin(write=True) as txn:
            rebuild_in(txn)
    except _RollBack:
        pass
    return result["events"], result["differ"]


def fsck_vault(vault: Vault, progress: Callable[[int], None] | None = None) -> FsckReport:
    """The store's fsck, then (when it is clean) the projections against a rebuild from history."""
    try:
        report = fsck(vault.store, progress)
        if not report.clean:
            report.notes.append("projections not checked: fix the problems above first")
            return report
        _, differ = rebuild_compared(vault)
    except (lmdb.Error, IndexDamaged) as exc:  # a write meets damage no read does (LMDB's free list)
        error = index_error(exc) if isinstance(exc, lmdb.Error) else exc
        return FsckReport(problems=[Problem("index", "damaged", error.message)], notes=[packs_note(vault.store.paths)])
    report.problems += [Problem(name, "projection", f"{detail}: run 'comfyvn reindex'") for name, detail in differ]
    return report


def fsck_unopened(meta: Path, error: VaultError) -> FsckReport:
    """The report for a vault whose index cannot even be opened (missing or damaged)."""
    notes = [packs_note(Paths(meta))] if isinstance(error, IndexDamaged) else []
    return FsckReport(problems=[Problem("index", "damaged", error.message)], notes=notes)


__all__ = ["differences", "fsck_unopened", "fsck_vault", "rebuild_compared", "summaries"]
