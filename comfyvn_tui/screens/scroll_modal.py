"""A modal screen of scrollable text (the key list, the caught errors): keys to scroll and close."""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from comfyvn_tui.guard import Guarded


def scroll_bindings(prefix: str, close_keys: str) -> list[BindingType]:
    """The bindings of a scrolling modal, with ids under ``prefix`` so each can be remapped on its own."""
    return [
        Binding(close_keys, "close", "Close", id=f"{prefix}.close"),
        Binding("j,down", "scroll(1)", "Scroll down", show=False, id=f"{prefix}.down"),
        Binding("k,up", "scroll(-1)", "Scroll up", show=False, id=f"{prefix}.up"),
    ]


class ScrollModal(Guarded, ModalScreen[None]):
    """Base of the modals that show one :class:`VerticalScroll` of text."""

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)
