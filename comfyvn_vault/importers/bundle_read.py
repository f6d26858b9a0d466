"""Reading a ``comfyvn-bundle@1`` zip and checking every byte of it against its manifest.

:func:`read_bundle` is what a restore and ``verify`` both read a bundle with.
Every check runs before anything is returned, so a restore stores nothing
from a bundle that fails one:

* the zip itself through :class:`~comfyvn_vault.adapters.archive.SafeZip`
  (no member escaping it, no link, no bomb, every member capped) and every
  JSON member through ``load_json`` (size and depth capped);
* the manifest is a :class:`~comfyvn_vault.exporters.bundle_format.BundleManifest`;
  it lists every member but itself, each with its size and BLAKE3, and the zip
  holds exactly those;
* every document decodes to the kind it says, lives at the tree path it is
  listed under, and hashes (canonically encoded) to its object id; for
  ``verify``, together they make the manifest's ``tree``;
* every asset's bytes (its member without the C2PA manifest, or its
  ``original``) hash to its blob id and have its size, and its document agrees;
* ``provenance.json`` names the same commit and tree and lists exactly the
  bundle's assets.

Each refusal is one line naming the bundle and the member (exit 3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from comfyvn_vault.adapters.archive import MAX_MEMBER_BYTES, load_json
from comfyvn_vault.adapters.importer import SourceFiles
from comfyvn_vault.domain.assets import RECORD_FOLDERS, Asset, asset_path
from comfyvn_vault.domain.document import Document, document_id
from comfyvn_vault.domain.entities import TYPE_OF
from comfyvn_vault.domain.paths import tree_path_problem
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.exporters import c2pa_strip
from comfyvn_vault.exporters.bundle_format import (
    BUNDLE_SCHEMA,
    MANIFEST,
    PROVENANCE,
    BundleManifest,
    BundleMember,
    BundleProvenance,
    document_member,
    read_document,
)
from comfyvn_vault.store.ids import ObjectId, hash_bytes

TreeId = Callable[[Mapping[str, ObjectId]], ObjectId]
#: Folders a bundle's documents may live in, and the type each holds.
KINDS: Final[dict[str, type[Any]]] = {**TYPE_OF, **RECORD_FOLDERS}


@dataclass(frozen=True)
class Bundle:
    """A bundle as read and checked: its manifest, documents by tree path, blobs by asset id."""

    manifest: BundleManifest
    documents: dict[str, Document]
    blobs: dict[str, bytes]
    provenance: BundleProvenance
    stamped: dict[str, bytes]
    """The members carrying a C2PA manifest, by asset id (what ``verify`` reads the manifests from)."""


def is_bundle(manifest: object) -> bool:
    """True when a decoded ``manifest.json`` says it is a ``comfyvn-bundle@1``."""
    return isinstance(manifest, dict) and manifest.get("schema") == BUNDLE_SCHEMA


def read_bundle(
    files: SourceFiles,
    where: str,
    manifest: Any | None = None,
    *,
    tree_id: TreeId | None = None,
    keep_blobs: bool = True,
) -> Bundle:
    """Read and check the bundle whose members ``files`` holds (see the module docstring).

    ``manifest`` is ``manifest.json`` already decoded, when the caller read it to
    tell a bundle from a studio pack. ``tree_id`` computes a state tree's id from
    its entries (``history.tree.tree_id_of``, which ``verify`` passes): planning an
    import reads no history, and compares every document with its id instead.
    ``keep_blobs=False`` checks every blob and keeps none (``Bundle.blobs`` is then empty).
    """
    raw = load_json(files.read(MANIFEST), f"{where}: {MANIFEST}") if manifest is None else manifest
    try:
        head = msgspec.convert(raw, BundleManifest)
    except msgspec.ValidationError as exc:
        raise InputRejected(f"{where}: {MANIFEST} is not a {BUNDLE_SCHEMA} manifest ({str(exc)[:160]})") from None
    reader = _Members(files, head, where)
    documents = _documents(reader, head, where, tree_id)
    blobs, stamped = _assets(reader, head, documents, where, keep_blobs)
    provenance = _provenance(reader, head, where)
    return Bundle(head, documents, blobs, provenance, stamped)


class _Members:
    """The bundle's members, each read once and checked against its manifest entry."""

    def __init__(self, files: SourceFiles, manifest: BundleManifest, where: str) -> None:
        self.files, self.where = files, where
        self.listed: dict[str, BundleMember] = {}
        for m in manifest.members:
            if m.path in self.listed or m.path == MANIFEST:
                raise InputRejected(f"{where}: {MANIFEST} lists {m.path[:120]!r} twice")
            if m.bytes < 0 or m.bytes > MAX_MEMBER_BYTES:
                raise InputRejected(f"{where}: {MANIFEST} gives {m.path[:120]!r} a size of {m.bytes} bytes")
            self.listed[m.path] = m
        present = set(files.names()) - {MANIFEST}
        extra = sorted(present - self.listed.keys())
        if extra:
            raise InputRejected(f"{where}: member {extra[0][:120]!r} is not in {MANIFEST}")
        missing = sorted(self.listed.keys() - present)
        if missing:
            raise InputRejected(f"{where}: member {missing[0][:120]!r} of {MANIFEST} is not in the bundle")
        self.used: set[str] = set()

    def read(self, name: str) -> bytes:
        entry = self.listed.get(name)
        if entry is None:
            raise InputRejected(f"{self.where}: {name[:120]!r} is not a member {MANIFEST} lists")
        if name in self.used:
            raise InputRejected(f"{self.where}: {MANIFEST} names member {name[:120]!r} for two things")
        self.used.add(name)
        data = self.files.read(name)
        if len(data) != entry.bytes or hash_bytes(data).hex() != entry.blake3:
            raise InputRejected(f"{self.where}: {name[:120]} does not match its hash in {MANIFEST}")
        return data


