"""The content policy: the filter mode every query path honours, and the liability gate.

Filter modes (``policy filter MODE``, recorded as ``FilterModeSet``):

* ``sfw`` (the default when nothing was chosen: nothing fails open) hides NSFW
  assets, and the nodes that use them or are flagged ``nsfw`` in their meta,
  from ``asset list``, ``search``, lineage and the TUI, and refuses to export them;
* ``warn`` shows them marked, and warns on export;
* ``unrestricted`` shows them as they are.

The liability gate: until someone has recorded ``policy ack`` (a
``PolicyAcknowledged`` event), importing or exporting a *risky* asset (NSFW, or
a license not known to be open) prints a warning; after it, the user's choice
is honoured silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from comfyvn_vault.advisory.licenses import verdict
from comfyvn_vault.domain.asset_events import FilterModeSet, PolicyAcknowledged
from comfyvn_vault.domain.assets import FILTER_MODES, POLICY_PATH, Asset, FilterMode, Policy, node_asset_refs
from comfyvn_vault.domain.cause import Cause
from comfyvn_vault.domain.entities import Node
from comfyvn_vault.errors import InputRejected

if TYPE_CHECKING:
    from comfyvn_vault.history.repo import CommitRecord
    from comfyvn_vault.store.ids import ObjectId
    from comfyvn_vault.vault import Vault

NOTICE_VERSION: Final = "comfyvn-liability-1"
NOTICE: Final = (
    "You are responsible for the content you import and ship: its licenses, its rights, and whether "
    "adult material may be distributed where you publish it. comfyvn records provenance and flags risks; "
    "it does not give legal advice."
)


def policy_of(vault: Vault, tree: ObjectId | None = None) -> Policy:
    """The policy record of ``tree`` (default: the checkout), or the defaults when none was recorded."""
    tree = vault.checkout_tree() if tree is None else tree
    found = vault.history.lookup_in(tree)(POLICY_PATH)
    return found if isinstance(found, Policy) else Policy()


class ContentFilter:
    """Decides, for one mode, what a query shows, marks or hides.

    A read asks :func:`content_filter` for the checkout's filter once and
    applies it to everything it returns: a listing drops what :meth:`hides`
    (and counts it), a read of one asset refuses it (:meth:`require_shown`).
    """

    def __init__(self, mode: FilterMode, nsfw_assets: Iterable[str] = ()) -> None:
        self.mode = mode
        self.nsfw_assets = frozenset(nsfw_assets)

    def hides(self, asset: Asset) -> bool:
        return self.mode == "sfw" and asset.meta.nsfw

    def marks(self, asset: Asset) -> bool:
        return self.mode == "warn" and asset.meta.nsfw

    def visible(self, assets: Iterable[Asset]) -> tuple[list[Asset], int]:
        """The assets this filter shows, in their order, and how many it hid."""
        shown: list[Asset] = []
        hidden = 0
        for asset in assets:
            if self.hides(asset):
                hidden += 1
            else:
                shown.append(asset)
        return shown, hidden

    def require_shown(self, asset: Asset, refused: str = "not shown") -> Asset:
        """``asset`` when the filter shows it; otherwise the read (or export) of it is refused (exit 3)."""
        if self.hides(asset):
            raise InputRejected(
                f"asset {asset.id[:12]} is NSFW and the content filter is sfw; {refused} "
                "(`comfyvn policy filter warn` to allow it)"
            )
        return asset

    def node_is_nsfw(self, node: Node) -> bool:
        if node.meta.get("nsfw") is True:
            return True
        return any(ref in self.nsfw_assets for ref in node_asset_refs(node))

    def hides_node(self, node: Node) -> bool:
        return self.mode == "sfw" and self.node_is_nsfw(node)


def content_filter(vault: Vault) -> ContentFilter:
    """The checkout's filter, with the NSFW assets it needs to judge nodes (from the projections).

    The one way into the filter: every read of the porcelain API (asset list,
    show, thumbnail and export, lineage, used-by, search) calls it once and
    applies what it returns; nothing below the API and nothing above it calls it.
    """
    from comfyvn_vault.projections.assets import assets_with

    return ContentFilter(policy_of(vault).filter_mode, assets_with(vault.projections, "nsfw", "yes"))


def risk(asset: Asset) -> str | None:
    """Why exporting or importing ``asset`` needs the liability acknowledgement, or None."""
    if asset.meta.nsfw:
        return "flagged NSFW"
    return verdict(asset.meta.license)


def gate_warnings(vault: Vault, assets: Iterable[Asset], action: str) -> list[str]:
    """Warnings the liability gate prints for ``action`` (import, export) until ``policy ack`` exists."""
    risky = [(a, why) for a in assets if (why := risk(a)) is not None]
    if not risky or policy_of(vault).acknowledged_by is not None:
        return []
    first, why = risky[0]
    more = f" and {len(risky) - 1} more" if len(risky) > 1 else ""
    return [
        f"warning: {action} of risky content ({first.id[:12]} {why}{more}) before the liability notice was "
        "acknowledged; read `comfyvn policy status` and record `comfyvn policy ack`"
    ]


def acknowledge(vault: Vault, by: str | None = None) -> CommitRecord:
    """Record that ``by`` (default: the current user) acknowledged the liability notice."""
    who = by or vault.history.author()
    event = PolicyAcknowledged(by=who, time_ms=vault.history.clock(), notice=NOTICE_VERSION, cause=Cause(kind="user"))
    return vault.record([event], f"Acknowledge the liability notice ({who})")


def set_filter(vault: Vault, mode: str) -> CommitRecord | None:
    """Set the content filter; None when it already is ``mode``."""
    if mode not in FILTER_MODES:
        raise InputRejected(f"filter mode {mode!r} is not one of {', '.join(FILTER_MODES)}")
    before = policy_of(vault).filter_mode
    if before == mode:
        return None
    event = FilterModeSet(mode=mode, before=before, cause=Cause(kind="user"))
    return vault.record([event], f"Set the content filter to {mode}")
