"""``asset export`` and ``verify``: media leave the vault stamped with their provenance, and are checked back.

Export refuses (exit 3, nothing written) what the content filter hides and any
asset with an open advisory finding; it warns for what the filter marks and,
until ``policy ack``, for risky content. PNG, JPEG and WAV get a signed C2PA
manifest (see :mod:`.c2pa_io`); other formats a text stamp ``FILE.stamp.txt``
naming the asset. Every export also writes ``FILE.provenance.json``, which
resolves the file back to event and object ids, and records ``ExportRecorded``.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from comfyvn_vault import hooks
from comfyvn_vault.domain.asset_events import ExportRecorded
from comfyvn_vault.domain.assets import Asset, asset_path
from comfyvn_vault.domain.cause import Cause
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.provenance import c2pa_io, identity
from comfyvn_vault.store.fsutil import os_error
from comfyvn_vault.store.ids import new_hasher

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

SIDECAR: Final = ".provenance.json"
STAMP: Final = ".stamp.txt"


def vault_identity(vault: Vault) -> identity.Identity:
    return identity.ensure(vault.store.paths.root, vault.root.name)


def _digest_file(path: Path) -> str:
    h = new_hasher()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _check_target(asset: Asset, target: Path) -> None:
    from comfyvn_vault.assets.detect import _EXTENSIONS, _compatible

    claimed = _EXTENSIONS.get(target.suffix.lower())
    if claimed is not None and not _compatible(claimed, asset.mime):
        raise InputRejected(f"{target}: a {asset.mime} asset cannot be exported as {target.suffix}")
    if target.is_dir():
        raise InputRejected(f"{target}: is a directory (give a file name)")
    if not target.parent.is_dir():
        raise InputRejected(f"{target.parent}: no such folder")


def export_checks(vault: Vault, assets: list[Asset]) -> list[str]:
    """Refuse what must not leave the vault; return the warnings for what may (every exporter calls this)."""
    from comfyvn_vault.advisory.findings import open_findings_of
    from comfyvn_vault.advisory.policy import content_filter, gate_warnings

    shown = content_filter(vault)
    hidden = [a for a in assets if shown.hides(a)]
    if hidden:
        raise InputRejected(
            f"asset {hidden[0].id[:12]} is NSFW and the content filter is sfw; not exported "
            "(`comfyvn policy filter warn` to allow it)"
        )
    pending = open_findings_of(vault, {a.id for a in assets})
    if pending:
        f = pending[0]
        raise InputRejected(
            f"asset {f.asset_id[:12]} has an open finding {f.id[:20]} ({f.message}); "
            "decide it first: comfyvn advisory resolve ID --waive|--remove|--replace ASSET"
        )
    warnings = [f"warning: asset {a.id[:12]} is NSFW (filter: warn)" for a in assets if shown.marks(a)]
    return warnings + gate_warnings(vault, assets, "export")


def _manifest_plan(vault: Vault, asset: Asset, graph: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """C2PA actions and ingredients that follow the asset's lineage."""
    lookup = vault.history.lookup_in(vault.checkout_tree())
    events = {n["id"]: n for n in graph["nodes"] if n["kind"] == "event"}
    mine = [events[e["from"]] for e in graph["edges"] if e["to"] == asset.id and e["from"] in events]
    generation = next((e for e in mine if e["type"] == "GenerationRecorded"), None)
    ingredients: list[c2pa_io.Ingredient] = []

    def ingredient(parent_id: str, relationship: str, label: str) -> bool:
        parent = lookup(asset_path(parent_id))
        if not isinstance(parent, Asset) or not c2pa_io.can_sign(parent.mime):
            return False
        data = vault.store.get(parent.blob)
        ingredients.append(c2pa_io.Ingredient(parent.name or parent.id, parent.mime, relationship, label, data))
        return True

    if generation is not None:
        actions: list[dict[str, Any]] = [
            {
                "action": "c2pa.created",
                "digitalSourceType": c2pa_io.TRAINED,
                "softwareAgent": {"name": str(generation.get("model", "unknown model"))},
                "parameters": {
                    "seed": str(generation.get("seed", "")),
                    "workflow": generation.get("workflow_hash", ""),
                },
            }
        ]
        for i, (parent, _) in enumerate(sorted(asset.parents.items())):
            ingredient(parent, "inputTo", f"input{i}")
        return actions, ingredients
    derived = sorted((p, r) for p, r in asset.parents.items() if r.startswith("derived:"))
    if derived and ingredient(derived[0][0], "parentOf", "parent0"):
        actions = [
            {"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent0"]}},
            {"action": "c2pa.edited", "description": derived[0][1].split(":", 1)[1]},
        ]
        for i, (parent, relation) in enumerate(derived[1:], start=1):
            if ingredient(parent, "componentOf", f"part{i}"):
                actions.append(
                    {"action": "c2pa.placed", "description": relation, "parameters": {"ingredientIds": [f"part{i}"]}}
                )
        return actions, ingredients
    # Imported as it is: the manifest opens the original that entered the vault.
    data = vault.store.get(asset.blob)
    ingredients.append(c2pa_io.Ingredient(asset.name or asset.id, asset.mime, "parentOf", "original", data))
    return [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["original"]}}], ingredients


