"""Verbs over history: status, log, show, diff, blame, search, commit, branch,
switch, undo, redo, op log, reindex."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import ID_LEN, emit_json, out, paint, plural, quote, say, short


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

    p = sub.add_parser(
        "reindex",
        parents=[common],
        help="rebuild the index (from the packs, when missing or damaged) and the query indexes (from history)",
    )
    p.add_argument(
        "--verify", action="store_true", help="change nothing; exit 1 unless the query indexes match a rebuild"
    )
    p.set_defaults(run=cmd_reindex)


def _count(text: str) -> int:
    """``-n``: a whole number, 0 or more (argparse turns the refusal into a usage error, exit 2)."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"takes a count of 0 or more, not {text[:40]!r}")
    return int(text)


def _when(ms: int) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M")


def _read(args: argparse.Namespace, ctx: Context, query: Any, *params: Any, **options: Any) -> dict[str, Any] | None:
    """Run a read query on the vault; with --json print it and return None, else return it for text."""
    with ctx.vault() as vault:
        doc: dict[str, Any] = query(vault, *params, **options)
    if args.json:
        emit_json(doc)
        return None
    return doc


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.vault() as vault:
        doc = vault.status()
    if args.json:
        emit_json(doc)
        return 0
    head = paint(short(doc["head"]), "id") if doc["head"] else "(no commits)"
    out(f"On branch {paint(doc['branch'], 'branch')} at {head}")
    if not doc["changes"]:
        out("nothing to commit: the working copy matches HEAD")
    for ch in doc["changes"]:
        kind = f"{ch['kind']:<9}"
        out(f"  {paint(kind, _KIND_STYLE.get(ch['kind'], 'changed'))} {ch['file']}")
        for line in ch["events"] or [ch.get("error", "")]:
            out(f"              {line}")
    from comfyvn_vault.cli.merge_cmds import show_sides

    for c in doc["conflicts"]:
        where = f"{c['entity']} {c.get('field') or ''}".rstrip()
        what = c["summary"].split(": ", 1)[-1]
        out(f"  {paint('conflict', 'removed')}  {paint(short(c['id']), 'id')} {where}: {what}")
        show_sides(c)
    for w in doc.get("word_merges", []):
        where = f"{w['entity']} {w['field']}"
        out(f"  {paint('word-merged', 'changed')} {paint(short(w['id']), 'id')} {where}: {w['merged']!r} (review)")
        show_sides(w)
    if doc["conflicts"] or doc.get("word_merges"):
        say("settle with `comfyvn resolve ID --ours|--theirs|--both|--accept|--value TEXT` (or edit the marked file)")
    return 0


