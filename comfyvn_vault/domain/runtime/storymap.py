"""A map of the story: scenes and their nodes, choices as labelled edges, what can never be reached marked.

:func:`story_graph` is pure: it turns the scenes (and what the story checks
found) into a :class:`StoryGraph`, the one model both maps are drawn from:
:func:`graph_dot` writes it as Graphviz DOT (``comfyvn map``) and the TUI's
Map view lists it as an indented outline. Edges follow what a playthrough may
take: a node's choices (with their text, condition and weight), else its
``next`` targets, else the following node of its scene; a node with
``conditions`` also leads to the node after it (they may fail). What
``comfyvn check`` finds unreachable is marked ``unreachable``, dead ends
``dead-end``; an edge whose target names nothing there is has no ``target``.

In DOT each scene is a cluster titled by its title, each node a box (a menu a
diamond) labelled with its speaker and the start of its line; unreachable
parts are dashed and grey, dead ends and missing targets red. Text is escaped
for DOT (quotes, backslashes, line breaks), so any story gives a graph ``dot``
reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, Literal, TypeAlias

import msgspec

from comfyvn_vault.domain.entities import Choice, Node, Scene
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.runtime.checks import Finding

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
#: The most characters of a line shown in its box.
LABEL_CHARS: Final = 48
#: What a mark says about a node: no playthrough reaches it, or one stops there.
Mark: TypeAlias = Literal["unreachable", "dead-end"]
#: How an edge leads on: a choice, a ``next`` target, the following node, or past a node whose conditions fail.
EdgeKind: TypeAlias = Literal["choice", "next", "following", "fallthrough"]
#: The label of a ``fallthrough`` edge.
FALLTHROUGH: Final = "when its conditions fail"


class MapNode(msgspec.Struct, frozen=True):
    """A node on the map: its graph id (``SCENE:NODE``), the node, and its mark (None: none)."""

    id: str
    scene: str
    node: Node
    mark: Mark | None = None

    @property
    def label(self) -> str:
        """``id: speaker: the start of its line`` (the node's type when it says nothing)."""
        return _label(self.node)


class MapEdge(msgspec.Struct, frozen=True):
    """A way on from the node ``source``: ``to`` as the story writes it, ``target`` the graph id it leads to
    (None: it names nothing there is), and for a choice its id, text, condition and weight."""

    source: str
    to: str
    target: str | None
    kind: EdgeKind
    choice: str = ""
    text: str = ""
    condition: str | None = None
    weight: int | None = None

    @property
    def label(self) -> str:
        """What the edge is labelled with: a choice's text, ``[condition]`` and ``(weight N)``."""
        if self.kind == "fallthrough":
            return FALLTHROUGH
        label = _short(self.text)
        if self.condition:
            label += f" [{self.condition}]"
        if self.weight is not None:
            label += f" (weight {self.weight})"
        return label


class MapScene(msgspec.Struct, frozen=True):
    """A scene on the map: its id, title, its nodes in story order, and whether it can never be reached."""

    id: str
    title: str
    nodes: list[MapNode]
    unreachable: bool = False


class StoryGraph(msgspec.Struct, frozen=True):
    """The story's map: the scenes as given, and every edge, by scene, node and then in the node's order."""

    scenes: list[MapScene]
    edges: list[MapEdge]


def _q(text: str) -> str:
    """``text`` as a DOT quoted string (control characters, which Graphviz refuses, become spaces)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{_CONTROL.sub(" ", escaped)}"'


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= LABEL_CHARS else line[: LABEL_CHARS - 1] + "…"


def _label(node: Node) -> str:
    said = _short(node.content) if node.content else f"({node.type})"
    return f"{node.id}: {node.speaker}: {said}" if node.speaker else f"{node.id}: {said}"


def _target(scene: Scene, target: str, firsts: dict[str, str]) -> str | None:
    """The graph id of the node ``target`` names from ``scene`` (None when it names nothing there is)."""
    sid, colon, nid = target.partition(":")
    if not colon:
        return f"{scene.id}:{target}"
    if nid:
        return f"{sid}:{nid}"
    first = firsts.get(sid)
    return f"{sid}:{first}" if first is not None else None


def story_graph(scenes: Iterable[Scene], findings: Iterable[Finding] = ()) -> StoryGraph:
    """The map of the story (see the module docstring), scenes in the order given."""
    scenes = list(scenes)
    findings = list(findings)
    firsts = {s.id: s.nodes[0].id for s in scenes if s.nodes}
    known = {f"{s.id}:{n.id}" for s in scenes for n in s.nodes}
    gone_scenes = {f.path.partition("/")[2] for f in findings if f.kind == "unreachable-scene"}
    marks: dict[str, Mark] = {}
    for f in findings:
        sid = f.path.partition("/")[2]
        at = f.locator.partition("/")[0]
        if f.kind == "unreachable-node" and at:
            marks.setdefault(f"{sid}:{at}", "unreachable")
        elif f.kind == "dead-end" and at:
            marks[f"{sid}:{at}"] = "dead-end"
    mapped: list[MapScene] = []
    edges: list[MapEdge] = []
    for scene in scenes:
        gone = scene.id in gone_scenes
        nodes = []
        for i, node in enumerate(scene.nodes):
            gid = f"{scene.id}:{node.id}"
            nodes.append(MapNode(gid, scene.id, node, "unreachable" if gone else marks.get(gid)))
            edges.extend(_edges(scene, i, node, gid, firsts, known))
        mapped.append(MapScene(scene.id, scene.title, nodes, gone))
    return StoryGraph(mapped, edges)


def _edges(scene: Scene, i: int, node: Node, gid: str, firsts: dict[str, str], known: set[str]) -> list[MapEdge]:
    def edge(to: str, kind: EdgeKind, c: Choice | None = None) -> MapEdge:
        try:
            target = _target(scene, to, firsts)
        except Rejected:
            target = None
        resolved = target if target in known else None
        if c is None:
            return MapEdge(gid, to, resolved, kind)
        return MapEdge(gid, to, resolved, kind, c.id, c.text, c.condition, c.weight)

    if node.choices:
        return [edge(c.target, "choice", c) for c in node.choices]
    found = [edge(target, "next") for target in node.next]
    if not node.next and i + 1 < len(scene.nodes):
        found.append(edge(scene.nodes[i + 1].id, "following"))
    if node.conditions and (node.next or node.choices) and i + 1 < len(scene.nodes):
        found.append(edge(scene.nodes[i + 1].id, "fallthrough"))
    return found


def graph_dot(graph: StoryGraph) -> str:
    """The DOT text of a story's map (see the module docstring)."""
    out = [
        "digraph story {",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded", fontname="sans-serif", fontsize=10];',
        '  edge [fontname="sans-serif", fontsize=9];',
    ]
    for si, scene in enumerate(graph.scenes):
        style = ' style="dashed"; color="grey50"; fontcolor="grey50";' if scene.unreachable else ""
        out.append(f"  subgraph cluster_{si} {{")
        out.append(f"    label={_q(scene.title or scene.id)};{style}")
        for node in scene.nodes:
            attrs = [f"label={_q(node.label)}"]
            if node.node.choices:
                attrs.append("shape=diamond")
            if node.mark == "unreachable":
                attrs.append('style="rounded,dashed", color="grey50", fontcolor="grey50"')
            elif node.mark == "dead-end":
                attrs.append('color="red", fontcolor="red", penwidth=2')
            out.append(f"    {_q(node.id)} [{', '.join(attrs)}];")
        out.append("  }")
    for e in graph.edges:
        label = e.label
        attrs = [f"label={_q(label)}"] if label else []
        to = e.target
        if to is None:
            to, attrs = f"missing {e.to}", [*attrs, 'color="red"']
            out.append(f'  {_q(to)} [shape=plaintext, fontcolor="red", label={_q("missing: " + e.to)}];')
        if e.kind == "fallthrough":
            attrs.append('style="dashed"')
        out.append(f"  {_q(e.source)} -> {_q(to)}{' [' + ', '.join(attrs) + ']' if attrs else ''};")
    out.append("}")
    return "\n".join(out) + "\n"


def story_dot(scenes: Iterable[Scene], findings: Iterable[Finding] = ()) -> str:
    """The DOT text of the story's map: :func:`graph_dot` of :func:`story_graph`."""
    return graph_dot(story_graph(scenes, findings))
