"""The ``asset`` verbs: ``asset add|list|show|export|derive|generated`` (the API: :mod:`comfyvn_vault.api.assets`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, human_bytes, out, plural, say, short

if TYPE_CHECKING:
    from comfyvn_vault.api.assets import AssetCommit


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
    from comfyvn_vault.api import assets
    from comfyvn_vault.cli.progress import byte_progress

    files = [ctx.cwd / f for f in args.files]
    with ctx.vault() as vault, byte_progress("adding", assets.total_size(files)) as tick:
        result = assets.add(
            vault,
            files,
            license=args.license,
            tags=args.tag,
            nsfw=args.nsfw,
            strict=args.strict,
            progress=tick,
            message=args.message,
        )
    for a in result.assets:
        if a.warning:
            say(a.warning)
    for warning in result.warnings:
        say(warning)
    if args.json:
        emit_json(result)
    else:
        for given, a in zip(args.files, result.assets, strict=True):
            state = "added" if a.new else "present"
            out(f"{short(a.id)}  {state:7}  {a.kind:5}  {human_bytes(a.bytes):>10}  {assets.safe_name(given)}")
        new = sum(a.new for a in result.assets)
        say(f"{new} new, {len(result.assets) - new} already registered")
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import assets

    nsfw = None if args.nsfw is None else args.nsfw == "yes"
    with ctx.vault() as vault:
        result = assets.list_assets(vault, kind=args.kind, tag=args.tag, license=args.license, nsfw=nsfw)
    if args.json:
        emit_json(result)
        return 0
    for row in result.assets:
        size = f"{row.width}x{row.height}" if row.width else _duration(row.duration_ms)
        flags = " NSFW" if row.meta.nsfw else ""
        lic = row.meta.license or "(no license)"
        out(f"{row.id[:12]}  {row.kind:5}  {size:>11}  {lic:14}  {row.name}{flags}")
    if result.hidden:
        shown = "`comfyvn policy filter warn` shows them"
        say(f"{plural(result.hidden, 'NSFW asset')} hidden by the content filter (sfw); {shown}")
    return 0


def _duration(ms: int | None) -> str:
    return f"{ms / 1000:.2f}s" if ms is not None else ""


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import assets

    with ctx.vault() as vault:
        doc = assets.show(vault, args.asset)
    if args.json:
        emit_json(doc)
        return 0
    for key in ("id", "kind", "mime", "bytes", "width", "height", "duration_ms", "name"):
        value = getattr(doc, key)
        if value is not None:
            out(f"{key:12} {value}")
    meta = doc.meta
    out(f"{'license':12} {meta.license or '(none)'}")
    out(f"{'nsfw':12} {meta.nsfw}")
    out(f"{'origin':12} {meta.origin or ''}")
    out(f"{'tags':12} {', '.join(meta.tags)}")
    for parent, relation in doc.parents.items():
        out(f"{'parent':12} {parent[:12]} ({relation})")
    for f in doc.findings:
        out(f"{'finding':12} {f.id[:20]} [{f.status}] {f.message}")
    return 0


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import assets

    with ctx.vault() as vault:
        result = assets.export(vault, args.asset, ctx.cwd / args.file, force=args.force)
    for warning in result.warnings:
        say(warning)
    if args.json:
        emit_json(result)
    else:
        out(f"{args.file}  {result.stamp}  asset {result.asset[:12]}  export {result.export_event[:12]}")
    return 0


def cmd_derive(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import assets

    with ctx.vault() as vault:
        result = assets.derive(vault, args.child, args.parents, args.op)
    return _committed(args, result)


def cmd_generated(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import assets

    with ctx.vault() as vault:
        result = assets.generated(
            vault,
            args.asset,
            workflow_hash=args.workflow_hash,
            seed=args.seed,
            model=args.model,
            inputs=args.inputs,
            device=args.device,
            prompt=args.prompt,
        )
    return _committed(args, result)


def _committed(args: argparse.Namespace, result: AssetCommit) -> int:
    if args.json:
        emit_json(result)
    else:
        say(f"committed {short(result.commit)}")
    return 0
