"""A map of the story as a Graphviz DOT graph: scenes as boxes of nodes, choices as labelled edges.

:func:`story_dot` is pure. Each scene is a cluster titled by its title; each
node a box (a menu a diamond) labelled with its speaker and the start of its
line; edges follow what a playthrough may take: a node's choices (labelled
with their text, their condition in brackets and their weight), else its
``next`` targets, else the following node of its scene. What ``comfyvn
check`` finds unreachable is drawn dashed and grey, dead ends red. Text is
escaped for DOT (quotes, backslashes, line breaks), so any story gives a
graph ``dot`` reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from comfyvn_vault.domain.entities import Node, Scene
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.runtime.checks import Finding

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
#: The most characters of a line shown in its box.
LABEL_CHARS: Final = 48


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


def story_dot(scenes: Iterable[Scene], findings: Iterable[Finding] = ()) -> str:
    """The DOT text of the story's map (see the module docstring)."""
    scenes = list(scenes)
    firsts = {s.id: s.nodes[0].id for s in scenes if s.nodes}
    known = {f"{s.id}:{n.id}" for s in scenes for n in s.nodes}
    gone_scenes = {f.path.partition("/")[2] for f in findings if f.kind == "unreachable-scene"}
    marks: dict[str, str] = {}
    for f in findings:
        sid = f.path.partition("/")[2]
        at = f.locator.partition("/")[0]
        if f.kind == "unreachable-node" and at:
            marks.setdefault(f"{sid}:{at}", "unreachable")
        elif f.kind == "dead-end" and at:
            marks[f"{sid}:{at}"] = "dead-end"
    out = [
        "digraph story {",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded", fontname="sans-serif", fontsize=10];',
        '  edge [fontname="sans-serif", fontsize=9];',
    ]
    edges: list[str] = []
    for si, scene in enumerate(scenes):
        style = ' style="dashed"; color="grey50"; fontcolor="grey50";' if scene.id in gone_scenes else ""
        out.append(f"  subgraph cluster_{si} {{")
        out.append(f"    label={_q(scene.title or scene.id)};{style}")
        for i, node in enumerate(scene.nodes):
            gid = f"{scene.id}:{node.id}"
            attrs = [f"label={_q(_label(node))}"]
            if node.choices:
                attrs.append("shape=diamond")
            mark = "unreachable" if scene.id in gone_scenes else marks.get(gid)
            if mark == "unreachable":
                attrs.append('style="rounded,dashed", color="grey50", fontcolor="grey50"')
            elif mark == "dead-end":
                attrs.append('color="red", fontcolor="red", penwidth=2')
            out.append(f"    {_q(gid)} [{', '.join(attrs)}];")
            edges.extend(_edges(scene, i, node, gid, firsts, known))
        out.append("  }")
    out.extend(edges)
    out.append("}")
    return "\n".join(out) + "\n"


def _edges(scene: Scene, i: int, node: Node, gid: str, firsts: dict[str, str], known: set[str]) -> list[str]:
    found: list[str] = []

    def edge(target: str, label: str | None = None, dashed: bool = False) -> None:
        try:
            to = _target(scene, target, firsts)
        except Rejected:
            to = None
        attrs = [f"label={_q(label)}"] if label else []
        if to is None or to not in known:
            to, attrs = f"missing {target}", [*attrs, 'color="red"']
            found.append(f'  {_q(to)} [shape=plaintext, fontcolor="red", label={_q("missing: " + target)}];')
        if dashed:
            attrs.append('style="dashed"')
        found.append(f"  {_q(gid)} -> {_q(to)}{' [' + ', '.join(attrs) + ']' if attrs else ''};")

    if node.choices:
        for c in node.choices:
            label = _short(c.text)
            if c.condition:
                label += f" [{c.condition}]"
            if c.weight is not None:
                label += f" (weight {c.weight})"
            edge(c.target, label)
        return found
    for target in node.next:
        edge(target)
    if not node.next and i + 1 < len(scene.nodes):
        edge(scene.nodes[i + 1].id)
    if node.conditions and (node.next or node.choices) and i + 1 < len(scene.nodes):
        edge(scene.nodes[i + 1].id, "when its conditions fail", dashed=True)
    return found
