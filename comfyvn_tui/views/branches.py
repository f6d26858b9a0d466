"""Branches: the variants of the story; create, switch, delete and merge.

Switching rewrites the working copy (``api.history.switch``), so it asks first when
a view holds unsaved edits. Merging is ``comfyvn merge`` (``variants.merge``):
a merge commit, with any conflicts recorded in it for the conflicts view.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from comfyvn_tui.rows import one_line, when
from comfyvn_tui.screens.form import FormScreen, field
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.virtual_list import StaticSource, VirtualList
from comfyvn_vault.api import history
from comfyvn_vault.api import merge as variants


class BranchesView(ListDetailView):
    """The branch list (``*`` marks HEAD's branch) and the highlighted branch's tip."""

    view_key = "branches"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("A", "add_branch", "New branch", id="branches.add"),
        Binding("m", "merge", "Merge into current", id="branches.merge"),
        Binding("d", "delete_branch", "Delete", id="branches.delete"),
        Binding("S", "switch_new", "New + switch", show=False, id="branches.switch_new"),
    ]

    DEFAULT_CSS = """
    BranchesView #branch-detail { padding: 0 1; }
    """

    list_id = "branch-list"
    list_title = "Branches (enter switches)"
    empty_text = "(no branches)"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.head = ""
        self.tips: dict[str, history.CommitRow] = {}

    def compose_detail(self) -> ComposeResult:
        detail = Static(id="branch-detail")
        detail.border_title = "Tip"
        yield detail

    def load_rows(self) -> StaticSource:
        listed = history.branches(self.vault)
        self.head = listed.current
        self.tips = {b.name: history.commit_of(self.vault, b.head) for b in listed.branches}
        rows: list[tuple[str, Text]] = []
        for name, tip in self.tips.items():
            label = Text()
            current = name == self.head
            label.append("* " if current else "  ", style="bold green")
            label.append(f"{name:<20}", style="bold green" if current else "bold")
            label.append(f" {tip.id[:8]} ", style="yellow")
            label.append(one_line(tip.message, 50))
            rows.append((name, label))
        return StaticSource(rows)

    def start_key(self) -> str | None:
        return self.head

    def show_detail(self) -> None:
        name = self.row_list.current_key
        detail = self.query_one("#branch-detail", Static)
        if name is None or name not in self.tips:
            detail.update("")
            return
        tip = self.tips[name]
        text = Text()
        text.append(f"{name}", style="bold")
        text.append("  (checked out)\n" if name == self.head else "\n", style="green")
        text.append(f"{tip.id}\n", style="yellow")
        text.append(f"{tip.author}  {when(tip.time)}\n\n", style="dim")
        text.append(f"{tip.message}\n\n")
        if name != self.head:
            text.append("enter: switch to it   ", style="dim")
            if self.merged(name):
                text.append(f"(already merged into {self.head}: nothing to merge)", style="dim")
            else:
                text.append("m: merge it into ", style="dim")
                text.append(self.head, style="dim bold")
        detail.update(text)

    def merged(self, name: str) -> bool:
        """Whether HEAD already contains every commit of branch ``name`` (merging it would change nothing)."""
        return history.is_merged(self.vault, name, self.head)

    def open_row(self, event: VirtualList.Selected) -> None:
        self.switch(event.key)

    # ----------------------------------------------------------------- actions

    def switch(self, name: str, create: bool = False) -> None:
        if name == self.head and not create:
            self.notify(f"already on {name}")
            return

        def do() -> None:
            ok, _ = self.vapp.attempt(lambda: history.switch(self.vault, name, create=create), "switch")
            if ok:
                self.notify(f"switched to {'a new ' if create else ''}branch {name}")
                self.vapp.vault_changed()

        self.vapp.guard_unsaved(do, f"switch to {name}")

    def _ask_name(self, title: str, then: Any) -> None:
        def answered(values: dict[str, str] | None) -> None:
            name = (values or {}).get("name", "").strip()
            if name:
                then(name)

        self.app.push_screen(FormScreen(title, [field("name", "Branch name")], submit="Create"), answered)

    def action_add_branch(self) -> None:
        def create(name: str) -> None:
            ok, created = self.vapp.attempt(lambda: history.branch_create(self.vault, name), "branch")
            if ok and created is not None:
                self.notify(f"created branch {name} at {created.head[:12]} (enter switches to it)")
                self.vapp.vault_changed()
                self.move_to(name)

        self._ask_name(f"New branch at {self.head}'s tip", create)

    def action_switch_new(self) -> None:
        self._ask_name(f"New branch from {self.head}, then switch to it", lambda name: self.switch(name, create=True))

    def action_delete_branch(self) -> None:
        name = self.row_list.current_key
        if name is None:
            return
        if name == self.head:
            self.notify(f"cannot delete the checked-out branch {name}; switch first", severity="error")
            return

        def delete() -> None:
            ok, _ = self.vapp.attempt(lambda: history.branch_delete(self.vault, name), "delete branch")
            if ok:
                self.notify(f"deleted branch {name} (z undoes)")
                self.vapp.vault_changed()

        self.vapp.confirm(f"Delete branch {name}? (its commits stay in the operation log; z undoes)", delete, "delete")

    def action_merge(self) -> None:
        name = self.row_list.current_key
        if name is None:
            return
        if name == self.head or self.merged(name):
            # Reached from anywhere (the palette, the conflicts view): never propose a merge that changes nothing.
            others = [b for b in self.tips if b != self.head and not self.merged(b)]
            why = "is the current branch" if name == self.head else f"is already merged into {self.head}"
            hint = f"branches to merge: {', '.join(others)}" if others else f"every branch is merged into {self.head}"
            self.notify(f"{name} {why}; {hint}", severity="warning")
            if others:
                self.row_list.cursor = self.row_list.index_of(others[0]) or 0
            return

        def merged(result: Any) -> None:
            conflicts = len(getattr(result, "conflicts", []) or [])
            if conflicts:
                self.notify(f"merged {name}: {conflicts} conflicts to resolve", severity="warning", timeout=8)
                self.app.call_later(self.vapp.main.show_view, "conflicts")
            elif getattr(result, "kind", "") == "up-to-date":
                self.notify(f"{self.head} already contains {name}")

        def merge() -> None:
            self.vapp.save_edit(
                f"Merge {name} into {self.head}",
                lambda msg: variants.merge(self.vault, name, msg),
                after=merged,
            )

        self.vapp.guard_unsaved(lambda: self.vapp.confirm(f"Merge {name} into {self.head}?", merge, "merge"), "merge")
