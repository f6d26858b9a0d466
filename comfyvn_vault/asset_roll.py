"""The roll of added blobs: what ``asset add`` records until assets become
events in history (the history issue replaces it with ``AssetImported``).

Each ``asset add`` appends one :class:`AssetRoll` object linking to the blobs it
added and to the previous roll; the ref ``assets`` names the newest. The chain
is what keeps added blobs reachable for ``gc``.
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
