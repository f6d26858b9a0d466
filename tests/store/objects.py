"""Structured objects the store tests write: a generic linked object under a ref.

:class:`AssetRoll` keeps the shape (tag and fields) of the store-level roll of
added blobs that ``asset add`` once kept under the ref ``assets``. The product
no longer writes it (asset records in history link their blobs), but the store
tests still need an object that links blobs and a parent, moved by
compare-and-swap on a ref, to exercise packs, links, fsck, gc and the writer
lock independently of history.
"""

from __future__ import annotations

from typing import Final

from comfyvn_vault.store.codec import StoredObject
from comfyvn_vault.store.ids import ObjectId

ROLL_REF: Final = "assets"


class AssetRoll(StoredObject, frozen=True, tag="AssetRoll"):
    parent: ObjectId | None
    blobs: list[ObjectId]
    names: list[str]
