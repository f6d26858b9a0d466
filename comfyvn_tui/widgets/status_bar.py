"""The status bar: branch, uncommitted changes and unresolved conflicts, always visible.

It only displays a ``comfyvn status`` document; the app computes that in a
worker thread (scanning a 10,000-file working copy takes ~0.1 s) and hands it
over with :meth:`StatusBar.show_status`.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from comfyvn_tui.guard import Guarded


class StatusBar(Guarded, Static):
    """One line: ``branch main · 2 uncommitted · 0 conflicts`` (plus the auto-commit mode)."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, *, auto_commit: bool = False, id: str | None = None) -> None:
        super().__init__("opening…", id=id)
        self.auto_commit = auto_commit
        self.status: dict[str, Any] | None = None
        self.problem: str | None = None

    def show_status(self, status: dict[str, Any] | None, problem: str | None = None) -> None:
        """Show a status document (None with ``problem``: the working copy could not be read)."""
        self.status, self.problem = status, problem
        self.update(self.describe(), layout=False)

    def describe(self) -> Text:
        text = Text()
        if self.status is not None:
            head = self.status.get("head")
            text.append("branch ", style="dim")
            text.append(str(self.status["branch"]), style="bold")
            text.append(f" {head[:8] if head else '(empty)'}", style="dim")
            changes = len(self.status["changes"])
            conflicts = len(self.status["conflicts"])
            text.append("  ·  ")
            text.append(f"{changes} uncommitted", style="bold yellow" if changes else "green")
            text.append("  ·  ")
            text.append(f"{conflicts} conflicts", style="bold red" if conflicts else "green")
        if self.problem:
            text.append("  ·  " if text else "")
            text.append(self.problem, style="bold red")
        text.append("  ·  ")
        text.append("auto-commit" if self.auto_commit else "asks for commit messages", style="dim")
        return text
