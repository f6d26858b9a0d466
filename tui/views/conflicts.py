"""Conflicts: the unresolved merge conflicts of ``comfyvn status`` (a placeholder for now).

Merging is being written with the variants issue. Until it lands this view
lists ``status()["conflicts"]`` (always empty today) and explains how
resolving will work; the resolve keys say so when pressed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.views.base import View
from tui.widgets.virtual_list import StaticSource, VirtualList

RESOLVE_PENDING = "resolving arrives with merge (the variants issue)"


class ConflictsView(View):
    """Each conflict as ``id  entity  field``; resolve with ours / theirs / both (once merge exists)."""

    view_key = "conflicts"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "resolve('ours')", "Ours", id="conflicts.ours"),
        Binding("t", "resolve('theirs')", "Theirs", id="conflicts.theirs"),
        Binding("b", "resolve('both')", "Both", show=False, id="conflicts.both"),
    ]

    DEFAULT_CSS = """
    ConflictsView #conflicts-help { height: auto; padding: 0 1; color: $text-muted; }
    ConflictsView #conflict-list { border: round $panel-lighten-2; }
    ConflictsView #conflict-list:focus { border: round $primary; }
    """

    def compose(self) -> ComposeResult:
        yield Static(
            "Conflicts a merge could not settle by itself appear here: o keeps ours, t takes theirs, "
            "b keeps both (where the field allows). Merging arrives with the variants issue.",
            id="conflicts-help",
        )
        yield VirtualList(empty_text="(no unresolved conflicts)", id="conflict-list")

    @property
    def conflict_list(self) -> VirtualList:
        return self.query_one("#conflict-list", VirtualList)

    def reload(self) -> None:
        status = self.vapp.status_doc
        if status is not None:
            self.status_changed(status)

    def status_changed(self, status: dict[str, Any] | None) -> None:
        if status is None:
            return
        rows: list[tuple[str, Text]] = []
        for c in status.get("conflicts", []):
            label = Text()
            label.append(f"{str(c['id'])[:12]}  ", style="bold red")
            label.append(str(c["entity"]))
            if c.get("field"):
                label.append(f"  {c['field']}", style="dim")
            rows.append((str(c["id"]), label))
        self.conflict_list.set_source(StaticSource(rows), keep_key=self.conflict_list.current_key)
        self.conflict_list.border_title = f"Unresolved conflicts ({len(rows)})"

    def focus_default(self) -> None:
        self.screen.set_focus(self.conflict_list)

    def action_resolve(self, side: str) -> None:
        if self.conflict_list.current_key is None:
            self.notify("no conflict selected")
            return
        self.notify(RESOLVE_PENDING, severity="warning")
