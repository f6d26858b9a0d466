"""Reads over the registered records: every asset or finding of a tree, an asset by id prefix."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from comfyvn_vault.domain.assets import Asset, Finding, asset_path
from comfyvn_vault.domain.paths import ASSETS, FINDINGS
from comfyvn_vault.errors import InputRejected, ObjectNotFound

if TYPE_CHECKING:
    from comfyvn_vault.store.ids import ObjectId
    from comfyvn_vault.vault import Vault


R = TypeVar("R", Asset, Finding)


def records_at(vault: Vault, kind: type[R], tree: ObjectId | None = None) -> list[R]:
    """Every record of ``kind`` (assets, findings) in ``tree`` (default: the checkout), in id order."""
    tree = vault.checkout_tree() if tree is None else tree
    if tree is None:
        return []
    folder = ASSETS if kind is Asset else FINDINGS
    out = []
    for _, doc_id in vault.history.trees.items(tree, folder + "/"):
        doc = vault.history.any_doc(doc_id)
        if isinstance(doc, kind):
            out.append(doc)
    return out


def assets_at(vault: Vault, tree: ObjectId | None = None) -> list[Asset]:
    """Every asset registered in ``tree`` (default: the checkout), in id order."""
    return records_at(vault, Asset, tree)


def get_asset(vault: Vault, text: str, tree: ObjectId | None = None) -> Asset:
    """The asset whose id starts with ``text`` (4+ hex digits) in the checkout."""
    text = text.strip().lower()
    if len(text) < 4 or any(c not in "0123456789abcdef" for c in text):
        raise InputRejected(f"{text[:80]!r} is not an asset id (4 to 64 hex digits)")
    tree = vault.checkout_tree() if tree is None else tree
    if tree is None:
        raise ObjectNotFound(f"no asset {text}")
    if len(text) == 64:
        doc_id = vault.history.trees.get(tree, asset_path(text))
        doc = vault.history.any_doc(doc_id) if doc_id is not None else None
        if isinstance(doc, Asset):
            return doc
        raise ObjectNotFound(f"no asset {text[:16]}")
    found = _by_prefix(vault, tree, text)
    if not found:
        raise ObjectNotFound(f"no asset {text}")
    if len(found) > 1:
        raise InputRejected(f"asset id {text} is ambiguous ({len(found)} assets); give more digits")
    return found[0]


def _by_prefix(vault: Vault, tree: ObjectId, prefix: str) -> list[Asset]:
    from comfyvn_vault.projections.assets import asset_ids_with_prefix

    out = []
    for asset_id in asset_ids_with_prefix(vault.projections, prefix):
        doc_id = vault.history.trees.get(tree, asset_path(asset_id))
        doc = vault.history.any_doc(doc_id) if doc_id is not None else None
        if isinstance(doc, Asset):
            out.append(doc)
    return out
