"""Helpers for the asset tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfyvn_vault.vault import Vault


def state(root: Path) -> dict[str, Any]:
    """Everything an add could change: objects, refs, packs, object files, thumbnails."""
    with Vault.open(root) as v:
        ids = sorted(i.hex() for i in v.store.ids())
        refs = {k: o.hex() for k, o in v.store.refs().items()}
        packs = v.store.packs()
    meta = root / ".comfyvn"
    files = sorted(str(p.relative_to(meta)) for p in meta.rglob("*") if p.is_file() and "index" not in p.parts)
    return {"ids": ids, "refs": refs, "packs": packs, "files": files}
