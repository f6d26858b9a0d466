"""The license scan: on import and on demand, one finding per asset whose license is not known open.

Nothing fails open: when checking an asset raises, the asset gets a
``scanner`` finding saying the scan failed, never a silent pass. Findings are
keyed by kind and asset, so a rescan files nothing twice and never reopens a
decided finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from comfyvn_vault.advisory.licenses import verdict
from comfyvn_vault.domain.asset_events import FindingRecorded
from comfyvn_vault.domain.assets import Asset, Finding, finding_id, finding_path
from comfyvn_vault.domain.cause import Cause

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

Check = Callable[[Asset], "str | None"]


def license_check(asset: Asset) -> str | None:
    return verdict(asset.meta.license)


def scan_events(
    lookup: Callable[[str], Any], assets: Iterable[Asset], *, cause: Cause, check: Check = license_check
) -> list[FindingRecorded]:
    """``FindingRecorded`` for each asset ``check`` objects to (or that ``check`` fails on)."""
    events: list[FindingRecorded] = []
    for asset in assets:
        try:
            problem, kind = check(asset), "license"
        except Exception as exc:  # noqa: BLE001 - any scanner failure must become a finding, not a pass
            problem, kind = f"the license scanner failed: {type(exc).__name__}: {exc}"[:200], "scanner"
        if problem is None:
            continue
        fid = finding_id(kind, asset.id)  # type: ignore[arg-type]
        if lookup(finding_path(fid)) is not None:
            continue
        finding = Finding(id=fid, asset_id=asset.id, kind=kind, message=problem)  # type: ignore[arg-type]
        events.append(FindingRecorded(finding=finding, cause=cause))
    return events


def scan(vault: Vault, check: Check = license_check) -> list[Finding]:
    """Scan every asset of the checkout; commit the new findings (one commit); return them."""
    from comfyvn_vault.assets.records import assets_at

    h = vault.history
    tree = vault.checkout_tree()
    events = scan_events(
        h.lookup_in(tree), assets_at(vault, tree), cause=Cause(kind="user", note="advisory scan"), check=check
    )
    if events:
        vault.record(list(events), f"Advisory scan: {len(events)} finding{'s' if len(events) != 1 else ''}")
    return [e.finding for e in events]
