"""Applying adapters to a vault: an import as one change, an export from HEAD's story.

:func:`apply_import` plans against HEAD's tree (pure, outside any lock), checks
the plan (:func:`~comfyvn_vault.adapters.plan.check_plan`), then makes one
change through the vault's single write path: blobs first, each stored under
the id the plan filed it under, then the events, checked against the state the
change writes on and recorded as one commit whose cause names the importer and
its version. A plan that does not apply changes nothing (exit 3).

:func:`plan_import` is the first half alone, for a dry run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import msgspec

from comfyvn_vault.adapters.exporter import StoryView
from comfyvn_vault.adapters.importer import Importer, Source
from comfyvn_vault.adapters.plan import ImportSummary, Plan, check_plan
from comfyvn_vault.errors import InputRejected

if TYPE_CHECKING:
    from comfyvn_vault.history.repo import CommitRecord, History
    from comfyvn_vault.vault import Vault

OptionsT = TypeVar("OptionsT", bound=msgspec.Struct)


class ImportResult(msgspec.Struct, frozen=True):
    """What an import did: the commit (hex; None when there was nothing new), its size, its summary."""

    importer: str
    commit: str | None
    events: int
    blobs: int
    summary: ImportSummary


def story_view(history: History) -> StoryView:
    """The story at HEAD, read-only, as exporters and importers read it."""
    tree = history.tree_of(history.head())
    return StoryView(history.lookup_in(tree), history.listing_in(tree))


def plan_import(vault: Vault, importer: Importer[OptionsT], source: Source, options: OptionsT) -> Plan:
    """The plan importing ``source`` into HEAD would record, checked to apply there; nothing is written."""
    story = story_view(vault.history)
    plan = importer.plan(source, options, story.lookup)
    check_plan(plan, story.lookup, story.listing)
    return plan


def apply_import(
    vault: Vault,
    importer: Importer[OptionsT],
    source: Source,
    options: OptionsT,
    *,
    message: str | None = None,
) -> ImportResult:
    """Import ``source`` as one commit on HEAD's branch (see the module docstring)."""
    plan = plan_import(vault, importer, source, options)
    with vault.change(message or plan.message(), kind="import", cause=plan.cause) as ch:
        for oid, data in plan.blobs.items():
            stored = ch.add_blob(data)
            if stored != oid:
                raise InputRejected(f"{plan.info.ref}: blob {oid.short()} was stored as {stored.short()}")
        if plan.events:
            ch.check(plan.events)
            ch.record(plan.events)
        ch.report(lambda rec: msgspec.to_builtins(_result(plan, rec)))
    return _result(plan, ch.commit)


def _result(plan: Plan, rec: CommitRecord | None) -> ImportResult:
    return ImportResult(
        importer=plan.info.ref,
        commit=rec.commit_id.hex() if rec is not None else None,
        events=len(plan.events),
        blobs=len(plan.blobs),
        summary=plan.summary,
    )
