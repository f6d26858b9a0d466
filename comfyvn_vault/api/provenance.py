"""Verbs of the ``provenance`` group (see :mod:`comfyvn_vault.api`): ``lineage`` and ``verify``.

An asset's lineage is the graph back to its original sources: the assets it
was made from and every event that produced or touched each of them (import,
generation, derivation, findings and decisions, exports), read back from
history by :mod:`comfyvn_vault.provenance.lineage`. ``verify`` checks the
provenance stamp of an exported file (:mod:`comfyvn_vault.provenance.export`),
or a whole ``comfyvn-bundle@1`` (:mod:`comfyvn_vault.provenance.verify_bundle`).
Both reads of an asset apply the content filter: under ``sfw`` an NSFW asset
is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec
from msgspec import UNSET, UnsetType

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault


class LineageAsset(msgspec.Struct, kw_only=True, tag_field="kind", tag="asset"):
    """An asset of the graph; one removed from the registry since keeps its events and says ``missing``."""

    id: str
    event: str | None
    """The first event that touched it (None when history holds none)."""
    name: str | UnsetType = UNSET
    mime: str | UnsetType = UNSET
    license: str | UnsetType | None = UNSET
    nsfw: bool | UnsetType = UNSET
    missing: bool | UnsetType = UNSET
    """True when the asset is no longer in the registry (then name, mime, license and nsfw are absent)."""


class LineageEvent(msgspec.Struct, kw_only=True, omit_defaults=True, tag_field="kind", tag="event"):
    """An event that produced or touched an asset of the graph, with what it says about it."""

    id: str
    event: str
    """The event's id (the same as ``id``)."""
    commit: str
    """The commit that recorded it."""
    index: int
    """Its position in that commit's events."""
    type: str
    """The event type (``AssetImported``, ``AssetDerived``, ``GenerationRecorded``…)."""
    operation: str | None = None
    workflow_hash: str | None = None
    seed: int | None = None
    model: str | None = None
    device: str | None = None
    target: str | None = None
    stamp: str | None = None
    fix: str | None = None
    source: str | None = None
    finding: str | None = None
    """The finding a ``FindingRecorded`` or ``FindingResolved`` is about."""
    message: str | None = None
    cause: str | None = None
    """What produced the event: ``user``, ``import``, ``generation``, ``hook``…"""

    def details(self) -> dict[str, str | int]:
        """What a drawing of the graph shows beside the event: its operation, model, seed, fix or target."""
        shown = (("operation", self.operation), ("model", self.model), ("seed", self.seed), ("fix", self.fix))
        return {key: value for key, value in (*shown, ("target", self.target)) if value is not None}


LineageNode = LineageAsset | LineageEvent


class LineageEdge(msgspec.Struct, kw_only=True):
    """From a parent asset to its child (``derived:<operation>``, ``input``), or from an event to its asset."""

    from_: str = msgspec.field(name="from")
    to: str
    relation: str
    """``imported``, ``generated``, ``derived``, ``finding``, ``decision``, ``exported``… or the parent relation."""


class LineageProblem(msgspec.Struct, kw_only=True):
    """An object whose bytes are missing or do not hash to its id."""

    id: str
    kind: str
    """What it is: ``asset``, ``blob``, ``event`` or ``commit``."""
    detail: str


class LineageCheck(msgspec.Struct, kw_only=True):
    """What ``lineage --verify`` re-hashed on the way, and what it found."""

    objects: int
    problems: list[LineageProblem]


class Lineage(msgspec.Struct, kw_only=True):
    """``lineage ASSET``: the graph from an asset back to its original sources, with its events."""

    schema: str = "comfyvn.lineage/1"
    asset: str
    nodes: list[LineageNode]
    """The assets (the asked-for one first, then towards the sources), then the events."""
    edges: list[LineageEdge]
    sources: list[str]
    """The assets of the graph that were made from no other asset."""
    verified: LineageCheck | UnsetType = UNSET
    """Only with ``verify``."""

    @property
    def problems(self) -> list[LineageProblem]:
        """What the verification found (none when nothing was verified)."""
        return [] if isinstance(self.verified, UnsetType) else self.verified.problems


