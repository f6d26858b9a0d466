"""Verbs of the advisory and the policy: ``advisory scan|list|resolve``, ``policy status|ack|filter``."""

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
    from comfyvn_vault.advisory.findings import finding_json
    from comfyvn_vault.advisory.scan import scan

    with ctx.vault() as vault:
        found = scan(vault)
    if args.json:
        emit_json({"schema": "comfyvn.advisory-scan/1", "findings": [finding_json(f) for f in found]})
    else:
        for f in found:
            out(f"{short(f.id)}  {f.kind:8} asset {short(f.asset_id)}  {f.message}")
        say(f"{plural(len(found), 'new finding')}")
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.advisory.findings import finding_json, findings_at

    with ctx.vault() as vault:
        found = findings_at(vault, status=None if args.all else "open")
    if args.json:
        emit_json({"schema": "comfyvn.advisory-list/1", "findings": [finding_json(f) for f in found]})
    else:
        for f in found:
            fixes = "/".join(f.fixes)
            out(f"{short(f.id)}  [{f.status}]  asset {short(f.asset_id)}  {f.message}  ({fixes})")
    return 0


def cmd_resolve(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.advisory.findings import resolve

    fix = args.fix or "replace"
    with ctx.vault() as vault:
        rec = resolve(vault, args.finding, fix, replacement=args.replace, note=args.note)
    if args.json:
        emit_json({"schema": "comfyvn.advisory-resolve/1", "fix": fix, "commit": rec.commit_id.hex()})
    else:
        say(f"{fix}: committed {rec.commit_id.short()}")
    return 0


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.advisory.findings import findings_at
    from comfyvn_vault.advisory.policy import NOTICE, NOTICE_VERSION, policy_of

    with ctx.vault() as vault:
        policy = policy_of(vault)
        open_count = len(findings_at(vault, status="open"))
    doc = {
        "schema": "comfyvn.policy/1",
        "filter": policy.filter_mode,
        "acknowledged": policy.acknowledged_by is not None,
        "acknowledged_by": policy.acknowledged_by,
        "acknowledged_ms": policy.acknowledged_ms,
        "notice": NOTICE,
        "notice_version": NOTICE_VERSION,
        "open_findings": open_count,
    }
    if args.json:
        emit_json(doc)
    else:
        out(f"content filter: {policy.filter_mode}")
        who = policy.acknowledged_by
        out(f"liability notice: {'acknowledged by ' + who if who else 'NOT acknowledged (comfyvn policy ack)'}")
        out(f"open findings: {open_count}")
        out("")
        out(NOTICE)
    return 0


def cmd_ack(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.advisory.policy import acknowledge

    with ctx.vault() as vault:
        rec = acknowledge(vault, args.by)
    if args.json:
        emit_json({"schema": "comfyvn.policy-ack/1", "commit": rec.commit_id.hex()})
    else:
        say(f"acknowledged; committed {rec.commit_id.short()}")
    return 0


def cmd_filter(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.advisory.policy import set_filter

    with ctx.vault() as vault:
        rec = set_filter(vault, args.mode)
    if args.json:
        emit_json(
            {"schema": "comfyvn.policy-filter/1", "mode": args.mode, "commit": rec.commit_id.hex() if rec else None}
        )
    else:
        say(f"content filter: {args.mode}" + (f"; committed {rec.commit_id.short()}" if rec else " (unchanged)"))
    return 0
