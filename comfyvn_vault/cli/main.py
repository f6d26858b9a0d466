"""The ``comfyvn`` entry point: parse, dispatch, turn errors into exit codes.

Verb modules are light to import (their heavy imports live inside the
functions), so ``comfyvn --help`` and ``comfyvn status`` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module
from pathlib import Path
from typing import Any, Final

from comfyvn_vault import __version__
from comfyvn_vault.cli import plugins
from comfyvn_vault.cli.context import Context
from comfyvn_vault.errors import VaultError

#: Each verb's module in ``comfyvn_vault.cli``: a run imports only the one it needs
#: (``--help`` and an unknown verb import them all). ``tests/cli`` checks it against the modules.
VERBS: Final[dict[str, str]] = {
    **dict.fromkeys(("init", "fsck", "gc", "reindex"), "maintenance_cmds"),
    **dict.fromkeys(("status", "log", "show", "diff", "blame", "search", "restore", "commit"), "history_cmds"),
    **dict.fromkeys(("branch", "switch", "undo", "redo", "op"), "history_cmds"),
    **dict.fromkeys(("merge", "pick", "resolve"), "merge_cmds"),
    **dict.fromkeys(("scene", "character", "timeline", "var"), "story_cmds"),
    "asset": "asset_cmds",
    **dict.fromkeys(("lineage", "verify"), "provenance_cmds"),
    **dict.fromkeys(("advisory", "policy"), "advisory_cmds"),
    **dict.fromkeys(("remote", "fetch", "pull", "push", "clone", "serve"), "sync_cmds"),
    "watch": "watch_cmds",
    "import": "import_cmds",
    "export": "export_cmds",
    **dict.fromkeys(("play", "replay"), "play_cmds"),
    "check": "check_cmds",
    "stats": "stats_cmds",
    "map": "map_cmds",
}
#: Every verb module, in the order ``comfyvn --help`` lists their verbs.
VERB_MODULES: Final = tuple(dict.fromkeys(VERBS.values()))
EXIT_INTERNAL = 70  # a bug in comfyvn, not bad input: see the message
#: Verbs (and verb paths) whose output goes through the pager on a terminal, as git's log/show/diff/blame do.
PAGED: Final = frozenset({("log",), ("show",), ("diff",), ("blame",), ("search",), ("op", "log")})


class Parser(argparse.ArgumentParser):
    """argparse with git's "did you mean" for a mistyped verb or choice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is not None and value not in choices:
            from comfyvn_vault.domain.suggest import did_you_mean

            names = [str(c) for c in choices]
            hint = did_you_mean(str(value), names)
            listing = "" if hint else f" (choose from {', '.join(names)})"
            raise argparse.ArgumentError(action, f"invalid choice: {value!r}{hint}{listing}")


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, sized without importing :mod:`shutil` (and its compression modules)
    on every start: argparse builds one per argument."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, terminal_columns() - 2 if width is None else width)


def terminal_columns() -> int:
    """``COLUMNS``, else the terminal's width, else 80 (as :func:`shutil.get_terminal_size` decides)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Skip:
    """Stands in for the parsers of verbs this run does not use: argparse is slow to build."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self


class _OnlyVerb:
    """A subparsers action that builds only ``verb``'s parser (all of them when ``verb`` is None)."""

    def __init__(self, sub: Any, verb: str | None) -> None:
        self.sub, self.verb = sub, verb

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if self.verb is None or name == self.verb:
            return self.sub.add_parser(name, **kwargs)
        return _Skip()


def verb_of(argv: list[str]) -> str | None:
    """The verb named on the command line, or None when help or every verb is wanted."""
    it = iter(argv)
    for arg in it:
        if arg in ("-h", "--help", "--version"):
            return None
        if arg == "-C":
            next(it, None)
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    parser = Parser(
        prog="comfyvn",
        description="comfyvn-vault: an event-sourced content repository for visual novels.",
    )
    parser.add_argument("--version", action="version", version=f"comfyvn {__version__}")
    parser.add_argument("-C", dest="chdir", metavar="PATH", help="run as if started in PATH")
    parser.add_argument(
        "--no-pager", action="store_true", help="never page long output (else: $COMFYVN_PAGER, $PAGER or less)"
    )
    common = Parser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    only: Any = _OnlyVerb(sub, verb)
    for name in (VERBS[verb],) if verb in VERBS else VERB_MODULES:
        import_module(f"comfyvn_vault.cli.{name}").register(only, common)
    if verb is None or verb not in sub.choices:
        plugins.register(only, common, verb)  # verbs other packages add (the TUI's ``tui``)
    if verb is not None and verb not in sub.choices:
        return build_parser(None)  # an unknown verb: let argparse list the real ones
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(verb_of(argv))
    args = parser.parse_args(argv)
    cwd = Path(args.chdir) if args.chdir else Path.cwd()
    if not cwd.is_dir():
        print(f"comfyvn: -C {args.chdir}: not a folder", file=sys.stderr)
        return 2
    pager = None
    if _verb_path(args) in PAGED and not getattr(args, "json", False) and not args.no_pager:
        from comfyvn_vault.cli.pager import start_pager

        pager = start_pager()
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
        lmdb = sys.modules.get("lmdb")  # not imported: the error cannot be the index's
        if lmdb is not None and isinstance(exc, lmdb.Error) and not os.environ.get("COMFYVN_DEBUG"):
            from comfyvn_vault.api.maintenance import index_error

            error = index_error(exc)
            print(f"comfyvn: {error.message}", file=sys.stderr)
            return error.exit_code
        if os.environ.get("COMFYVN_DEBUG"):
            raise
        print(
            f"comfyvn: internal error: {exc.__class__.__name__}: {exc} (set COMFYVN_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if pager is not None:
            pager.close()


def _verb_path(args: argparse.Namespace) -> tuple[str, ...]:
    """The verb and its sub-verb, e.g. ``("op", "log")``."""
    path = (args.verb,)
    sub = getattr(args, f"{args.verb}_verb", None)
    return (*path, sub) if isinstance(sub, str) else path


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
