"""``comfyvn export bundle FILE.zip``: HEAD's whole state as a ``comfyvn-bundle@1`` zip.

The format is :mod:`.bundle_format`. The plan reads HEAD's state tree through
the export context (:class:`~comfyvn_vault.adapters.exporter.ExportContext`),
decides what goes in, and plans one file whose writer streams the zip: the
documents, the media one at a time (a blob that is not signed is copied from
the store in chunks, never held whole; a signed one is held while c2pa signs
it), ``provenance.json`` and, last, ``manifest.json`` with every member's hash.

What goes in is every document of the tree, so a restore into a fresh vault
rebuilds the same tree id, except what the content filter hides:

* under ``sfw`` an NSFW asset is left out, and so is every scene with a node
  the filter hides (flagged NSFW, or naming an NSFW asset);
* then, until nothing more changes, every document needing one that was left
  out: a scene naming a left-out asset, speaker or scene (its links would
  dangle), a character whose portrait or expression was left out, an asset
  derived from a left-out one, a timeline listing a left-out scene, a finding
  about a left-out asset, an import whose source was left out.

Each is named, with why, in the plan's notes (the export's ``findings``) and in
the manifest's ``left_out``; the manifest's ``tree`` is then the tree of what
the bundle holds, beside the exported commit's own (``commit_tree``). A story
with unresolved merge conflicts is refused (resolve them first), as are assets
with open advisory findings (as ``asset export`` refuses them).
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator, Mapping
from typing import IO, Any, BinaryIO, Final

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.exporter import ExportContext, ExportPlan, OutputFile, Snapshot, StoryView
from comfyvn_vault.domain.assets import Asset, Finding, ImportRecord, asset_path, asset_refs
from comfyvn_vault.domain.document import Document, document_id
from comfyvn_vault.domain.entities import Character, Scene, Timeline
from comfyvn_vault.domain.paths import CHARACTERS, CONFLICTS, scene_path, split_target
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.exporters import c2pa_strip
from comfyvn_vault.exporters.bundle_format import (
    MANIFEST,
    MEDIA,
    ORIGINALS,
    PROVENANCE,
    AssetProvenance,
    BundleAsset,
    BundleDocument,
    BundleManifest,
    BundleMember,
    BundleProvenance,
    LeftOut,
    ParentLink,
    ProvenanceEvent,
    document_bytes,
    document_member,
    read_document,
)
from comfyvn_vault.importers.bundle_pack import MIME_OF
from comfyvn_vault.store.ids import ObjectId, hash_bytes, new_hasher

EXT_OF: Final = {mime: ext for ext, mime in reversed(MIME_OF.items())}


class BundleExportOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where the bundle goes."""

    file: str = "bundle.zip"
    """The zip's path in the export (``comfyvn export bundle OUT.zip`` sets it to ``OUT.zip``)."""


class BundleExporter:
    """Writes HEAD's state as a ``comfyvn-bundle@1`` zip (see the module docstring)."""

    info: Final = AdapterInfo("bundle", "1")
    options_type: Final = BundleExportOptions

    def plan(self, story: StoryView, options: BundleExportOptions) -> ExportPlan:
        ctx = story.context
        if ctx is None:
            raise InputRejected("a bundle is exported from a vault (its history and signing identity)")
        snap = ctx.snapshot()
        entries = dict(ctx.entries())
        conflicts = [p for p in entries if p.startswith(f"{CONFLICTS}/")]
        if conflicts:
            raise InputRejected(f"the story has {len(conflicts)} unresolved conflicts: resolve them before a bundle")
        docs: dict[str, Document] = {}
        for path, oid in entries.items():
            doc = story.lookup(path)
            if doc is None or document_id(doc) != oid:
                raise InputRejected("HEAD moved while the bundle was planned; export it again")
            docs[path] = doc
        left = left_out(docs, ctx)
        kept = {p: oid for p, oid in entries.items() if p not in left}
        assets = [d for p, d in sorted(docs.items()) if p in kept and isinstance(d, Asset)]
        notes = ctx.check_export(assets)
        notes += [f"left out {path}: {why}" for path, why in sorted(left.items())]
        writer = _BundleWriter(self.info, ctx, snap, {p: docs[p] for p in kept}, kept, left)
        return ExportPlan(self.info, (OutputFile(options.file, writer.write),), notes=tuple(notes))


