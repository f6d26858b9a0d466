"""Verbs of the ``assets`` group (see :mod:`comfyvn_vault.api`): the asset registry.

``asset add|list|show|export|derive|generated``, and the thumbnail the TUI
draws. An asset is the metadata document of one media file; its id is the
blob id (see :mod:`comfyvn_vault.domain.assets`). Adding files is the
registry's three-phase add (:mod:`comfyvn_vault.assets.registry`); exporting
stamps the file with its provenance (:mod:`comfyvn_vault.provenance.export`);
``derive`` and ``generated`` record how an asset was made
(:mod:`comfyvn_vault.provenance.derivation`).

Every read applies the content filter once
(:func:`~comfyvn_vault.advisory.policy.content_filter`): under ``sfw`` a listing
hides NSFW assets and counts them, and a read or export of one is refused;
under ``warn`` a listing marks them ``flagged`` and an export warns.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, get_args

import msgspec

from comfyvn_vault.api.advisory import FindingRow
from comfyvn_vault.api.provenance import LineageEdge, LineageNode
from comfyvn_vault.assets.detect import safe_name as safe_name  # how a file name is printed
from comfyvn_vault.domain.assets import AssetKind, FilterMode
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
    from comfyvn_vault.domain.assets import Asset
    from comfyvn_vault.vault import Vault

#: Called with the bytes of each file as an add reads it.
Progress = Callable[[int], None]
ASSET_KINDS: Final[tuple[AssetKind, ...]] = get_args(AssetKind)


class AddedAsset(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One file of an ``asset add``: ``new`` is true when this add registered the asset."""

    id: str
    """The asset's id: the hex id of the file's bytes."""
    kind: AssetKind
    mime: str
    bytes: int
    new: bool
    path: str
    """The file as given, printable (stray bytes of a name that is not UTF-8 as ``\\xNN``)."""
    warning: str | None = None
    """One line for the user, e.g. the extension names another type than the bytes hold."""

    @property
    def blob(self) -> ObjectId:
        """The id of the stored bytes (the asset id as an object id)."""
        return ObjectId.from_hex(self.id)


class AssetAdd(msgspec.Struct, kw_only=True):
    """``asset add``: the files, in the order given, registered in one commit (none when nothing changed)."""

    schema: str = "comfyvn.asset-add/1"
    assets: list[AddedAsset]
    warnings: list[str]
    """The liability gate's warnings: risky content imported before ``policy ack``."""


