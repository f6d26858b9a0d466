"""Time travel: the whole story as it was at one commit, read-only.

The entity list is the commit's state tree (no replay: ``api.history.story_at``),
and each document is read only when shown, so jumping to any commit of a long
history is immediate. The story's entities come first (shown as their
working-copy files), then the tree's records: assets, findings, the content
policy and merge conflicts (shown as JSON). ``[`` steps to the older commit and
``]`` to the newer one, in the order of the history view's log; the selected
entity stays selected when it exists at the new commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea

from comfyvn_tui.guard import Guarded
from comfyvn_tui.rows import CommitRows, TreeRows, one_line, when
from comfyvn_tui.widgets.virtual_list import VirtualList
from comfyvn_vault.api import ObjectId
from comfyvn_vault.api.history import story_at

if TYPE_CHECKING:
    from comfyvn_tui.app import VaultApp


class TimeTravelScreen(Guarded, Screen[None]):
    """Browse the story at ``rows[index]``; nothing here can change the vault."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "step(1)", "Older", id="travel.older"),
        Binding("right_square_bracket", "step(-1)", "Newer", id="travel.newer"),
        Binding("escape", "close", "Back", id="travel.close"),
    ]

    DEFAULT_CSS = """
    TimeTravelScreen #travel-banner {
        height: 2; background: $warning 25%; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    TimeTravelScreen #travel-entities { width: 2fr; border: round $panel-lighten-2; }
    TimeTravelScreen #travel-document { width: 3fr; border: round $panel-lighten-2; }
    TimeTravelScreen #travel-entities:focus, TimeTravelScreen #travel-document:focus { border: round $primary; }
    """

    def __init__(self, rows: CommitRows, index: int) -> None:
        super().__init__()
        self.rows = rows
        self.index = index

    def compose(self) -> ComposeResult:
        yield Static(id="travel-banner")
        with Horizontal():
            entities = VirtualList(
                empty_text="(the story was empty then)", on_select=self._selected, id="travel-entities"
            )
            entities.border_title = "Story"
            yield entities
            document = TextArea(id="travel-document", read_only=True, show_line_numbers=False, soft_wrap=True)
            document.border_title = "Document"
            yield document
        yield Footer()

    @property
    def entity_list(self) -> VirtualList:
        return self.query_one("#travel-entities", VirtualList)

    @property
    def document(self) -> TextArea:
        return self.query_one("#travel-document", TextArea)

    @property
    def commit_id(self) -> str:
        return self.rows.key(self.index)

    def on_mount(self) -> None:
        self.load()
        self.set_focus(self.entity_list)

    def load(self) -> None:
        vault = cast("VaultApp", self.app).vault
        row = self.rows.rows[self.index]
        entries = story_at(vault, ObjectId.from_hex(self.commit_id))
        keep = self.entity_list.current_key
        rows = TreeRows(vault, entries)
        self.entity_list.set_source(rows, keep_key=keep)
        records = len(rows) - rows.entities
        count = f"{rows.entities} {'entity' if rows.entities == 1 else 'entities'}"
        self.entity_list.border_title = count + (f" · {records} record{'s' if records != 1 else ''}" if records else "")
        banner = Text()
        banner.append(" TIME TRAVEL · read-only ", style="bold reverse")
        banner.append(f"  commit {self.commit_id[:12]}", style="bold")
        banner.append(f"  {one_line(row.message, 60)}")
        banner.append(f"  {row.author} {when(row.time)}\n", style="dim")
        position = f"{self.index + 1} of {len(self.rows)}{'' if self.rows.complete else '+'}"
        banner.append(f" commit {position} (newest first)   [ older   ] newer   esc back", style="dim")
        self.query_one("#travel-banner", Static).update(banner)
        self._show_document()

    def _show_document(self) -> None:
        rows = self.entity_list.source
        if isinstance(rows, TreeRows) and len(rows):
            index = self.entity_list.cursor
            self.document.border_title = rows.paths[index]
            self.document.load_text(rows.document_text(index))
        else:
            self.document.load_text("")
            self.document.border_title = "Document"

    @on(VirtualList.Highlighted, "#travel-entities")
    def _highlighted(self) -> None:
        self._show_document()

    def _selected(self, event: VirtualList.Selected) -> None:
        self._show_document()
        self.set_focus(self.document)

    def action_step(self, delta: int) -> None:
        target = self.index + delta
        if target >= len(self.rows):
            self.rows.extend(target + CommitRows.PAGE)
        if not 0 <= target < len(self.rows):
            self.notify("no older commit" if delta > 0 else "no newer commit", severity="warning")
            return
        self.index = target
        self.load()

    def action_close(self) -> None:
        if self.focused is self.document:
            self.set_focus(self.entity_list)
            return
        self.dismiss(None)
