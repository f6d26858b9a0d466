"""Events of the asset registry, lineage, advisory and policy (DESIGN §6).

Like the story events they are frozen, tagged and past tense, name what they
touch and carry their :class:`Cause`; removals carry ``before``. Lineage is
read back from them: every event here touches ``assets/<id>`` of each asset it
concerns, so the events-by-entity projection lists, for any asset, its import,
generations, derivations, findings, decisions and exports.
"""

from __future__ import annotations

from comfyvn_vault.domain.assets import (
    POLICY_PATH,
    Asset,
    AssetMeta,
    FilterMode,
    Finding,
    Fix,
    ImportRecord,
    PlaythroughRecord,
    Record,
    asset_path,
    finding_path,
    import_path,
    playthrough_path,
)
from comfyvn_vault.domain.cause import Cause
from comfyvn_vault.store.codec import StoredObject


class AssetImported(StoredObject, frozen=True, kw_only=True, tag="AssetImported"):
    """A file entered the registry; ``source`` is where it came from (a file name, a URL, a job)."""

    asset: Asset
    source: str | None = None
    cause: Cause

    def touched(self) -> list[str]:
        return [asset_path(self.asset.id)]


class AssetMetaChanged(StoredObject, frozen=True, kw_only=True, tag="AssetMetaChanged"):
    """An asset's license, NSFW flag, origin or tags changed from ``before`` to ``meta``."""

    asset_id: str
    meta: AssetMeta
    before: AssetMeta
    cause: Cause

    def touched(self) -> list[str]:
        return [asset_path(self.asset_id)]


class AssetRemoved(StoredObject, frozen=True, kw_only=True, tag="AssetRemoved"):
    """An asset left the registry (a quick fix, or a user's choice); ``before`` is what it was."""

    asset_id: str
    before: Asset
    cause: Cause

    def touched(self) -> list[str]:
        return [asset_path(self.asset_id)]


class AssetDerived(StoredObject, frozen=True, kw_only=True, tag="AssetDerived"):
    """Asset ``child`` was made from ``parents`` by ``operation`` (crop, upscale, mix…)."""

    child: str
    parents: list[str]
    operation: str
    params: dict[str, str] = {}
    cause: Cause

    def touched(self) -> list[str]:
        return [asset_path(self.child), *(asset_path(p) for p in self.parents)]


class GenerationRecorded(StoredObject, frozen=True, kw_only=True, tag="GenerationRecorded"):
    """Asset ``asset_id`` was generated: workflow hash, seed, model, input assets and device."""

    asset_id: str
    workflow_hash: str
    seed: int
    model: str
    inputs: list[str] = []
    device: str = ""
    prompt: str | None = None
    cause: Cause

    def touched(self) -> list[str]:
        return [asset_path(self.asset_id), *(asset_path(p) for p in self.inputs)]


class ExportRecorded(StoredObject, frozen=True, kw_only=True, tag="ExportRecorded"):
    """Assets left the vault in an export: ``target`` (a file name), ``stamp`` (c2pa or text), ``digest``."""

    asset_ids: list[str]
    target: str
    stamp: str
    digest: str = ""
    manifest: str | None = None
    cause: Cause

    def touched(self) -> list[str]:
        return [asset_path(a) for a in self.asset_ids]


class ImportRecorded(StoredObject, frozen=True, kw_only=True, tag="ImportRecorded"):
    """A source was imported (see :class:`ImportRecord`); the events it produced are in the same commit."""

    record: ImportRecord
    cause: Cause

    def touched(self) -> list[str]:
        paths = [import_path(self.record.id)]
        if self.record.source_asset is not None:
            paths.append(asset_path(self.record.source_asset))
        return paths


class PlaythroughRecorded(StoredObject, frozen=True, kw_only=True, tag="PlaythroughRecorded"):
    """A playthrough was recorded (``comfyvn play --record``), for ``replay`` to reproduce."""

    record: PlaythroughRecord
    cause: Cause

    def touched(self) -> list[str]:
        return [playthrough_path(self.record.id)]


class FindingRecorded(StoredObject, frozen=True, kw_only=True, tag="FindingRecorded"):
    """The advisory filed a finding about an asset."""

    finding: Finding
    cause: Cause

    def touched(self) -> list[str]:
        return [finding_path(self.finding.id), asset_path(self.finding.asset_id)]


class FindingResolved(StoredObject, frozen=True, kw_only=True, tag="FindingResolved"):
    """A finding was decided with quick fix ``fix``; ``before`` is the finding as it was."""

    finding_id: str
    fix: Fix
    replacement: str | None = None
    note: str | None = None
    before: Finding
    cause: Cause

    def touched(self) -> list[str]:
        paths = [finding_path(self.finding_id), asset_path(self.before.asset_id)]
        if self.replacement:
            paths.append(asset_path(self.replacement))
        return paths


class PolicyAcknowledged(StoredObject, frozen=True, kw_only=True, tag="PolicyAcknowledged"):
    """``by`` acknowledged the liability notice (``notice`` names its version) at ``time_ms``."""

    by: str
    time_ms: int
    notice: str
    cause: Cause

    def touched(self) -> list[str]:
        return [POLICY_PATH]


class FilterModeSet(StoredObject, frozen=True, kw_only=True, tag="FilterModeSet"):
    """The content filter changed from ``before`` to ``mode``."""

    mode: FilterMode
    before: FilterMode
    cause: Cause

    def touched(self) -> list[str]:
        return [POLICY_PATH]


class RecordMerged(StoredObject, frozen=True, kw_only=True, tag="RecordMerged"):
    """A merge set the record at ``path`` to ``record`` (``None``: removed); ``before`` is ours."""

    path: str
    record: Record | None
    before: Record | None
    cause: Cause

    def touched(self) -> list[str]:
        return [self.path]


ASSET_EVENTS = (
    AssetImported,
    AssetMetaChanged,
    AssetRemoved,
    AssetDerived,
    GenerationRecorded,
    ExportRecorded,
    ImportRecorded,
    PlaythroughRecorded,
    FindingRecorded,
    FindingResolved,
    PolicyAcknowledged,
    FilterModeSet,
    RecordMerged,
)