def export_asset(vault: Vault, asset_ref: str, target: Path) -> tuple[dict[str, Any], list[str]]:
    """Write one asset to ``target`` with its provenance stamp; returns (result, warnings)."""
    from comfyvn_vault.assets.registry import get_asset
    from comfyvn_vault.provenance.lineage import lineage

    asset = get_asset(vault, asset_ref)
    warnings = export_checks(vault, [asset])
    _check_target(asset, target)
    graph = lineage(vault, asset.id)
    head = vault.history.head()
    provenance = {
        "asset": asset.id,
        "blob": asset.blob.hex(),
        "vault": vault.root.name,
        "commit": head.hex() if head else None,
        "events": [n["id"] for n in graph["nodes"] if n["kind"] == "event"],
        "sources": graph["sources"],
    }
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    signed = c2pa_io.can_sign(asset.mime)
    manifest_label = None
    try:
        if signed:
            actions, ingredients = _manifest_plan(vault, asset, graph)
            ident = vault_identity(vault)
            with open(tmp, "w+b") as dest:
                c2pa_io.sign(
                    ident,
                    title=target.name,
                    mime=asset.mime,
                    source=io.BytesIO(vault.store.get(asset.blob)),
                    dest=dest,
                    actions=actions,
                    ingredients=ingredients,
                    provenance=provenance,
                )
                dest.flush()
                os.fsync(dest.fileno())
            with open(tmp, "rb") as f:
                reading = c2pa_io.read(f, asset.mime, ident)
            manifest_label = reading.manifest.get("label") if reading else None
        else:
            with open(tmp, "wb") as out:
                for chunk in vault.store.iter_chunks(asset.blob, verify_first=True):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        digest = _digest_file(tmp)
        event = ExportRecorded(
            asset_ids=[asset.id],
            target=target.name,
            stamp="c2pa" if signed else "text",
            digest=digest,
            manifest=manifest_label,
            cause=Cause(kind="user", note="asset export"),
        )
        rec = vault.record([event], f"Export {asset.name or asset.id[:12]} to {target.name}")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_error(exc, f"export to {target}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    result = {
        "schema": "comfyvn.provenance/1",
        "file": target.name,
        "asset": asset.id,
        "blob": asset.blob.hex(),
        "mime": asset.mime,
        "stamp": "c2pa" if signed else "text",
        "digest": digest,
        "manifest": manifest_label,
        "export_event": rec.event_ids[0].hex(),
        "commit": rec.commit_id.hex(),
        "events": provenance["events"],
        "lineage": {"nodes": graph["nodes"], "edges": graph["edges"]},
    }
    _write_text(target.with_name(target.name + SIDECAR), _json(result))
    hooks.post_export(vault, {"format": asset.mime, "path": str(target), "asset": asset.id, "stamp": result["stamp"]})
    if not signed:
        stamp = f"comfyvn asset {asset.id} export {result['export_event']} digest {digest}\n"
        _write_text(target.with_name(target.name + STAMP), stamp)
    return result, warnings


def _json(doc: dict[str, Any]) -> str:
    import json

    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise os_error(exc, f"write {path}") from None


def verify_file(path: Path, vault: Vault | None) -> tuple[int, dict[str, Any]]:
    """Read and check a file's provenance stamp; returns (exit code, report).

    0: a valid C2PA manifest signed by this vault's identity (or a text stamp whose
    digest matches and whose asset this vault knows); 1: valid but not trusted
    here; raises :class:`InputRejected` (exit 3) for a tampered file, a broken
    manifest or no stamp at all.
    """
    import json

    from comfyvn_vault.assets.detect import sniff_file

    if not path.is_file():
        raise InputRejected(f"{path}: no such file")
    mime = sniff_file(path).mime
    ident = identity.load(vault.store.paths.root) if vault is not None else None
    report: dict[str, Any] = {"schema": "comfyvn.verify/1", "file": str(path), "mime": mime}
    if c2pa_io.can_sign(mime):
        with open(path, "rb") as f:
            reading = c2pa_io.read(f, mime, ident)
        if reading is not None:
            prov = c2pa_io.provenance_of(reading.manifest) or {}
            report.update(
                stamp="c2pa",
                state=reading.state,
                trusted=reading.state == "Trusted",
                asset=prov.get("asset"),
                title=reading.manifest.get("title"),
                signer=(reading.manifest.get("signature_info") or {}).get("common_name"),
                actions=c2pa_io.actions_of(reading.manifest),
                ingredients=[i.get("title") for i in reading.manifest.get("ingredients", [])],
                failures=reading.failures,
            )
            if reading.state == "Invalid":
                why = reading.failures[0] if reading.failures else "the manifest does not validate"
                raise InputRejected(f"{path}: C2PA verification failed ({why})")
            report["known"] = _known(vault, prov.get("asset"))
            return (0 if report["trusted"] and report["known"] is not False else 1), report
    sidecar = path.with_name(path.name + SIDECAR)
    if not sidecar.is_file():
        raise InputRejected(f"{path}: no provenance stamp (no C2PA manifest and no {sidecar.name})")
    try:
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
        want = str(recorded["digest"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputRejected(f"{sidecar}: not a provenance record ({exc})") from None
    if recorded.get("stamp") == "c2pa":
        raise InputRejected(f"{path}: its C2PA manifest is missing (the sidecar says it was signed)")
    if _digest_file(path) != want:
        raise InputRejected(f"{path}: changed since it was exported (digest does not match {sidecar.name})")
    report.update(stamp="text", state="Valid", trusted=False, asset=recorded.get("asset"))
    report["known"] = _known(vault, recorded.get("asset"))
    return (0 if report["known"] else 1), report


def _known(vault: Vault | None, asset_id: Any) -> bool | None:
    """Whether this vault's history holds the asset (None outside a vault)."""
    if vault is None or not isinstance(asset_id, str):
        return None
    return bool(vault.projections.events_for(asset_path(asset_id)))
