"""Sync between vaults: remotes, fetch, push, pull, clone and ``serve`` (DESIGN §7).

Heavy transports (httpx, starlette, obstore) are imported only by the
transport that needs them, and the verbs only on first use (PEP 562), so the
wire format (:mod:`~comfyvn_vault.sync.protocol`) and the HTTP client load
without a vault behind them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comfyvn_vault.lazy import exports

_EXPORTS: dict[str, str] = {
    name: "comfyvn_vault.sync.ops"
    for name in ("SyncResult", "clone", "fetch", "pull", "push", "remote_add", "remote_list", "remote_remove", "status")
}

if TYPE_CHECKING:
    from comfyvn_vault.sync.ops import (
        SyncResult,
        clone,
        fetch,
        pull,
        push,
        remote_add,
        remote_list,
        remote_remove,
        status,
    )

__getattr__ = exports(__name__, _EXPORTS)

__all__ = ["SyncResult", "clone", "fetch", "pull", "push", "remote_add", "remote_list", "remote_remove", "status"]
