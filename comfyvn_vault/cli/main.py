"""The ``comfyvn`` entry point: parse, dispatch, turn errors into exit codes.

Verb modules are light to import (their heavy imports live inside the
functions), so ``comfyvn --help`` and ``comfyvn status`` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from comfyvn_vault.cli import asset_cmds, history_cmds, store_cmds, story_cmds
from comfyvn_vault.cli.context import Context
from comfyvn_vault.errors import VaultError

VERB_MODULES = (store_cmds, history_cmds, story_cmds, asset_cmds)
EXIT_INTERNAL = 70  # a bug in comfyvn, not bad input: see the message


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="comfyvn",
        description="comfyvn-vault: an event-sourced content repository for visual novels.",
    )
    parser.add_argument("-C", dest="chdir", metavar="PATH", help="run as if started in PATH")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module in VERB_MODULES:
        module.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cwd = Path(args.chdir) if args.chdir else Path.cwd()
    if not cwd.is_dir():
        print(f"comfyvn: -C {args.chdir}: not a folder", file=sys.stderr)
        return 2
    try:
        code: int = args.run(args, Context(cwd))
        return code
    except VaultError as exc:
        print(f"comfyvn: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("comfyvn: interrupted; nothing was committed", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if os.environ.get("COMFYVN_DEBUG"):
            raise
        print(
            f"comfyvn: internal error: {exc.__class__.__name__}: {exc} (set COMFYVN_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