def left_out(docs: Mapping[str, Document], ctx: ExportContext) -> dict[str, str]:
    """The paths the export leaves out, each with why (see the module docstring)."""
    left: dict[str, str] = {}
    if ctx.filter_mode() == "sfw":
        for path, doc in docs.items():
            if isinstance(doc, Asset) and ctx.hides(doc):
                left[path] = "an NSFW asset (the content filter is sfw)"
            elif isinstance(doc, Scene) and any(ctx.hides_node(n) for n in doc.nodes):
                left[path] = "a scene with NSFW content (the content filter is sfw)"
    if not left:
        return left
    needs = {path: [n for n in needed_by(path, doc) if n in docs] for path, doc in docs.items()}
    changed = True
    while changed:
        changed = False
        for path, wanted in needs.items():
            if path in left:
                continue
            missing = next((n for n in wanted if n in left), None)
            if missing is not None:
                left[path] = f"it needs {missing}, which was left out"
                changed = True
    return left


def needed_by(path: str, doc: Document) -> Iterator[str]:
    """The tree paths ``doc`` names and needs (assets, speakers, linked scenes, parents)."""
    if isinstance(doc, Scene):
        for node in doc.nodes:
            if node.speaker:
                yield f"{CHARACTERS}/{node.speaker}"
            values = [*node.directives.values()]
            for value in node.meta.values():
                values.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
            yield from (asset_path(ref) for v in values for ref in asset_refs(v))
            for target in (*node.next, *(c.target for c in node.choices)):
                other, _ = split_target(target)
                if other is not None and other != doc.id:
                    yield scene_path(other)
    elif isinstance(doc, Character):
        values = [doc.portrait_asset_id or "", *doc.expressions.values()]
        values += [v for v in doc.meta.values() if isinstance(v, str)]
        yield from (asset_path(ref) for v in values for ref in asset_refs(v))
    elif isinstance(doc, Timeline):
        yield from (scene_path(s) for s in doc.scene_order)
    elif isinstance(doc, Asset):
        yield from (asset_path(p) for p in doc.parents)
    elif isinstance(doc, Finding):
        yield asset_path(doc.asset_id)
        if doc.replacement:
            yield asset_path(doc.replacement)
    elif isinstance(doc, ImportRecord) and doc.source_asset is not None:
        yield asset_path(doc.source_asset)


def media_member(asset: Asset) -> str:
    return f"{MEDIA}/{asset.id}.{EXT_OF.get(asset.mime, 'bin')}"


