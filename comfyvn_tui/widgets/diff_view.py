"""A ``comfyvn diff --json`` document, drawn unified or side by side.

It draws exactly what :func:`comfyvn_vault.api.history.diff` returns (entities,
their fine-grained changes, and for edits each field's before and after), so
the TUI and ``comfyvn diff`` always agree. Very large diffs are cut after
``MAX_ENTITIES`` entities with a note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from comfyvn_tui.guard import Guarded

if TYPE_CHECKING:
    from comfyvn_vault.api.history import Diff

MAX_ENTITIES: Final = 100
KIND_STYLE: Final = {"added": "green", "deleted": "red", "modified": "yellow"}


def _value(v: Any) -> str:
    if isinstance(v, str):
        return v
    return repr(v)


def render_unified(diff: Diff) -> RenderableType:
    """``- field: before`` / ``+ field: after`` lines under each change, git-style."""
    text = Text()
    entities = diff.entities
    if not entities:
        return Text("(no differences)", style="dim italic")
    for entity in entities[:MAX_ENTITIES]:
        text.append(f"{entity.kind} ", style=f"bold {KIND_STYLE.get(entity.kind, '')}")
        text.append(f"{entity.path}\n", style="bold")
        for change in entity.changes:
            text.append(f"  {change.summary}\n", style="cyan")
            for name, values in (change.fields or {}).items():
                text.append(f"    - {name}: {_value(values.before)}\n", style="red")
                text.append(f"    + {name}: {_value(values.after)}\n", style="green")
    if len(entities) > MAX_ENTITIES:
        text.append(f"… and {len(entities) - MAX_ENTITIES} more entities\n", style="dim")
    return text


def render_side_by_side(diff: Diff) -> RenderableType:
    """Two columns, before and after, one row per changed field (or per added/removed item)."""
    entities = diff.entities
    if not entities:
        return Text("(no differences)", style="dim italic")
    table = Table(expand=True, show_lines=False, box=None, pad_edge=False)
    table.add_column(f"before ({diff.from_[:12]})", ratio=1, overflow="fold")
    table.add_column(f"after ({diff.to[:12]})", ratio=1, overflow="fold")
    for entity in entities[:MAX_ENTITIES]:
        head = Text(f"{entity.kind} {entity.path}", style=f"bold {KIND_STYLE.get(entity.kind, '')}")
        table.add_row(head, "")
        for change in entity.changes:
            fields = change.fields or {}
            if not fields:
                summary = Text(f"  {change.summary}", style="cyan")
                removed = change.event.endswith(("Removed", "Deleted"))
                table.add_row(summary if removed else "", "" if removed else summary)
                continue
            table.add_row(Text(f"  {change.summary}", style="cyan"), "")
            for name, values in fields.items():
                table.add_row(
                    Text(f"    {name}: {_value(values.before)}", style="red"),
                    Text(f"    {name}: {_value(values.after)}", style="green"),
                )
    if len(entities) > MAX_ENTITIES:
        table.add_row(Text(f"… and {len(entities) - MAX_ENTITIES} more entities", style="dim"), "")
    return table


class DiffView(Guarded, Static):
    """Shows one diff document; :meth:`set_mode` switches between unified and side by side."""

    DEFAULT_CSS = """
    DiffView { height: auto; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.diff: Diff | None = None
        self.side_by_side = False

    def show(self, diff: Diff | None) -> None:
        self.diff = diff
        self._draw()

    def set_mode(self, side_by_side: bool) -> None:
        self.side_by_side = side_by_side
        self._draw()

    def _draw(self) -> None:
        if self.diff is None:
            self.update(Text("(a root commit: nothing to compare with)", style="dim italic"))
            return
        body = render_side_by_side(self.diff) if self.side_by_side else render_unified(self.diff)
        mode = "side by side" if self.side_by_side else "unified"
        title = Text(f"Diff ({mode}; s switches)", style="bold underline")
        self.update(Group(title, body))
