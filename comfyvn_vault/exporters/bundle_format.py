"""The ``comfyvn-bundle@1`` format: a zip holding a vault's story exactly, with its provenance.

A bundle is what ``comfyvn export bundle FILE.zip`` writes and ``comfyvn import
bundle FILE.zip`` restores (:mod:`comfyvn_vault.exporters.bundle`,
:mod:`comfyvn_vault.importers.bundle_restore`). Its members:

* ``manifest.json`` — a :class:`BundleManifest`: the exported commit and its
  state-tree id, the id of the tree the bundle's documents make (the same
  unless the content filter left something out), every document (tree path,
  member, kind, object id), every asset (blob id, MIME type, size, license,
  NSFW flag, tags, whether its file carries a C2PA manifest) and every other
  member with the BLAKE3 of its bytes;
* ``documents/<folder>/<id>.json`` — each document of the state tree (scenes,
  characters, timelines, variables, and the records beside them: assets,
  findings, the policy, imports, playthroughs) as JSON; decoded and encoded
  canonically it hashes to its object id, so a restore rebuilds the same tree;
* ``assets/<blob id>.<ext>`` — the media. PNG, JPEG and WAV carry a signed C2PA
  manifest embedded; without it (:mod:`comfyvn_vault.exporters.c2pa_strip`)
  the file is the blob's bytes again, which is what a restore stores. When
  stripping would not give them back exactly, ``originals/<blob id>`` holds them;
* ``provenance.json`` — a :class:`BundleProvenance`: for every asset the events
  that made and touched it (event and commit ids, generation seeds, workflow
  and model, commit times), its document's and blob's ids and its member's hash.

The JSON Schemas of the manifest and the provenance are in ``schemas/formats/``.
Hashes are BLAKE3-256, as every id in the vault, in lowercase hex.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec

from comfyvn_vault.adapters.archive import load_json
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.document import Document, document_from_json, document_json
from comfyvn_vault.errors import InputRejected

BUNDLE_SCHEMA: Final = "comfyvn-bundle@1"
PROVENANCE_SCHEMA: Final = "comfyvn-bundle-provenance@1"
MANIFEST: Final = "manifest.json"
PROVENANCE: Final = "provenance.json"
DOCUMENTS: Final = "documents"
MEDIA: Final = "assets"
ORIGINALS: Final = "originals"


class _Strict(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of the bundle's records: a field a reader does not know is refused, not ignored."""


class BundleMember(_Strict, frozen=True, kw_only=True):
    """One member of the bundle (every member but ``manifest.json``) and the BLAKE3 of its bytes."""

    path: str
    blake3: str
    bytes: int


class BundleDocument(_Strict, frozen=True, kw_only=True):
    """One document of the state tree: where it lives, which member holds it, and its object id."""

    path: str
    """The state-tree path (``scenes/intro``, ``assets/<blob id>``)."""
    file: str
    """The member holding it as JSON (``documents/scenes/intro.json``)."""
    kind: str
    """Its type (``Scene``, ``Asset``, ``Finding``…)."""
    id: str
    """Its object id: the BLAKE3 of its canonical bytes (what the state tree points at)."""


class BundleAsset(_Strict, frozen=True, kw_only=True):
    """One asset's media: the blob the vault stores and the member that carries it."""

    id: str
    """The asset id, which is the blob id: the BLAKE3 of the bytes a restore stores."""
    file: str
    mime: str
    kind: str
    bytes: int
    """The size of the blob (the member is larger when it carries a C2PA manifest)."""
    license: str | None = None
    nsfw: bool = False
    tags: list[str] = []
    c2pa: bool = False
    """The member carries an embedded, signed C2PA manifest; without it, it is the blob's bytes."""
    original: str | None = None
    """A member holding the blob's bytes, when stripping the manifest would not give them back."""


class LeftOut(_Strict, frozen=True, kw_only=True):
    """A document the export left out, and why (the content filter, or something it needs was left out)."""

    path: str
    reason: str


