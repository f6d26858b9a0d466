"""``comfyvn import KIND SOURCE``: chats, character cards, Ren'Py games, studio packs into the story."""

from __future__ import annotations

import argparse
from pathlib import Path

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out, plural, say, short

#: Findings printed one by one; the rest are counted.
FINDINGS_SHOWN = 20


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "import",
        parents=[common],
        help="import a chat, a character card, a Ren'Py game or a pack (one commit; undo removes it)",
        description="Import SOURCE (a file or a folder) with the importer of KIND: "
        "roleplay (SillyTavern chats, chat logs), card (character cards), renpy (games), "
        "bundle (ComfyVN packs), text (plain scripts).",
    )
    p.add_argument("kind", metavar="KIND", help="the importer: roleplay, card, renpy, bundle, text")
    p.add_argument("source", metavar="SOURCE", type=Path, help="the file or folder to import")
    p.add_argument(
        "-o", "--option", dest="options", action="append", default=[], metavar="KEY=VALUE", help="an importer option"
    )
    p.add_argument("--dry-run", action="store_true", help="show what the import would create; write nothing")
    p.set_defaults(run=cmd_import)


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import imports
    from comfyvn_vault.cli.progress import byte_progress

    options = imports.parse_settings(args.options)
    source = args.source if args.source.is_absolute() else ctx.cwd / args.source
    size = source.stat().st_size if source.is_file() else 0
    with ctx.vault() as vault, byte_progress(f"reading {source.name}", size) as advance:
        result = imports.import_source(vault, args.kind, source, options, dry_run=args.dry_run, progress=advance)
    if args.json:
        emit_json(result)
        return 0
    made = ", ".join(
        plural(n, word) for n, word in ((len(result.scenes), "scene"), (len(result.characters), "character"),
                                        (len(result.assets), "asset")) if n
    ) or "nothing"  # fmt: skip
    if result.already and result.job is None:  # a restore: the vault already holds the state it restores
        say(f"{result.source}: the vault already holds everything it restores: nothing new")
    elif result.already:
        say(f"{result.source} was already imported with these options (import {short(result.job or '')}): nothing new")
    elif result.dry_run:
        say(f"would import {result.source} with {result.importer}: {made} ({plural(result.events, 'event')})")
    else:
        say(f"imported {result.source} with {result.importer}: {made} (commit {short(result.commit or '')})")
    for line in result.findings[:FINDINGS_SHOWN]:
        say(f"  note: {line}")
    if len(result.findings) > FINDINGS_SHOWN:
        say(f"  … and {plural(len(result.findings) - FINDINGS_SHOWN, 'more note')}")
    for scene in result.scenes[:FINDINGS_SHOWN]:
        out(f"scenes/{scene}")
    return 0
