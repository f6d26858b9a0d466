"""Verbs over assets: ``asset add``."""

from __future__ import annotations

import argparse
import os

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, human_bytes, out, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    asset = sub.add_parser("asset", help="the asset registry")
    verbs = asset.add_subparsers(dest="asset_verb", metavar="VERB", required=True)
    p = verbs.add_parser("add", parents=[common], help="store files as assets")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(run=cmd_add)


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.cli.progress import byte_progress

    files = [ctx.cwd / f for f in args.files]
    total = 0
    for f in files:
        try:
            total += os.path.getsize(f)
        except OSError:
            pass  # add_files reports it properly
    with ctx.vault() as vault, byte_progress("adding", total) as tick:
        added = vault.add_files(files, tick)
    if args.json:
        emit_json(
            {
                "schema": "comfyvn.asset-add/1",
                "assets": [
                    {"id": a.id.hex(), "kind": "blob", "mime": None, "bytes": a.bytes, "new": a.new, "path": a.path}
                    for a in added
                ],
            }
        )
    else:
        for given, a in zip(args.files, added, strict=True):
            out(f"{a.id.short()}  {'added' if a.new else 'present'}  {human_bytes(a.bytes):>10}  {given}")
        say(f"{sum(a.new for a in added)} new, {sum(not a.new for a in added)} already stored")
    return 0
