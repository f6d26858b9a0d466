"""Verbs that sync vaults: remote add|list|rm, fetch, pull, push, clone, serve (:mod:`comfyvn_vault.api.sync`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, human_bytes, out, plural, say, short

if TYPE_CHECKING:
    from comfyvn_vault.api.sync import Transfer


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("remote", help="other vaults to sync with")
    rs = p.add_subparsers(dest="remote_verb", metavar="VERB", required=True)
    q = rs.add_parser("add", parents=[common], help="name a path, http(s):// or s3:// vault")
    q.add_argument("name")
    q.add_argument("url")
    q.add_argument("--token-file", metavar="F", help="file holding the serve token for this remote")
    q.set_defaults(run=cmd_remote_add)
    q = rs.add_parser("list", parents=[common], help="remotes, their branches, ahead/behind")
    q.set_defaults(run=cmd_remote_list)
    q = rs.add_parser("rm", parents=[common], help="forget a remote and its remote-tracking refs")
    q.add_argument("name")
    q.set_defaults(run=cmd_remote_rm)

    p = sub.add_parser("fetch", parents=[common], help="bring a remote's branches here as <remote>/<branch>")
    p.add_argument("remote", nargs="?", default="origin")
    p.set_defaults(run=cmd_fetch)

    p = sub.add_parser("pull", parents=[common], help="fetch, then merge <remote>/<branch> into HEAD")
    p.add_argument("remote", nargs="?", default="origin")
    p.add_argument("branch", nargs="?")
    p.set_defaults(run=cmd_pull)

    p = sub.add_parser("push", parents=[common], help="send a branch; refuses a non-fast-forward")
    p.add_argument("remote", nargs="?", default="origin")
    p.add_argument("branch", nargs="?")
    p.add_argument("--force", action="store_true", help="move the remote branch even if commits are lost")
    p.set_defaults(run=cmd_push)

    p = sub.add_parser("clone", parents=[common], help="copy a vault; its url becomes remote origin")
    p.add_argument("url")
    p.add_argument("dir", nargs="?")
    p.set_defaults(run=cmd_clone)

    p = sub.add_parser("serve", help="serve this vault over HTTP to fetch/push/clone (token required)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--access-log", action="store_true", help="log requests (never their tokens)")
    p.set_defaults(run=cmd_serve)


def _progress(label: str, total: int) -> Any:
    from comfyvn_vault.cli.progress import byte_progress

    return byte_progress(label, total)


def _report(args: argparse.Namespace, verb: str, result: Transfer) -> int:
    if args.json:
        emit_json(result)
    else:
        moved = f"{plural(result.objects, 'object')} ({human_bytes(result.bytes)})" if result.objects else "no objects"
        say(f"{verb} {result.remote}: {moved}")
        for ref, tip in sorted(result.updated.items()):
            say(f"  {ref} -> {short(tip)}")
        if result.merge is not None:
            m = result.merge
            say(f"merge: {m['kind']} {short(m['commit']) if m['commit'] else ''}".rstrip())
            for c in m["conflicts"]:
                out(f"CONFLICT {short(c['id'])}  {c['path']} {c['locator'] or '(whole entity)'}  [{c['kind']}]")
    return 1 if result.merge is not None and result.merge["conflicts"] else 0


def cmd_remote_add(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import sync

    with ctx.vault() as vault:
        doc = sync.remote_add(vault, args.name, args.url, args.token_file, ctx.cwd)
    if args.json:
        emit_json(doc)
    else:
        say(f"added remote {doc.name} -> {doc.url}")
    return 0


def cmd_remote_list(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import sync

    with ctx.vault() as vault:
        doc = sync.remote_list(vault)
    if args.json:
        emit_json(doc)
        return 0
    for r in doc.remotes:
        out(f"{r.name:<12} {r.url}")
        for b in r.branches:
            out(f"    {b.ref:<28} {short(b.head)}  ahead {b.ahead}, behind {b.behind}")
    return 0


def cmd_remote_rm(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import sync

    with ctx.vault() as vault:
        sync.remote_remove(vault, args.name)
    say(f"removed remote {args.name}")
    return 0


def cmd_fetch(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import sync

    with ctx.vault() as vault:
        result = sync.fetch(vault, args.remote, _progress)
    return _report(args, "fetch", result)


def cmd_pull(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import sync

    with ctx.vault() as vault:
        result = sync.pull(vault, args.remote, args.branch, _progress)
    return _report(args, "pull", result)


def cmd_push(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import sync

    with ctx.vault() as vault:
        result = sync.push(vault, args.remote, args.branch, args.force, _progress)
    return _report(args, "push", result)


def cmd_clone(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import sync

    return _report(args, "clone", sync.clone(args.url, ctx.cwd, args.dir, progress=_progress))


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import sync

    with ctx.vault() as vault:
        sync.serve(vault, args.host, args.port, access_log=args.access_log)
    return 0