class BundleManifest(_Strict, frozen=True, kw_only=True):
    """``manifest.json`` of a ``comfyvn-bundle@1``."""

    schema: Literal["comfyvn-bundle@1"] = "comfyvn-bundle@1"
    exporter: str
    """The exporter and its version (``bundle@1``)."""
    vault: str
    """The name of the vault it was exported from (its folder's name)."""
    branch: str
    commit: str
    """The commit exported (HEAD)."""
    commit_tree: str
    """That commit's state-tree id."""
    tree: str
    """The id of the state tree the bundle's documents make: a restore into a fresh vault ends at it.

    The same as ``commit_tree`` unless ``left_out`` is not empty."""
    time_ms: int
    """When the exported commit was made (milliseconds since the epoch, UTC)."""
    filter: str
    """The content filter the export ran under (``sfw`` leaves NSFW assets out)."""
    scenes: int
    characters: int
    documents: list[BundleDocument]
    assets: list[BundleAsset]
    members: list[BundleMember]
    left_out: list[LeftOut] = []


class ProvenanceEvent(_Strict, frozen=True, kw_only=True):
    """An event that made or touched an asset, as the vault's history recorded it."""

    event: str
    commit: str
    index: int
    """Its position among its commit's events."""
    type: str
    time_ms: int
    """When its commit was made."""
    relation: str
    """What it did to the asset: ``imported``, ``generated``, ``derived``, ``finding``, ``exported``…"""
    cause: str | None = None
    operation: str | None = None
    workflow_hash: str | None = None
    seed: int | None = None
    model: str | None = None
    device: str | None = None
    source: str | None = None


class ParentLink(_Strict, frozen=True, kw_only=True):
    """A parent of an asset and how the asset came from it (``derived:<operation>``, ``input``)."""

    asset: str
    relation: str


class AssetProvenance(_Strict, frozen=True, kw_only=True):
    """Where one asset of the bundle came from, resolving to ids of the exporting vault."""

    asset: str
    blob: str
    document: str
    """The object id of the asset's document."""
    file: str
    blake3: str
    """The BLAKE3 of the member (the blob id itself unless it carries a C2PA manifest)."""
    c2pa_manifest: str | None = None
    """The label of the embedded C2PA manifest."""
    parents: list[ParentLink] = []
    events: list[ProvenanceEvent] = []


class BundleProvenance(_Strict, frozen=True, kw_only=True):
    """``provenance.json`` of a ``comfyvn-bundle@1``."""

    schema: Literal["comfyvn-bundle-provenance@1"] = "comfyvn-bundle-provenance@1"
    vault: str
    commit: str
    tree: str
    assets: list[AssetProvenance]


FORMATS: Final = (BundleManifest, BundleProvenance)
"""The types whose JSON Schemas ``schemas/formats/`` holds."""


def document_member(path: str) -> str:
    """The member holding the document at tree path ``path``."""
    return f"{DOCUMENTS}/{path}.json"


def document_bytes(doc: Document) -> bytes:
    """A document as its bundle member holds it: :func:`~comfyvn_vault.domain.document.document_json`, indented."""
    return msgspec.json.format(document_json(doc), indent=2) + b"\n"


def read_document(data: bytes, where: str) -> Document:
    """A document member's JSON as the document it holds (links from hex), refused when it is not one."""
    value = load_json(data, where)
    if not isinstance(value, dict) or not isinstance(value.get("_type"), str):
        raise InputRejected(f"{where}: not a document (no '_type')")
    try:
        doc = document_from_json(value)
    except InputRejected as exc:
        raise InputRejected(f"{where}: {exc.message}") from None
    if isinstance(doc, Conflict):
        raise InputRejected(f"{where}: a bundle carries no merge conflicts")
    return doc


__all__ = [
    "BUNDLE_SCHEMA",
    "FORMATS",
    "AssetProvenance",
    "BundleAsset",
    "BundleDocument",
    "BundleManifest",
    "BundleMember",
    "BundleProvenance",
    "LeftOut",
    "ProvenanceEvent",
    "document_bytes",
    "document_member",
    "read_document",
]
