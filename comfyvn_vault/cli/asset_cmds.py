"""Verbs over assets: ``asset add|list|show|export``."""

from __future__ import annotations

import argparse
import os
from typing import Any

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, human_bytes, out, plural, say


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    asset = sub.add_parser("asset", help="the asset registry")
    verbs = asset.add_subparsers(dest="asset_verb", metavar="VERB", required=True)
    p = verbs.add_parser("add", parents=[common], help="register files as assets (one commit)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--license", metavar="SPDX-OR-NAME", help="the files' license (SPDX id or a name)")
    p.add_argument("--tag", action="append", default=[], metavar="T", help="a tag (repeatable)")
    p.add_argument("--nsfw", action="store_true", help="flag the files as NSFW")
    p.add_argument(
        "--strict", action="store_true", help="refuse a file whose extension names another type than its bytes hold"
    )
    p.add_argument("-m", dest="message", help="commit message")
    p.set_defaults(run=cmd_add)
    p = verbs.add_parser("list", parents=[common], help="registered assets (honours the content filter)")
    p.add_argument("--kind", choices=["image", "audio", "video", "text", "other"])
    p.add_argument("--tag")
    p.add_argument("--license", help="only this license ('(none)' for unlicensed)")
    p.add_argument("--nsfw", choices=["yes", "no"], help="only NSFW (yes) or only safe (no) assets")
    p.set_defaults(run=cmd_list)
    p = verbs.add_parser("show", parents=[common], help="one asset's metadata")
    p.add_argument("asset", metavar="ID")
    p.set_defaults(run=cmd_show)
    p = verbs.add_parser("derive", parents=[common], help="record that an asset was made from others")
    p.add_argument("child", metavar="ID")
    p.add_argument("--from", dest="parents", action="append", required=True, metavar="PARENT")
    p.add_argument("--op", required=True, metavar="OPERATION", help="crop, upscale, mix…")
    p.set_defaults(run=cmd_derive)
    p = verbs.add_parser("generated", parents=[common], help="record how an asset was generated")
    p.add_argument("asset", metavar="ID")
    p.add_argument("--workflow-hash", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--input", dest="inputs", action="append", default=[], metavar="ASSET")
    p.add_argument("--device", default="")
    p.add_argument("--prompt")
    p.set_defaults(run=cmd_generated)
    p = verbs.add_parser("export", parents=[common], help="write an asset with its provenance stamp (C2PA)")
    p.add_argument("asset", metavar="ID")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="overwrite FILE (and its sidecars) if they are regular files")
    p.set_defaults(run=cmd_export)


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.advisory.policy import gate_warnings
    from comfyvn_vault.assets.detect import safe_name
    from comfyvn_vault.assets.registry import Options
    from comfyvn_vault.cli.progress import byte_progress

    files = [ctx.cwd / f for f in args.files]
    total = 0
    for f in files:
        try:
            total += os.path.getsize(f)
        except OSError:
            pass  # add_files reports it properly
    options = Options(license=args.license, tags=args.tag, nsfw=args.nsfw, strict=args.strict)
    with ctx.vault() as vault, byte_progress("adding", total) as tick:
        added = vault.add_files(files, tick, options, message=args.message)
        for a in added:
            if a.warning:
                say(a.warning)
        for warning in gate_warnings(vault, [a.asset for a in added if a.new], "import"):
            say(warning)
    if args.json:
        emit_json(
            {
                "schema": "comfyvn.asset-add/1",
                "assets": [
                    {"id": a.id.hex(), "kind": a.kind, "mime": a.mime, "bytes": a.bytes, "new": a.new, "path": a.path}
                    | ({"warning": a.warning} if a.warning else {})
                    for a in added
                ],
            }
        )
    else:
        for given, a in zip(args.files, added, strict=True):
            state = "added" if a.new else "present"
            out(f"{a.id.short()}  {state:7}  {a.kind:5}  {human_bytes(a.bytes):>10}  {safe_name(given)}")
        say(f"{sum(a.new for a in added)} new, {sum(not a.new for a in added)} already registered")
    return 0


