"""The full key list (``?`` or F1): every binding id, its keys and what it does.

Built from :func:`comfyvn_tui.keys.catalog`, so remapped keys show as remapped and a
user can copy an id straight into ``.comfyvn/tui.toml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from comfyvn_tui.screens.scroll_modal import ScrollModal, scroll_bindings

if TYPE_CHECKING:
    from comfyvn_tui.keys import KeyEntry


class HelpScreen(ScrollModal):
    """A scrollable table of every key; esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = scroll_bindings("help", "escape,q,question_mark,f1")

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100; max-width: 95%; height: 90%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    """

    def __init__(self, entries: list[KeyEntry], first: str = "everywhere") -> None:
        super().__init__()
        #: Every key, in the order listed (the app builds it: :func:`comfyvn_tui.keys.catalog`).
        self.entries = entries
        #: The context whose keys are listed first (the view or screen ``?`` was pressed in).
        self.first = first

    def compose(self) -> ComposeResult:
        table = Table(expand=True, box=None, show_edge=False, pad_edge=False)
        table.add_column("keys", style="bold cyan", no_wrap=True)
        table.add_column("does")
        table.add_column("where", style="dim")
        table.add_column("binding id", style="dim", no_wrap=True)
        for entry in self.entries:
            here = entry.context == self.first
            table.add_row(entry.keys_display, entry.description, entry.context, entry.id, style="bold" if here else "")
        files = "$XDG_CONFIG_HOME/comfyvn/tui.toml, $XDG_CONFIG_HOME/comfyvn/keys.toml, <vault>/.comfyvn/tui.toml"
        with VerticalScroll():
            heading = Text.assemble(
                ("Keys", "bold"),
                f"  ({self.first} first; remap any binding id under [keys] in a config file)\n",
            )
            yield Static(heading)
            yield Static(table)
            yield Static(Text(f"\nconfig files: {files}"), classes="muted")
