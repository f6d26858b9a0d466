"""A damaged entry in the asset projections reads as a damaged index (reindex), never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from comfyvn_vault.errors import IndexDamaged
from comfyvn_vault.projections import assets as asset_projection
from comfyvn_vault.projections.base import SEP
from comfyvn_vault.vault import Vault

ID = "ab" * 32


@pytest.mark.parametrize(
    ("db", "key", "read"),
    [
        (asset_projection.DB_LINEAGE, b"up" + SEP + ID.encode() + SEP + b"no-separator-left\xff",
         lambda p: asset_projection.edges(p, ID, "up")),
        (asset_projection.DB_USES, ID.encode() + SEP + b"scenes/\xff",
         lambda p: asset_projection.users(p, ID)),
        (asset_projection.DB_ASSET, b"kind" + SEP + b"image" + SEP + b"\xff",
         lambda p: asset_projection.assets_with(p, "kind", "image")),
    ],
)  # fmt: skip
def test_an_undecodable_asset_entry_is_a_damaged_index(
    vault: Vault, db: bytes, key: bytes, read: Callable[[Any], Any]
) -> None:
    with vault.store.env.begin(write=True, db=vault.projections.dbs[db]) as txn:
        txn.put(key, b"")
    with pytest.raises(IndexDamaged, match="reindex"):
        read(vault.projections)
