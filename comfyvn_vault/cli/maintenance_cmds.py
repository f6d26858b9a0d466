"""Verbs over the vault and its object store: init, fsck, gc, reindex (:mod:`comfyvn_vault.api.maintenance`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, human_bytes, out, plural, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("init", parents=[common], help="create a vault")
    p.add_argument("path", nargs="?", default=None, help="folder to make a vault (default: here)")
    p.set_defaults(run=cmd_init)

    p = sub.add_parser("fsck", parents=[common], help="verify every object, pointer and pack")
    p.set_defaults(run=cmd_fsck)

    p = sub.add_parser("gc", parents=[common], help="remove objects nothing reaches")
    p.set_defaults(run=cmd_gc)

    p = sub.add_parser(
        "reindex",
        parents=[common],
        help="rebuild the index (from the packs, when missing or damaged) and the query indexes (from history)",
    )
    p.add_argument(
        "--verify", action="store_true", help="change nothing; exit 1 unless the query indexes match a rebuild"
    )
    p.set_defaults(run=cmd_reindex)


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import maintenance

    doc = maintenance.init(Path(ctx.cwd / args.path if args.path else ctx.cwd))
    if args.json:
        emit_json(doc)
    else:
        say(("Initialized empty vault in " if doc.created else "Reinitialized existing vault in ") + doc.path)
    return 0


def cmd_fsck(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import maintenance
    from comfyvn_vault.cli.progress import byte_progress

    doc = maintenance.fsck(ctx.cwd, byte_progress if sys.stderr.isatty() else None)
    if args.json:
        emit_json(doc)
    else:
        for problem in doc.problems:
            out(f"{problem.kind}: {problem.id}: {problem.detail}")
        for note in doc.notes:
            say(f"note: {note}")
        verdict = "clean" if doc.clean else plural(len(doc.problems), "problem")
        say(f"checked {plural(doc.objects, 'object')} ({human_bytes(doc.bytes)}): {verdict}")
    return 0 if doc.clean else 1


def cmd_gc(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import maintenance

    with ctx.vault() as vault:
        doc = maintenance.gc(vault)
    if args.json:
        emit_json(doc)
    else:
        say(f"removed {doc.removed} unreachable objects ({human_bytes(doc.bytes_freed)}), kept {doc.kept}")
    return 0


def cmd_reindex(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import maintenance

    if args.verify:
        with ctx.vault() as vault:
            checked = maintenance.reindex_check(vault)
        if args.json:
            emit_json(checked)
        elif checked.identical:
            say("projections match history")
        else:
            say(f"projections differ from a rebuild: {', '.join(checked.differ)}")
        return 0 if checked.identical else 1
    doc = maintenance.reindex(ctx.cwd)
    if args.json:
        emit_json(doc)
    else:
        if doc.index_rebuilt:
            say("rebuilt the index from the packs (it was missing or damaged)")
        say(f"rebuilt projections from history ({plural(doc.events, 'event')})")
    return 0
