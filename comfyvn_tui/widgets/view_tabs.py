"""The top line: every registered view with its key, the current one highlighted.

The bar always fits on one line: it uses the widest layout that fits the
terminal, from ``1 Scenes  2 Characters …`` down to ``1Scenes 2Cast …`` (the
views' short titles) at 80 columns; narrower still, the other views show
their keys only. Every view stays reachable by the key the bar shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.keys import format_key
from textual.widgets import Static

from comfyvn_tui.guard import Guarded
from comfyvn_tui.views.registry import ViewSpec, number_key, views


@dataclass(frozen=True)
class Tab:
    """One view's tab: ``pad key gap label pad``."""

    key: str
    label: str
    current: bool
    pad: str = ""
    gap: str = " "

    @property
    def width(self) -> int:
        return 2 * len(self.pad) + len(self.key) + (len(self.gap) + len(self.label) if self.label else 0)


def _layouts(key: str, spec: ViewSpec, current: bool) -> list[Tab]:
    """The tab of one view in each layout, widest first."""
    return [
        Tab(key, spec.title, current, pad=" "),
        Tab(key, spec.title, current),
        Tab(key, spec.short_title, current, gap=""),
        Tab(key, spec.short_title if current else "", current),
    ]


def tab_layout(width: int, current: str) -> list[Tab]:
    """Every view's tab, in the widest layout whose tabs (one space apart) fit ``width``."""
    per_view = [
        _layouts(format_key(k) if (k := number_key(i)) else "·", spec, spec.key == current)
        for i, spec in enumerate(views())
    ]
    tabs: list[Tab] = []
    for layout in range(len(per_view[0]) if per_view else 0):
        tabs = [options[layout] for options in per_view]
        if sum(t.width for t in tabs) + len(tabs) - 1 <= width:
            break
    return tabs


class ViewTabs(Guarded, Static):
    """``1 Scenes  2 Characters  …``; redrawn when the view changes or the terminal is resized."""

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

    def on_resize(self, event: events.Resize) -> None:
        self.show(self.current)

    def show(self, current: str) -> None:
        self.current = current
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, tab in enumerate(tab_layout(self.content_size.width or 80, current)):
            text.append(" " if i else "")
            style = "reverse bold" if tab.current else ""
            text.append(f"{tab.pad}{tab.key}", style=f"{style} bold" if tab.current else "bold yellow")
            if tab.label:
                text.append(f"{tab.gap}{tab.label}{tab.pad}", style=style)
            elif tab.pad:
                text.append(tab.pad, style=style)
        if self.title:
            text.append(f"  {self.title}", style="dim")
        self.update(text, layout=False)
