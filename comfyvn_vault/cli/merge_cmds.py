"""The merge verbs: merge (and --abort), pick, resolve (:mod:`comfyvn_vault.api.merge`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out, plural, say, short, show_sides

if TYPE_CHECKING:
    from comfyvn_vault.api.merge import MergeResult


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("merge", parents=[common], help="merge a branch into the current one")
    p.add_argument("branch", nargs="?", help="branch or revision to merge")
    p.add_argument("-m", "--message")
    p.add_argument("--abort", action="store_true", help="undo the merge just made")
    p.set_defaults(run=cmd_merge)

    p = sub.add_parser("pick", parents=[common], help="apply one commit's change on top of HEAD (cherry-pick)")
    p.add_argument("rev")
    p.add_argument("-m", "--message")
    p.set_defaults(run=cmd_pick)

    p = sub.add_parser("resolve", parents=[common], help="settle a merge conflict")
    p.add_argument("id", help="conflict id (or a unique prefix), from `comfyvn status`")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--ours", dest="how", action="store_const", const="ours")
    how.add_argument("--theirs", dest="how", action="store_const", const="theirs")
    how.add_argument("--both", dest="how", action="store_const", const="both")
    how.add_argument(
        "--accept",
        dest="how",
        action="store_const",
        const="accept",
        help="keep what is there now (a word-by-word merged line, or a value set since the merge)",
    )
    how.add_argument(
        "--value", metavar="TEXT", help="set it to this: plain text for a line or name, else JSON (null removes)"
    )
    p.add_argument("-m", "--message")
    p.set_defaults(run=cmd_resolve)


def _print(args: argparse.Namespace, result: MergeResult) -> int:
    resolving = result.schema == "comfyvn.resolve/1"
    if args.json:
        emit_json(result)
        return 1 if result.conflicts and not resolving else 0
    label = {"up-to-date": "already up to date", "fast-forward": "fast-forward"}.get(result.kind, result.kind)
    made = short(result.commit) if result.commit else "nothing to commit"
    say(f"{label}: {made} ({plural(result.events, 'event')})")
    for c in result.conflicts:
        tag = "RESOLVED" if resolving else "CONFLICT"
        out(f"{tag} {short(c.id)}  {c.path} {c.locator or '(whole entity)'}  [{c.kind}]")
        if not resolving:
            show_sides(c)
    for w in result.word_merges:
        out(f"WORD-MERGED {short(w.id)}  {w.path} {w.locator}: {w.merged!r}")
        show_sides(w)
    if result.conflicts and not resolving:
        say(
            "the merge is recorded; each conflict is marked in its file: settle it there and commit, "
            "or with `comfyvn resolve ID --ours|--theirs|--both|--value TEXT`"
        )
    if result.word_merges:
        say(
            f"{plural(len(result.word_merges), 'line')} merged word by word: review them; keep one with "
            "`comfyvn resolve ID --accept` (or --ours, --theirs, --value TEXT)"
        )
    return 1 if result.conflicts and not resolving else 0


def cmd_merge(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import merge
    from comfyvn_vault.errors import UsageError

    with ctx.vault() as vault:
        if args.abort:
            merge.abort(vault)
            say("merge undone")
            return 0
        if not args.branch:
            raise UsageError("merge needs a BRANCH (or --abort)")
        result = merge.merge(vault, args.branch, args.message)
    return _print(args, result)


def cmd_pick(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import merge

    with ctx.vault() as vault:
        result = merge.pick(vault, args.rev, args.message)
    return _print(args, result)


def cmd_resolve(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import merge

    with ctx.vault() as vault:
        result = merge.resolve(vault, args.id, args.how, None, args.message, text=args.value)
    return _print(args, result)
