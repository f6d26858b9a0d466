"""The vault behind an export: what :class:`~comfyvn_vault.adapters.exporter.ExportContext` reads.

``comfyvn export`` hands this to every exporter with the story view. It reads
nothing until asked: the content filter comes from the policy and the
projections on first use, lineage from the events-by-entity projection, and
signing goes through :func:`~comfyvn_vault.provenance.export.sign_asset`, the
same C2PA stamp ``asset export`` writes.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from comfyvn_vault.adapters.exporter import Signed, Snapshot
from comfyvn_vault.domain.assets import Asset
from comfyvn_vault.domain.entities import Node
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
    from comfyvn_vault.advisory.policy import ContentFilter
    from comfyvn_vault.vault import Vault


class VaultExportContext:
    """An export's view of the vault beyond its story (see the module docstring)."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def snapshot(self) -> Snapshot:
        return self._snapshot

    @functools.cached_property
    def _snapshot(self) -> Snapshot:
        """HEAD when first asked: one export reads one commit, whatever moves meanwhile."""
        history = self.vault.history
        head = history.head()
        if head is None:
            raise InputRejected("the vault has no commit to export")
        commit = history.commit(head)
        return Snapshot(self.vault.root.name, history.head_branch(), head, commit.tree, commit.time)

    def entries(self) -> Iterator[tuple[str, ObjectId]]:
        history = self.vault.history
        yield from history.trees.items(self.snapshot().tree)

    def chunks(self, blob: ObjectId) -> Iterator[bytes]:
        return self.vault.store.iter_chunks(blob)

    @functools.cached_property
    def _filter(self) -> ContentFilter:
        from comfyvn_vault.advisory.policy import content_filter

        return content_filter(self.vault)

    def filter_mode(self) -> str:
        return self._filter.mode

    def hides(self, asset: Asset) -> bool:
        return self._filter.hides(asset)

    def hides_node(self, node: Node) -> bool:
        return self._filter.hides_node(node)

    def check_export(self, assets: list[Asset]) -> list[str]:
        from comfyvn_vault.provenance.export import export_checks

        return export_checks(self.vault, assets, self._filter)

    def lineage_events(self, asset: Asset) -> list[dict[str, Any]]:
        from comfyvn_vault.provenance.lineage import lineage

        graph = lineage(self.vault, asset)
        relations = {e["from"]: e["relation"] for e in graph["edges"] if e["to"] == asset.id}
        out = []
        for node in graph["nodes"]:
            if node["kind"] != "event" or node["id"] not in relations:
                continue
            commit = self.vault.history.commit(ObjectId.from_hex(node["commit"]))
            out.append({**node, "relation": relations[node["id"]], "time_ms": commit.time})
        return out

    def tree_id(self, entries: Mapping[str, ObjectId]) -> ObjectId:
        from comfyvn_vault.history.tree import tree_id_of

        return tree_id_of(entries)

    def sign(self, asset: Asset, title: str) -> Signed | None:
        from comfyvn_vault.provenance import c2pa_io
        from comfyvn_vault.provenance.export import sign_asset

        if not c2pa_io.can_sign(asset.mime):
            return None
        buffer = io.BytesIO()
        label = sign_asset(self.vault, asset, title, buffer)
        return Signed(buffer.getvalue(), label)


__all__ = ["VaultExportContext"]
