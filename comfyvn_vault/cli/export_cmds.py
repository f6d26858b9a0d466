"""``comfyvn export KIND [WHAT] OUT``: write the story (a bundle, scripts) or a character card out of the vault."""

from __future__ import annotations

import argparse
from pathlib import Path

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "export",
        parents=[common],
        help="write the story (or a character card) out with an exporter",
        description="Export HEAD's story with the exporter of KIND: renpy (a Ren'Py project), bundle (the whole "
        "story, its media with C2PA manifests and its provenance, as a comfyvn-bundle@1 zip), card (a character "
        "as a PNG card), text (scenes as plain scripts). OUT is a folder, or a file when the export is one file. "
        "The story checks run first: for renpy, errors stop the export (exit 1) unless --force.",
    )
    p.add_argument("kind", metavar="KIND", help="the exporter: renpy, bundle, card, text")
    p.add_argument("target", metavar="[WHAT] OUT", nargs="+", help="what to export (a character for card), then OUT")
    p.add_argument(
        "-o", "--option", dest="options", action="append", default=[], metavar="KEY=VALUE", help="an exporter option"
    )
    p.add_argument("--force", action="store_true", help="export to Ren'Py even when the story checks find errors")
    p.set_defaults(run=cmd_export)


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import exports, imports
    from comfyvn_vault.api.check import CheckFinding
    from comfyvn_vault.errors import StoryHasErrors, UsageError

    if len(args.target) > 2:
        raise UsageError("export takes at most WHAT and OUT")
    what = args.target[0] if len(args.target) == 2 else None
    target = Path(args.target[-1])
    target = target if target.is_absolute() else ctx.cwd / target
    with ctx.vault() as vault:
        try:
            result = exports.export(
                vault, args.kind, target, what, imports.parse_settings(args.options), force=args.force
            )
        except StoryHasErrors as exc:
            if not args.json:
                for f in exc.findings:
                    if isinstance(f, CheckFinding) and f.severity == "error":
                        say(f"{f.file}:{f.line}: {f.severity}: {f.message}")
            raise
    if args.json:
        emit_json(result)
        return 0
    for f in result.findings:
        say(f"{f.file}:{f.line}: {f.severity}: {f.message}")
    for note in result.notes:
        say(f"note: {note}")
    say(f"exported with {result.exporter} to {result.folder}")
    for name in result.files:
        out(str(Path(result.folder) / name))
    return 0
