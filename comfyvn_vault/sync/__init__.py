"""Sync between vaults: remotes, fetch, push, pull, clone and ``serve`` (DESIGN §7).

Heavy transports (httpx, starlette, obstore) are imported only by the
transport that needs them.
"""

from __future__ import annotations

from comfyvn_vault.sync.ops import SyncResult, clone, fetch, pull, push, remote_add, remote_list, remote_remove, status

__all__ = ["SyncResult", "clone", "fetch", "pull", "push", "remote_add", "remote_list", "remote_remove", "status"]
