"""Applying adapters to a vault: an import as one change, an export from HEAD's story.

:func:`apply_import` plans against HEAD's tree (pure, outside any lock), checks
the plan (:func:`~comfyvn_vault.adapters.plan.check_plan`), then makes one
change through the vault's single write path: blobs first, each stored under
the id the plan filed it under, then the events, checked against the state the
change writes on and recorded as one commit whose cause names the importer and
its version. A plan that does not apply changes nothing (exit 3).

Given the id of the source's bytes, an import is also recorded: an
:class:`~comfyvn_vault.domain.assets.ImportRecord` at ``imports/<key>``
(``ImportRecorded``, in the same commit), whose key is the importer's name,
its options and that id (:func:`import_key`). Importing the same source with
the same options again finds the record in HEAD's tree and changes nothing;
undoing the import removes the record with everything else it made. A plan
that is not to be recorded (``Plan.recorded``: a bundle restoring a vault's
state exactly, whose tree one more record would change) is not; when it
plans nothing the vault already holds that state, and the result says so.

:func:`plan_import` is the first half alone, for a dry run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.exporter import ExportContext, StoryView
from comfyvn_vault.adapters.importer import Importer, Source
from comfyvn_vault.adapters.plan import ImportSummary, Plan, check_plan
from comfyvn_vault.domain.asset_events import ImportRecorded
from comfyvn_vault.domain.assets import ImportRecord, asset_path, import_path
from comfyvn_vault.domain.paths import ASSETS, CHARACTERS, SCENES
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.ids import hash_bytes

if TYPE_CHECKING:
    from comfyvn_vault.history.repo import CommitRecord, History
    from comfyvn_vault.vault import Vault

OptionsT = TypeVar("OptionsT", bound=msgspec.Struct)


class ImportResult(msgspec.Struct, frozen=True):
    """What an import did: the commit (hex; None when there was nothing new), its size, its summary.

    ``job`` is the import's key (its record's id; None when no source id was given);
    ``already`` is True when this source was already imported with these options.
    """

    importer: str
    commit: str | None
    events: int
    blobs: int
    summary: ImportSummary
    job: str | None = None
    already: bool = False


def option_texts(options: msgspec.Struct) -> dict[str, str]:
    """Each option as JSON text, by name, sorted: how an :class:`ImportRecord` keeps them."""
    values = msgspec.structs.asdict(options)
    return {name: msgspec.json.encode(values[name]).decode() for name in sorted(values)}


def import_key(info: AdapterInfo, options: msgspec.Struct, source_id: str) -> str:
    """The id of importing the source whose bytes have id ``source_id`` with ``info``'s importer and ``options``.

    The version is left out: a newer importer reading the same source the same way
    is the same import.
    """
    return hash_bytes(msgspec.json.encode([info.name, option_texts(options), source_id])).hex()[:32]


def recorded_import(vault: Vault, key: str) -> ImportRecord | None:
    """The record of import ``key`` in HEAD's tree, if that import is there."""
    found = story_view(vault.history).lookup(import_path(key))
    return found if isinstance(found, ImportRecord) else None


def story_view(history: History, context: ExportContext | None = None) -> StoryView:
    """The story at HEAD, read-only, as exporters and importers read it (asset bytes from the store)."""
    tree = history.tree_of(history.head())
    return StoryView(history.lookup_in(tree), history.listing_in(tree), history.store.get, context)


def plan_import(
    vault: Vault, importer: Importer[OptionsT], source: Source, options: OptionsT, *, check_events: bool = True
) -> Plan:
    """The plan importing ``source`` into HEAD would record, checked to apply there; nothing is written.

    ``check_events=False`` skips applying the events (the commit that records them applies them anyway).
    """
    story = story_view(vault.history)
    plan = importer.plan(source, options, story.lookup)
    check_plan(plan, story.lookup, story.listing, events=check_events)
    return plan


def apply_import(
    vault: Vault,
    importer: Importer[OptionsT],
    source: Source,
    options: OptionsT,
    *,
    message: str | None = None,
    source_id: str | None = None,
) -> ImportResult:
    """Import ``source`` as one commit on HEAD's branch (see the module docstring).

    ``source_id`` is the hex id of the source's bytes (for a folder, of its
    manifest); with it the import is recorded and a repeat of it does nothing.
    """
    key = import_key(importer.info, options, source_id) if source_id is not None else None
    if key is not None and (done := recorded_import(vault, key)) is not None:
        return ImportResult(
            importer=importer.info.ref, commit=None, events=0, blobs=0, summary=summary_of(done), job=key, already=True
        )
    # The commit applies the events to the tip it records on (under the write lock), which is the check.
    plan = plan_import(vault, importer, source, options, check_events=False)
    events = list(plan.events)
    if not plan.recorded:
        key = None
        if not events:  # a restore of a state the vault already holds
            return ImportResult(
                importer=plan.info.ref, commit=None, events=0, blobs=0, summary=plan.summary, already=True
            )
    if key is not None and source_id is not None:
        created = [
            *(f"{SCENES}/{s}" for s in plan.summary.scenes),
            *(f"{CHARACTERS}/{c}" for c in plan.summary.characters),
            *(asset_path(a) for a in plan.summary.assets),
        ]
        record = ImportRecord(
            id=key,
            importer=plan.info.name,
            version=plan.info.version,
            source=source_id,
            source_name=plan.source_name,
            source_asset=plan.source_asset,
            options=option_texts(options),
            created=created,
        )
        events.append(ImportRecorded(record=record, cause=plan.cause))
    with vault.change(message or plan.message(), kind="import", cause=plan.cause) as ch:
        for oid, data in plan.blobs.items():
            stored = ch.add_blob(data)
            if stored != oid:
                raise InputRejected(f"{plan.info.ref}: blob {oid.short()} was stored as {stored.short()}")
        if events:
            ch.record(events)
        ch.report(lambda rec: msgspec.to_builtins(_result(plan, rec, key, len(events))))
    return _result(plan, ch.commit, key, len(events))


def summary_of(record: ImportRecord) -> ImportSummary:
    """What an earlier import created, as its record lists it."""
    return ImportSummary(
        scenes=[p.split("/", 1)[1] for p in record.created if p.startswith(f"{SCENES}/")],
        characters=[p.split("/", 1)[1] for p in record.created if p.startswith(f"{CHARACTERS}/")],
        assets=[p.split("/", 1)[1] for p in record.created if p.startswith(f"{ASSETS}/")],
    )


def _result(plan: Plan, rec: CommitRecord | None, key: str | None, events: int) -> ImportResult:
    return ImportResult(
        importer=plan.info.ref,
        commit=rec.commit_id.hex() if rec is not None else None,
        events=events,
        blobs=len(plan.blobs),
        summary=plan.summary,
        job=key,
    )
