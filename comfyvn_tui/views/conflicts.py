"""Conflicts: what a merge could not settle, and settling it (``comfyvn resolve``).

The list is ``merge.conflicts`` (the conflict records in the checkout's
tree); the detail pane shows each side's value (the same entries
``comfyvn merge --json`` prints). ``o``/``t``/``b`` keep ours, take theirs or
keep both, ``v`` sets a value (JSON), each one commit through
``merge.resolve``; ``X`` aborts the merge just made (``merge --abort``).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Final, Literal, TypeAlias, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from comfyvn_tui.screens.form import FormScreen, field
from comfyvn_tui.targets import Target
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.virtual_list import StaticSource, VirtualList
from comfyvn_vault.api import merge
from comfyvn_vault.api.merge import ConflictEntry
from comfyvn_vault.domain.conflicts import describe
from comfyvn_vault.domain.paths import SCENES

How: TypeAlias = Literal["ours", "theirs", "both"]
HOWS: Final = ("ours", "theirs", "both")


class ConflictsView(ListDetailView):
    """Each unresolved conflict (``id  entity  place``), its three sides, and the ways to settle it."""

    view_key = "conflicts"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "resolve('ours')", "Keep ours", id="conflicts.ours"),
        Binding("t", "resolve('theirs')", "Take theirs", id="conflicts.theirs"),
        Binding("b", "resolve('both')", "Both", show=False, id="conflicts.both"),
        Binding("v", "resolve_value", "Set a value", show=False, id="conflicts.value"),
        Binding("X", "abort_merge", "Abort merge", show=False, id="conflicts.abort"),
    ]

    DEFAULT_CSS = """
    ConflictsView #conflict-detail { padding: 0 1; }
    """

    list_id = "conflict-list"
    empty_text = "(no unresolved conflicts)"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.conflicts: list[ConflictEntry] = []

    def compose_detail(self) -> ComposeResult:
        with VerticalScroll(id="conflict-detail"):
            yield Static(id="conflict-sides")

    def load_rows(self) -> StaticSource:
        self.conflicts = merge.conflicts(self.vault)
        rows: list[tuple[str, Text]] = []
        for c in self.conflicts:
            label = Text()
            label.append(f"{c.id[:8]}  ", style="bold red")
            label.append(c.path)
            label.append(f"  {c.locator or '(whole entity)'}", style="dim")
            rows.append((c.id, label))
        self.row_list.border_title = f"Unresolved conflicts ({len(rows)})"
        return StaticSource(rows)

    def status_changed(self, status: dict[str, Any] | None) -> None:
        if status is not None and len(status.get("conflicts", [])) != len(self.conflicts):
            self.reload()

    def current(self) -> ConflictEntry | None:
        key = self.row_list.current_key
        return next((c for c in self.conflicts if c.id == key), None)

    def show_detail(self) -> None:
        conflict = self.current()
        sides = self.query_one("#conflict-sides", Static)
        if conflict is None:
            sides.update(Text("A merge that cannot settle a change records a conflict here.", style="dim italic"))
            return
        text = Text()
        text.append(f"{describe(conflict)}\n", style="bold")
        text.append(f"{conflict.kind}   id {conflict.id}\n\n", style="dim")
        for side, style in (("ours", "green"), ("theirs", "yellow"), ("base", "dim")):
            text.append(f"{side}\n", style=f"bold {style}")
            value = getattr(conflict, side)
            shown = "(absent)" if side in conflict.absent else json.dumps(value, ensure_ascii=False, indent=2)
            text.append(f"{shown}\n\n", style=style)
        text.append("o keeps ours · t takes theirs · b keeps both · v sets a value", style="dim")
        sides.update(text)

    def open_row(self, event: VirtualList.Selected) -> None:
        """enter: show the conflicted entity (a scene opens at the node the conflict is in)."""
        conflict = self.current()
        if conflict is None:
            return
        folder, _, entity_id = conflict.path.partition("/")
        parts = conflict.locator.split("/")
        node = parts[1] if folder == SCENES and len(parts) > 1 and parts[0] == "nodes" else None
        self.vapp.go_to(Target(folder, entity_id, node))

    # ----------------------------------------------------------------- actions

    def _resolve(self, how: How | None, value: Any = None) -> None:
        conflict = self.current()
        if conflict is None:
            self.notify("no conflict selected")
            return
        default = f"Resolve {conflict.path} {conflict.locator or '(entity)'}: {how or 'value'}"
        self.vapp.save_edit(
            default,
            lambda msg: merge.resolve(self.vault, conflict.id, how, value, msg),
        )

    def action_resolve(self, how: str) -> None:
        if how in HOWS:
            self._resolve(cast("How", how))

    def action_resolve_value(self) -> None:
        conflict = self.current()
        if conflict is None:
            return
        initial = "" if "ours" in conflict.absent else json.dumps(conflict.ours, ensure_ascii=False)

        def set_value(values: dict[str, str] | None) -> None:
            if values is None:
                return
            try:
                value = json.loads(values["value"])
            except json.JSONDecodeError as exc:
                self.notify(f"not JSON: {exc}", severity="error")
                return
            self._resolve(None, value)

        self.app.push_screen(
            FormScreen(f"Set {conflict.locator or conflict.path} to (JSON)", [field("value", "Value", initial)]),
            set_value,
        )

    def action_abort_merge(self) -> None:
        def abort() -> None:
            ok, _ = self.vapp.attempt(lambda: merge.abort(self.vault), "merge --abort")
            if ok:
                self.notify("merge undone")
                self.vapp.vault_changed()

        self.vapp.guard_unsaved(
            lambda: self.vapp.confirm("Abort the merge just made (undo it)?", abort, "abort"), "abort the merge"
        )
