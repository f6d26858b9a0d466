"""An asset's lineage, read back from history: the graph to its original sources, with its events.

Nodes are assets and the events that touched them; edges go from a parent
asset to its child (``derived:<operation>``, ``input``) and from each event to
the asset it produced or touched (``imported``, ``generated``, ``derived``,
``finding``, ``decision``, ``exported``…). Events come from the events-by-entity
projection, filtered to what HEAD's history contains, so ``lineage`` never
replays history. ``--verify`` re-hashes every object on the way (asset
documents, blobs, events, their commits) and reports each mismatch.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Final

from comfyvn_vault.domain.assets import Asset, asset_path
from comfyvn_vault.errors import VaultError
from comfyvn_vault.store.codec import decode
from comfyvn_vault.store.ids import ObjectId, hash_bytes, new_hasher

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

SCHEMA: Final = "comfyvn.lineage/1"
_RELATION: Final[dict[str, str]] = {
    "AssetImported": "imported",
    "AssetMetaChanged": "edited",
    "AssetRemoved": "removed",
    "AssetDerived": "derived",
    "GenerationRecorded": "generated",
    "ExportRecorded": "exported",
    "ImportRecorded": "import source",
    "FindingRecorded": "finding",
    "FindingResolved": "decision",
    "RecordMerged": "merged",
}


def _events_of(vault: Vault, asset_id: str, head: ObjectId | None) -> list[tuple[ObjectId, int, ObjectId]]:
    """(commit, index, event id) of the events touching ``asset_id`` in HEAD's history, oldest first."""
    out = []
    for _, commit, idx, eid in vault.projections.events_for(asset_path(asset_id)):
        if head is not None and vault.history.is_ancestor(commit, head):
            out.append((commit, idx, eid))
    return out


def _summary(event: Any) -> dict[str, Any]:
    name = type(event).__name__
    doc: dict[str, Any] = {"type": name}
    for field in ("operation", "workflow_hash", "seed", "model", "device", "target", "stamp", "fix", "source"):
        value = getattr(event, field, None)
        if value not in (None, ""):
            doc[field] = value
    finding = getattr(event, "finding", None) or getattr(event, "before", None)
    if name.startswith("Finding") and finding is not None:
        doc["finding"] = finding.id
        doc["message"] = finding.message
    cause = getattr(event, "cause", None)
    if cause is not None:
        doc["cause"] = cause.kind
    return doc


def lineage(vault: Vault, root: Asset, *, verify: bool = False) -> dict[str, Any]:
    """The lineage graph of ``root``, per the ``lineage --json`` shape (the API's read applies the content filter)."""
    head = vault.history.head()
    tree = vault.checkout_tree()
    lookup = vault.history.lookup_in(tree)
    asset_nodes: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    problems: list[dict[str, str]] = []
    seen_assets: set[str] = set()
    seen_events: set[ObjectId] = set()
    queue: deque[str] = deque([root.id])
    checked = 0
    while queue:
        asset_id = queue.popleft()
        if asset_id in seen_assets:
            continue
        seen_assets.add(asset_id)
        doc = lookup(asset_path(asset_id))
        node: dict[str, Any] = {"id": asset_id, "kind": "asset", "event": None}
        if isinstance(doc, Asset):
            node.update(name=doc.name, mime=doc.mime, license=doc.meta.license, nsfw=doc.meta.nsfw)
            if verify:
                checked += _verify_asset(vault, tree, doc, problems)
            for parent, relation in sorted(doc.parents.items()):
                edges.append({"from": parent, "to": asset_id, "relation": relation})
                queue.append(parent)
        else:
            node["missing"] = True  # removed from the registry since; its events still tell its story
        for commit, idx, eid in _events_of(vault, asset_id, head):
            if verify:
                checked += _verify_object(vault, eid, "event", problems) + _verify_object(
                    vault, commit, "commit", problems
                )
            if node["event"] is None:
                node["event"] = eid.hex()
            if eid in seen_events:
                edges.append({"from": eid.hex(), "to": asset_id, "relation": _relation_of(vault, eid)})
                continue
            seen_events.add(eid)
            event = decode(vault.store.get(eid))
            relation = _RELATION.get(type(event).__name__, "touched")
            nodes.append(
                {"id": eid.hex(), "kind": "event", "event": eid.hex(), "commit": commit.hex(), "index": idx}
                | _summary(event)
            )
            edges.append({"from": eid.hex(), "to": asset_id, "relation": relation})
        asset_nodes.append(node)
    doc_out: dict[str, Any] = {
        "schema": SCHEMA,
        "asset": root.id,
        "nodes": asset_nodes + nodes,
        "edges": edges,
        "sources": sorted(a for a in seen_assets if not _has_parents(lookup, a)),
    }
    if verify:
        doc_out["verified"] = {"objects": checked, "problems": problems}
    return doc_out


def _relation_of(vault: Vault, eid: ObjectId) -> str:
    return _RELATION.get(type(decode(vault.store.get(eid))).__name__, "touched")


def _has_parents(lookup: Any, asset_id: str) -> bool:
    doc = lookup(asset_path(asset_id))
    return isinstance(doc, Asset) and bool(doc.parents)


def _verify_object(vault: Vault, oid: ObjectId, what: str, problems: list[dict[str, str]]) -> int:
    try:
        data = vault.store.get(oid)
    except VaultError as exc:
        problems.append({"id": oid.hex(), "kind": what, "detail": exc.message})
        return 1
    if hash_bytes(data) != oid:
        problems.append({"id": oid.hex(), "kind": what, "detail": "bytes do not hash to the id"})
    return 1


def _verify_asset(vault: Vault, tree: ObjectId | None, asset: Asset, problems: list[dict[str, str]]) -> int:
    """Re-hash an asset's document and its blob (streamed)."""
    n = 0
    if tree is not None:
        doc_id = vault.history.trees.get(tree, asset_path(asset.id))
        if doc_id is not None:
            n += _verify_object(vault, doc_id, "asset", problems)
    h = new_hasher()
    try:
        for chunk in vault.store.iter_chunks(asset.blob):
            h.update(chunk)
    except VaultError as exc:
        problems.append({"id": asset.id, "kind": "blob", "detail": exc.message})
        return n + 1
    if h.digest() != bytes(asset.blob):
        problems.append({"id": asset.id, "kind": "blob", "detail": "bytes do not hash to the id"})
    return n + 1


def used_by(vault: Vault, asset: Asset) -> dict[str, Any]:
    """Every scene node, character, derived asset and export that uses ``asset``."""
    from comfyvn_vault.domain.asset_events import ExportRecorded
    from comfyvn_vault.projections.assets import edges as lineage_edges
    from comfyvn_vault.projections.assets import users

    head = vault.history.head()
    out_users = []
    for path in users(vault.projections, asset.id):
        kind = "node" if "#" in path else path.split("/", 1)[0][:-1]
        entry: dict[str, Any] = {"path": path, "kind": kind}
        if "#" in path:
            scene, node = path.split("/", 1)[1].split("#", 1)
            entry.update(scene=scene, node=node)
        out_users.append(entry)
    exports = []
    for commit, _, eid in _events_of(vault, asset.id, head):
        event = decode(vault.store.get(eid))
        if isinstance(event, ExportRecorded):
            exports.append({"event": eid.hex(), "commit": commit.hex(), "target": event.target, "stamp": event.stamp})
    children = [{"asset": c, "relation": r} for c, r in lineage_edges(vault.projections, asset.id, "down")]
    return {
        "schema": "comfyvn.used-by/1",
        "asset": asset.id,
        "users": out_users,
        "children": children,
        "exports": exports,
    }
