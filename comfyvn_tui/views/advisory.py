"""Advisory: findings (open first), the policy, and the quick fixes: waive, remove, replace."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from comfyvn_tui.screens.form import FormScreen, field
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.virtual_list import StaticSource
from comfyvn_vault.api import advisory

if TYPE_CHECKING:
    from comfyvn_vault.api.advisory import FindingRow


class AdvisoryView(ListDetailView):
    """Decide findings: ``w`` waives, ``x`` removes the asset, ``p`` replaces it by another asset."""

    view_key = "advisory"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "fix('waive')", "Waive", id="advisory.waive"),
        Binding("x", "fix('remove')", "Remove asset", id="advisory.remove"),
        Binding("p", "replace", "Replace", id="advisory.replace"),
    ]

    list_id = "finding-list"
    empty_text = "(no findings)"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.found: list[FindingRow] = []

    def compose_detail(self) -> ComposeResult:
        with Vertical(id="finding-detail"):
            yield Static(id="policy")
            yield Static(id="finding")

    def load_rows(self) -> StaticSource:
        listed = advisory.list_findings(self.vault, decided=True).findings
        self.found = sorted(listed, key=lambda f: (f.status != "open", f.id))
        rows = []
        for f in self.found:
            label = Text()
            label.append(f"[{f.status}] ", style="bold yellow" if f.status == "open" else "dim")
            label.append(f"{f.kind} ", style="cyan")
            label.append(f"{f.asset_id[:10]} {f.message}")
            rows.append((f.id, label))
        open_count = sum(f.status == "open" for f in self.found)
        self.row_list.border_title = f"Findings ({open_count} open of {len(self.found)})"
        return StaticSource(rows)

    def reload(self) -> None:
        super().reload()
        self._show_policy()

    def _show_policy(self) -> None:
        pol = advisory.status(self.vault)
        text = Text()
        text.append(f"content filter: {pol.filter}\n", style="bold")
        who = pol.acknowledged_by
        text.append(
            f"liability notice: {'acknowledged by ' + who if who else 'not acknowledged'}\n\n",
            style="green" if who else "yellow",
        )
        self.query_one("#policy", Static).update(text)

    def current(self) -> FindingRow | None:
        key = self.row_list.current_key
        return next((f for f in self.found if f.id == key), None)

    def show_detail(self) -> None:
        f = self.current()
        out = self.query_one("#finding", Static)
        if f is None:
            out.update(Text("License scans file findings here; each decision is an event.", style="dim italic"))
            return
        text = Text()
        text.append(f"{f.message}\n", style="bold")
        text.append(f"asset {f.asset_id}\nfinding {f.id}\nstatus {f.status}\n")
        if f.replacement:
            text.append(f"replaced by {f.replacement}\n")
        if f.note:
            text.append(f"note: {f.note}\n")
        if f.status == "open":
            text.append("\nw waives · x removes the asset · p replaces it", style="dim")
        out.update(text)

    def action_fix(self, fix: str) -> None:
        f = self.current()
        if f is None or f.status != "open":
            return
        self.vapp.save_edit(f"Advisory: {fix} for {f.id}", lambda msg: advisory.resolve(self.vault, f.id, fix))

    def action_replace(self) -> None:
        f = self.current()
        if f is None or f.status != "open":
            return

        def chosen(values: dict[str, str] | None) -> None:
            replacement = (values or {}).get("asset", "").strip()
            if replacement:
                self.vapp.save_edit(
                    f"Advisory: replace for {f.id}",
                    lambda msg: advisory.resolve(self.vault, f.id, "replace", replacement=replacement),
                )

        self.app.push_screen(FormScreen("Replace the asset", [field("asset", "Replacement asset id")]), chosen)
