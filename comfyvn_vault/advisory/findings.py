"""Findings: listing them and deciding them with a quick fix (replace, remove, waive).

Each decision is a ``FindingResolved`` event; ``remove`` also removes the
asset from the registry (``AssetRemoved``) and ``replace`` removes it in favour
of a named replacement asset, both in the same commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comfyvn_vault.domain.asset_events import AssetRemoved, FindingResolved
from comfyvn_vault.domain.assets import FIXES, Asset, Finding, asset_path
from comfyvn_vault.domain.cause import Cause
from comfyvn_vault.errors import InputRejected, ObjectNotFound

if TYPE_CHECKING:
    from comfyvn_vault.domain.events import Event
    from comfyvn_vault.history.repo import CommitRecord
    from comfyvn_vault.store.ids import ObjectId
    from comfyvn_vault.vault import Vault


def findings_at(vault: Vault, tree: ObjectId | None = None, status: str | None = None) -> list[Finding]:
    """The findings of ``tree`` (default: the checkout), optionally only those with ``status``."""
    from comfyvn_vault.assets.records import records_at

    return [f for f in records_at(vault, Finding, tree) if status is None or f.status == status]


def open_findings_of(vault: Vault, asset_ids: set[str]) -> list[Finding]:
    return [f for f in findings_at(vault, status="open") if f.asset_id in asset_ids]


def resolve(
    vault: Vault, finding_ref: str, fix: str, replacement: str | None = None, note: str | None = None
) -> CommitRecord:
    """Decide one open finding (any unique prefix of its id) with ``fix``."""
    from comfyvn_vault.assets.records import get_asset

    if fix not in FIXES:
        raise InputRejected(f"fix {fix!r} is not one of {', '.join(FIXES)}")
    matches = [f for f in findings_at(vault) if f.id.startswith(finding_ref)]
    if not matches:
        raise ObjectNotFound(f"no finding {finding_ref!r} (see `comfyvn advisory list`)")
    if len(matches) > 1:
        raise InputRejected(f"finding id {finding_ref!r} is ambiguous; give more of it")
    finding = matches[0]
    if finding.status != "open":
        raise InputRejected(f"finding {finding.id} is already decided ({finding.status})")
    replacement_id = get_asset(vault, replacement).id if replacement else None
    if fix == "replace" and replacement_id is None:
        raise InputRejected("replace needs the replacement asset: --with ASSET")
    cause = Cause(kind="user", note=f"advisory {fix}")
    events: list[Event] = [
        FindingResolved(
            finding_id=finding.id,
            fix=fix,
            replacement=replacement_id,
            note=note,
            before=finding,
            cause=cause,
        )
    ]
    if fix in ("remove", "replace"):
        current = vault.history.lookup_in(vault.checkout_tree())(asset_path(finding.asset_id))
        if isinstance(current, Asset):
            events.append(AssetRemoved(asset_id=current.id, before=current, cause=cause))
    return vault.record(events, f"Advisory: {fix} for {finding.id}")
