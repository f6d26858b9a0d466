"""Live refresh: the TUI notices what ``comfyvn watch``, the CLI and hooks change.

Every command that changes a vault appends an operation, so the current
operation id (:func:`comfyvn_vault.api.history.operation_id`, one index read) is a change counter
shared by all processes. The app polls it a little more than once a second;
when it moved and the move was not the app's own write, the views and the
status bar are reloaded and a notification says what happened. Unsaved edits
in a view are never thrown away for it: the app then only says so.

Hook results of the app's own commits arrive here too, as notifications
instead of lines on a terminal the app has taken over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from comfyvn_vault.api import history

if TYPE_CHECKING:
    from textual.timer import Timer

    from comfyvn_tui.app import VaultApp
    from comfyvn_vault.api import ObjectId
    from comfyvn_vault.api.history import HookResult

POLL_SECONDS: Final = 0.75
NOTE_LINES: Final = 6  # lines of a hook's output shown in a notification


class LiveRefresh:
    """Polls the vault's operation id for one app."""

    def __init__(self, app: VaultApp) -> None:
        self.app = app
        self.seen: ObjectId | None = history.operation_id(app.vault)
        self.timer: Timer | None = None

    def start(self, interval: float = POLL_SECONDS) -> None:
        self.app.vault.hook_reporter = self.hook_report
        self.timer = self.app.set_interval(interval, self.poll, name="live-refresh")

    def mark_seen(self) -> None:
        """The app itself just wrote (or reloaded everything): what it sees now is no news."""
        self.seen = history.operation_id(self.app.vault)

    def poll(self) -> bool:
        """Check once; True when the vault had moved (and the app was told)."""
        app = self.app
        if not app.is_running:
            return False  # shutting down: the views are being taken apart
        current = history.operation_id(app.vault)
        if current == self.seen:
            return False
        self.seen = current
        op = history.operation(app.vault, current) if current is not None else None
        what = op.description if op is not None else "the vault changed"
        pending = app.unsaved()
        if pending:
            app.notify(
                f"{what} (changed by watch/CLI); your unsaved edits are kept: ctrl+r reloads",
                title="vault changed",
                severity="warning",
            )
            app.refresh_status()
        else:
            app.notify(f"{what} (changed by watch/CLI)", title="vault changed")
            app.vault_changed()
        return True

    def hook_report(self, result: HookResult) -> None:
        """A hook of the app's own commit finished: its output (and failure) as a notification."""
        lines = [ln for ln in result.details() if ln.strip()]
        if not lines and (result.ok or result.vetoes):
            return  # a veto's reason arrives as the refused edit's error
        body = "\n".join(lines[-NOTE_LINES:])
        if result.ok or result.vetoes:
            self.app.notify(body, title=f"{result.name} hook")
        else:
            self.app.notify(
                f"{body}\n{result.summary()}" if body else result.summary(), title="hook failed", severity="error"
            )
