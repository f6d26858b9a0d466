"""The ``tui`` verb, which this package adds to ``comfyvn``.

The core finds it by entry point (group ``comfyvn.verbs`` in pyproject.toml)
without importing the TUI; Textual is imported only when the verb runs, so
every other verb (and ``comfyvn --help``) starts without it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Protocol


class _Context(Protocol):
    """What a verb is handed besides its arguments: the folder it runs in."""

    cwd: Path


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tui", help="the Textual terminal UI")
    p.add_argument("--view", default="scenes", metavar="NAME", help="the view to open first (default: scenes)")
    p.set_defaults(run=run_tui)


def run_tui(args: argparse.Namespace, ctx: _Context) -> int:
    from comfyvn_vault.api import find_vault

    root = find_vault(ctx.cwd)  # a clear "not inside a vault" (exit 2) before Textual loads
    from comfyvn_tui.app import run

    return run(root, start_view=args.view)
