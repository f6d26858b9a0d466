"""Thumbnails: derived from blobs, cached under ``.comfyvn/cache/thumbs``, never recorded as events.

A cache entry is named by the asset id (the blob's), so it can never describe
other bytes; a missing or unreadable entry is rebuilt from the blob. Writes go
through a private staging folder that ``asset add`` publishes only after its
commit, so a refused add leaves no thumbnail behind.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Final

from comfyvn_vault.store.fsutil import os_error

if TYPE_CHECKING:
    from comfyvn_vault.domain.assets import Asset
    from comfyvn_vault.vault import Vault

CACHE: Final = "cache"
THUMBS: Final = "thumbs"


def cache_root(vault: Vault) -> Path:
    return vault.store.paths.root / CACHE


def thumb_path(vault: Vault, asset_id: str) -> Path:
    return cache_root(vault) / THUMBS / asset_id[:2] / f"{asset_id}.png"


def thumbnail(vault: Vault, asset: Asset) -> Path | None:
    """The cached thumbnail of an image asset, made from its blob on a miss; None for other kinds."""
    if asset.kind != "image":
        return None
    path = thumb_path(vault, asset.id)
    if path.is_file():
        return path
    from comfyvn_vault.assets.probe import thumbnail_bytes

    data = thumbnail_bytes(vault.store.get(asset.blob))
    if data is None:
        return None
    _write_atomically(path, data)
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise os_error(exc, "write a thumbnail") from None


class Staging:
    """Thumbnails of one add, held aside until the add commits."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.folder = cache_root(vault) / f"staging-{uuid.uuid4().hex}"
        self.owners: dict[str, str] = {}

    def put(self, key: str, data: bytes) -> None:
        """Hold a thumbnail under ``key`` (a file's position in the add) until its asset id is known."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / key).write_bytes(data)
        except OSError as exc:
            raise os_error(exc, "stage a thumbnail") from None

    def assign(self, key: str, asset_id: str) -> None:
        if (self.folder / key).is_file():
            self.owners[key] = asset_id

    def publish(self) -> None:
        """Move every assigned thumbnail into the cache (a cache: a failure here loses nothing)."""
        for key, asset_id in self.owners.items():
            target = thumb_path(self.vault, asset_id)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.folder / key, target)
            except OSError:
                pass  # rebuilt from the blob on the next read
        self.discard()

    def discard(self) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)