def cmd_log(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault import queries

    doc = _read(args, ctx, _with_remote_refs(queries.log), args.rev, args.limit, args.entity, every=args.every)
    if doc is None:
        return 0
    rows: list[tuple[list[str], str, list[str]]] = [([], "*", [])] * len(doc["commits"])
    if args.graph:
        from comfyvn_vault.history.graph import graph_rows
        from comfyvn_vault.store.ids import ObjectId

        rows = graph_rows(
            [(ObjectId.from_hex(c["id"]), [ObjectId.from_hex(p) for p in c["parents"]]) for c in doc["commits"]]
        )
    for (above, prefix, below), c in zip(rows, doc["commits"], strict=True):
        names = [paint(b, "branch") for b in c.get("branches", [])] + [paint(r, "remote") for r in c.get("remotes", [])]
        tips = f" ({', '.join(names)})" if names else ""
        for line in above:
            out(paint(line, "graph"))
        out(
            f"{paint(prefix, 'graph')} {paint(short(c['id']), 'id')}{tips}  {_when(c['time'])}  "
            f"{_name(c['author']):<12} {c['message']}  [{plural(c['events'], 'event')}]"
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


def _with_remote_refs(query: Any) -> Any:
    """``query`` (a log) with each commit a remote-tracking ref points at marked ``"remotes": [...]``."""

    def decorated(vault: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        doc: dict[str, Any] = query(vault, *args, **kwargs)
        by_tip: dict[str, list[str]] = {}
        for name, tip in sorted(vault.history.view().remotes.items()):
            by_tip.setdefault(tip.hex(), []).append(name)
        for c in doc["commits"]:
            if c["id"] in by_tip:
                c["remotes"] = by_tip[c["id"]]
        return doc

    return decorated


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault import queries

    with ctx.vault() as vault:
        doc = queries.show(vault, args.id)
        if args.json:
            emit_json(doc)
            return 0
        if doc["schema"] == "comfyvn.commit/1":
            out(paint(f"commit {doc['id']}", "id"))
            for p in doc["parents"]:
                out(f"parent {p}")
            out(f"author {doc['author']}  {_when(doc['time'])}\n\n    {doc['message']}\n")
            for e in doc["event_list"]:
                out(f"  {paint(short(e['id']), 'id')}  {e['summary']}")
            return 0
        if doc["schema"] == "comfyvn.tree/1":
            for entry in doc["entries"]:
                out(f"{paint(short(entry['document']), 'id')}  {entry['path']}")
            return 0
        if doc.get("kind") == "blob":
            sink = sys.stdout.buffer
            for chunk in vault.iter_object(vault.resolve(doc["id"])):
                sink.write(chunk)
            sink.flush()
            return 0
        import json

        body = doc.get("document", doc.get("value"))
        out(json.dumps(body, indent=2, ensure_ascii=False))
    return 0


def cmd_diff(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault import queries

    if len(args.revs) > 2:
        say("comfyvn: diff takes at most two revisions")
        return 2
    a = args.revs[0] if args.revs else None
    b = args.revs[1] if len(args.revs) > 1 else None
    with ctx.vault() as vault:
        doc = queries.diff(vault, a, b)
    if args.json:
        emit_json(doc)
    elif args.stat:
        for e in doc["entities"]:
            out(f" {e['path']:<40} {e['kind']:<9} {plural(len(e['changes']), 'change')}")
        out(f" {plural(len(doc['entities']), 'entity')} changed")
    else:
        for e in doc["entities"]:
            out(paint(f"{e['kind']} {e['path']}", _KIND_STYLE.get(e["kind"], "changed")))
            if "error" in e:
                out(f"  {e['error']}")
            for ch in e["changes"]:
                out(f"  {ch['summary']}")
                for field, vals in ch.get("fields", {}).items():
                    out(paint(f"    - {field}: {quote(vals['before'])}", "removed"))
                    out(paint(f"    + {field}: {quote(vals['after'])}", "added"))
    return 1 if args.exit_code and doc["entities"] else 0


def cmd_blame(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault import queries

    doc = _read(args, ctx, queries.blame, args.scene, args.rev)
    if doc is None:
        return 0
    for n in doc["nodes"]:
        commit = paint(short(n["commit"]), "id") if "commit" in n else "?" * ID_LEN
        who = f"{commit} {_name(n.get('author', '')):<10} {_when(n['time']) if 'time' in n else ''}"
        out(f"{who}  {n['node']:<8} {(n['speaker'] or '') + ': ' if n['speaker'] else ''}{n['content']}")
    return 0


def cmd_search(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault import queries

    doc = _read(args, ctx, queries.search, args.text)
    if doc is None:
        return 0
    for h in doc["hits"]:
        out(f"{h['scene']}#{h['node']}  {(h['speaker'] + ': ') if h['speaker'] else ''}{h['content']}")
    if not doc["hits"]:
        say("no matches")
    return 0


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.worktree.format import path_of_file

    paths = None
    if args.files:
        paths = []
        for f in args.files:
            path = path_of_file(f.removeprefix("./"))
            if path is None:
                say(f"comfyvn: {f}: not an entity file (scenes/ID.toml, characters/ID.toml, …)")
                return 2
            paths.append(path)
    with ctx.vault() as vault:
        restored = vault.restore(paths)
    if args.json:
        emit_json({"schema": "comfyvn.restore/1", "restored": restored})
    else:
        say(f"restored {plural(len(restored), 'file')}" if restored else "nothing to restore")
    return 0


def cmd_commit(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.vault() as vault:
        rec = vault.commit(args.message)
    if rec is None:
        if args.json:
            emit_json({"schema": "comfyvn.commit-result/1", "commit": None, "events": 0})
        else:
            say("nothing to commit")
        return 0
    if args.json:
        emit_json({"schema": "comfyvn.commit-result/1", "commit": rec.commit_id.hex(), "events": len(rec.events)})
    else:
        say(f"[{rec.branch} {short(rec.commit_id)}] {args.message} ({plural(len(rec.events), 'event')})")
    return 0


def cmd_branch(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.vault() as vault:
        if args.delete:
            vault.branch_delete(args.delete)
            say(f"deleted branch {args.delete}")
            return 0
        if args.name:
            tip = vault.branch_create(args.name, args.at)
            if args.json:
                emit_json({"schema": "comfyvn.branch/1", "name": args.name, "head": tip.hex()})
            else:
                say(f"created branch {args.name} at {short(tip)}")
            return 0
        view = vault.history.view()
    if args.json:
        emit_json(
            {
                "schema": "comfyvn.branches/1",
                "current": view.head,
                "branches": [{"name": k, "head": v.hex()} for k, v in sorted(view.branches.items())],
                **(
                    {"remotes": [{"name": k, "head": v.hex()} for k, v in sorted(view.remotes.items())]}
                    if args.all
                    else {}
                ),
            }
        )
    else:
        for name, tip in sorted(view.branches.items()):
            shown = paint(f"{name:<24}", "branch") if name == view.head else f"{name:<24}"
            out(f"{'*' if name == view.head else ' '} {shown} {paint(short(tip), 'id')}")
        for name, tip in sorted(view.remotes.items()) if args.all else ():
            shown = f"remotes/{name}"
            out(f"  {paint(f'{shown:<24}', 'remote')} {paint(short(tip), 'id')}")
    return 0


def cmd_switch(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.vault() as vault:
        already = not args.create and vault.history.head_branch() == args.name
        view = vault.switch(args.name, create=args.create)
    if args.json:
        emit_json({"schema": "comfyvn.switch/1", "branch": view.head, "head": _hex(view.checkout)})
    elif already:
        say(f"already on branch {view.head}")
    else:
        say(f"switched to {'a new ' if args.create else ''}branch {view.head}")
    return 0


def _hex(oid: Any) -> str | None:
    return oid.hex() if oid is not None else None


def cmd_undo_redo(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.vault() as vault:
        _, new = vault.undo() if args.verb_name == "undo" else vault.redo()
        op = vault.history.operation(vault.history.op_head())  # type: ignore[arg-type]
    if args.json:
        emit_json(
            {
                "schema": f"comfyvn.{args.verb_name}/1",
                "operation": op.description,
                "branch": new.head,
                "head": _hex(new.branches.get(new.head)),
            }
        )
    else:
        say(op.description)
    return 0


def cmd_op_log(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault import queries

    doc = _read(args, ctx, queries.op_log, args.limit)
    if doc is None:
        return 0
    for op in doc["operations"]:
        out(f"{paint(short(op['id']), 'id')}  {_when(op['time'])}  {_name(op['author']):<10} {op['description']}")
    return 0


def cmd_reindex(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.vault import Vault

    if args.verify:
        with ctx.vault() as vault:
            result = vault.reindex(verify=True)
    else:
        result = Vault.repair(ctx.cwd)
    if args.json:
        emit_json({"schema": "comfyvn.reindex/1", **result})
    elif args.verify:
        differ = ", ".join(result["differ"])
        say("projections match history" if result["identical"] else f"projections differ from a rebuild: {differ}")
    else:
        if result["index_rebuilt"]:
            say("rebuilt the index from the packs (it was missing or damaged)")
        say(f"rebuilt projections from history ({plural(result['events'], 'event')})")
    return 1 if args.verify and not result["identical"] else 0
