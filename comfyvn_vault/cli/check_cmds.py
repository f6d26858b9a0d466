"""``comfyvn check [--strict]``: check the story and print each finding as a compiler does (``FILE:LINE: …``)."""

from __future__ import annotations

import argparse

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out, plural, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "check",
        parents=[common],
        help="check the story for mistakes and print them with their file and line",
        description="Check the checked-out story: conditions and effects that do not read, undefined variables, "
        "links to nothing, unreachable scenes and nodes, dead ends, unknown speakers and missing assets. Each "
        "finding is one line, FILE:LINE: error|warning: MESSAGE, and a summary goes to stderr. Exit 1 when there "
        "are errors (with --strict, warnings too), else 0.",
    )
    p.add_argument("--strict", action="store_true", help="warnings fail the check too (exit 1)")
    p.set_defaults(run=cmd_check)


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import check

    with ctx.vault() as vault:
        result = check.check(vault)
    failed = result.errors > 0 or (args.strict and result.warnings > 0)
    if args.json:
        emit_json(result)
        return 1 if failed else 0
    for f in result.findings:
        out(f"{f.file}:{f.line}: {f.severity}: {f.message}")
    if result.findings:
        say(f"{plural(result.errors, 'error')}, {plural(result.warnings, 'warning')}")
    else:
        say("no problems found")
    return 1 if failed else 0
