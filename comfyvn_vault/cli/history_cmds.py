"""Verbs over history: status, log, show, diff, blame, search, restore, commit,
branch, switch, undo, redo, op log (:mod:`comfyvn_vault.api.history`)."""

from __future__ import annotations

import argparse
import sys

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import ID_LEN, emit_json, out, paint, plural, quote, say, short, show_sides


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("status", parents=[common], help="branch, head, uncommitted changes, conflicts")
    p.set_defaults(run=cmd_status)

    p = sub.add_parser("log", parents=[common], help="commits, newest first")
    p.add_argument("rev", nargs="?", default="HEAD")
    p.add_argument("-n", type=_count, default=None, dest="limit", help="at most N commits")
    p.add_argument("--entity", help="only commits touching this scene, node (scenes/S#N), character…")
    p.add_argument("--graph", action="store_true", help="draw the commit graph")
    p.add_argument("--all", action="store_true", dest="every", help="commits of every branch, not only REV's")
    p.set_defaults(run=cmd_log)

    p = sub.add_parser("show", parents=[common], help="a commit, an event, an entity or an object")
    p.add_argument("id", metavar="REV|ID", help="revision, entity (id, name or path) or object id prefix")
    p.set_defaults(run=cmd_show)

    p = sub.add_parser("diff", parents=[common], help="entity-, node- and field-level differences")
    p.add_argument("revs", nargs="*", metavar="REV")
    p.add_argument("--stat", action="store_true", help="one line per entity")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are differences")
    p.set_defaults(run=cmd_diff)

    p = sub.add_parser("blame", parents=[common], help="who last changed each node of a scene")
    p.add_argument("scene")
    p.add_argument("--rev", default="HEAD")
    p.set_defaults(run=cmd_blame)

    p = sub.add_parser("search", parents=[common], help="full-text search over dialogue")
    p.add_argument("text")
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("restore", parents=[common], help="discard working-copy edits (all, or these files)")
    p.add_argument("files", nargs="*", metavar="FILE", help="entity files, e.g. scenes/intro.toml")
    p.set_defaults(run=cmd_restore)

    p = sub.add_parser("commit", parents=[common], help="record working-copy edits as events in a commit")
    p.add_argument("-m", "--message", required=True)
    p.set_defaults(run=cmd_commit)

    p = sub.add_parser("branch", parents=[common], help="list, create or delete branches")
    p.add_argument("name", nargs="?")
    p.add_argument("at", nargs="?", help="revision for the new branch (default HEAD)")
    p.add_argument("-d", "--delete", metavar="NAME")
    p.add_argument("-a", "--all", action="store_true", help="also list remote-tracking refs (origin/main, …)")
    p.set_defaults(run=cmd_branch)

    p = sub.add_parser("switch", parents=[common], help="check out a branch")
    p.add_argument("name")
    p.add_argument("-c", "--create", action="store_true", help="create it at HEAD first")
    p.set_defaults(run=cmd_switch)

    for verb in ("undo", "redo"):
        p = sub.add_parser(verb, parents=[common], help=f"{verb} the last operation (the operation log)")
        p.set_defaults(run=cmd_undo_redo, verb_name=verb)

    p = sub.add_parser("op", help="the operation log")
    ops = p.add_subparsers(dest="op_verb", metavar="VERB", required=True)
    q = ops.add_parser("log", parents=[common], help="operations, newest first")
    q.add_argument("-n", type=_count, default=None, dest="limit", help="at most N operations")
    q.set_defaults(run=cmd_op_log)


