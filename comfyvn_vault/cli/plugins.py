"""Verbs other installed packages add to ``comfyvn`` (the TUI's ``tui``), found by entry point.

A package names ``register(subparsers, common)`` functions in the entry-point
group ``comfyvn.verbs``; the core never imports those packages itself. The
entry points are read only when the command line names no core verb (or asks
for help), so core verbs start without scanning the installed packages.
"""

from __future__ import annotations

import argparse
from typing import Any, Final

GROUP: Final = "comfyvn.verbs"


def register(sub: Any, common: argparse.ArgumentParser, verb: str | None) -> None:
    """Register the plugin verbs: ``verb`` only, or every one when ``verb`` is None."""
    from importlib.metadata import entry_points

    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        if verb is None or point.name == verb:
            point.load()(sub, common)
