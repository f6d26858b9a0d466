"""Verbs other installed packages add to ``comfyvn`` (the TUI's ``tui``).

A package names ``register(subparsers, common)`` functions in the entry-point
group ``comfyvn.verbs``; the core never imports those packages itself.

Reading entry points costs about 100 ms (``importlib.metadata`` and a scan of
every installed package), more than a whole core verb. So the verbs of this
project's own packages are also listed in :data:`KNOWN` (by entry-point string,
so nothing is imported until the verb runs), and the installed packages are
scanned only for a verb that neither the core nor :data:`KNOWN` has.
``comfyvn --help`` lists the known ones.
"""

from __future__ import annotations

import argparse
from importlib import import_module
from importlib.util import find_spec
from typing import Any, Final

GROUP: Final = "comfyvn.verbs"
#: The first-party plugin verbs, as their entry points in ``pyproject.toml`` name them (a test keeps them equal).
KNOWN: Final[dict[str, str]] = {"tui": "comfyvn_tui.verb:register"}


def register(sub: Any, common: argparse.ArgumentParser, verb: str | None) -> None:
    """Register the plugin verbs: ``verb`` only, or every known one when ``verb`` is None."""
    if verb is None or verb in KNOWN:
        for name, target in sorted(KNOWN.items()):
            if verb in (None, name) and find_spec(target.split(".", 1)[0]) is not None:
                module, _, function = target.partition(":")
                getattr(import_module(module), function)(sub, common)
        return
    from importlib.metadata import entry_points

    for point in entry_points(group=GROUP):
        if point.name == verb:
            point.load()(sub, common)
