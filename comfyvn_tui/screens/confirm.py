"""A yes/no question asked before anything destructive or before dropping unsaved edits."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from comfyvn_tui.guard import Guarded


class ConfirmScreen(Guarded, ModalScreen[bool]):
    """Dismisses with True for ``y``/enter and False for ``n``/esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 64; height: auto; padding: 1 2;
        border: thick $error; background: $panel;
    }
    ConfirmScreen .confirm-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, question: str, yes: str = "yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, markup=False)  # quotes node text and commit messages
            yield Label(f"y/enter: {self.yes} · n/esc: cancel", classes="confirm-hint")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
