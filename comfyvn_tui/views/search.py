"""Search: full-text search over dialogue and choice text, as ``comfyvn search`` does.

Results appear while typing (the last word matches as a prefix). The query
runs in a worker thread, a moment after the last keystroke, so a query that
hits 200,000 lines never blocks typing; enter on a hit opens its node.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Input, Label
from textual.worker import get_current_worker

from comfyvn_tui.rows import one_line
from comfyvn_tui.targets import Target
from comfyvn_tui.views.base import View
from comfyvn_tui.widgets.virtual_list import StaticSource, VirtualList
from comfyvn_vault.api import history
from comfyvn_vault.domain.paths import SCENES

DEBOUNCE_S = 0.2
LIMIT = 500


class SearchView(View):
    """A query box over a list of hits (``scene#node  speaker: line``)."""

    view_key = "search"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_query", "Search", priority=True, id="search.focus_query"),
        Binding("down", "focus_hits", "Hits", show=False, id="search.to_hits"),
    ]

    DEFAULT_CSS = """
    SearchView #query { margin: 0 1; }
    SearchView #summary { height: 1; padding: 0 2; color: $text-muted; }
    SearchView #hits { border: round $panel-lighten-2; }
    SearchView #hits:focus { border: round $primary; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self.query_text = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search dialogue (every word must match; the last one as a prefix)", id="query")
        yield Label("type to search", id="summary")
        yield VirtualList(empty_text="(no hits)", on_select=self._open, id="hits")

    @property
    def query_input(self) -> Input:
        return self.query_one("#query", Input)

    @property
    def hits(self) -> VirtualList:
        return self.query_one("#hits", VirtualList)

    def reload(self) -> None:
        if self.query_text:
            self._search(self.query_text)

    def focus_default(self) -> None:
        self.screen.set_focus(self.query_input)

    def back(self) -> bool:
        # esc leaves the query box first, so the number keys switch views again.
        if self.screen.focused is self.query_input:
            self.screen.set_focus(self.hits)
            return True
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_query":
            return self.screen.focused is not self.query_input
        if action == "focus_hits":
            return self.screen.focused is self.query_input
        return True

    def action_focus_query(self) -> None:
        self.screen.set_focus(self.query_input)

    def action_focus_hits(self) -> None:
        self.screen.set_focus(self.hits)

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        self._timer = self.set_timer(DEBOUNCE_S, lambda: self.run_query(text))

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.run_query(event.value)
        self.screen.set_focus(self.hits)

    def run_query(self, text: str) -> None:
        """Search for ``text`` (in a worker; the hits replace the list when it finishes)."""
        self.query_text = text.strip()
        if not self.query_text:
            self.hits.set_source(StaticSource([]))
            self.query_one("#summary", Label).update("type to search")
            return
        self._search(self.query_text)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, text: str) -> None:
        with self.vapp.vault_gate:
            doc = history.search(self.vault, text, limit=LIMIT)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, text, doc)

    def _show(self, text: str, doc: history.SearchHits) -> None:
        if text != self.query_text:
            return
        rows: list[tuple[str, Text]] = []
        for hit in doc.hits:
            label = Text()
            label.append(f"{hit.scene}#{hit.node}", style="bold")
            label.append("  ")
            if hit.speaker:
                label.append(f"{hit.speaker}: ", style="cyan")
            label.append(one_line(hit.content))
            rows.append((f"{hit.scene}#{hit.node}", label))
        self.hits.set_source(StaticSource(rows))
        more = " (first 500)" if len(rows) >= LIMIT else ""
        self.query_one("#summary", Label).update(f"{len(rows)} hits for {text!r}{more}; enter opens")

    def _open(self, event: VirtualList.Selected) -> None:
        scene, _, node = event.key.partition("#")
        self.vapp.go_to(Target(SCENES, scene, node or None))
