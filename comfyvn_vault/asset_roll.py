"""The store-level roll of added blobs, kept beside the asset registry.

The asset registry itself is history: ``asset add`` commits ``AssetImported``
events and :class:`~comfyvn_vault.domain.assets.Asset` records whose ``blob``
link keeps the bytes reachable from any commit that holds them (see
:mod:`comfyvn_vault.assets.registry`). This roll is the plumbing underneath:
each add (in the same transaction) appends one :class:`AssetRoll` linking to
the blobs it stored and to the previous roll, under the ref ``assets``. Sync
exchanges it, and it keeps a blob reachable for ``gc`` even when no branch's
tree names its asset any more (an add that was undone, an asset removed by a
quick fix), so provenance can still resolve the bytes.
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
