"""History: every branch's commits with branch lanes, a commit's events and diff, and time travel.

The log is read page by page as the cursor moves (10,000 commits open as fast
as 10). A commit's details come from ``api.history.show`` and ``api.history.diff``
(against its first parent), computed in a worker thread so scrolling through
big commits stays smooth. ``t`` opens the whole story as it was at the
commit, read-only; ``[`` and ``]`` step through history there.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.worker import get_current_worker

from comfyvn_tui.rows import CommitRows
from comfyvn_tui.screens.form import FormScreen, field
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.commit_details import CommitDetails
from comfyvn_tui.widgets.virtual_list import VirtualList
from comfyvn_vault.api import history
from comfyvn_vault.api import merge as variants
from comfyvn_vault.errors import VaultError


class HistoryView(ListDetailView):
    """The log on the left, the highlighted commit's details on the right."""

    view_key = "history"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "time_travel", "Time travel", id="history.time_travel"),
        Binding("s", "toggle_diff", "Side by side", id="history.toggle_diff"),
        Binding("b", "branch_here", "Branch here", show=False, id="history.branch_here"),
        Binding("p", "pick", "Pick onto HEAD", show=False, id="history.pick"),
    ]

    DEFAULT_CSS = """
    HistoryView #details:focus { border: round $primary; }
    """

    list_id = "commits"
    list_title = "Log (all branches)"
    empty_text = "(no commits)"
    back_from = "details"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: CommitRows | None = None
        self.shown: str | None = None

    def compose_detail(self) -> ComposeResult:
        details = CommitDetails(id="details")
        details.border_title = "Commit"
        yield details

    @property
    def details(self) -> CommitDetails:
        return self.query_one("#details", CommitDetails)

    def load_rows(self) -> CommitRows:
        self.rows = CommitRows(self.vault)
        return self.rows

    def show_detail(self) -> None:
        self.shown = None  # reloaded: read the commit again
        self._load_details()

    def highlighted(self) -> None:
        self._load_details()

    def open_row(self, event: VirtualList.Selected) -> None:
        self.screen.set_focus(self.details)

    def _load_details(self) -> None:
        key = self.row_list.current_key
        if key is None or key == self.shown:
            return
        self.shown = key
        self._details_worker(key)

    @work(thread=True, exclusive=True, group="commit-details")
    def _details_worker(self, commit_id: str) -> None:
        try:
            with self.vapp.vault_gate:
                commit = history.show(self.vault, commit_id)
                assert isinstance(commit, history.ShownCommit), "the log lists commits"
                parents = commit.parents
                diff = history.diff(self.vault, parents[0], commit_id) if parents else None
        except VaultError as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_details, commit_id, commit, diff)

    def _show_details(self, commit_id: str, commit: history.ShownCommit, diff: history.Diff | None) -> None:
        if commit_id == self.shown:
            self.details.show(commit, diff)

    def action_toggle_diff(self) -> None:
        diff = self.details.diff_view
        diff.set_mode(not diff.side_by_side)

    def action_time_travel(self) -> None:
        from comfyvn_tui.screens.time_travel import TimeTravelScreen

        if self.rows is None or not len(self.rows):
            return
        self.app.push_screen(TimeTravelScreen(self.rows, self.row_list.cursor))

    def action_pick(self) -> None:
        """``comfyvn pick``: apply this commit's change on top of HEAD (conflicts go to the conflicts view)."""
        commit_id = self.row_list.current_key
        if commit_id is None:
            return
        message = self.rows.rows[self.row_list.cursor].message if self.rows is not None else ""

        def picked(result: Any) -> None:
            if getattr(result, "conflicts", None):
                self.notify(f"picked with {len(result.conflicts)} conflicts to resolve", severity="warning")
                self.app.call_later(self.vapp.main.show_view, "conflicts")

        self.vapp.guard_unsaved(
            lambda: self.vapp.confirm(
                f"Pick {commit_id[:12]} ({message.splitlines()[0] if message else ''}) onto HEAD?",
                lambda: self.vapp.save_edit(
                    f"{message} (picked from {commit_id[:12]})",
                    lambda msg: variants.pick(self.vault, commit_id, msg),
                    after=picked,
                ),
                "pick",
            ),
            "pick a commit",
        )

    def action_branch_here(self) -> None:
        commit_id = self.row_list.current_key
        if commit_id is None:
            return

        def create(values: dict[str, str] | None) -> None:
            name = (values or {}).get("name", "").strip()
            if not name:
                return
            ok, _ = self.vapp.attempt(lambda: history.branch_create(self.vault, name, commit_id), "branch")
            if ok:
                self.notify(f"created branch {name} at {commit_id[:12]}")
                self.vapp.vault_changed()

        self.app.push_screen(FormScreen(f"New branch at {commit_id[:12]}", [field("name", "Branch name")]), create)