def _documents(reader: _Members, head: BundleManifest, where: str, tree_id: TreeId | None) -> dict[str, Document]:
    documents: dict[str, Document] = {}
    ids: dict[str, ObjectId] = {}
    for entry in head.documents:
        at = f"{where}: {entry.file[:120]}"
        problem = tree_path_problem(entry.path)
        if problem is not None:
            raise InputRejected(f"{where}: document path {entry.path[:120]!r} {problem}")
        if entry.path in documents:
            raise InputRejected(f"{where}: {MANIFEST} lists {entry.path!r} twice")
        if entry.file != document_member(entry.path):
            raise InputRejected(f"{at}: not where the document {entry.path!r} belongs")
        doc = read_document(reader.read(entry.file), at)
        folder, _, doc_id = entry.path.partition("/")
        if type(doc) is not KINDS.get(folder) or getattr(doc, "id", None) != doc_id:
            raise InputRejected(f"{at}: holds a {type(doc).__name__} {getattr(doc, 'id', '')!r}, not {entry.path!r}")
        oid = document_id(doc)
        if oid.hex() != entry.id:
            raise InputRejected(f"{at}: does not hash to its object id {entry.id[:12]}")
        documents[entry.path] = doc
        ids[entry.path] = oid
    if tree_id is not None and tree_id(ids).hex() != head.tree:
        raise InputRejected(f"{where}: the documents do not make the state tree {head.tree[:12]} the manifest names")
    return documents


def _assets(
    reader: _Members, head: BundleManifest, documents: dict[str, Document], where: str, keep: bool
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    blobs: dict[str, bytes] = {}
    stamped: dict[str, bytes] = {}
    seen: set[str] = set()
    for entry in head.assets:
        at = f"{where}: {entry.file[:120]}"
        doc = documents.get(asset_path(entry.id)) if tree_path_problem(f"assets/{entry.id}") is None else None
        if not isinstance(doc, Asset) or entry.id in seen:
            raise InputRejected(f"{at}: asset {entry.id[:12]} has no document of its own in the bundle")
        if (doc.mime, doc.bytes) != (entry.mime, entry.bytes):
            raise InputRejected(f"{at}: its type or size is not what its document says")
        data = reader.read(entry.file)
        if entry.original is not None:
            blob = reader.read(entry.original)
        elif entry.c2pa:
            blob = c2pa_strip.strip(data, entry.mime) or b""
        else:
            blob = data
        if len(blob) != entry.bytes or hash_bytes(blob) != doc.blob:
            raise InputRejected(f"{at}: its bytes do not hash to asset {entry.id[:12]}")
        seen.add(entry.id)
        if keep:
            blobs[entry.id] = blob
        if entry.c2pa:
            stamped[entry.id] = data
    unlisted = sorted(p for p, d in documents.items() if isinstance(d, Asset) and d.id not in seen)
    if unlisted:
        raise InputRejected(f"{where}: {unlisted[0]} has no media in the bundle")
    return blobs, stamped


def _provenance(reader: _Members, head: BundleManifest, where: str) -> BundleProvenance:
    at = f"{where}: {PROVENANCE}"
    try:
        prov = msgspec.convert(load_json(reader.read(PROVENANCE), at), BundleProvenance)
    except msgspec.ValidationError as exc:
        raise InputRejected(f"{at}: not a bundle's provenance ({str(exc)[:160]})") from None
    if (prov.commit, prov.tree) != (head.commit, head.tree):
        raise InputRejected(f"{at}: names another commit or tree than {MANIFEST}")
    if sorted(a.asset for a in prov.assets) != sorted(a.id for a in head.assets):
        raise InputRejected(f"{at}: does not list exactly the bundle's assets")
    for asset in prov.assets:
        member = reader.listed.get(asset.file)
        if member is None or member.blake3 != asset.blake3:
            raise InputRejected(f"{at}: asset {asset.asset[:12]}'s file does not match {MANIFEST}")
    unread = sorted(set(reader.listed) - reader.used)
    if unread:
        raise InputRejected(f"{where}: member {unread[0][:120]!r} is listed but belongs to nothing")
    return prov


__all__ = ["Bundle", "is_bundle", "read_bundle"]
