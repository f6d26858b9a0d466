"""``comfyvn import bundle FILE.zip`` of a ``comfyvn-bundle@1``: the exported state, restored exactly.

The bundle is read and every byte checked first (:mod:`.bundle_read`); then
each document is planned as the event that makes it exactly what the bundle
holds:

* assets with ``AssetImported`` carrying the whole record (sizes, metadata,
  lineage), parents before children, each with the blob the bundle restores;
* characters, variables, scenes and timelines through the entity diff, as
  every importer plans them (scenes first without their links into other
  scenes, then in full, so scenes may link each other both ways);
* findings with ``FindingRecorded`` and, when decided, ``FindingResolved``;
  imports with ``ImportRecorded``; playthroughs with ``PlaythroughRecorded``;
  the policy, which no other event sets whole, with ``RecordMerged``, which
  also sets a record naming an asset the exporting vault no longer had (a
  finding whose asset was removed, an asset whose parent was) as it was.

Entities already in the vault are set to the bundle's version; a record the
vault already holds differently is kept as it is, with a finding saying so.
The plan is then applied to the current story and every document compared
with its object id in the manifest, so a plan that would not restore the
bundle exactly is refused before anything is written.

A restore is not recorded as an import (``Plan.recorded`` is False): the
record would be one more document in the tree, which would then differ from
the bundle's. Into a fresh vault the new HEAD's tree is the manifest's
``tree``; importing the bundle again finds every document as it is and plans
nothing, which the import reports as already done.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Final

import msgspec

from comfyvn_vault.adapters.plan import Plan, PlanBuilder, local_only
from comfyvn_vault.domain.apply import apply_all
from comfyvn_vault.domain.asset_events import (
    FindingRecorded,
    FindingResolved,
    ImportRecorded,
    PlaythroughRecorded,
    RecordMerged,
)
from comfyvn_vault.domain.assets import (
    Asset,
    Finding,
    Fix,
    ImportRecord,
    PlaythroughRecord,
    Policy,
    asset_path,
    same_record,
)
from comfyvn_vault.domain.document import Document, document_id
from comfyvn_vault.domain.entities import Character, Entity, Scene, Timeline, Variable
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.bundle_read import Bundle

#: How a decided finding was decided, by its status.
_FIX_OF: Final[dict[str, Fix]] = {"waived": "waive", "replaced": "replace", "removed": "remove", "settled": "settle"}


def plan_restore(bundle: Bundle, builder: PlanBuilder) -> Plan:
    """The plan restoring ``bundle`` into the story ``builder`` plans against (see the module docstring)."""
    kept: set[str] = set()
    docs = bundle.documents
    for path, asset in _parents_first(docs):
        if _absent_or_kept(builder, path, asset, kept):
            _asset(builder, path, asset, bundle.blobs[asset.id], f"{bundle.manifest.vault}:{asset.id}")
    entities = [
        (p, d)
        for p, d in sorted(docs.items())
        if isinstance(d, (Character, Variable, Scene, Timeline)) and not same_record(builder.current(p), d)
    ]
    order = (Character, Variable, Scene, Timeline)
    entities.sort(key=lambda item: order.index(type(item[1])))
    for _, entity in entities:
        if isinstance(entity, Scene):
            builder.save(msgspec.structs.replace(entity, nodes=[local_only(n, entity.id) for n in entity.nodes]))
        elif not isinstance(entity, Timeline):
            builder.save(entity)
    for _, entity in entities:
        if isinstance(entity, (Scene, Timeline)):
            builder.save(entity)
    for path, doc in sorted(docs.items()):
        if not isinstance(doc, Entity | Asset) and _absent_or_kept(builder, path, doc, kept):
            _record(builder, path, doc)
    for path in sorted(kept):
        builder.note("the vault holds this record differently: kept the vault's", path)
    plan = builder.build()
    _check_exact(plan, builder, bundle, kept)
    return dataclasses.replace(plan, recorded=False)


def _parents_first(docs: dict[str, Document]) -> Iterator[tuple[str, Asset]]:
    """The bundle's assets, each after the parents the bundle holds; a lineage loop is refused."""
    assets = {d.id: (p, d) for p, d in docs.items() if isinstance(d, Asset)}
    seen: set[str] = set()
    done: set[str] = set()
    for start in sorted(assets):
        stack = [(start, False)]
        while stack:
            aid, expanded = stack.pop()
            if expanded:
                done.add(aid)
                yield assets[aid]
                continue
            if aid in done or aid not in assets:
                continue
            if aid in seen:
                raise InputRejected(f"assets/{aid}: its lineage loops back to it")
            seen.add(aid)
            stack.append((aid, True))
            stack.extend((parent, False) for parent in sorted(assets[aid][1].parents, reverse=True))


def _absent_or_kept(builder: PlanBuilder, path: str, doc: Document, kept: set[str]) -> bool:
    """True when the record at ``path`` is to be planned; a different one already there is kept (noted)."""
    current = builder.current(path)
    if current is None:
        return True
    if not same_record(current, doc):
        kept.add(path)
    return False


def _asset(builder: PlanBuilder, path: str, asset: Asset, data: bytes, source: str) -> None:
    """Plan ``asset`` whole; one naming a parent no longer registered gets its lineage set after it."""
    if all(builder.current(asset_path(p)) is not None for p in asset.parents):
        builder.restore_asset(asset, data, source=source)
        return
    orphan = msgspec.structs.replace(asset, parents={})
    builder.restore_asset(orphan, data, source=source)
    builder.record(RecordMerged(path=path, record=asset, before=orphan, cause=builder.cause), {path: asset})


def _present(builder: PlanBuilder, *asset_ids: str | None) -> bool:
    return all(a is None or builder.current(asset_path(a)) is not None for a in asset_ids)


def _record(builder: PlanBuilder, path: str, doc: Document) -> None:
    """Plan a record with the event that files it; one naming an asset no longer registered is set whole."""
    cause = builder.cause
    if isinstance(doc, Finding) and _present(builder, doc.asset_id, doc.replacement):
        opened = msgspec.structs.replace(doc, status="open", replacement=None, note=None)
        builder.record(FindingRecorded(finding=opened, cause=cause), {path: opened})
        if doc.status != "open":
            fix = _FIX_OF[doc.status]
            event = FindingResolved(
                finding_id=doc.id, fix=fix, replacement=doc.replacement, note=doc.note, before=opened, cause=cause
            )
            builder.record(event, {path: doc})
    elif isinstance(doc, ImportRecord) and _present(builder, doc.source_asset):
        builder.record(ImportRecorded(record=doc, cause=cause), {path: doc})
    elif isinstance(doc, PlaythroughRecord):
        builder.record(PlaythroughRecorded(record=doc, cause=cause), {path: doc})
    elif isinstance(doc, (Policy, Finding, ImportRecord)):
        builder.record(RecordMerged(path=path, record=doc, before=None, cause=cause), {path: doc})
    else:
        raise InputRejected(f"{path}: a {type(doc).__name__} cannot be restored from a bundle")


def _check_exact(plan: Plan, builder: PlanBuilder, bundle: Bundle, kept: set[str]) -> None:
    """Refuse a plan after which some document would not be the bundle's, byte for byte."""
    lookup = builder.lookup
    changes = apply_all(lookup, plan.events)
    for entry in bundle.manifest.documents:
        if entry.path in kept:
            continue
        after = changes[entry.path] if entry.path in changes else lookup(entry.path)
        if after is None or document_id(after).hex() != entry.id:
            raise InputRejected(f"{entry.path}: the restore would not make it the bundle's document {entry.id[:12]}")


__all__ = ["plan_restore"]