class AssetMetaDoc(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a studio says about an asset."""

    license: str | None
    """An SPDX id or a name; None when none is recorded."""
    nsfw: bool
    origin: str | None = None
    """Where it came from (``import:<file name>``…)."""
    tags: list[str]


class AssetFields(msgspec.Struct, kw_only=True):
    """An asset's metadata as the registry's reads show it."""

    id: str
    kind: AssetKind
    mime: str
    bytes: int
    width: int | None
    height: int | None
    duration_ms: int | None
    name: str
    meta: AssetMetaDoc
    parents: dict[str, str]
    """Lineage: parent asset id → relation (``derived:<operation>``, ``input``)."""


class AssetRow(AssetFields, kw_only=True, omit_defaults=True):
    """One asset of ``asset list``."""

    flagged: bool = False
    """NSFW, shown marked because the content filter is ``warn``."""


class AssetListing(msgspec.Struct, kw_only=True):
    """``asset list``: the registered assets the facets select and the content filter shows, in id order."""

    schema: str = "comfyvn.asset-list/1"
    filter: FilterMode
    """The content filter the listing honoured."""
    hidden: int
    """How many selected assets the filter hid (``sfw`` hides NSFW ones)."""
    assets: list[AssetRow]


class AssetDetail(AssetFields, kw_only=True):
    """``asset show``: one asset's metadata, its findings and its thumbnail."""

    schema: str = "comfyvn.asset/1"
    findings: list[FindingRow]
    thumbnail: str | None
    """The cached thumbnail's path (images only)."""


class ExportedLineage(msgspec.Struct, kw_only=True):
    """The lineage graph an export's provenance record carries."""

    nodes: list[LineageNode]
    edges: list[LineageEdge]


class AssetExport(msgspec.Struct, kw_only=True):
    """``asset export``: the file written with its provenance stamp, and its signed provenance record."""

    schema: str = "comfyvn.asset-export/1"
    file: str
    """The exported file's name."""
    asset: str
    blob: str
    mime: str
    stamp: str
    """``c2pa`` (a signed manifest in the file) or ``text`` (``FILE.stamp.txt``)."""
    digest: str
    """BLAKE3 of the written file."""
    manifest: str | None
    """The C2PA manifest's label."""
    export_event: str
    commit: str
    events: list[str]
    """The lineage's events."""
    lineage: ExportedLineage
    signer: str
    """The vault identity's signing certificate (PEM)."""
    signature: str
    """ES256 over every other field of the record (``FILE.provenance.json``), base64."""
    warnings: list[str]
    """NSFW under ``warn``, risky content before ``policy ack``."""


class AssetCommit(msgspec.Struct, kw_only=True):
    """``asset derive`` and ``asset generated``: the commit that recorded how an asset was made."""

    schema: str = "comfyvn.commit/1"
    commit: str


#: The result types of this module's verbs, for the generated JSON Schemas.
RESULTS: Final[tuple[type[Any], ...]] = (AssetAdd, AssetListing, AssetDetail, AssetExport, AssetCommit)


def total_size(paths: Sequence[str | os.PathLike[str]]) -> int:
    """The bytes an add of ``paths`` reads, for a progress bar (a file that cannot be read counts 0)."""
    total = 0
    for path in paths:
        try:
            total += os.path.getsize(path)
        except OSError:
            continue  # add refuses it, with the reason
    return total


def add(
    vault: Vault,
    paths: Sequence[str | os.PathLike[str]],
    *,
    license: str | None = None,
    tags: Sequence[str] = (),
    nsfw: bool = False,
    origin: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    message: str | None = None,
) -> AssetAdd:
    """Register files as assets (``AssetImported`` events in one commit on HEAD's branch), atomically.

    Every file is checked and probed (its kind from its bytes, its metadata, a
    full image decode) before anything is written; on any error nothing is
    changed. Re-adding a registered file adds what is said now (tags, a
    license, the NSFW flag). ``strict`` refuses a file whose extension names
    another type than its bytes hold (default: warn).
    """
    from comfyvn_vault.advisory.policy import gate_warnings
    from comfyvn_vault.assets.registry import Options, add_files

    options = Options(license=license, tags=list(tags), nsfw=nsfw, origin=origin, strict=strict)
    added = add_files(vault, paths, progress, options, message=message)
    rows = [
        AddedAsset(id=a.id.hex(), kind=a.kind, mime=a.mime, bytes=a.bytes, new=a.new, path=a.path, warning=a.warning)
        for a in added
    ]
    return AssetAdd(
        assets=rows,
        warnings=gate_warnings(vault, [a.asset for a in added if a.new], "import"),
    )


def _fields(asset: Asset) -> dict[str, Any]:
    meta = asset.meta
    return {
        "id": asset.id,
        "kind": asset.kind,
        "mime": asset.mime,
        "bytes": asset.bytes,
        "width": asset.width,
        "height": asset.height,
        "duration_ms": asset.duration_ms,
        "name": asset.name,
        "meta": AssetMetaDoc(license=meta.license, nsfw=meta.nsfw, origin=meta.origin, tags=list(meta.tags)),
        "parents": dict(asset.parents),
    }


def list_assets(
    vault: Vault,
    *,
    kind: str | None = None,
    tag: str | None = None,
    license: str | None = None,
    nsfw: bool | None = None,
) -> AssetListing:
    """The checkout's assets with every facet given (``license="(none)"``: unlicensed), as the filter shows them."""
    from comfyvn_vault.advisory.policy import content_filter
    from comfyvn_vault.assets.records import assets_at
    from comfyvn_vault.errors import InputRejected
    from comfyvn_vault.projections.assets import assets_with

    if kind is not None and kind not in ASSET_KINDS:
        raise InputRejected(f"asset kind {kind!r} is not one of {', '.join(ASSET_KINDS)}")
    shown = content_filter(vault)
    facets = {"kind": kind, "tag": tag, "license": license, "nsfw": None if nsfw is None else "yes" if nsfw else "no"}
    wanted: set[str] | None = None
    for facet, value in facets.items():
        if value:
            ids = set(assets_with(vault.projections, facet, value))
            wanted = ids if wanted is None else wanted & ids
    selected = [a for a in assets_at(vault) if wanted is None or a.id in wanted]
    visible, hidden = shown.visible(selected)
    rows = [AssetRow(**_fields(a), flagged=shown.marks(a)) for a in visible]
    return AssetListing(filter=shown.mode, hidden=hidden, assets=rows)


def _shown(vault: Vault, asset: str) -> Asset:
    """The asset ``asset`` names (any unique id prefix), refused when the content filter hides it."""
    from comfyvn_vault.advisory.policy import content_filter
    from comfyvn_vault.assets.records import get_asset

    return content_filter(vault).require_shown(get_asset(vault, asset))


def show(vault: Vault, asset: str) -> AssetDetail:
    """One asset's metadata (any unique id prefix), its findings and its thumbnail."""
    from comfyvn_vault.advisory.findings import findings_at
    from comfyvn_vault.assets import thumbs

    found = _shown(vault, asset)
    thumb = thumbs.thumbnail(vault, found)
    return AssetDetail(
        **_fields(found),
        findings=[FindingRow.of(f) for f in findings_at(vault) if f.asset_id == found.id],
        thumbnail=str(thumb) if thumb else None,
    )


def thumbnail(vault: Vault, asset: str) -> Path | None:
    """The cached thumbnail of an image asset (made from its blob on a miss); None for other kinds."""
    from comfyvn_vault.assets import thumbs

    return thumbs.thumbnail(vault, _shown(vault, asset))


def export(vault: Vault, asset: str, target: Path, *, force: bool = False) -> AssetExport:
    """Write an asset to ``target`` with its provenance stamp (C2PA, or a text stamp) and a signed record.

    Refused (nothing written): what the content filter hides, an asset with an
    open finding, a target that exists (unless ``force`` and a regular file)
    or is not a regular file.
    """
    from comfyvn_vault.advisory.policy import content_filter
    from comfyvn_vault.assets.records import get_asset
    from comfyvn_vault.provenance.export import export_asset

    found = get_asset(vault, asset)
    record, warnings = export_asset(vault, found, target, shown=content_filter(vault), force=force)
    fields = {key: value for key, value in record.items() if key != "schema"}  # the record's own: provenance/1
    return msgspec.convert(fields | {"warnings": warnings}, AssetExport)


def derive(
    vault: Vault, child: str, parents: Sequence[str], operation: str, params: dict[str, str] | None = None
) -> AssetCommit:
    """Record that asset ``child`` was made from ``parents`` by ``operation`` (ids: unique prefixes)."""
    from comfyvn_vault.provenance.derivation import record_derivation

    return AssetCommit(commit=record_derivation(vault, child, parents, operation, params).commit_id.hex())


def generated(
    vault: Vault,
    asset: str,
    *,
    workflow_hash: str,
    seed: int,
    model: str,
    inputs: Sequence[str] = (),
    device: str = "",
    prompt: str | None = None,
    job: str | None = None,
) -> AssetCommit:
    """Record how an asset was generated: workflow hash, seed, model, input assets, device."""
    from comfyvn_vault.provenance.derivation import record_generation

    rec = record_generation(
        vault,
        asset,
        workflow_hash=workflow_hash,
        seed=seed,
        model=model,
        inputs=inputs,
        device=device,
        prompt=prompt,
        job=job,
    )
    return AssetCommit(commit=rec.commit_id.hex())
