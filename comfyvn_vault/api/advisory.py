"""Verbs of the ``advisory`` group (see :mod:`comfyvn_vault.api`): findings, their quick fixes, the policy.

``advisory scan|list|resolve`` and ``policy status|ack|filter``. A finding is
an advisory result about one asset (a license not known to be open, a scanner
that failed); each decision is an event (see
:mod:`comfyvn_vault.advisory.findings`). The policy is the content-filter mode
and the liability acknowledgement (:mod:`comfyvn_vault.advisory.policy`).

Findings are listed whatever the content filter says: they name an asset and
a problem, not its content, and an NSFW asset's license still needs deciding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

import msgspec

from comfyvn_vault.domain.assets import FilterMode, FindingKind, FindingStatus, Fix

if TYPE_CHECKING:
    from comfyvn_vault.domain.assets import Finding
    from comfyvn_vault.vault import Vault


class FindingRow(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One finding as the advisory and ``asset show`` list it."""

    id: str
    asset_id: str
    kind: FindingKind
    message: str
    fixes: list[Fix]
    """The quick fixes a person can choose for it."""
    status: FindingStatus
    replacement: str | None = None
    """The asset that replaced this one (a ``replace`` decision)."""
    note: str | None = None
    """Why, as recorded with the decision."""

    @classmethod
    def of(cls, finding: Finding) -> FindingRow:
        return cls(
            id=finding.id,
            asset_id=finding.asset_id,
            kind=finding.kind,
            message=finding.message,
            fixes=list(finding.fixes),
            status=finding.status,
            replacement=finding.replacement,
            note=finding.note,
        )


class AdvisoryScan(msgspec.Struct, kw_only=True):
    """``advisory scan``: the findings this scan filed (one commit; none when there were none)."""

    schema: str = "comfyvn.advisory-scan/1"
    findings: list[FindingRow]


class AdvisoryList(msgspec.Struct, kw_only=True):
    """``advisory list``: the checkout's findings (open ones unless decided ones were asked for too)."""

    schema: str = "comfyvn.advisory-list/1"
    findings: list[FindingRow]


class AdvisoryResolve(msgspec.Struct, kw_only=True):
    """``advisory resolve``: a finding decided with a quick fix."""

    schema: str = "comfyvn.advisory-resolve/1"
    fix: Fix
    commit: str
    """The commit that recorded the decision."""


class PolicyStatus(msgspec.Struct, kw_only=True):
    """``policy status``: the content filter, the liability acknowledgement and the open findings."""

    schema: str = "comfyvn.policy/1"
    filter: FilterMode
    """What reads show: ``sfw`` hides NSFW assets and nodes, ``warn`` marks them, ``unrestricted`` shows them."""
    acknowledged: bool
    acknowledged_by: str | None
    acknowledged_ms: int | None
    notice: str
    """The liability notice's text."""
    notice_version: str
    open_findings: int


class PolicyAck(msgspec.Struct, kw_only=True):
    """``policy ack``: the acknowledgement of the liability notice, recorded."""

    schema: str = "comfyvn.policy-ack/1"
    commit: str


class PolicyFilter(msgspec.Struct, kw_only=True):
    """``policy filter MODE``: the content filter set."""

    schema: str = "comfyvn.policy-filter/1"
    mode: FilterMode
    commit: str | None
    """The commit that recorded the change; None when the filter already was ``mode``."""


#: The result types of this module's verbs, for the generated JSON Schemas.
RESULTS: Final[tuple[type[Any], ...]] = (
    AdvisoryScan,
    AdvisoryList,
    AdvisoryResolve,
    PolicyStatus,
    PolicyAck,
    PolicyFilter,
)


def scan(vault: Vault) -> AdvisoryScan:
    """Scan every asset of the checkout's license now; the new findings are one commit."""
    from comfyvn_vault.advisory.scan import scan as scan_assets

    return AdvisoryScan(findings=[FindingRow.of(f) for f in scan_assets(vault)])


def list_findings(vault: Vault, *, decided: bool = False) -> AdvisoryList:
    """The checkout's open findings (with ``decided``, every finding), in id order."""
    from comfyvn_vault.advisory.findings import findings_at

    found = findings_at(vault, status=None if decided else "open")
    return AdvisoryList(findings=[FindingRow.of(f) for f in found])


def resolve(
    vault: Vault, finding: str, fix: str, *, replacement: str | None = None, note: str | None = None
) -> AdvisoryResolve:
    """Decide one open finding (any unique prefix of its id): ``waive``, ``remove`` or ``replace`` its asset.

    ``replace`` needs the ``replacement`` asset; an unknown fix, an ambiguous
    or decided finding are refused (:class:`~comfyvn_vault.errors.InputRejected`).
    """
    from comfyvn_vault.advisory.findings import resolve as decide

    rec = decide(vault, finding, fix, replacement=replacement, note=note)
    return AdvisoryResolve(fix=cast(Fix, fix), commit=rec.commit_id.hex())  # decide() refused any other fix


def status(vault: Vault) -> PolicyStatus:
    """The content filter, who acknowledged the liability notice (and when), and the open findings."""
    from comfyvn_vault.advisory.findings import findings_at
    from comfyvn_vault.advisory.policy import NOTICE, NOTICE_VERSION, policy_of

    policy = policy_of(vault)
    return PolicyStatus(
        filter=policy.filter_mode,
        acknowledged=policy.acknowledged_by is not None,
        acknowledged_by=policy.acknowledged_by,
        acknowledged_ms=policy.acknowledged_ms,
        notice=NOTICE,
        notice_version=NOTICE_VERSION,
        open_findings=len(findings_at(vault, status="open")),
    )


def ack(vault: Vault, by: str | None = None) -> PolicyAck:
    """Record that ``by`` (default: the current user) acknowledged the liability notice."""
    from comfyvn_vault.advisory.policy import acknowledge

    return PolicyAck(commit=acknowledge(vault, by).commit_id.hex())


def set_filter(vault: Vault, mode: str) -> PolicyFilter:
    """Set the content filter to ``sfw``, ``warn`` or ``unrestricted`` (nothing is recorded when it already is)."""
    from comfyvn_vault.advisory import policy

    rec = policy.set_filter(vault, mode)
    # policy.set_filter refused any other mode
    return PolicyFilter(mode=cast(FilterMode, mode), commit=rec.commit_id.hex() if rec else None)
