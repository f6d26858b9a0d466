"""The errors the app survived (F12): each one's summary, where it happened and its traceback.

An error that escapes an action, a worker or a refresh is shown as a
notification and kept here (the newest first), so it can be read and reported
without the app having ended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from comfyvn_tui.screens.scroll_modal import ScrollModal, scroll_bindings

if TYPE_CHECKING:
    from comfyvn_tui.app import VaultApp


class ErrorsScreen(ScrollModal):
    """A scrollable list of the caught errors; esc or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = scroll_bindings("errors", "escape,q,f12")

    DEFAULT_CSS = """
    ErrorsScreen { align: center middle; }
    ErrorsScreen > VerticalScroll {
        width: 110; max-width: 95%; height: 90%;
        border: thick $error; background: $panel; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        errors = cast("VaultApp", self.app).caught_errors
        text = Text()
        if not errors:
            text.append("No errors so far.", style="dim italic")
        for caught in reversed(errors):
            text.append(f"{caught.summary}\n", style="bold red" if not caught.expected else "bold yellow")
            if caught.where:
                text.append(f"in {caught.where}\n", style="dim")
            text.append(f"{caught.details}\n")
        with VerticalScroll():
            yield Static(Text(f"Errors the app survived ({len(errors)}, newest first)\n", style="bold"))
            yield Static(text)
