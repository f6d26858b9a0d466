"""The top line: every registered view with its number key, the current one highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.guard import Guarded
from tui.views.registry import number_key, views


class ViewTabs(Guarded, Static):
    """``1 Scenes  2 Characters  …``; redrawn when the view changes."""

    DEFAULT_CSS = """
    ViewTabs {
        dock: top;
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, current: str = "scenes", title: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.current = current
        self.title = title

    def on_mount(self) -> None:
        self.show(self.current)

    def show(self, current: str) -> None:
        self.current = current
        text = Text()
        for i, spec in enumerate(views()):
            key = number_key(i)
            label = f" {key} {spec.title} " if key else f" {spec.title} "
            text.append(label, style="reverse bold" if spec.key == current else "")
            text.append(" ")
        if self.title:
            text.append(f"  {self.title}", style="dim")
        self.update(text, layout=False)
