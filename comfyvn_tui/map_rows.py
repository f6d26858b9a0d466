"""The story map as list rows: each scene, its nodes under it, and under each node the ways on from it.

The rows are drawn from the :class:`~comfyvn_vault.domain.runtime.storymap.StoryGraph`
``comfyvn map`` writes as DOT, so the outline and the picture show the same
edges and the same marks. The way from a node to the one after it in its scene
is not listed (the outline's order says it); choices, ``next`` jumps, the way
past a node whose conditions fail and targets that name nothing are. A
node's row says when the story ends there, is stuck there (a dead end) or
never gets there (unreachable), and how many check findings are about it.
Labels are built when a row is painted, so a big story's map opens fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from rich.text import Text

from comfyvn_vault.api.check import CheckFinding
from comfyvn_vault.domain.paths import SCENES
from comfyvn_vault.domain.runtime.storymap import MapEdge, MapNode, MapScene, StoryGraph

#: The most characters of a line or a choice's text shown in a row.
ROW_TEXT: Final = 60


@dataclass(frozen=True)
class MapRow:
    """One row: a scene, a node (``id`` is ``SCENE:NODE``) or an edge of the node above it."""

    kind: Literal["scene", "node", "edge"]
    key: str
    scene: MapScene
    node: MapNode | None = None
    edge: MapEdge | None = None


def finding_place(f: CheckFinding) -> str | None:
    """The map key a finding is about: ``SCENE:NODE`` for a node's or choice's, ``SCENE`` for a scene's."""
    folder, _, sid = f.path.partition("/")
    if folder != SCENES:
        return None
    node = f.locator.partition("/")[0]
    return f"{sid}:{node}" if node else sid


class MapRows:
    """The rows of a story map (a :class:`~comfyvn_tui.widgets.virtual_list.RowSource`).

    ``selected`` is the node the map follows: edges that lead to it are lit up.
    """

    def __init__(self, graph: StoryGraph, findings: Iterable[CheckFinding] = ()) -> None:
        self.graph = graph
        self.rows: list[MapRow] = []
        self.index: dict[str, int] = {}
        self.leaving: dict[str, list[MapEdge]] = {}
        self.arriving: dict[str, list[MapEdge]] = {}
        self.findings: dict[str, list[CheckFinding]] = {}
        self.selected: str | None = None
        for f in findings:
            place = finding_place(f)
            if place is not None:
                self.findings.setdefault(place, []).append(f)
        for e in graph.edges:
            self.leaving.setdefault(e.source, []).append(e)
            if e.target is not None:
                self.arriving.setdefault(e.target, []).append(e)
        for scene in graph.scenes:
            self._add(MapRow("scene", scene.id, scene))
            for node in scene.nodes:
                self._add(MapRow("node", node.id, scene, node))
                for i, e in enumerate(self.leaving.get(node.id, [])):
                    if e.kind != "following":
                        self._add(MapRow("edge", f"{node.id}>{i}", scene, node, e))

    def _add(self, row: MapRow) -> None:
        self.index[row.key] = len(self.rows)
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def key(self, index: int) -> str:
        return self.rows[index].key

    def haystack(self, index: int) -> str:
        return self.label(index).plain.lower()

    def place(self, scene: str, node: str | None = None) -> int | None:
        """The row of a node (or, without one or when it is not there, of its scene)."""
        if node is not None and f"{scene}:{node}" in self.index:
            return self.index[f"{scene}:{node}"]
        return self.index.get(scene)

    def about(self, row: MapRow) -> list[CheckFinding]:
        """The findings about a row's node, or every finding in a scene for its scene row."""
        if row.kind != "scene":
            return self.findings.get(row.node.id, []) if row.node is not None else []
        out = list(self.findings.get(row.scene.id, []))
        for node in row.scene.nodes:
            out.extend(self.findings.get(node.id, []))
        return out

    def ends(self, node: MapNode) -> bool:
        """Whether the story ends at ``node`` (it leads nowhere and is not stuck)."""
        return not self.leaving.get(node.id) and node.mark is None

    # ----------------------------------------------------------------- labels

    def label(self, index: int) -> Text:
        row = self.rows[index]
        if row.kind == "scene":
            return self._scene_label(row)
        if row.kind == "node":
            assert row.node is not None
            return self._node_label(row.node)
        assert row.edge is not None
        return self._edge_label(row.edge)

    def _scene_label(self, row: MapRow) -> Text:
        scene = row.scene
        text = Text()
        text.append(f"▾ {scene.id}", style="dim bold" if scene.unreachable else "bold")
        if scene.title and scene.title != scene.id:
            text.append(f"  {scene.title}", style="dim" if scene.unreachable else "")
        text.append(f"  {len(scene.nodes)} node{'' if len(scene.nodes) == 1 else 's'}", style="dim")
        if scene.unreachable:
            text.append("  ∅ unreachable", style="yellow")
        _count(text, self.findings.get(scene.id, []))
        return text

    def _node_label(self, node: MapNode) -> Text:
        n = node.node
        text = Text("  ")
        gone = node.mark == "unreachable"
        text.append("◆ " if n.choices else "• ", style="magenta" if n.choices else "dim")
        text.append(n.id, style="dim" if gone else "bold")
        text.append("  ")
        if n.speaker:
            text.append(f"{n.speaker}: ", style="dim" if gone else "cyan")
        said = " ".join(n.content.split())
        if said:
            text.append(_short(said), style="dim" if gone else "")
        else:
            text.append(f"({n.type})", style="dim")
        if n.conditions:
            text.append(f"  [if {' and '.join(n.conditions)}]", style="yellow")
        if node.mark == "dead-end":
            text.append("  ✗ dead end", style="bold red")
        elif gone:
            text.append("  ∅ unreachable", style="yellow")
        elif self.ends(node):
            text.append("  ■ end", style="green")
        _count(text, self.findings.get(node.id, []))
        return text

    def _edge_label(self, e: MapEdge) -> Text:
        lit = self.selected is not None and e.target == self.selected
        text = Text("        ")
        arrow = "↓ " if e.kind == "fallthrough" else "→ "
        text.append(arrow, style="bold yellow" if lit else "magenta")
        if e.target is None:
            text.append(e.to, style="bold red")
            text.append("  missing", style="red")
        else:
            text.append(e.target, style="bold yellow" if lit else "bold")
        if e.kind == "choice":
            text.append(f"  {e.choice}: ", style="dim")
            text.append(_short(" ".join(e.text.split())))
            if e.condition:
                text.append(f" [{e.condition}]", style="yellow")
            if e.weight is not None:
                text.append(f" (weight {e.weight})", style="cyan")
        elif e.kind == "fallthrough":
            text.append(f"  {e.label}", style="dim")
        return text


def _short(text: str) -> str:
    return text if len(text) <= ROW_TEXT else text[: ROW_TEXT - 1] + "…"


def _count(text: Text, found: list[CheckFinding]) -> None:
    if found:
        errors = any(f.severity == "error" for f in found)
        text.append(f"  ⚠ {len(found)}", style="bold red" if errors else "yellow")