class AssetUser(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A scene node or character that names the asset."""

    path: str
    kind: str
    """``node`` or the record kind (``character``…)."""
    scene: str | None = None
    node: str | None = None


class DerivedAsset(msgspec.Struct, kw_only=True):
    """An asset made from this one."""

    asset: str
    relation: str


class AssetExportUse(msgspec.Struct, kw_only=True):
    """An export of the asset recorded in HEAD's history."""

    event: str
    commit: str
    target: str
    """The exported file's name."""
    stamp: str
    """``c2pa`` or ``text``."""


class UsedBy(msgspec.Struct, kw_only=True):
    """``lineage ASSET --used-by``: every scene node, character, derived asset and export using the asset."""

    schema: str = "comfyvn.used-by/1"
    asset: str
    users: list[AssetUser]
    children: list[DerivedAsset]
    exports: list[AssetExportUse]


class Verification(msgspec.Struct, kw_only=True):
    """``verify FILE``: a file's provenance stamp, checked (a C2PA manifest, or a text stamp and its signed record)."""

    schema: str = "comfyvn.verify/1"
    file: str
    mime: str
    stamp: str
    """``c2pa`` or ``text``."""
    state: str
    """``Trusted`` (signed by this vault and confirmed by its history) or ``Valid``."""
    trusted: bool
    asset: str | None
    known: bool | None
    """Whether this vault's history holds the asset (None outside a vault)."""
    confirmed: bool
    """The file is this vault's own export, confirmed by its history (``verify`` exits 0, else 1)."""
    signed: bool | UnsetType = UNSET
    """A text stamp's record carries a signature (older exports have none)."""
    title: str | UnsetType | None = UNSET
    signer: str | UnsetType | None = UNSET
    """The C2PA signer's common name."""
    actions: list[str] | UnsetType = UNSET
    """The C2PA actions (``c2pa.opened``, ``c2pa.edited``, ``c2pa.created``…)."""
    ingredients: list[str | None] | UnsetType = UNSET
    """The titles of the C2PA manifest's ingredients."""
    failures: list[str] | UnsetType = UNSET


class BundleVerification(msgspec.Struct, kw_only=True):
    """``verify BUNDLE.zip``: a ``comfyvn-bundle@1`` checked against its manifest and ``provenance.json``."""

    schema: str = "comfyvn.verify-bundle/1"
    file: str
    bundle: str
    """The bundle's format (``comfyvn-bundle@1``)."""
    vault: str
    """The vault it was exported from."""
    commit: str
    tree: str
    """The state tree its documents make."""
    members: int
    documents: int
    assets: int
    c2pa: int
    """How many media carry an embedded C2PA manifest (every one validated)."""
    c2pa_trusted: int
    """How many of those this vault signed."""
    resolved: bool | None
    """Whether every id it names (documents, blobs, events, commits) is in this vault (None outside a vault)."""
    unresolved: int | None
    missing: list[str]
    """The first ids not in this vault, as ``kind id``."""
    confirmed: bool
    """Intact and, inside a vault, every id resolves (``verify`` exits 0, else 1)."""


#: The result types of this module's verbs, for the generated JSON Schemas.
RESULTS: Final[tuple[type[Any], ...]] = (Lineage, UsedBy, Verification, BundleVerification)


def lineage(vault: Vault, asset: str, *, verify: bool = False) -> Lineage:
    """The lineage graph of an asset (any unique id prefix); ``verify`` re-hashes every object on the way."""
    from comfyvn_vault.advisory.policy import content_filter
    from comfyvn_vault.assets.records import get_asset
    from comfyvn_vault.provenance.lineage import lineage as graph_of

    root = content_filter(vault).require_shown(get_asset(vault, asset))
    return msgspec.convert(graph_of(vault, root, verify=verify), Lineage)


def used_by(vault: Vault, asset: str) -> UsedBy:
    """Every scene node, character, derived asset and export that uses an asset (any unique id prefix)."""
    from comfyvn_vault.advisory.policy import content_filter
    from comfyvn_vault.assets.records import get_asset
    from comfyvn_vault.provenance.lineage import used_by as users_of

    found = content_filter(vault).require_shown(get_asset(vault, asset))
    return msgspec.convert(users_of(vault, found), UsedBy)


def verify(vault: Vault | None, file: Path) -> Verification | BundleVerification:
    """Read and check ``file``'s provenance stamp; ``vault`` (None outside one) decides what is trusted.

    A ``comfyvn-bundle@1`` zip is checked whole instead
    (:mod:`comfyvn_vault.provenance.verify_bundle`). A tampered file, member or
    record, a broken manifest or no stamp at all is refused
    (:class:`~comfyvn_vault.errors.InputRejected`, exit 3).
    """
    from comfyvn_vault.errors import InputRejected
    from comfyvn_vault.provenance.export import verify_file
    from comfyvn_vault.provenance.verify_bundle import bundle_manifest, verify_bundle

    if file.is_file() and bundle_manifest(file) is not None:
        return msgspec.convert(verify_bundle(file, vault)[1], BundleVerification)
    _, report = verify_file(file, vault)
    try:
        return msgspec.convert(report, Verification)
    except msgspec.ValidationError as exc:  # a manifest signed by someone, saying odd things
        raise InputRejected(f"{file}: its provenance stamp is not one comfyvn reads ({exc})") from None
