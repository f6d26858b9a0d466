"""Verbs over provenance: ``lineage ASSET [--verify] [--used-by]`` and ``verify FILE``."""

from __future__ import annotations

import argparse

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out, plural, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("lineage", parents=[common], help="every event that produced or touched an asset, as a graph")
    p.add_argument("asset", metavar="ASSET")
    p.add_argument("--verify", action="store_true", help="re-hash every object on the way (exit 1 on a mismatch)")
    p.add_argument("--used-by", action="store_true", help="list the scenes, nodes, characters and exports using it")
    p.set_defaults(run=cmd_lineage)
    p = sub.add_parser("verify", parents=[common], help="read and check a file's provenance stamp (C2PA)")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(run=cmd_verify)


def cmd_lineage(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.provenance.lineage import lineage, used_by

    with ctx.vault() as vault:
        doc = used_by(vault, args.asset) if args.used_by else lineage(vault, args.asset, verify=args.verify)
    problems = doc.get("verified", {}).get("problems", [])
    if args.json:
        emit_json(doc)
    elif args.used_by:
        for u in doc["users"]:
            out(f"{u['kind']:10} {u['path']}")
        for c in doc["children"]:
            out(f"{'asset':10} {c['asset'][:12]} ({c['relation']})")
        for e in doc["exports"]:
            out(f"{'export':10} {e['target']} ({e['stamp']}, event {e['event'][:12]})")
        if not (doc["users"] or doc["children"] or doc["exports"]):
            say("nothing uses this asset")
    else:
        _print_graph(doc)
        if args.verify:
            say(f"verified {plural(doc['verified']['objects'], 'object')}, {plural(len(problems), 'problem')}")
            for p in problems:
                say(f"  {p['kind']} {p['id'][:12]}: {p['detail']}")
    return 1 if problems else 0


def _print_graph(doc: dict[str, object]) -> None:
    nodes = doc["nodes"]
    edges = doc["edges"]
    assert isinstance(nodes, list) and isinstance(edges, list)
    events = {n["id"]: n for n in nodes if n["kind"] == "event"}
    for node in (n for n in nodes if n["kind"] == "asset"):
        name = node.get("name") or ("(removed)" if node.get("missing") else "")
        out(f"asset {node['id'][:12]}  {name}")
        for e in edges:
            if e["to"] != node["id"]:
                continue
            if e["from"] in events:
                ev = events[e["from"]]
                extra = ", ".join(f"{k}={ev[k]}" for k in ("operation", "model", "seed", "fix", "target") if k in ev)
                out(f"  {e['relation']:9} {ev['type']} {e['from'][:12]} (commit {ev['commit'][:12]}) {extra}".rstrip())
            else:
                out(f"  parent    {e['from'][:12]} ({e['relation']})")


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.errors import NotAVault
    from comfyvn_vault.provenance.export import verify_file

    path = ctx.cwd / args.file
    try:
        vault = ctx.vault()
    except NotAVault:
        vault = None
    try:
        code, report = verify_file(path, vault)
    finally:
        if vault is not None:
            vault.close()
    if args.json:
        emit_json(report)
    else:
        who = report.get("signer") or "text stamp"
        state = report["state"] + ("" if report["trusted"] else " (not signed by this vault)")
        out(f"{args.file}: {report['stamp']} {state}; asset {str(report.get('asset'))[:12]}; {who}")
        if report.get("actions"):
            out(f"  actions: {', '.join(report['actions'])}")
        if report.get("ingredients"):
            out(f"  ingredients: {', '.join(str(i) for i in report['ingredients'])}")
    return code
