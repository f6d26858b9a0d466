"""``python -m tui [PATH]``: the TUI on the vault at or above PATH (default: here)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from comfyvn_vault.errors import VaultError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui", description="the comfyvn terminal UI")
    parser.add_argument("path", nargs="?", default=".", help="a folder inside the vault")
    args = parser.parse_args(argv)
    try:
        from comfyvn_tui.app import run

        return run(Path(args.path))
    except VaultError as exc:
        print(f"comfyvn: {exc.message}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
