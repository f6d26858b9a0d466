"""Verbs over the vault and its object store: init, fsck, gc."""

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


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.vault import Vault

    base = ctx.cwd
    target = base / args.path if args.path else base
    vault, created = Vault.init(Path(target))
    with vault:
        if args.json:
            emit_json({"schema": "comfyvn.init/1", "path": str(vault.root), "created": created})
        else:
            say(("Initialized empty vault in " if created else "Reinitialized existing vault in ") + str(vault.root))
    return 0


def cmd_fsck(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.cli.progress import byte_progress
    from comfyvn_vault.errors import IndexDamaged
    from comfyvn_vault.projections.verify import fsck_unopened
    from comfyvn_vault.store.fsck import report_json
    from comfyvn_vault.vault import STORE_DIR, find_vault

    try:
        vault = ctx.vault()
    except IndexDamaged as exc:  # fsck still reports, and checks what a rebuild would use
        report = fsck_unopened(find_vault(ctx.cwd) / STORE_DIR, exc)
    else:
        with vault, byte_progress("fsck", vault.total_bytes() if sys.stderr.isatty() else 0) as tick:
            report = vault.fsck(tick)
    if args.json:
        emit_json(report_json(report))
    else:
        for problem in report.problems:
            out(f"{problem.kind}: {problem.id}: {problem.detail}")
        for note in report.notes:
            say(f"note: {note}")
        verdict = "clean" if report.clean else plural(len(report.problems), "problem")
        say(f"checked {plural(report.objects, 'object')} ({human_bytes(report.bytes)}): {verdict}")
    return 0 if report.clean else 1


def cmd_gc(args: argparse.Namespace, ctx: Context) -> int:
    import msgspec

    with ctx.vault() as vault:
        report = vault.gc()
    if args.json:
        emit_json({"schema": "comfyvn.gc/1", **msgspec.to_builtins(report)})
    else:
        say(f"removed {report.removed} unreachable objects ({human_bytes(report.bytes_freed)}), kept {report.kept}")
    return 0
