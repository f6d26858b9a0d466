"""How an asset was made: its derivation from other assets, or its generation, recorded as an event.

Both events name assets already in the registry: ``AssetDerived`` (made from
parent assets by an operation: crop, upscale, mix) and ``GenerationRecorded``
(made by a workflow, seed and model from input assets). Generators and tools
that derive media record them after ``asset add`` (``asset derive`` and
``asset generated`` from the command line), so lineage reaches back to the sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from comfyvn_vault.domain.asset_events import AssetDerived, GenerationRecorded
from comfyvn_vault.domain.cause import Cause

if TYPE_CHECKING:
    from comfyvn_vault.history.repo import CommitRecord
    from comfyvn_vault.vault import Vault


def record_derivation(
    vault: Vault, child: str, parents: Sequence[str], operation: str, params: dict[str, str] | None = None
) -> CommitRecord:
    """Record that asset ``child`` was made from ``parents`` by ``operation`` (ids: unique prefixes)."""
    from comfyvn_vault.assets.records import get_asset

    child_id = get_asset(vault, child).id
    parent_ids = [get_asset(vault, p).id for p in parents]
    event = AssetDerived(
        child=child_id, parents=parent_ids, operation=operation, params=params or {}, cause=Cause(kind="user")
    )
    return vault.record([event], f"Derive {child_id[:12]} from {len(parent_ids)} asset(s): {operation}")


def record_generation(
    vault: Vault,
    asset: str,
    *,
    workflow_hash: str,
    seed: int,
    model: str,
    inputs: Sequence[str] = (),
    device: str = "",
    prompt: str | None = None,
    job: str | None = None,
) -> CommitRecord:
    """Record how an asset was generated (workflow hash, seed, model, input assets, device)."""
    from comfyvn_vault.assets.records import get_asset

    asset_id = get_asset(vault, asset).id
    event = GenerationRecorded(
        asset_id=asset_id,
        workflow_hash=workflow_hash,
        seed=seed,
        model=model,
        inputs=[get_asset(vault, i).id for i in inputs],
        device=device,
        prompt=prompt,
        cause=Cause(kind="generation", ref=job),
    )
    return vault.record([event], f"Generation of {asset_id[:12]} ({model}, seed {seed})")
