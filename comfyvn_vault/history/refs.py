"""The ref names history keeps in the store's ref table, and what a branch may be called.

``heads/<branch>`` holds a branch tip and ``ops/head`` the newest operation.
The operation's view is the truth for HEAD and the checkout; branch refs mirror
it for fast lookups and are written in the same transaction
(:mod:`comfyvn_vault.history.oplog`).
"""

from __future__ import annotations

from typing import Final

from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.base import check_ref_name

HEADS: Final = "heads/"
OPS_HEAD: Final = "ops/head"
DEFAULT_BRANCH: Final = "main"


def check_branch_name(name: str) -> str:
    check_ref_name(HEADS + name)
    if name in ("HEAD",) or name.startswith("-") or "~" in name:
        raise InputRejected(f"invalid branch name: {name!r}")
    return name


__all__ = ["DEFAULT_BRANCH", "HEADS", "OPS_HEAD", "check_branch_name"]
