"""Verbs of the ``maintenance`` group: making a vault and keeping its store sound.

:func:`init` makes a vault; :func:`fsck` verifies every object, pointer, pack
and projection; :func:`gc` removes what nothing reaches; :func:`reindex`
rebuilds the index from the packs (when it is missing or damaged) and the
projections from history, or with ``verify`` only compares them with a rebuild.

:func:`fsck` and :func:`reindex` take the folder rather than an open vault:
they are what to run when the vault no longer opens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from comfyvn_vault.store.fsck import Problem
from comfyvn_vault.store.index_errors import index_error

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

#: Bytes done so far are told to the tick it yields; the factory is told the label and the total first.
ProgressFactory = Callable[[str, int], AbstractContextManager[Callable[[int], None] | None]]


class Initialized(msgspec.Struct, kw_only=True):
    """``comfyvn init``: the vault's folder and whether it was made now (false: it was one already)."""

    schema: str = "comfyvn.init/1"
    path: str
    created: bool


def init(path: Path) -> Initialized:
    """Make ``path`` (created if missing) a vault; one that is already a vault is left as it is."""
    from comfyvn_vault.vault import Vault

    vault, created = Vault.init(path)
    with vault:
        return Initialized(path=str(vault.root), created=created)


class Checked(msgspec.Struct, kw_only=True):
    """``comfyvn fsck``: how much was checked and every problem found (``clean`` when none)."""

    schema: str = "comfyvn.fsck/1"
    objects: int
    bytes: int
    clean: bool
    problems: list[Problem]
    notes: list[str]
    """What else to know: what was not checked and why, what a repair would use."""


def fsck(start: Path, progress: ProgressFactory | None = None) -> Checked:
    """Verify the vault at or above ``start``: objects, packs and index, then the projections.

    A vault whose index cannot be opened is still reported on (the damage, and
    what a rebuild would use). ``progress`` is told the bytes to check.
    """
    from comfyvn_vault.errors import IndexDamaged
    from comfyvn_vault.projections.verify import fsck_unopened
    from comfyvn_vault.vault import STORE_DIR, find_vault

    try:
        vault = _open_every_database(start)
    except IndexDamaged as exc:  # fsck still reports, and checks what a rebuild would use
        report = fsck_unopened(find_vault(start) / STORE_DIR, exc)
    else:
        with vault, (progress or _no_progress)("fsck", total_bytes(vault) if progress else 0) as tick:
            report = vault.fsck(tick)
    return Checked(
        objects=report.objects, bytes=report.bytes, clean=report.clean, problems=report.problems, notes=report.notes
    )


def _open_every_database(start: Path) -> Vault:
    """The vault with its projections opened too, as the first write opens them: damage met there is the index's."""
    import lmdb

    from comfyvn_vault.vault import Vault

    vault = Vault.open(start)
    try:
        vault.projections  # noqa: B018
    except BaseException as exc:
        vault.close()
        if isinstance(exc, lmdb.Error):
            raise index_error(exc) from None
        raise
    return vault


def total_bytes(vault: Vault) -> int:
    """The raw size of every stored object."""
    return sum(e.size for _, e in vault.store.entries())


class Collected(msgspec.Struct, kw_only=True):
    """``comfyvn gc``: what was kept and what was removed."""

    schema: str = "comfyvn.gc/1"
    kept: int
    removed: int
    bytes_freed: int
    packs_rewritten: int


def gc(vault: Vault) -> Collected:
    """Remove the objects nothing reaches (from a branch, a remote-tracking ref or the operation log)."""
    report = vault.gc()
    return Collected(
        kept=report.kept, removed=report.removed, bytes_freed=report.bytes_freed, packs_rewritten=report.packs_rewritten
    )


class Reindexed(msgspec.Struct, kw_only=True):
    """``comfyvn reindex``: the projections were rebuilt from history, and the index from the packs if it had to be."""

    schema: str = "comfyvn.reindex/1"
    events: int
    """How many events the rebuild replayed."""
    index_rebuilt: bool
    """The index was missing or damaged and was rebuilt from the packs first."""


class ReindexChecked(msgspec.Struct, kw_only=True):
    """``comfyvn reindex --verify``: whether the projections match a rebuild from history, byte for byte."""

    schema: str = "comfyvn.reindex/1"
    events: int
    identical: bool
    differ: list[str]
    """The projections that do not match."""


def reindex(start: Path, progress: Callable[[int], None] | None = None) -> Reindexed:
    """Rebuild a missing or damaged index from the packs, and the projections from history.

    Damage no read reaches (LMDB's free list: only a write meets it) shows
    when the projections are written; the index is then rebuilt regardless.
    """
    from comfyvn_vault.errors import IndexDamaged
    from comfyvn_vault.vault import Vault

    try:
        with Vault.open(start, repair=True) as vault:
            if vault.rebuilt is not None:
                return _reindexed(vault.rebuilt, index_rebuilt=True)
            return _reindexed(vault.reindex(progress=progress), index_rebuilt=False)
    except IndexDamaged:
        pass
    with Vault.open(start, repair="always") as vault:
        return _reindexed(vault.rebuilt or vault.reindex(progress=progress), index_rebuilt=True)


def _reindexed(rebuilt: dict[str, Any], *, index_rebuilt: bool) -> Reindexed:
    return Reindexed(events=rebuilt["events"], index_rebuilt=index_rebuilt)


def reindex_check(vault: Vault) -> ReindexChecked:
    """Compare the projections with a rebuild from history (rolled back: nothing changes)."""
    result = vault.reindex(verify=True)
    return ReindexChecked(events=result["events"], identical=result["identical"], differ=result["differ"])


@contextmanager
def _no_progress(label: str, total: int) -> Iterator[None]:
    yield None


#: The result types of this module's verbs, for the generated JSON Schemas.
RESULTS: Final[tuple[type[Any], ...]] = (Initialized, Checked, Collected, Reindexed, ReindexChecked)

__all__ = [
    "RESULTS",
    "Checked",
    "Collected",
    "Initialized",
    "ProgressFactory",
    "ReindexChecked",
    "Reindexed",
    "fsck",
    "gc",
    "index_error",
    "init",
    "reindex",
    "reindex_check",
    "total_bytes",
]
