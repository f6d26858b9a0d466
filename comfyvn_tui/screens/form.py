"""A small modal form: one or more labelled text fields, submitted with enter.

Every prompt of the TUI is one of these (a commit message, a branch name, a new
scene's title, a choice's text and target), so they all behave alike: enter
moves to the next field and submits on the last, esc cancels.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from comfyvn_tui.guard import Guarded


class Field(NamedTuple):
    """One text field: its result key, its label, the initial value and a placeholder."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""


def field(name: str, label: str, value: str = "", placeholder: str = "") -> Field:
    return Field(name, label, value, placeholder)


class FormScreen(Guarded, ModalScreen[dict[str, str] | None]):
    """Dismisses with ``{field name: text}``, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > Vertical {
        width: 72; height: auto; padding: 1 2;
        border: thick $primary; background: $panel;
    }
    FormScreen .form-title { text-style: bold; margin-bottom: 1; }
    FormScreen .form-hint { color: $text-muted; margin-top: 1; }
    FormScreen Input { margin-bottom: 1; }
    """

    def __init__(self, title: str, fields: list[Field], *, submit: str = "OK", hint: str = "") -> None:
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.submit_label = submit
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.form_title, classes="form-title", markup=False)
            for f in self.fields:
                yield Label(f.label, markup=False)
                yield Input(f.value, placeholder=f.placeholder, id=f"field-{f.name}")
            yield Label(self.hint or f"enter: {self.submit_label.lower()} · esc: cancel", classes="form-hint")

    def on_key(self, event: events.Key) -> None:
        """Type-ahead: text typed before the first field took focus replaces its value, as typing would.

        (Fields select their prefilled value on focus, so typing replaces it;
        this keeps that true for keys that arrive before the focus does.)
        """
        if self.focused is None and event.is_printable and event.character:
            first = self.query(Input).first()
            first.select_on_focus = False
            self.set_focus(first)
            first.value = event.character
            first.cursor_position = len(first.value)
            event.stop()

    def values(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#field-{f.name}", Input).value for f in self.fields}

    @on(Input.Submitted)
    def _next_or_submit(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        at = inputs.index(event.input)
        if at + 1 < len(inputs):
            self.set_focus(inputs[at + 1])
        else:
            self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)
