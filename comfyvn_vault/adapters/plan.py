"""An import plan: everything an importer decided, before anything is written.

An importer reads a source and the current story (through a read-only lookup)
and returns a :class:`Plan`: the domain events to record, the blobs those events
need stored (bytes under their BLAKE3 id), a summary for the person who ran the
import, and the importer's name and version for provenance. Planning does no IO
and touches no vault, so a plan can be inspected, tested, shown as a dry run or
thrown away; :func:`~comfyvn_vault.adapters.apply.apply_import` is what writes one.

Importers build plans with a :class:`PlanBuilder`: they describe the new version
of each entity they create or change and the builder derives the events with
:func:`~comfyvn_vault.domain.diffing.diff_entities`, the same path a story verb
or a hand-edited file takes, so an import is recorded node by node and field by
field like any other edit. :func:`check_plan` proves a plan applies.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.domain.apply import apply_all
from comfyvn_vault.domain.asset_events import AssetImported
from comfyvn_vault.domain.assets import Asset, AssetKind, AssetMeta, asset_path
from comfyvn_vault.domain.cause import Cause
from comfyvn_vault.domain.diffing import diff_entities
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import ENTITY_TYPES, Entity, Node, path_of
from comfyvn_vault.domain.events import CharacterCreated, Event, SceneCreated
from comfyvn_vault.domain.paths import entity_path
from comfyvn_vault.domain.validate import Listing, Lookup
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.ids import ObjectId, hash_bytes


class SourceFinding(msgspec.Struct, frozen=True, omit_defaults=True):
    """Something about the source worth telling: a line kept as narration, a name that was changed."""

    message: str
    where: str = ""
    """Where in the source (``line 12``, ``page 3``); empty for the source as a whole."""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ImportSummary(msgspec.Struct, frozen=True):
    """What an import creates (ids, in the order created) and what it found in the source."""

    scenes: list[str] = []
    characters: list[str] = []
    assets: list[str] = []
    findings: list[SourceFinding] = []

    @classmethod
    def of(cls, events: tuple[Event, ...], findings: list[SourceFinding]) -> ImportSummary:
        """The summary of ``events``: read from the events themselves, so it cannot disagree with them."""
        return cls(
            scenes=[e.scene.id for e in events if isinstance(e, SceneCreated)],
            characters=[e.character.id for e in events if isinstance(e, CharacterCreated)],
            assets=[e.asset.id for e in events if isinstance(e, AssetImported)],
            findings=list(findings),
        )

    def describe(self) -> str:
        """``1 scene, 2 characters, 1 asset`` (``nothing new`` when it creates nothing)."""
        counts = ((len(self.scenes), "scene"), (len(self.characters), "character"), (len(self.assets), "asset"))
        parts = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts if n]
        return ", ".join(parts) or "nothing new"


@dataclass(frozen=True)
class Plan:
    """An importer's result: events to record, blobs to store, a summary, and who made it."""

    info: AdapterInfo
    cause: Cause
    events: tuple[Event, ...]
    blobs: Mapping[ObjectId, bytes]
    """Bytes under their id; every one is the blob of an asset some event of the plan imports."""
    summary: ImportSummary
    source_name: str = ""
    source_asset: str | None = None
    """The asset holding the source itself (:meth:`PlanBuilder.add_source`), which lineage leads back to."""
    recorded: bool = True
    """Whether the import is recorded (an ``ImportRecord``). A restore is not: the state it restores is
    its record, and a plan with no events then means the vault already holds that state."""

    def message(self) -> str:
        """A commit message: ``Import chat.txt with text@1: 1 scene, 2 characters``."""
        what = f"Import {self.source_name}" if self.source_name else "Import"
        return f"{what} with {self.info.ref}: {self.summary.describe()}"


def check_plan(plan: Plan, lookup: Lookup, listing: Listing | None = None, *, events: bool = True) -> None:
    """Raise :class:`InputRejected` unless ``plan`` applies to the state ``lookup`` reads.

    Its events must apply in order (:func:`~comfyvn_vault.domain.apply.apply_all`;
    ``events=False`` leaves that to the commit, which applies them anyway), every
    blob must be stored under its own id and be the blob of an asset the plan
    imports (a blob nothing points at would be lost to ``gc``), and every asset
    the plan imports must have its bytes in the plan.
    """
    if events:
        apply_all(lookup, plan.events, listing=listing)
    imported = {e.asset.blob for e in plan.events if isinstance(e, AssetImported)}
    for oid, data in plan.blobs.items():
        if hash_bytes(data) != oid:
            raise InputRejected(f"{plan.info.ref}: a blob is filed under {oid.short()}, which is not its id")
        if oid not in imported:
            raise InputRejected(f"{plan.info.ref}: blob {oid.short()} is not the blob of an asset the plan imports")
    missing = imported - plan.blobs.keys()
    if missing:
        oid = min(missing)
        raise InputRejected(f"{plan.info.ref}: the plan imports asset {oid.short()} without its bytes")


