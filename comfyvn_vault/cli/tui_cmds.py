"""The ``tui`` verb: the Textual terminal UI on the vault at or above the working folder.

Textual is imported only when this verb runs, so every other verb (and
``comfyvn --help``) starts without it.
"""

from __future__ import annotations

import argparse

from comfyvn_vault.cli.context import Context


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tui", help="the Textual terminal UI")
    p.add_argument("--view", default="scenes", metavar="NAME", help="the view to open first (default: scenes)")
    p.set_defaults(run=cmd_tui)


def cmd_tui(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.vault import find_vault

    root = find_vault(ctx.cwd)  # a clear "not inside a vault" (exit 2) before Textual loads
    from comfyvn_tui.app import run

    return run(root, start_view=args.view)
