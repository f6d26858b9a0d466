"""The shape most views share: a list of rows, and beside it what the highlighted row holds.

A :class:`ListDetailView` composes the list (a bordered :class:`VirtualList`
that lights up when focused) and the view's detail pane, keeps the cursor on
the same row across reloads, and shows the detail again whenever the cursor
moves. A view says only what is its own: its rows (:meth:`load_rows`), its
detail (:meth:`compose_detail`, :meth:`show_detail`), what enter on a row does
(:meth:`open_row`), its bindings and its actions.

:meth:`show_detail` runs after every reload and, unless a view overrides
:meth:`highlighted`, after every cursor move too; a view whose detail is costly
(history reads a commit in a worker) or must not change while it holds edits
(the timeline's order) tells the two apart.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget

from comfyvn_tui.views.base import View
from comfyvn_tui.widgets.virtual_list import RowSource, VirtualList


class ListDetailView(View):
    """A :class:`View` made of one list of rows and a detail pane (beside it, or below with ``split``)."""

    DEFAULT_CSS = """
    ListDetailView > Horizontal > * { width: 1fr; border: round $panel-lighten-2; }
    ListDetailView .row-list { border: round $panel-lighten-2; }
    ListDetailView .row-list:focus { border: round $primary; }
    """

    #: The list's widget id (each view keeps its own, so its CSS and queries name it).
    list_id: ClassVar[str] = "rows"
    #: The list's border title when it is composed ("" for none, or one set by :meth:`load_rows`).
    list_title: ClassVar[str] = ""
    #: What the list says while it has no rows.
    empty_text: ClassVar[str] = "(nothing here)"
    #: The id of the detail widget from which esc returns focus to the list (None: esc leaves the view).
    back_from: ClassVar[str | None] = None
    #: The container of the list and the detail pane: side by side, or a ``Vertical`` to stack them.
    split: ClassVar[type[Widget]] = Horizontal

    def compose(self) -> ComposeResult:
        with self.split():
            rows = VirtualList(empty_text=self.empty_text, on_select=self.open_row, id=self.list_id, classes="row-list")
            if self.list_title:
                rows.border_title = self.list_title
            yield rows
            yield from self.compose_detail()

    def compose_detail(self) -> ComposeResult:
        """The widgets after the list: the detail pane."""
        yield from ()

    @property
    def row_list(self) -> VirtualList:
        return self.query_one(f"#{self.list_id}", VirtualList)

    # ----------------------------------------------------------------- rows and detail

    def load_rows(self) -> RowSource:
        """Read the rows from the vault (and whatever else the view keeps of them); every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define load_rows")

    def start_key(self) -> str | None:
        """The row the cursor starts on when the list had none (asked after :meth:`load_rows`; None: the first)."""
        return None

    def reload(self) -> None:
        rows = self.load_rows()
        self.row_list.set_source(rows, keep_key=self.row_list.current_key or self.start_key())
        self.show_detail()

    def show_detail(self) -> None:
        """Show what the row under the cursor holds (after every reload; by default after every move too)."""

    def highlighted(self) -> None:
        """The cursor moved to another row."""
        self.show_detail()

    @on(VirtualList.Highlighted)
    def _row_highlighted(self, event: VirtualList.Highlighted) -> None:
        if event.virtual_list is self.row_list:  # not a list inside the detail pane
            self.highlighted()

    def open_row(self, event: VirtualList.Selected) -> None:
        """enter on a row (by default nothing)."""

    def move_to(self, key: str) -> bool:
        """Put the cursor on the row ``key``; False when no row has it."""
        index = self.row_list.index_of(key)
        if index is None:
            return False
        self.row_list.cursor = index
        return True

    # ----------------------------------------------------------------- focus

    def focus_default(self) -> None:
        self.screen.set_focus(self.row_list)

    def back(self) -> bool:
        if self.back_from is not None and self.screen.focused is self.query_one(f"#{self.back_from}"):
            self.screen.set_focus(self.row_list)
            return True
        return False