class PlanBuilder:
    """Collects a plan: entities become events through ``diff_entities``, blobs are kept by id.

    Reads go through the lookup the importer was given, overlaid with what the
    builder has planned so far, so a later step sees an earlier one (a character
    created for the first line is found again for the tenth).
    """

    def __init__(self, info: AdapterInfo, lookup: Lookup, source_name: str = "") -> None:
        self.info = info
        self.source_name = source_name
        self.cause = info.cause("import", source_name)
        self._lookup = lookup
        self._planned: dict[str, Document | None] = {}
        self._events: list[Event] = []
        self._blobs: dict[ObjectId, bytes] = {}
        self._findings: list[SourceFinding] = []
        self._source_asset: str | None = None

    @property
    def lookup(self) -> Lookup:
        """The story the plan is made against, without what the plan changes."""
        return self._lookup

    def current(self, path: str) -> Document | None:
        """The document at ``path`` as the plan so far leaves it."""
        return self._planned[path] if path in self._planned else self._lookup(path)

    def taken(self, folder: str) -> Container[str]:
        """The ids in use in ``folder`` (planned, or in the story), to pick a fresh one with ``fresh_id``."""
        return _Taken(self, folder)

    def save(self, entity: Entity) -> None:
        """Plan ``entity`` as the new version of what is stored at its path (created if absent)."""
        path = path_of(entity)
        old = self.current(path)
        if old is not None and (not isinstance(old, ENTITY_TYPES) or type(old) is not type(entity)):
            raise InputRejected(f"{path} holds a {type(old).__name__}, not a {type(entity).__name__}")
        self._events.extend(diff_entities(path, old, entity, cause=self.cause))
        self._planned[path] = entity

    def add_asset(
        self,
        data: bytes,
        *,
        kind: AssetKind,
        mime: str,
        name: str = "",
        meta: AssetMeta | None = None,
        source: str | None = None,
    ) -> Asset:
        """Plan ``data`` as an asset; the asset already registered (same bytes) when there is one."""
        oid = hash_bytes(data)
        path = asset_path(oid.hex())
        known = self.current(path)
        if isinstance(known, Asset):
            return known
        asset = Asset(
            id=oid.hex(), blob=oid, kind=kind, mime=mime, bytes=len(data), name=name, meta=meta or AssetMeta()
        )
        self._blobs[oid] = bytes(data)
        self._events.append(AssetImported(asset=asset, source=source, cause=self.cause))
        self._planned[path] = asset
        return asset

    def restore_asset(self, asset: Asset, data: bytes, source: str | None = None) -> None:
        """Plan ``asset`` exactly as given (sizes, lineage and all) with its bytes, as a restore needs.

        Its parents must be registered or planned first; ``data`` must hash to its blob.
        """
        if hash_bytes(data) != asset.blob:
            raise InputRejected(f"{self.info.ref}: the bytes of asset {asset.id[:12]} do not hash to its blob")
        self._blobs[asset.blob] = bytes(data)
        self.record(AssetImported(asset=asset, source=source, cause=self.cause), {asset_path(asset.id): asset})

    def record(self, event: Event, changes: Mapping[str, Document | None]) -> None:
        """Plan ``event`` as it is, which leaves the documents ``changes`` names as given there.

        For records (findings, imports, the policy) that no entity diff makes;
        the plan's check applies the event, so a ``changes`` that lies is caught there.
        """
        self._events.append(event)
        self._planned.update(changes)

    def add_source(self, data: bytes, *, kind: AssetKind = "other", mime: str = "application/octet-stream") -> Asset:
        """Plan the source file itself as an asset: what the import's record and its scenes point back to.

        Call it once, with the bytes of the source (for a folder, of the file
        that stands for it); point scenes at it with ``meta["source_asset"]``.
        """
        asset = self.add_asset(data, kind=kind, mime=mime, name=self.source_name, source=self.source_name or None)
        self._source_asset = asset.id
        return asset

    def note(self, message: str, where: str = "") -> None:
        """Tell the person who runs the import something about the source."""
        self._findings.append(SourceFinding(message, where))

    def build(self) -> Plan:
        events = tuple(self._events)
        return Plan(
            info=self.info,
            cause=self.cause,
            events=events,
            blobs=MappingProxyType(dict(self._blobs)),
            summary=ImportSummary.of(events, self._findings),
            source_name=self.source_name,
            source_asset=self._source_asset,
        )


def local_only(node: Node, sid: str) -> Node:
    """``node`` without its links into other scenes (a choice points at its own node meanwhile).

    Every scene is planned like this first, then in full, so a link may name a node
    of a scene planned later, and scenes may link to each other both ways.
    """

    def local(target: str) -> bool:
        scene, colon, _ = target.partition(":")
        return not colon or scene == sid

    if all(local(t) for t in (*node.next, *(c.target for c in node.choices))):
        return node
    choices = [c if local(c.target) else msgspec.structs.replace(c, target=node.id) for c in node.choices]
    return msgspec.structs.replace(node, next=[t for t in node.next if local(t)], choices=choices)


class _Taken:
    """Ids in use in a folder: planned ones, and those the story already has."""

    def __init__(self, builder: PlanBuilder, folder: str) -> None:
        self.builder, self.folder = builder, folder

    def __contains__(self, entity_id: object) -> bool:
        return isinstance(entity_id, str) and self.builder.current(entity_path(self.folder, entity_id)) is not None
