"""``comfyvn map``: the story as a graph, in DOT, or drawn by Graphviz as SVG or PNG.

The graph is :func:`comfyvn_vault.domain.runtime.storymap.story_graph` of the
checked-out story, with what ``comfyvn check`` finds unreachable or a dead end
marked, written as DOT by ``graph_dot``; :func:`story_graph` gives the same
graph to the TUI's Map view. ``.svg`` and ``.png`` are drawn by Graphviz's ``dot`` (Debian's
``graphviz``); ``.dot`` (or no file: standard output) needs nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from comfyvn_vault.errors import InputRejected

if TYPE_CHECKING:
    from comfyvn_vault.api.check import StoryChecked
    from comfyvn_vault.domain.runtime.storymap import StoryGraph
    from comfyvn_vault.vault import Vault

FORMATS: Final = (".dot", ".svg", ".png")
#: How long Graphviz may take to draw a map.
DRAW_TIMEOUT_S: Final = 120


class StoryMap(msgspec.Struct, frozen=True, kw_only=True):
    """What ``comfyvn map`` made: the file written (None: the DOT text is in ``dot``) and what it shows."""

    schema: str = "comfyvn.map/1"
    file: str | None
    format: str
    scenes: int
    nodes: int
    unreachable: int
    dead_ends: int
    dot: str | None = None


RESULTS: Final[tuple[type[Any], ...]] = (StoryMap,)


def story_map(vault: Vault, out: Path | None = None) -> StoryMap:
    """Map the checked-out story to ``out`` (``.dot``, ``.svg`` or ``.png``), or return the DOT text."""
    from comfyvn_vault.api.check import story_findings
    from comfyvn_vault.domain.runtime.storymap import story_dot

    fmt = out.suffix.lower() if out is not None else ".dot"
    if fmt not in FORMATS:
        raise InputRejected(f"{out}: a map is written as .dot, .svg or .png")
    scenes, found = story_findings(vault, "map")
    dot = story_dot(scenes.values(), found)
    shown = msgspec.structs.replace(
        StoryMap(file=None, format="dot", scenes=0, nodes=0, unreachable=0, dead_ends=0),
        scenes=len(scenes),
        nodes=sum(len(s.nodes) for s in scenes.values()),
        unreachable=sum(f.kind.startswith("unreachable") for f in found),
        dead_ends=sum(f.kind == "dead-end" for f in found),
    )
    if out is None:
        return msgspec.structs.replace(shown, dot=dot)
    if out.is_dir() or (out.exists() and not out.is_file()):
        raise InputRejected(f"{out}: not a regular file; name the map's file")
    if not out.parent.is_dir():
        raise InputRejected(f"{out.parent}: no such folder")
    data = dot.encode() if fmt == ".dot" else _draw(dot, fmt[1:])
    tmp = out.with_name(f".{out.name}.comfyvn-tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputRejected(f"{out}: cannot write the map ({exc.strerror})") from None
    return msgspec.structs.replace(shown, file=str(out), format=fmt[1:])


def story_graph(vault: Vault) -> tuple[StoryGraph, StoryChecked]:
    """The checked-out story's map, the graph ``comfyvn map`` draws, and what ``comfyvn check`` finds in it
    (with files and lines): the TUI's Map view lists both. Refused while merge conflicts remain."""
    from comfyvn_vault.api.check import located, story_findings
    from comfyvn_vault.domain.runtime import storymap

    scenes, found = story_findings(vault, "map")
    return storymap.story_graph(scenes.values(), found), located(scenes, found)


def _draw(dot: str, fmt: str) -> bytes:
    """The graph drawn by Graphviz as ``fmt``."""
    binary = shutil.which("dot")
    if binary is None:
        raise InputRejected("drawing a map needs Graphviz's dot (Debian: graphviz); write a .dot file instead")
    try:
        done = subprocess.run(
            [binary, f"-T{fmt}"], input=dot.encode(), capture_output=True, timeout=DRAW_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise InputRejected(f"Graphviz took over {DRAW_TIMEOUT_S} s to draw the map; write a .dot file") from None
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        raise InputRejected(f"Graphviz could not draw the map: {why[-1] if why else 'exit ' + str(done.returncode)}")
    return done.stdout
