"""Map: the story's graph as an outline, following the cursor, with what ``comfyvn check`` finds.

The outline is :func:`comfyvn_vault.api.storymap.story_graph`, the graph
``comfyvn map`` draws (:mod:`comfyvn_tui.map_rows` lays it out): each scene,
its nodes, and under each node its choices and jumps with their conditions and
weights; unreachable parts, dead ends, missing targets and the places the
story ends are marked. The map follows the cursor of the Scenes view (and the
line a playthrough is at): that scene or node is put under the map's cursor
and scrolled into view, and the edges that lead to it are lit. The pane
beside it shows the row's node, the ways into and out of it and the check
findings about it (file and line as ``comfyvn check`` prints them); ``f``/``F``
go to the next and previous row with a finding. ``enter`` on a node opens it
in the Scenes view, on an edge goes to where it leads; ``p`` plays from the
row's scene.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static
from textual.worker import get_current_worker

from comfyvn_tui.map_rows import MapRow, MapRows
from comfyvn_tui.targets import Target
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.virtual_list import EmptySource, RowSource, VirtualList
from comfyvn_vault.api import storymap
from comfyvn_vault.api.check import CheckFinding, StoryChecked
from comfyvn_vault.domain.paths import SCENES
from comfyvn_vault.domain.runtime.storymap import MapEdge
from comfyvn_vault.errors import VaultError


class MapView(ListDetailView):
    """The story map; it follows the Scenes view's cursor; ``f`` goes to the next finding."""

    view_key = "map"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "finding(1)", "Next finding", id="map.next_finding"),
        Binding("F", "finding(-1)", "Previous finding", show=False, id="map.previous_finding"),
        Binding("p", "play_here", "Play from here", id="map.play"),
    ]

    DEFAULT_CSS = """
    MapView #story-map { width: 3fr; }
    MapView #map-detail { width: 2fr; padding: 0 1; }
    """

    list_id = "story-map"
    list_title = "Map"
    empty_text = "(reading the story…)"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: MapRows | None = None
        self.checked: StoryChecked | None = None
        self.problem: str | None = None
        #: Where to put the cursor once the map being read is there.
        self.pending: Target | None = None

    def compose_detail(self) -> ComposeResult:
        yield VerticalScroll(Static(id="map-summary"), Static(id="map-row"), id="map-detail")

    # ----------------------------------------------------------------- rows

    def load_rows(self) -> RowSource:
        """The rows read last (the map is read in a worker: :meth:`reload`)."""
        return self.rows if self.rows is not None else EmptySource()

    def reload(self) -> None:
        """Read the map again off the UI thread (a 10,000-scene story takes about two seconds to check)."""
        self._read_map()

    @work(thread=True, exclusive=True, group="story-map")
    def _read_map(self) -> None:
        try:
            with self.vapp.vault_gate:
                graph, checked = storymap.story_graph(self.vault)
            rows = MapRows(graph, checked.findings)
        except VaultError as exc:
            self.app.call_from_thread(self._show_map, None, None, exc.message)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_map, rows, checked, None)

    def _show_map(self, rows: MapRows | None, checked: StoryChecked | None, problem: str | None) -> None:
        self.rows, self.checked, self.problem = rows, checked, problem
        if rows is None:
            self.row_list.empty_text = "(no map while the story cannot be read as one)"
            self.row_list.border_title = "Map"
        else:
            self.row_list.empty_text = "(no scenes to map)"
            rows.selected = self._selected_node()
            nodes = sum(len(s.nodes) for s in rows.graph.scenes)
            self.row_list.border_title = f"Map: {len(rows.graph.scenes)} scenes, {nodes} nodes"
        super().reload()
        self._show_summary()
        if self.pending is not None:
            target, self.pending = self.pending, None
            self.follow(target)

    def follow(self, target: Target) -> None:
        """Put the map's cursor on ``target``'s node (or scene) and light the edges that lead there."""
        if target.folder != SCENES:
            return
        if self.rows is None:
            self.pending = target  # followed once the map is read
            return
        at = self.rows.place(target.id, target.node)
        if at is not None and at != self.row_list.cursor:
            self.row_list.cursor = at
        else:
            self.show_detail()

    def current(self) -> MapRow | None:
        if self.rows is None or not len(self.rows):
            return None
        return self.rows.rows[min(self.row_list.cursor, len(self.rows) - 1)]

    def _selected_node(self) -> str | None:
        row = self.current() if self.rows is not None else None
        if row is None:
            return None
        if row.kind == "scene":
            return row.scene.nodes[0].id if row.scene.nodes else None
        return row.node.id if row.node is not None else None

    # ----------------------------------------------------------------- detail

    def _show_summary(self) -> None:
        text = Text()
        if self.problem is not None:
            text.append("⚠ ", style="bold red")
            text.append(self.problem, style="bold yellow")
        elif self.checked is not None:
            checked = self.checked
            if not checked.findings:
                text.append("comfyvn check finds nothing wrong", style="green")
            else:
                errors, warnings = checked.errors, checked.warnings
                text.append(f"{errors} error{'' if errors == 1 else 's'}", style="bold red" if errors else "green")
                text.append(" · ")
                shown = f"{warnings} warning{'' if warnings == 1 else 's'}"
                text.append(shown, style="yellow" if warnings else "green")
                text.append("  (f: next finding)", style="dim")
        self.query_one("#map-summary", Static).update(text)

    def show_detail(self) -> None:
        out = self.query_one("#map-row", Static)
        row = self.current()
        if self.rows is not None:
            selected = self._selected_node()
            if selected != self.rows.selected:
                self.rows.selected = selected
                self.row_list.refresh()
        if row is None or self.rows is None:
            out.update("")
            return
        text = Text("\n")
        if row.kind == "scene":
            scene = row.scene
            text.append(f"scene {scene.id}", style="bold")
            text.append(f"  {scene.title}\n" if scene.title else "\n")
            text.append(f"{len(scene.nodes)} nodes", style="dim")
            text.append("  · never reached\n" if scene.unreachable else "\n", style="yellow")
            first = scene.nodes[0].id if scene.nodes else None
            arriving = [e for e in self.rows.arriving.get(first or "", []) if not e.source.startswith(f"{scene.id}:")]
            _edges(text, "reached from", arriving, incoming=True)
        else:
            assert row.node is not None
            node = row.node.node
            text.append(f"{row.node.id}", style="bold")
            text.append(f"  {node.type}\n", style="dim")
            if node.speaker:
                text.append(f"{node.speaker}: ", style="bold cyan")
            text.append(f"{node.content}\n" if node.content else "(says nothing)\n")
            for cond in node.conditions:
                text.append(f"if {cond}\n", style="yellow")
            if node.effects:
                text.append(f"then {node.effects}\n", style="cyan")
            for c in node.choices:
                if c.effects:
                    text.append(f"choice {c.id} sets {c.effects}\n", style="cyan")
            _edges(text, "leads to", self.rows.leaving.get(row.node.id, []), incoming=False)
            _edges(text, "reached from", self.rows.arriving.get(row.node.id, []), incoming=True)
            if row.node.mark == "unreachable":
                text.append("\nno playthrough reaches it\n", style="yellow")
            elif self.rows.ends(row.node):
                text.append("\nthe story ends here\n", style="green")
        _findings(text, self.rows.about(row))
        out.update(text)

    # ----------------------------------------------------------------- actions

    def open_row(self, event: VirtualList.Selected) -> None:
        row = self.current()
        if row is None or self.rows is None:
            return
        if row.kind == "edge" and row.edge is not None:
            if row.edge.target is None:
                self.notify(f"{row.edge.to} names nothing there is", severity="warning")
                return
            at = self.rows.index.get(row.edge.target)
            if at is not None:
                self.row_list.cursor = at
            return
        node = row.node.node.id if row.node is not None else None
        self.vapp.go_to(Target(SCENES, row.scene.id, node))

    def action_finding(self, step: int) -> None:
        rows = self.rows
        if rows is None or not len(rows):
            return
        n = len(rows)
        for offset in range(1, n + 1):
            i = (self.row_list.cursor + step * offset) % n
            row = rows.rows[i]
            if row.kind != "edge" and (rows.findings.get(row.key) or ()):
                self.row_list.cursor = i
                return
        self.notify("comfyvn check finds nothing on the map")

    async def action_play_here(self) -> None:
        row = self.current()
        if row is not None:
            view = await self.vapp.main.show_view("play")
            view.go_to(Target(SCENES, row.scene.id))


def _edges(text: Text, title: str, edges: list[MapEdge], *, incoming: bool) -> None:
    if not edges:
        return
    text.append(f"\n{title}\n", style="bold")
    for e in edges:
        where = e.source if incoming else (e.target or f"{e.to} (missing)")
        text.append(f"  {where}", style="red" if not incoming and e.target is None else "")
        how = {"following": "next in the scene", "next": "jump"}.get(e.kind, e.label)
        text.append(f"  {how}\n", style="dim")


def _findings(text: Text, found: list[CheckFinding]) -> None:
    if not found:
        return
    text.append("\nfindings\n", style="bold")
    for f in found:
        text.append(f"  {f.severity} ", style="bold red" if f.severity == "error" else "yellow")
        text.append(f"{f.kind}  ", style="bold")
        text.append(f"{f.file}:{f.line}\n", style="dim")
        text.append(f"    {f.message}\n")
