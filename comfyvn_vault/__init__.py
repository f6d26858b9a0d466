"""comfyvn-vault: a local-first, event-sourced content repository for visual-novel production.

The public surface is small and re-exported here; the CLI (``comfyvn``) and the
Textual TUI (``comfyvn_tui``) are thin shells over it. Names are imported on first
use, so ``import comfyvn_vault.domain`` stays free of IO libraries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comfyvn_vault.lazy import exports

__version__ = "0.1.0"

_EXPORTS = {
    "AmbiguousId": "comfyvn_vault.errors",
    "ConcurrentWork": "comfyvn_vault.errors",
    "CorruptObject": "comfyvn_vault.errors",
    "DiskObjectStore": "comfyvn_vault.store.disk",
    "InputRejected": "comfyvn_vault.errors",
    "LockHeld": "comfyvn_vault.errors",
    "MemoryObjectStore": "comfyvn_vault.store.memory",
    "NotAVault": "comfyvn_vault.errors",
    "ObjectId": "comfyvn_vault.store.ids",
    "ObjectNotFound": "comfyvn_vault.errors",
    "RefMoved": "comfyvn_vault.errors",
    "RemoteFailed": "comfyvn_vault.errors",
    "StorageFull": "comfyvn_vault.errors",
    "StoredObject": "comfyvn_vault.store.codec",
    "UsageError": "comfyvn_vault.errors",
    "Vault": "comfyvn_vault.vault",
    "VaultError": "comfyvn_vault.errors",
}

__all__ = [
    "AmbiguousId",
    "ConcurrentWork",
    "CorruptObject",
    "DiskObjectStore",
    "InputRejected",
    "LockHeld",
    "MemoryObjectStore",
    "NotAVault",
    "ObjectId",
    "ObjectNotFound",
    "RefMoved",
    "RemoteFailed",
    "StorageFull",
    "StoredObject",
    "UsageError",
    "Vault",
    "VaultError",
    "__version__",
]

if TYPE_CHECKING:
    from comfyvn_vault.errors import (
        AmbiguousId,
        ConcurrentWork,
        CorruptObject,
        InputRejected,
        LockHeld,
        NotAVault,
        ObjectNotFound,
        RefMoved,
        RemoteFailed,
        StorageFull,
        UsageError,
        VaultError,
    )
    from comfyvn_vault.store.codec import StoredObject
    from comfyvn_vault.store.disk import DiskObjectStore
    from comfyvn_vault.store.ids import ObjectId
    from comfyvn_vault.store.memory import MemoryObjectStore
    from comfyvn_vault.vault import Vault


__getattr__ = exports(__name__, _EXPORTS)
