"""The node editor: a node's speaker, content and choices.

It holds the edit until it is saved (the scenes view turns it into a commit),
and knows whether its fields differ from the node it was loaded with, so
leaving it never drops an edit silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, TextArea

from comfyvn_tui.guard import Guarded
from comfyvn_tui.rows import ChoiceRows
from comfyvn_tui.widgets.virtual_list import EmptySource, VirtualList
from comfyvn_vault.domain.entities import Node


class NodeEditor(Guarded, Vertical):
    """Edits one node of one scene (or shows it read-only)."""

    DEFAULT_CSS = """
    NodeEditor { height: 1fr; padding: 0 1; }
    NodeEditor #node-title { text-style: bold; height: 1; width: 1fr; }
    NodeEditor .field-label { color: $text-muted; height: 1; margin-top: 1; }
    NodeEditor #speaker { height: 3; }
    NodeEditor #content { height: 3fr; min-height: 3; max-height: 10; }
    NodeEditor #choices { height: 2fr; min-height: 3; }
    """

    def __init__(
        self, on_choice_select: Callable[[VirtualList.Selected], None] | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.on_choice_select = on_choice_select
        self.scene_id: str | None = None
        self.node: Node | None = None

    def compose(self) -> ComposeResult:
        yield Label("(no node)", id="node-title")
        yield Label("Speaker", classes="field-label")
        yield Input(placeholder="(narration: no speaker)", id="speaker")
        yield Label("Content", classes="field-label")
        yield TextArea(id="content", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        yield Label("Choices", classes="field-label")
        yield VirtualList(empty_text="(no choices)", on_select=self.on_choice_select, id="choices")

    @property
    def speaker_input(self) -> Input:
        return self.query_one("#speaker", Input)

    @property
    def content_area(self) -> TextArea:
        return self.query_one("#content", TextArea)

    @property
    def choice_list(self) -> VirtualList:
        return self.query_one("#choices", VirtualList)

    def load(self, scene_id: str | None, node: Node | None) -> None:
        """Show ``node`` (None: an empty, disabled editor).

        Loading the node already shown is a no-op, so a late refresh never
        resets the cursor (or the text) under someone typing.
        """
        if scene_id == self.scene_id and node == self.node and node is not None:
            return
        self.scene_id, self.node = scene_id, node
        self.speaker_input.value = (node.speaker or "") if node else ""
        self.content_area.load_text(node.content if node else "")
        self.speaker_input.disabled = node is None
        self.content_area.disabled = node is None
        keep = self.choice_list.current_key
        self.choice_list.set_source(ChoiceRows(list(node.choices)) if node else EmptySource(), keep_key=keep)
        self._show_title()

    def values(self) -> dict[str, Any]:
        """The edited fields, as the API takes them (an empty speaker clears it)."""
        speaker = self.speaker_input.value.strip()
        return {"speaker": speaker or None, "content": self.content_area.text}

    def changed_fields(self) -> dict[str, Any]:
        """Only the fields that differ from the loaded node."""
        if self.node is None:
            return {}
        return {k: v for k, v in self.values().items() if getattr(self.node, k) != v}

    @property
    def dirty(self) -> bool:
        return bool(self.changed_fields())

    def _show_title(self) -> None:
        title = self.query_one("#node-title", Label)
        if self.node is None or self.scene_id is None:
            title.update("(no node selected)", layout=False)
            return
        mark = "  ● unsaved" if self.dirty else ""
        title.update(f"{self.scene_id}#{self.node.id}  ({self.node.type}){mark}", layout=False)

    @on(Input.Changed, "#speaker")
    @on(TextArea.Changed, "#content")
    def _edited(self) -> None:
        self._show_title()