class _BundleWriter:
    """Streams the bundle's zip to the output file (the plan's one :data:`Writer`)."""

    def __init__(
        self,
        info: AdapterInfo,
        ctx: ExportContext,
        snap: Snapshot,
        docs: dict[str, Document],
        kept: dict[str, ObjectId],
        left: dict[str, str],
    ) -> None:
        self.info, self.ctx, self.snap = info, ctx, snap
        self.docs, self.kept, self.left = docs, kept, left
        self.members: list[BundleMember] = []
        # Zip times are wall-clock fields from 1980 on; the commit's UTC time keeps them the same everywhere.
        t = time.gmtime(snap.time_ms // 1000)
        fields = (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
        self.date_time = fields if t.tm_year >= 1980 else (1980, 1, 1, 0, 0, 0)

    def write(self, out: BinaryIO) -> None:
        with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
            documents = [self._document(zf, path) for path in sorted(self.kept)]
            assets: list[BundleAsset] = []
            provenance: list[AssetProvenance] = []
            for path in sorted(self.kept):
                doc = self.docs[path]
                if isinstance(doc, Asset):
                    entry, label, digest = self._media(zf, doc)
                    assets.append(entry)
                    provenance.append(self._provenance(doc, entry, label, digest))
            prov = BundleProvenance(
                vault=self.snap.vault, commit=self.snap.commit.hex(), tree=self._tree(), assets=provenance
            )
            self._put(zf, PROVENANCE, msgspec.json.format(msgspec.json.encode(prov), indent=2) + b"\n")
            manifest = BundleManifest(
                exporter=self.info.ref,
                vault=self.snap.vault,
                branch=self.snap.branch,
                commit=self.snap.commit.hex(),
                commit_tree=self.snap.tree.hex(),
                tree=self._tree(),
                time_ms=self.snap.time_ms,
                filter=self.ctx.filter_mode(),
                scenes=sum(isinstance(d, Scene) for d in self.docs.values()),
                characters=sum(isinstance(d, Character) for d in self.docs.values()),
                documents=documents,
                assets=assets,
                members=self.members,
                left_out=[LeftOut(path=p, reason=r) for p, r in sorted(self.left.items())],
            )
            self._put(zf, MANIFEST, msgspec.json.format(msgspec.json.encode(manifest), indent=2) + b"\n", listed=False)

    def _tree(self) -> str:
        return self.ctx.tree_id(self.kept).hex()

    def _info(self, name: str, compress: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o100644 << 16
        return info

    def _put(self, zf: zipfile.ZipFile, name: str, data: bytes, *, compress: bool = True, listed: bool = True) -> str:
        zf.writestr(self._info(name, compress), data)
        digest = hash_bytes(data).hex()
        if listed:
            self.members.append(BundleMember(path=name, blake3=digest, bytes=len(data)))
        return digest

    def _document(self, zf: zipfile.ZipFile, path: str) -> BundleDocument:
        doc = self.docs[path]
        oid = self.kept[path]
        data = document_bytes(doc)
        if document_id(read_document(data, path)) != oid:
            # A value JSON cannot carry exactly would make the restore differ: refuse now, not then.
            raise InputRejected(f"{path}: cannot be carried exactly as JSON; not exported")
        file = document_member(path)
        self._put(zf, file, data)
        return BundleDocument(path=path, file=file, kind=str(type(doc).__struct_config__.tag), id=oid.hex())

    def _media(self, zf: zipfile.ZipFile, asset: Asset) -> tuple[BundleAsset, str | None, str]:
        file = media_member(asset)
        entry = BundleAsset(
            id=asset.id,
            file=file,
            mime=asset.mime,
            kind=asset.kind,
            bytes=asset.bytes,
            license=asset.meta.license,
            nsfw=asset.meta.nsfw,
            tags=list(asset.meta.tags),
        )
        signed = self.ctx.sign(asset, file.rsplit("/", 1)[-1])
        if signed is None:
            return entry, None, self._stream(zf, file, asset.blob)
        digest = self._put(zf, file, signed.data, compress=False)
        back = c2pa_strip.strip(signed.data, asset.mime)
        original = None
        if back is None or hash_bytes(back) != asset.blob:
            original = f"{ORIGINALS}/{asset.id}"
            self._stream(zf, original, asset.blob)
        return msgspec.structs.replace(entry, c2pa=True, original=original), signed.label, digest

    def _stream(self, zf: zipfile.ZipFile, name: str, blob: ObjectId) -> str:
        """Copy a blob into member ``name`` in chunks; the BLAKE3 of what was written."""
        h = new_hasher()
        size = 0
        dest: IO[bytes]
        with zf.open(self._info(name, compress=False), "w", force_zip64=True) as dest:
            for chunk in self.ctx.chunks(blob):
                dest.write(chunk)
                h.update(chunk)
                size += len(chunk)
        if h.digest() != bytes(blob):
            raise InputRejected(f"blob {blob.short()} does not hash to its id; run comfyvn fsck")
        self.members.append(BundleMember(path=name, blake3=h.hexdigest(), bytes=size))
        return h.hexdigest()

    def _provenance(self, asset: Asset, entry: BundleAsset, label: str | None, digest: str) -> AssetProvenance:
        events = [msgspec.convert(_event_fields(e), ProvenanceEvent) for e in self.ctx.lineage_events(asset)]
        return AssetProvenance(
            asset=asset.id,
            blob=asset.blob.hex(),
            document=self.kept[asset_path(asset.id)].hex(),
            file=entry.file,
            blake3=digest,
            c2pa_manifest=label,
            parents=[ParentLink(asset=p, relation=r) for p, r in sorted(asset.parents.items())],
            events=events,
        )


_EVENT_FIELDS: Final = frozenset(f.name for f in msgspec.structs.fields(ProvenanceEvent))


def _event_fields(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k in _EVENT_FIELDS}


__all__ = ["BundleExportOptions", "BundleExporter", "left_out", "needed_by"]
