"""``comfyvn stats [--by character|scene|route]``: lines, words and characters of the story."""

from __future__ import annotations

import argparse

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "stats",
        parents=[common],
        help="lines, words and characters by character, scene or route",
        description="Count HEAD's story: lines (nodes with text; menu captions apart, as Ren'Py's lint counts), "
        "words and characters per character, scene or route (timeline), largest first, then the totals, menus "
        "and choices.",
    )
    p.add_argument("--by", choices=("character", "scene", "route"), default="character", help="default: character")
    p.set_defaults(run=cmd_stats)


def cmd_stats(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import stats

    with ctx.vault() as vault:
        result = stats.stats(vault, args.by)
    if args.json:
        emit_json(result)
        return 0
    width = max([len(args.by), len("total"), *(len(r.key) for r in result.rows)])
    out(f"{args.by:<{width}}  {'lines':>7}  {'words':>8}  {'characters':>10}")
    for row in [*result.rows, result.total]:
        out(f"{row.key:<{width}}  {row.lines:>7,}  {row.words:>8,}  {row.characters:>10,}")
    shape = f"{result.scenes:,} scenes, {result.nodes:,} nodes, {result.menus:,} menus with {result.choices:,} choices"
    out(f"{shape} ({result.captions:,} menu captions)")
    return 0
