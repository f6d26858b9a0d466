"""The advisory and policy verbs: ``advisory scan|list|resolve``, ``policy status|ack|filter``.

The API: :mod:`comfyvn_vault.api.advisory`.
"""

from __future__ import annotations

import argparse

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out, plural, say, short


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    adv = sub.add_parser("advisory", help="license findings and their quick fixes")
    verbs = adv.add_subparsers(dest="advisory_verb", metavar="VERB", required=True)
    p = verbs.add_parser("scan", parents=[common], help="scan every asset's license now (one commit of findings)")
    p.set_defaults(run=cmd_scan)
    p = verbs.add_parser("list", parents=[common], help="findings (open ones by default)")
    p.add_argument("--all", action="store_true", help="decided findings too")
    p.set_defaults(run=cmd_list)
    p = verbs.add_parser("resolve", parents=[common], help="decide a finding: waive, remove or replace")
    p.add_argument("finding", metavar="ID")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--waive", action="store_const", const="waive", dest="fix")
    how.add_argument("--remove", action="store_const", const="remove", dest="fix")
    how.add_argument("--replace", metavar="ASSET", help="replace the asset by ASSET")
    p.add_argument("--note", help="why (recorded with the decision)")
    p.set_defaults(run=cmd_resolve)

    pol = sub.add_parser("policy", help="liability acknowledgement and content filter")
    verbs = pol.add_subparsers(dest="policy_verb", metavar="VERB", required=True)
    p = verbs.add_parser("status", parents=[common], help="the filter mode and the acknowledgement")
    p.set_defaults(run=cmd_status)
    p = verbs.add_parser("ack", parents=[common], help="acknowledge the liability notice (an event)")
    p.add_argument("--by", help="who acknowledges (default: the current user)")
    p.set_defaults(run=cmd_ack)
    p = verbs.add_parser("filter", parents=[common], help="set the content filter: sfw, warn or unrestricted")
    p.add_argument("mode", choices=["sfw", "warn", "unrestricted"])
    p.set_defaults(run=cmd_filter)


def cmd_scan(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import advisory

    with ctx.vault() as vault:
        result = advisory.scan(vault)
    if args.json:
        emit_json(result)
    else:
        for f in result.findings:
            out(f"{short(f.id)}  {f.kind:8} asset {short(f.asset_id)}  {f.message}")
        say(f"{plural(len(result.findings), 'new finding')}")
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import advisory

    with ctx.vault() as vault:
        result = advisory.list_findings(vault, decided=args.all)
    if args.json:
        emit_json(result)
    else:
        for f in result.findings:
            fixes = "/".join(f.fixes)
            out(f"{short(f.id)}  [{f.status}]  asset {short(f.asset_id)}  {f.message}  ({fixes})")
    return 0


def cmd_resolve(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import advisory

    fix = args.fix or "replace"  # --replace ASSET names the fix by giving its asset
    with ctx.vault() as vault:
        result = advisory.resolve(vault, args.finding, fix, replacement=args.replace, note=args.note)
    if args.json:
        emit_json(result)
    else:
        say(f"{result.fix}: committed {short(result.commit)}")
    return 0


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import advisory

    with ctx.vault() as vault:
        result = advisory.status(vault)
    if args.json:
        emit_json(result)
    else:
        out(f"content filter: {result.filter}")
        who = result.acknowledged_by
        out(f"liability notice: {'acknowledged by ' + who if who else 'NOT acknowledged (comfyvn policy ack)'}")
        out(f"open findings: {result.open_findings}")
        out("")
        out(result.notice)
    return 0


def cmd_ack(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import advisory

    with ctx.vault() as vault:
        result = advisory.ack(vault, args.by)
    if args.json:
        emit_json(result)
    else:
        say(f"acknowledged; committed {short(result.commit)}")
    return 0


def cmd_filter(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import advisory

    with ctx.vault() as vault:
        result = advisory.set_filter(vault, args.mode)
    if args.json:
        emit_json(result)
    else:
        done = f"; committed {short(result.commit)}" if result.commit else " (unchanged)"
        say(f"content filter: {result.mode}{done}")
    return 0
