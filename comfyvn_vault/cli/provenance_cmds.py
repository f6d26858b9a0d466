"""The provenance verbs: ``lineage ASSET [--verify] [--used-by]`` and ``verify FILE|BUNDLE.zip``.

The API: :mod:`comfyvn_vault.api.provenance`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out, plural, say

if TYPE_CHECKING:
    from comfyvn_vault.api.provenance import BundleVerification, Lineage, UsedBy


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("lineage", parents=[common], help="every event that produced or touched an asset, as a graph")
    p.add_argument("asset", metavar="ASSET")
    p.add_argument("--verify", action="store_true", help="re-hash every object on the way (exit 1 on a mismatch)")
    p.add_argument("--used-by", action="store_true", help="list the scenes, nodes, characters and exports using it")
    p.set_defaults(run=cmd_lineage)
    p = sub.add_parser(
        "verify", parents=[common], help="check a file's provenance stamp (C2PA), or a bundle against its manifest"
    )
    p.add_argument("file", metavar="FILE")
    p.set_defaults(run=cmd_verify)


def cmd_lineage(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import provenance

    if args.used_by:
        with ctx.vault() as vault:
            users = provenance.used_by(vault, args.asset)
        if args.json:
            emit_json(users)
        else:
            _print_users(users)
        return 0
    with ctx.vault() as vault:
        graph = provenance.lineage(vault, args.asset, verify=args.verify)
    if args.json:
        emit_json(graph)
    else:
        _print_graph(graph)
        if graph.verified:
            check = graph.verified
            say(f"verified {plural(check.objects, 'object')}, {plural(len(check.problems), 'problem')}")
            for p in check.problems:
                say(f"  {p.kind} {p.id[:12]}: {p.detail}")
    return 1 if graph.problems else 0


def _print_users(doc: UsedBy) -> None:
    for u in doc.users:
        out(f"{u.kind:10} {u.path}")
    for c in doc.children:
        out(f"{'asset':10} {c.asset[:12]} ({c.relation})")
    for e in doc.exports:
        out(f"{'export':10} {e.target} ({e.stamp}, event {e.event[:12]})")
    if not (doc.users or doc.children or doc.exports):
        say("nothing uses this asset")


def _print_graph(doc: Lineage) -> None:
    from comfyvn_vault.api.provenance import LineageAsset, LineageEvent

    events = {n.id: n for n in doc.nodes if isinstance(n, LineageEvent)}
    for node in (n for n in doc.nodes if isinstance(n, LineageAsset)):
        name = node.name or ("(removed)" if node.missing else "")
        out(f"asset {node.id[:12]}  {name}")
        for e in doc.edges:
            if e.to != node.id:
                continue
            ev = events.get(e.from_)
            if ev is not None:
                extra = ", ".join(f"{k}={v}" for k, v in ev.details().items())
                out(f"  {e.relation:9} {ev.type} {e.from_[:12]} (commit {ev.commit[:12]}) {extra}".rstrip())
            else:
                out(f"  parent    {e.from_[:12]} ({e.relation})")


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import provenance
    from comfyvn_vault.api.provenance import BundleVerification
    from comfyvn_vault.errors import NotAVault

    path = ctx.cwd / args.file
    try:
        vault = ctx.vault()
    except NotAVault:
        vault = None  # outside a vault a stamp can be valid, never trusted
    try:
        report = provenance.verify(vault, path)
    finally:
        if vault is not None:
            vault.close()
    if args.json:
        emit_json(report)
    elif isinstance(report, BundleVerification):
        _print_bundle(args.file, report)
    else:
        who = report.signer or "text stamp"
        state = report.state + ("" if report.trusted else " (not signed by this vault)")
        out(f"{args.file}: {report.stamp} {state}; asset {str(report.asset)[:12]}; {who}")
        if report.actions:
            out(f"  actions: {', '.join(report.actions)}")
        if report.ingredients:
            out(f"  ingredients: {', '.join(str(i) for i in report.ingredients)}")
    return 0 if report.confirmed else 1


def _print_bundle(file: str, report: BundleVerification) -> None:
    out(
        f"{file}: {report.bundle} intact; {plural(report.documents, 'document')}, {plural(report.assets, 'asset')} "
        f"({report.c2pa} with C2PA, {report.c2pa_trusted} signed by this vault); tree {report.tree[:12]}"
    )
    if report.resolved is None:
        out("  outside a vault: ids not looked up")
    elif report.resolved:
        out("  every id it names is in this vault")
    else:
        out(f"  {plural(report.unresolved or 0, 'id')} it names are not in this vault, e.g. {report.missing[0][:60]}")
