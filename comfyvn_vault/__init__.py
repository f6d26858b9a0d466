"""comfyvn-vault: a local-first, event-sourced content repository for visual-novel production.

The public surface is small and re-exported here; the CLI (``comfyvn``) and the
Textual TUI (``tui/``) are thin shells over it.
"""

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
from comfyvn_vault.store import DiskObjectStore, MemoryObjectStore, ObjectId, StoredObject
from comfyvn_vault.vault import Vault

__version__ = "0.1.0"

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
