"""Timeline: each timeline's ordered scenes, reordered in place and saved as one edit.

Moves (``J``/``K``) only rearrange the list on screen; ``ctrl+s`` records the
new order with ``timeline edit --order`` (one ``TimelineEdited`` event), and
leaving with moves not saved asks first.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape

from comfyvn_tui.rows import EntityRows
from comfyvn_tui.screens.form import FormScreen, field
from comfyvn_tui.targets import Target
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.virtual_list import StaticSource, VirtualList
from comfyvn_vault.api import edit
from comfyvn_vault.domain.entities import Timeline
from comfyvn_vault.domain.paths import SCENES, TIMELINES


class TimelineView(ListDetailView):
    """Pick a timeline on the left; its scenes, in order, on the right."""

    view_key = "timeline"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("J,alt+down", "move(1)", "Move down", id="timeline.move_down"),
        Binding("K,alt+up", "move(-1)", "Move up", id="timeline.move_up"),
        Binding("ctrl+s", "save", "Save order", id="timeline.save"),
        Binding("a", "add_scene", "Add scene", show=False, id="timeline.add_scene"),
        Binding("d", "remove_scene", "Remove scene", show=False, id="timeline.remove_scene"),
        Binding("A", "add_timeline", "New timeline", show=False, id="timeline.add"),
        Binding("u", "revert", "Revert moves", show=False, id="timeline.revert"),
    ]

    # Neither list lights up when focused: the rule that meant to (``VirtualList:focus``) always lost
    # to the lists' own id rules, and the look is kept as it was.
    DEFAULT_CSS = """
    TimelineView #order { width: 2fr; }
    TimelineView #timeline-list:focus, TimelineView #order:focus { border: round $panel-lighten-2; }
    """

    list_id = "timeline-list"
    list_title = "Timelines"
    empty_text = "(no timelines: A creates one)"
    back_from = "order"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.timeline: Timeline | None = None
        self.order: list[str] = []

    def compose_detail(self) -> ComposeResult:
        order = VirtualList(empty_text="(no scenes: a adds one)", on_select=self._open_scene, id="order")
        order.border_title = "Scenes in order"
        yield order

    @property
    def order_list(self) -> VirtualList:
        return self.query_one("#order", VirtualList)

    def load_rows(self) -> EntityRows:
        entries = edit.entries(self.vault, TIMELINES)
        return EntityRows(self.vault, entries, names=lambda: edit.names(self.vault, TIMELINES))

    def show_detail(self) -> None:
        self._show_timeline(force=True)

    def _show_timeline(self, force: bool = False) -> None:
        rows = self.row_list.source
        doc = rows.entity(self.row_list.cursor) if isinstance(rows, EntityRows) and len(rows) else None
        timeline = doc if isinstance(doc, Timeline) else None
        if not force and timeline == self.timeline:
            return
        self.timeline = timeline
        self.order = list(timeline.scene_order) if timeline else []
        self._show_order(keep=self.order_list.current_key)

    def _show_order(self, keep: str | None = None) -> None:
        rows: list[tuple[str, Text]] = []
        titles = edit.titles(self.vault, SCENES, self.order)
        for i, sid in enumerate(self.order):
            title = titles[sid]
            label = Text()
            label.append(f"{i + 1:>3}. ", style="dim")
            label.append(sid, style="bold")
            if title is None:
                label.append("  (missing scene)", style="bold red")
            else:
                label.append(f"  {title}")
            rows.append((f"{i}:{sid}", label))
        self.order_list.set_source(StaticSource(rows), keep_key=keep)
        name = self.timeline.name if self.timeline else ""
        mark = "  ● unsaved (ctrl+s saves)" if self.unsaved() else ""
        self.order_list.border_title = f"Scenes of {escape(name)}{mark}" if self.timeline else "Scenes in order"

    def highlighted(self) -> None:
        if self.unsaved():
            return  # keep the moves until they are saved or reverted
        self._show_timeline()

    def open_row(self, event: VirtualList.Selected) -> None:
        if not self.unsaved():
            self._show_timeline()
        self.screen.set_focus(self.order_list)

    def _open_scene(self, event: VirtualList.Selected) -> None:
        if self.order:
            self.vapp.go_to(Target(SCENES, self.order[self.order_list.cursor]))

    def unsaved(self) -> str | None:
        if self.timeline is not None and self.order != list(self.timeline.scene_order):
            return f"the order of timeline {self.timeline.id}"
        return None

    def discard(self) -> None:
        self.action_revert()

    def go_to(self, target: Target) -> None:
        if self.move_to(target.id):
            self._show_timeline()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("move", "remove_scene"):
            return self.screen.focused is self.order_list
        if action == "save":
            return self.unsaved() is not None
        return True

    # ----------------------------------------------------------------- actions

    def action_move(self, delta: int) -> None:
        i = self.order_list.cursor
        j = i + delta
        if not self.order or not 0 <= j < len(self.order):
            return
        self.order[i], self.order[j] = self.order[j], self.order[i]
        self._show_order()
        self.order_list.cursor = j
        self.refresh_bindings()

    def action_revert(self) -> None:
        self.order = list(self.timeline.scene_order) if self.timeline else []
        self._show_order()
        self.refresh_bindings()

    def action_save(self) -> None:
        timeline, order = self.timeline, list(self.order)
        if timeline is None or not self.unsaved():
            return
        self.vapp.save_edit(
            f"Reorder timeline {timeline.id}",
            lambda msg: edit.timeline_edit(self.vault, timeline.id, order=order, message=msg),
        )

    def action_add_scene(self) -> None:
        timeline = self.timeline
        if timeline is None:
            return

        def add(values: dict[str, str] | None) -> None:
            ref = (values or {}).get("scene", "").strip()
            if ref:
                self.vapp.save_edit(
                    f"Add {ref} to timeline {timeline.id}",
                    lambda msg: edit.timeline_edit(self.vault, timeline.id, add=[ref], message=msg),
                )

        self.app.push_screen(FormScreen(f"Add a scene to {timeline.name}", [field("scene", "Scene id or title")]), add)

    def action_remove_scene(self) -> None:
        timeline = self.timeline
        if timeline is None or not self.order:
            return
        sid = self.order[self.order_list.cursor]
        self.vapp.confirm(
            f"Remove scene {sid} from timeline {timeline.name}? (the scene itself stays)",
            lambda: self.vapp.save_edit(
                f"Remove {sid} from timeline {timeline.id}",
                lambda msg: edit.timeline_edit(self.vault, timeline.id, remove=[sid], message=msg),
            ),
            "remove",
        )

    def action_add_timeline(self) -> None:
        def create(values: dict[str, str] | None) -> None:
            name = (values or {}).get("name", "").strip()
            if name:
                self.vapp.save_edit(
                    f"New timeline: {name}",
                    lambda msg: edit.timeline_new(self.vault, name, message=msg),
                    after=lambda saved: self.go_to(Target(TIMELINES, saved.id)),
                )

        self.app.push_screen(FormScreen("New timeline", [field("name", "Name")], submit="Create"), create)