def list_assets(vault: Any, args: argparse.Namespace) -> tuple[list[dict[str, Any]], int, str]:
    """The rows ``asset list`` prints, the number the filter hid, and the filter mode."""
    from comfyvn_vault.advisory.policy import content_filter
    from comfyvn_vault.assets.registry import asset_json, assets_at
    from comfyvn_vault.projections.assets import assets_with

    shown = content_filter(vault)
    wanted: set[str] | None = None
    for facet, value in (("kind", args.kind), ("tag", args.tag), ("license", args.license), ("nsfw", args.nsfw)):
        if value:
            ids = set(assets_with(vault.projections, facet, value))
            wanted = ids if wanted is None else wanted & ids
    rows, hidden = [], 0
    for asset in assets_at(vault):
        if wanted is not None and asset.id not in wanted:
            continue
        if shown.hides(asset):
            hidden += 1
            continue
        rows.append(asset_json(asset, hidden=False) | ({"flagged": True} if shown.marks(asset) else {}))
    return rows, hidden, shown.mode


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.vault() as vault:
        rows, hidden, mode = list_assets(vault, args)
    if args.json:
        emit_json({"schema": "comfyvn.asset-list/1", "filter": mode, "hidden": hidden, "assets": rows})
        return 0
    for row in rows:
        size = f"{row['width']}x{row['height']}" if row["width"] else _duration(row["duration_ms"])
        flags = " NSFW" if row["meta"]["nsfw"] else ""
        lic = row["meta"]["license"] or "(no license)"
        out(f"{row['id'][:12]}  {row['kind']:5}  {size:>11}  {lic:14}  {row['name']}{flags}")
    if hidden:
        shown = "`comfyvn policy filter warn` shows them"
        say(f"{plural(hidden, 'NSFW asset')} hidden by the content filter (sfw); {shown}")
    return 0


def _duration(ms: int | None) -> str:
    return f"{ms / 1000:.2f}s" if ms is not None else ""


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.advisory.findings import finding_json, findings_at
    from comfyvn_vault.advisory.policy import content_filter
    from comfyvn_vault.assets import thumbs
    from comfyvn_vault.assets.registry import asset_json, get_asset
    from comfyvn_vault.errors import InputRejected

    with ctx.vault() as vault:
        asset = get_asset(vault, args.asset)
        if content_filter(vault).hides(asset):
            raise InputRejected(f"asset {asset.id[:12]} is hidden by the content filter (sfw)")
        doc = {"schema": "comfyvn.asset/1"} | asset_json(asset)
        doc["findings"] = [finding_json(f) for f in findings_at(vault) if f.asset_id == asset.id]
        thumb = thumbs.thumbnail(vault, asset)
        doc["thumbnail"] = str(thumb) if thumb else None
    if args.json:
        emit_json(doc)
        return 0
    for key in ("id", "kind", "mime", "bytes", "width", "height", "duration_ms", "name"):
        if doc[key] is not None:
            out(f"{key:12} {doc[key]}")
    meta = doc["meta"]
    out(f"{'license':12} {meta['license'] or '(none)'}")
    out(f"{'nsfw':12} {meta['nsfw']}")
    out(f"{'origin':12} {meta.get('origin') or ''}")
    out(f"{'tags':12} {', '.join(meta['tags'])}")
    for parent, relation in doc["parents"].items():
        out(f"{'parent':12} {parent[:12]} ({relation})")
    for f in doc["findings"]:
        out(f"{'finding':12} {f['id'][:20]} [{f['status']}] {f['message']}")
    return 0


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.provenance.export import export_asset

    with ctx.vault() as vault:
        result, warnings = export_asset(vault, args.asset, ctx.cwd / args.file, force=args.force)
    for warning in warnings:
        say(warning)
    if args.json:
        emit_json(result | {"schema": "comfyvn.asset-export/1"})
    else:
        out(f"{args.file}  {result['stamp']}  asset {result['asset'][:12]}  export {result['export_event'][:12]}")
    return 0


def cmd_derive(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.provenance.record import record_derivation

    with ctx.vault() as vault:
        rec = record_derivation(vault, args.child, args.parents, args.op)
    return _committed(args, rec)


def cmd_generated(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.provenance.record import record_generation

    with ctx.vault() as vault:
        rec = record_generation(
            vault,
            args.asset,
            workflow_hash=args.workflow_hash,
            seed=args.seed,
            model=args.model,
            inputs=args.inputs,
            device=args.device,
            prompt=args.prompt,
        )
    return _committed(args, rec)


def _committed(args: argparse.Namespace, rec: Any) -> int:
    if args.json:
        emit_json({"schema": "comfyvn.commit/1", "commit": rec.commit_id.hex()})
    else:
        say(f"committed {rec.commit_id.short()}")
    return 0