def _count(text: str) -> int:
    """``-n``: a whole number, 0 or more (argparse turns the refusal into a usage error, exit 2)."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"takes a count of 0 or more, not {text[:40]!r}")
    return int(text)


def _when(ms: int) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M")


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api.working_copy import status

    with ctx.vault() as vault:
        doc = status(vault)
    if args.json:
        emit_json(doc)
        return 0
    head = paint(short(doc.head), "id") if doc.head else "(no commits)"
    out(f"On branch {paint(doc.branch, 'branch')} at {head}")
    if not doc.changes:
        out("nothing to commit: the working copy matches HEAD")
    for ch in doc.changes:
        kind = f"{ch.kind:<9}"
        out(f"  {paint(kind, _KIND_STYLE.get(ch.kind, 'changed'))} {ch.file}")
        for line in ch.events or [ch.error or ""]:
            out(f"              {line}")
    for c in doc.conflicts:
        where = f"{c.entity} {c.field or ''}".rstrip()
        what = c.summary.split(": ", 1)[-1]
        out(f"  {paint('conflict', 'removed')}  {paint(short(c.id), 'id')} {where}: {what}")
        show_sides(c)
    for w in doc.word_merges:
        where = f"{w.entity} {w.field}"
        out(f"  {paint('word-merged', 'changed')} {paint(short(w.id), 'id')} {where}: {w.merged!r} (review)")
        show_sides(w)
    if doc.conflicts or doc.word_merges:
        say("settle with `comfyvn resolve ID --ours|--theirs|--both|--accept|--value TEXT` (or edit the marked file)")
    return 0


def cmd_log(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        doc = history.log(vault, args.rev, args.limit, args.entity, every=args.every)
    if args.json:
        emit_json(doc)
        return 0
    rows = history.graph(doc.commits) if args.graph else [([], "*", [])] * len(doc.commits)
    for (above, prefix, below), c in zip(rows, doc.commits, strict=True):
        names = [paint(b, "branch") for b in c.branches or []] + [paint(r, "remote") for r in c.remotes or []]
        tips = f" ({', '.join(names)})" if names else ""
        for line in above:
            out(paint(line, "graph"))
        out(
            f"{paint(prefix, 'graph')} {paint(short(c.id), 'id')}{tips}  {_when(c.time)}  "
            f"{_name(c.author):<12} {c.message}  [{plural(c.events, 'event')}]"
        )
        for line in below:
            out(paint(line, "graph"))
    return 0


#: How ``status`` colours each kind of change.
_KIND_STYLE = {"added": "added", "deleted": "removed", "broken": "removed", "misnamed": "removed"}


def _name(author: str) -> str:
    """An author as one-line output shows it: the name without the ``<email>``."""
    name, sep, _ = author.partition(" <")
    return name if sep and name else author


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        doc = history.show(vault, args.id)
        if args.json:
            emit_json(doc)
            return 0
        if isinstance(doc, history.ShownCommit):
            out(paint(f"commit {doc.id}", "id"))
            for p in doc.parents:
                out(f"parent {p}")
            out(f"author {doc.author}  {_when(doc.time)}\n\n    {doc.message}\n")
            for e in doc.event_list:
                out(f"  {paint(short(e.id), 'id')}  {e.summary}")
            return 0
        if isinstance(doc, history.ShownTree):
            for entry in doc.entries:
                out(f"{paint(short(entry.document), 'id')}  {entry.path}")
            return 0
        if isinstance(doc, history.ShownObject) and doc.kind == "blob":
            sink = sys.stdout.buffer
            for chunk in history.blob_chunks(vault, doc.id):
                sink.write(chunk)
            sink.flush()
            return 0
        import json

        body = doc.document if isinstance(doc, history.ShownDocument) else doc.value
        out(json.dumps(body, indent=2, ensure_ascii=False))
    return 0


def cmd_diff(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    if len(args.revs) > 2:
        say("comfyvn: diff takes at most two revisions")
        return 2
    a = args.revs[0] if args.revs else None
    b = args.revs[1] if len(args.revs) > 1 else None
    with ctx.vault() as vault:
        doc = history.diff(vault, a, b)
    if args.json:
        emit_json(doc)
    elif args.stat:
        for e in doc.entities:
            out(f" {e.path:<40} {e.kind:<9} {plural(len(e.changes), 'change')}")
        out(f" {plural(len(doc.entities), 'entity')} changed")
    else:
        for e in doc.entities:
            out(paint(f"{e.kind} {e.path}", _KIND_STYLE.get(e.kind, "changed")))
            if e.error:
                out(f"  {e.error}")
            for ch in e.changes:
                out(f"  {ch.summary}")
                for field, vals in (ch.fields or {}).items():
                    out(paint(f"    - {field}: {quote(vals.before)}", "removed"))
                    out(paint(f"    + {field}: {quote(vals.after)}", "added"))
    return 1 if args.exit_code and doc.entities else 0


def cmd_blame(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        doc = history.blame(vault, args.scene, args.rev)
    if args.json:
        emit_json(doc)
        return 0
    for n in doc.nodes:
        commit = paint(short(n.commit), "id") if n.commit else "?" * ID_LEN
        who = f"{commit} {_name(n.author or ''):<10} {_when(n.time) if n.time else ''}"
        out(f"{who}  {n.node:<8} {(n.speaker or '') + ': ' if n.speaker else ''}{n.content}")
    return 0


def cmd_search(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        doc = history.search(vault, args.text)
    if args.json:
        emit_json(doc)
        return 0
    for h in doc.hits:
        out(f"{h.scene}#{h.node}  {(h.speaker + ': ') if h.speaker else ''}{h.content}")
    if not doc.hits:
        say("no matches")
    return 0


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        doc = history.restore(vault, args.files or None)
    if args.json:
        emit_json(doc)
    else:
        say(f"restored {plural(len(doc.restored), 'file')}" if doc.restored else "nothing to restore")
    return 0


def cmd_commit(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        doc = history.commit(vault, args.message)
    if args.json:
        emit_json(doc)
    elif doc.commit is None:
        say("nothing to commit")
    else:
        say(f"[{doc.branch} {short(doc.commit)}] {args.message} ({plural(doc.events, 'event')})")
    return 0


def cmd_branch(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        if args.delete:
            history.branch_delete(vault, args.delete)
            say(f"deleted branch {args.delete}")
            return 0
        if args.name:
            created = history.branch_create(vault, args.name, args.at)
            if args.json:
                emit_json(created)
            else:
                say(f"created branch {created.name} at {short(created.head)}")
            return 0
        doc = history.branches(vault, remotes=args.all)
    if args.json:
        emit_json(doc)
        return 0
    for b in doc.branches:
        current = b.name == doc.current
        shown = paint(f"{b.name:<24}", "branch") if current else f"{b.name:<24}"
        out(f"{'*' if current else ' '} {shown} {paint(short(b.head), 'id')}")
    for r in doc.remotes or []:
        shown = f"remotes/{r.name}"
        out(f"  {paint(f'{shown:<24}', 'remote')} {paint(short(r.head), 'id')}")
    return 0


def cmd_switch(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        doc = history.switch(vault, args.name, create=args.create)
    if args.json:
        emit_json(doc)
    elif doc.already:
        say(f"already on branch {doc.branch}")
    else:
        say(f"switched to {'a new ' if args.create else ''}branch {doc.branch}")
    return 0


def cmd_undo_redo(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        doc = history.undo(vault) if args.verb_name == "undo" else history.redo(vault)
    if args.json:
        emit_json(doc)
    else:
        say(doc.operation)
    return 0


def cmd_op_log(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        doc = history.op_log(vault, args.limit)
    if args.json:
        emit_json(doc)
        return 0
    for op in doc.operations:
        out(f"{paint(short(op.id), 'id')}  {_when(op.time)}  {_name(op.author):<10} {op.description}")
    return 0
