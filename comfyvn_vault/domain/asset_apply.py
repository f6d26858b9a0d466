"""What the asset, lineage, advisory and policy events do: pure handlers ``apply`` dispatches to.

Each handler reads through ``lookup`` and returns the changed records by path,
or raises :class:`Rejected` with a one-line reason (an unknown asset, a lineage
cycle, a stale ``before``, a fix the finding does not offer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeAlias, TypeVar

from msgspec.structs import replace

from comfyvn_vault.domain.asset_events import (
    AssetDerived,
    AssetImported,
    AssetMetaChanged,
    AssetRemoved,
    ExportRecorded,
    FilterModeSet,
    FindingRecorded,
    FindingResolved,
    GenerationRecorded,
    ImportRecorded,
    PlaythroughRecorded,
    PolicyAcknowledged,
    RecordMerged,
)
from comfyvn_vault.domain.assets import (
    FILTER_MODES,
    POLICY_PATH,
    RECORD_FOLDERS,
    Asset,
    Finding,
    Policy,
    asset_path,
    finding_path,
    import_path,
    playthrough_path,
    same_record,
)
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.patch import show
from comfyvn_vault.domain.paths import check_id
from comfyvn_vault.domain.validate import Lookup

Changes: TypeAlias = dict[str, Any]
E = TypeVar("E")
HANDLERS: Final[dict[type, Callable[[Lookup, Any], Changes]]] = {}
MAX_LINEAGE_DEPTH: Final = 10_000


def _handles(kind: type[E]) -> Callable[[Callable[[Lookup, E], Changes]], Callable[[Lookup, E], Changes]]:
    def register(handler: Callable[[Lookup, E], Changes]) -> Callable[[Lookup, E], Changes]:
        HANDLERS[kind] = handler
        return handler

    return register


def need_asset(lookup: Lookup, asset_id: str) -> Asset:
    doc = lookup(asset_path(asset_id))
    if not isinstance(doc, Asset):
        raise Rejected(f"there is no asset {asset_id[:16]!r}")
    return doc


def _need_finding(lookup: Lookup, fid: str) -> Finding:
    doc = lookup(finding_path(fid))
    if not isinstance(doc, Finding):
        raise Rejected(f"there is no finding {fid!r}")
    return doc


def _policy(lookup: Lookup) -> Policy:
    doc = lookup(POLICY_PATH)
    return doc if isinstance(doc, Policy) else Policy()


def ancestors(lookup: Lookup, asset_id: str) -> set[str]:
    """Every asset ``asset_id`` descends from (through ``parents``), for the cycle check."""
    seen: set[str] = set()
    stack = [asset_id]
    while stack:
        doc = lookup(asset_path(stack.pop()))
        if not isinstance(doc, Asset):
            continue
        for parent in doc.parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
                if len(seen) > MAX_LINEAGE_DEPTH:
                    raise Rejected(f"the lineage of asset {asset_id[:16]!r} is deeper than {MAX_LINEAGE_DEPTH}")
    return seen


def _with_parents(lookup: Lookup, child_id: str, parents: list[str], relation: str) -> Changes:
    child = need_asset(lookup, child_id)
    if not parents:
        raise Rejected(f"asset {child_id[:16]!r}: a derivation needs at least one parent")
    added = dict(child.parents)
    for parent in parents:
        if parent == child_id:
            raise Rejected(f"asset {child_id[:16]!r} cannot be its own parent")
        need_asset(lookup, parent)
        if child_id in ancestors(lookup, parent):
            raise Rejected(f"asset {child_id[:16]!r} is an ancestor of {parent[:16]!r}: lineage cannot loop")
        added[parent] = relation
    if same_record(added, child.parents):
        raise Rejected(f"asset {child_id[:16]!r} already has that lineage")
    return {asset_path(child_id): replace(child, parents=added)}


@_handles(AssetImported)
def _imported(lookup: Lookup, event: AssetImported) -> Changes:
    asset = event.asset
    check_id(asset.id, "asset id")
    if asset.blob.hex() != asset.id:
        raise Rejected(f"asset {asset.id[:16]!r} names blob {asset.blob.hex()[:16]!r}: an asset's id is its blob's")
    if asset.bytes < 0 or any(v is not None and v < 0 for v in (asset.width, asset.height, asset.duration_ms)):
        raise Rejected(f"asset {asset.id[:16]!r} has a negative size")
    path = asset_path(asset.id)
    if lookup(path) is not None:
        raise Rejected(f"asset {asset.id[:16]!r} is already registered")
    for parent in asset.parents:
        need_asset(lookup, parent)
    return {path: asset}


@_handles(AssetMetaChanged)
def _meta_changed(lookup: Lookup, event: AssetMetaChanged) -> Changes:
    asset = need_asset(lookup, event.asset_id)
    if not same_record(asset.meta, event.before):
        raise Rejected(f"stale edit of asset {event.asset_id[:16]!r}: its metadata changed since the event was made")
    if same_record(asset.meta, event.meta):
        raise Rejected(f"the edit of asset {event.asset_id[:16]!r} changes nothing")
    return {asset_path(asset.id): replace(asset, meta=event.meta)}


@_handles(AssetRemoved)
def _removed(lookup: Lookup, event: AssetRemoved) -> Changes:
    asset = need_asset(lookup, event.asset_id)
    if not same_record(asset, event.before):
        raise Rejected(f"stale removal of asset {event.asset_id[:16]!r}: it changed since the event was made")
    return {asset_path(asset.id): None}


@_handles(AssetDerived)
def _derived(lookup: Lookup, event: AssetDerived) -> Changes:
    if not event.operation:
        raise Rejected(f"asset {event.child[:16]!r}: a derivation names its operation")
    return _with_parents(lookup, event.child, event.parents, f"derived:{event.operation}")


@_handles(GenerationRecorded)
def _generated(lookup: Lookup, event: GenerationRecorded) -> Changes:
    need_asset(lookup, event.asset_id)
    if not event.inputs:
        return {}
    return _with_parents(lookup, event.asset_id, event.inputs, "input")


@_handles(ExportRecorded)
def _exported(lookup: Lookup, event: ExportRecorded) -> Changes:
    if not event.asset_ids:
        raise Rejected("an export names the assets it exported")
    for asset_id in event.asset_ids:
        need_asset(lookup, asset_id)
    return {}


def _new_record(lookup: Lookup, what: str, record_id: str, path: str, taken: str = "") -> str:
    """``path``, where a new record of ``what`` with id ``record_id`` goes: refused when the id is bad or taken."""
    check_id(record_id, f"{what} id")
    if lookup(path) is not None:
        raise Rejected(f"{what} {record_id!r} is already recorded{taken}")
    return path


@_handles(ImportRecorded)
def _import_recorded(lookup: Lookup, event: ImportRecorded) -> Changes:
    record = event.record
    taken = ": this source was imported with these options"
    path = _new_record(lookup, "import", record.id, import_path(record.id), taken)
    if record.source_asset is not None:
        need_asset(lookup, record.source_asset)
    return {path: record}


@_handles(PlaythroughRecorded)
def _playthrough_recorded(lookup: Lookup, event: PlaythroughRecorded) -> Changes:
    record = event.record
    return {_new_record(lookup, "playthrough", record.id, playthrough_path(record.id)): record}


@_handles(FindingRecorded)
def _finding_recorded(lookup: Lookup, event: FindingRecorded) -> Changes:
    finding = event.finding
    path = _new_record(lookup, "finding", finding.id, finding_path(finding.id))
    if finding.status != "open":
        raise Rejected(f"finding {finding.id!r} is recorded open and decided by FindingResolved")
    need_asset(lookup, finding.asset_id)
    return {path: finding}


@_handles(FindingResolved)
def _finding_resolved(lookup: Lookup, event: FindingResolved) -> Changes:
    finding = _need_finding(lookup, event.finding_id)
    if not same_record(finding, event.before):
        raise Rejected(f"finding {event.finding_id!r} changed since it was read")
    if finding.status != "open":
        raise Rejected(f"finding {event.finding_id!r} is already decided ({finding.status})")
    if event.fix == "settle":
        asset = need_asset(lookup, finding.asset_id)
        if finding.kind != "license" or not asset.meta.license:
            raise Rejected(f"finding {event.finding_id!r} is settled only by giving its asset a license")
    elif event.fix not in finding.fixes:
        raise Rejected(f"finding {event.finding_id!r} offers {', '.join(finding.fixes)}, not {event.fix}")
    if event.fix == "replace":
        if not event.replacement:
            raise Rejected(f"replacing for finding {event.finding_id!r} needs the replacement asset")
        if event.replacement == finding.asset_id:
            raise Rejected("an asset cannot replace itself")
        need_asset(lookup, event.replacement)
    elif event.replacement:
        raise Rejected(f"only replace names a replacement, not {event.fix}")
    status = {"replace": "replaced", "remove": "removed", "waive": "waived", "settle": "settled"}[event.fix]
    decided = replace(finding, status=status, replacement=event.replacement, note=event.note)
    return {finding_path(finding.id): decided}


@_handles(PolicyAcknowledged)
def _acknowledged(lookup: Lookup, event: PolicyAcknowledged) -> Changes:
    if not event.by or not event.notice:
        raise Rejected("an acknowledgement names who acknowledged which notice")
    policy = _policy(lookup)
    new = replace(policy, acknowledged_by=event.by, acknowledged_ms=event.time_ms, notice=event.notice)
    return {POLICY_PATH: new}


@_handles(FilterModeSet)
def _filter_set(lookup: Lookup, event: FilterModeSet) -> Changes:
    if event.mode not in FILTER_MODES:
        raise Rejected(f"filter mode {event.mode!r} is not one of {', '.join(FILTER_MODES)}")
    policy = _policy(lookup)
    if policy.filter_mode != event.before:
        raise Rejected(f"stale filter change: the mode is {policy.filter_mode}, not {event.before}")
    if event.mode == event.before:
        raise Rejected(f"the content filter is already {event.mode}")
    return {POLICY_PATH: replace(policy, filter_mode=event.mode)}


@_handles(RecordMerged)
def _record_merged(lookup: Lookup, event: RecordMerged) -> Changes:
    folder, _, rid = event.path.partition("/")
    kind = RECORD_FOLDERS.get(folder)
    if kind is None:
        raise Rejected(f"{event.path!r} is not the path of an asset, finding or policy record")
    if event.record is not None and (type(event.record) is not kind or event.record.id != rid):
        raise Rejected(f"{event.path} cannot hold {type(event.record).__name__} {event.record.id!r}")
    current = lookup(event.path)
    if not same_record(current, event.before):
        raise Rejected(f"stale merge of {event.path}: it is {show(current)}")
    if same_record(current, event.record):
        raise Rejected(f"the merge of {event.path} changes nothing")
    return {event.path: event.record}
