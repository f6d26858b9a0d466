"""``comfyvn map [--out FILE.svg|.png|.dot]``: the story as a graph."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "map",
        parents=[common],
        help="the story as a graph (DOT, or SVG/PNG drawn by Graphviz)",
        description="Map the checked-out story: scenes as boxes of nodes, choices as labelled edges (conditions "
        "and weights on them), unreachable parts dashed, dead ends red. Without --out the DOT text goes to "
        "standard output; .svg and .png are drawn by Graphviz's dot.",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="where to write it: .dot, .svg or .png")
    p.set_defaults(run=cmd_map)


def cmd_map(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import storymap

    out = args.out if args.out is None or args.out.is_absolute() else ctx.cwd / args.out
    with ctx.vault() as vault:
        result = storymap.story_map(vault, out)
    if args.json:
        emit_json(result)
        return 0
    if result.dot is not None:
        sys.stdout.write(result.dot)
        return 0
    say(
        f"wrote {result.file}: {result.scenes} scenes, {result.nodes} nodes"
        f" ({result.unreachable} unreachable, {result.dead_ends} dead ends marked)"
    )
    return 0
