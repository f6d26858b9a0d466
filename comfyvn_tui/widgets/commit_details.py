"""One commit in full: id, parents, author, time, message, its events, and its diff.

Fed by ``api.history.show`` and ``api.history.diff`` (the documents behind
``comfyvn show REV --json`` and ``comfyvn diff PARENT REV --json``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from comfyvn_tui.guard import Guarded
from comfyvn_tui.rows import when
from comfyvn_tui.widgets.diff_view import DiffView

if TYPE_CHECKING:
    from comfyvn_vault.api.history import Diff, ShownCommit

MAX_EVENTS = 200


class CommitDetails(Guarded, VerticalScroll):
    """Scrollable details of the commit under the history cursor."""

    DEFAULT_CSS = """
    CommitDetails { padding: 0 1; }
    CommitDetails #commit-head { height: auto; margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("(no commit selected)", style="dim italic"), id="commit-head")
        yield DiffView(id="diff")

    @property
    def diff_view(self) -> DiffView:
        return self.query_one("#diff", DiffView)

    def show(self, commit: ShownCommit | None, diff: Diff | None) -> None:
        head = self.query_one("#commit-head", Static)
        if commit is None:
            head.update(Text("(no commit selected)", style="dim italic"))
            self.diff_view.show(None)
            return
        text = Text()
        text.append("commit ", style="dim")
        text.append(f"{commit.id}\n", style="bold yellow")
        for p in commit.parents:
            text.append(f"parent {p[:16]}\n", style="dim")
        text.append(f"{commit.author}  {when(commit.time)}\n\n", style="dim")
        text.append(f"    {commit.message}\n\n", style="bold")
        events = commit.event_list
        text.append(f"{len(events)} events\n", style="underline")
        for e in events[:MAX_EVENTS]:
            text.append(f"  {e.id[:10]}  ", style="dim")
            text.append(f"{e.summary}\n")
        if len(events) > MAX_EVENTS:
            text.append(f"  … and {len(events) - MAX_EVENTS} more\n", style="dim")
        head.update(text)
        self.diff_view.show(diff)
        self.scroll_home(animate=False)
