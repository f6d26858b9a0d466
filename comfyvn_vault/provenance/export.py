"""``asset export`` and ``verify``: media leave the vault stamped with their provenance, and are checked back.

Export refuses (exit 3, nothing written) what the content filter hides and any
asset with an open advisory finding; it warns for what the filter marks and,
until ``policy ack``, for risky content. PNG, JPEG and WAV get a signed C2PA
manifest (see :mod:`.c2pa_io`); other formats a text stamp ``FILE.stamp.txt``
naming the asset. Every export also writes ``FILE.provenance.json``, which
resolves the file back to event and object ids and is signed (ES256) by the
vault's identity, and records ``ExportRecorded``. Only a new path or, with
``force``, a regular file is written: never a FIFO, device, directory or link.

``verify`` of a text stamp checks the file's digest, the record's signature,
the stamp line, and, in a vault, that its history recorded exactly this export
(event, commit, asset blob); it is *Trusted* only in the vault that signed it.
"""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from comfyvn_vault.domain.asset_events import ExportRecorded
from comfyvn_vault.domain.assets import Asset, asset_path
from comfyvn_vault.domain.cause import Cause
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.provenance import c2pa_io, identity
from comfyvn_vault.store.fsutil import os_error
from comfyvn_vault.store.ids import new_hasher

if TYPE_CHECKING:
    from comfyvn_vault.advisory.policy import ContentFilter
    from comfyvn_vault.history.repo import CommitRecord
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


def _check_target(asset: Asset, target: Path, force: bool) -> list[Path]:
    """Refuse a target that is not a regular file or a new path; return the files the export writes.

    FIFOs, device nodes, sockets, directories and symbolic links are refused
    whatever ``force`` says (``os.replace`` would swap a regular file in for
    them); an existing regular file only with ``force``. The sidecars are held
    to the same rule.
    """
    from comfyvn_vault.assets.detect import _EXTENSIONS, _compatible

    claimed = _EXTENSIONS.get(target.suffix.lower())
    if claimed is not None and not _compatible(claimed, asset.mime):
        raise InputRejected(f"{target}: an asset of type {asset.mime} cannot be exported as {target.suffix}")
    if not target.parent.is_dir():
        raise InputRejected(f"{target.parent}: no such folder")
    files = [target, target.with_name(target.name + SIDECAR)]
    if not c2pa_io.can_sign(asset.mime):
        files.append(target.with_name(target.name + STAMP))
    for path in files:
        _check_writable(path, force)
    return files


def _provenance_doc(
    vault: Vault,
    asset: Asset,
    target: Path,
    signed: bool,
    digest: str,
    manifest_label: Any,
    rec: CommitRecord,
    provenance: dict[str, Any],
    graph: dict[str, Any],
) -> dict[str, Any]:
    """The signed ``.provenance.json`` sidecar of one export."""
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
    ident = vault_identity(vault)
    result["signer"] = identity.signer_pem(ident).decode()
    result["signature"] = base64.b64encode(identity.sign_bytes(ident, _signed_bytes(result))).decode()
    return result


def _check_writable(path: Path, force: bool) -> None:
    """Refuse ``path`` unless it is absent, or (with ``force``) a regular file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise os_error(exc, f"export to {path}") from None
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        raise InputRejected(f"{path}: is a symbolic link; export to a regular file")
    if stat.S_ISDIR(mode):
        raise InputRejected(f"{path}: is a directory (give a file name)")
    if not stat.S_ISREG(mode):
        raise InputRejected(f"{path}: is a {_special_kind(mode)}, not a regular file; not exported")
    if not force:
        raise InputRejected(f"{path}: already exists (--force overwrites it)")


def _special_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def export_checks(vault: Vault, assets: list[Asset], shown: ContentFilter) -> list[str]:
    """Refuse what must not leave the vault; return the warnings for what may (every exporter calls this).

    ``shown`` is the content filter the exporting read got from
    :func:`~comfyvn_vault.advisory.policy.content_filter`.
    """
    from comfyvn_vault.advisory.findings import open_findings_of
    from comfyvn_vault.advisory.policy import gate_warnings

    for asset in assets:
        shown.require_shown(asset, "not exported")
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


def _provenance_claim(vault: Vault, asset: Asset, graph: dict[str, Any]) -> dict[str, Any]:
    """What the ``org.comfyvn.provenance`` assertion says: the asset, its blob, the commit and its events."""
    head = vault.history.head()
    return {
        "asset": asset.id,
        "blob": asset.blob.hex(),
        "vault": vault.root.name,
        "commit": head.hex() if head else None,
        "events": [n["id"] for n in graph["nodes"] if n["kind"] == "event"],
        "sources": graph["sources"],
    }


def sign_asset(
    vault: Vault,
    asset: Asset,
    title: str,
    dest: IO[bytes],
    *,
    graph: dict[str, Any] | None = None,
    claim: dict[str, Any] | None = None,
) -> str | None:
    """Write ``asset``'s bytes to ``dest`` (readable and seekable) with a signed C2PA manifest; its label.

    The manifest follows the asset's lineage (``graph``, read when not given)
    and is signed with the vault's identity; ``asset export`` and the bundle
    exporter both stamp media this way. Only types :func:`c2pa_io.can_sign` takes.
    """
    from comfyvn_vault.provenance.lineage import lineage

    graph = graph if graph is not None else lineage(vault, asset)
    actions, ingredients = _manifest_plan(vault, asset, graph)
    ident = vault_identity(vault)
    start = dest.tell()
    c2pa_io.sign(
        ident,
        title=title,
        mime=asset.mime,
        source=io.BytesIO(vault.store.get(asset.blob)),
        dest=dest,
        actions=actions,
        ingredients=ingredients,
        provenance=claim if claim is not None else _provenance_claim(vault, asset, graph),
    )
    dest.seek(start)
    reading = c2pa_io.read(dest, asset.mime, ident)
    dest.seek(0, os.SEEK_END)
    label = reading.manifest.get("label") if reading else None
    return label if isinstance(label, str) else None


def export_asset(
    vault: Vault, asset: Asset, target: Path, *, shown: ContentFilter, force: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """Write one asset to ``target`` with its provenance stamp; returns (the signed record, warnings).

    ``target`` (and its sidecars) must be new paths, or with ``force`` regular
    files; ``shown`` is the content filter (see :func:`export_checks`).
    """
    from comfyvn_vault.provenance.lineage import lineage

    warnings = export_checks(vault, [asset], shown)
    files = _check_target(asset, target, force)
    graph = lineage(vault, asset)
    provenance = _provenance_claim(vault, asset, graph)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    signed = c2pa_io.can_sign(asset.mime)
    manifest_label = None
    try:
        if signed:
            with open(tmp, "x+b") as dest:
                manifest_label = sign_asset(vault, asset, target.name, dest, graph=graph, claim=provenance)
                dest.flush()
                os.fsync(dest.fileno())
        else:
            with open(tmp, "xb") as out:
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
        for path in files:  # again: the checks above ran before the bytes were written
            _check_writable(path, force)
        result: dict[str, Any] = {}

        def finish() -> None:
            """With the export recorded: the file in place, then its provenance sidecars."""
            rec = ch.commit
            assert rec is not None
            os.replace(tmp, target)
            result.update(_provenance_doc(vault, asset, target, signed, digest, manifest_label, rec, provenance, graph))
            _write_text(files[1], _json(result))
            if not signed:
                _write_text(files[2], _stamp_line(asset.id, result["export_event"], digest))

        with vault.change(f"Export {asset.name or asset.id[:12]} to {target.name}", kind="export") as ch:
            ch.record([event])
            ch.after_commit(finish)
            stamp = "c2pa" if signed else "text"
            ch.report(lambda _: {"format": asset.mime, "path": str(target), "asset": asset.id, "stamp": stamp})
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_error(exc, f"export to {target}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result, warnings


def _stamp_line(asset_id: str, export_event: str, digest: str) -> str:
    return f"comfyvn asset {asset_id} export {export_event} digest {digest}\n"


def _signed_bytes(record: dict[str, Any]) -> bytes:
    """What a provenance record's signature covers: every field but the signature, canonical JSON."""
    body = {k: v for k, v in record.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _write_text(path: Path, text: str) -> None:
    """Write a sidecar whole or not at all: a temp file beside it, then a rename over it."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_error(exc, f"write {path}") from None


def verify_file(path: Path, vault: Vault | None) -> tuple[int, dict[str, Any]]:
    """Read and check a file's provenance stamp; returns (exit code, report).

    0 (the report's ``confirmed``): a valid C2PA manifest signed by this
    vault's identity, or a text stamp whose signed record this vault's
    identity signed and whose digest, asset, blob, export event and commit
    this vault's history confirms ("Trusted"); 1: valid but not trusted here
    (another vault's, or outside a vault); raises :class:`InputRejected`
    (exit 3) for a tampered file or record, a broken manifest or no stamp at all.
    """
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
            report["confirmed"] = report["trusted"] and report["known"] is not False
            return (0 if report["confirmed"] else 1), report
    report.update(_verify_text_stamp(path, vault, ident))
    report["confirmed"] = report["trusted"]  # a text stamp is trusted only when the history confirms it
    return (0 if report["confirmed"] else 1), report


#: Fields every text-stamp provenance record has, all strings.
_TEXT_FIELDS: Final = ("file", "asset", "blob", "mime", "stamp", "digest", "export_event", "commit")
#: A sidecar larger than this is not one this code wrote.
_SIDECAR_MAX: Final = 64 << 20


def _read_record(path: Path, sidecar: Path) -> dict[str, Any]:
    """The sidecar's provenance record, its fields checked for shape."""
    if not sidecar.is_file():
        raise InputRejected(f"{path}: no provenance stamp (no C2PA manifest and no {sidecar.name})")
    try:
        if sidecar.stat().st_size > _SIDECAR_MAX:
            raise InputRejected(f"{sidecar}: not a provenance record (larger than {_SIDECAR_MAX >> 20} MiB)")
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputRejected(f"{sidecar}: not a provenance record ({exc})") from None
    if not isinstance(recorded, dict):
        raise InputRejected(f"{sidecar}: not a provenance record (not a JSON object)")
    if recorded.get("stamp") == "c2pa":
        raise InputRejected(f"{path}: its C2PA manifest is missing (the sidecar says it was signed)")
    for key in _TEXT_FIELDS:
        if not isinstance(recorded.get(key), str):
            raise InputRejected(f"{sidecar}: not a provenance record (no {key!r} text)")
    events = recorded.get("events")
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise InputRejected(f"{sidecar}: not a provenance record ('events' is not a list of ids)")
    if recorded["stamp"] != "text":
        raise InputRejected(f"{sidecar}: stamp {recorded['stamp'][:20]!r} is neither text nor c2pa")
    return recorded


def _verify_text_stamp(path: Path, vault: Vault | None, ident: identity.Identity | None) -> dict[str, Any]:
    """Check a text stamp: file digest, the record's signature, the stamp line, this vault's history."""
    sidecar = path.with_name(path.name + SIDECAR)
    recorded = _read_record(path, sidecar)
    digest = recorded["digest"]

    def altered(what: str) -> InputRejected:
        return InputRejected(f"{path}: the provenance record was altered ({what})")

    if _digest_file(path) != digest:
        raise InputRejected(f"{path}: changed since it was exported (digest does not match {sidecar.name})")
    if recorded["blob"] != digest or recorded["asset"] != digest:
        raise altered("its digest, blob and asset ids disagree: a text stamp's file is the asset's blob")
    signed, ours = _check_record_signature(recorded, ident, altered)
    stamp_file = path.with_name(path.name + STAMP)
    if stamp_file.is_file():
        try:
            line = stamp_file.read_text(encoding="utf-8", errors="replace")[:1000]
        except OSError as exc:
            raise os_error(exc, f"read {stamp_file}") from None
        if line != _stamp_line(recorded["asset"], recorded["export_event"], digest):
            raise InputRejected(f"{path}: {stamp_file.name} does not match {sidecar.name}")
    known = _check_history(vault, recorded, ours, altered) if vault is not None else None
    trusted = ours and known is True
    return {
        "stamp": "text",
        "state": "Trusted" if trusted else "Valid",
        "trusted": trusted,
        "signed": signed,
        "asset": recorded["asset"],
        "known": known,
    }


def _check_record_signature(
    recorded: dict[str, Any], ident: identity.Identity | None, altered: Any
) -> tuple[bool, bool]:
    """(signed, signed by this vault's identity); an unsigned record (older exports) is neither."""
    signature, signer = recorded.get("signature"), recorded.get("signer")
    if signature is None and signer is None:
        return False, False
    if not isinstance(signature, str) or not isinstance(signer, str):
        raise altered("its signature or signer is not text")
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        raise altered("its signature is not base64") from None
    root = ident.root_pem if ident is not None else None
    valid, ours = identity.check_signature(signer.encode(), _signed_bytes(recorded), raw, root)
    if not valid:
        raise altered("its signature does not match its fields")
    return True, ours


def _check_history(vault: Vault, recorded: dict[str, Any], ours: bool, altered: Any) -> bool:
    """Whether this vault's history confirms the record: its export event, commit and asset.

    False when the history has no such export and another vault signed it (a
    foreign file); a record this vault signed that its history contradicts is
    altered (exit 3).
    """
    from comfyvn_vault.history.objects import Commit, EventList
    from comfyvn_vault.store.codec import decode
    from comfyvn_vault.store.ids import ObjectId

    def stored(field: str) -> Any:
        text = recorded[field]
        try:
            oid = ObjectId.from_hex(text)
        except InputRejected:
            raise altered(f"{field} {text[:20]!r} is not an object id") from None
        if not vault.store.has(oid):
            return None
        return oid, decode(vault.store.get(oid))

    found = stored("export_event")
    if found is None:
        if ours:
            raise altered(f"this vault never recorded export event {recorded['export_event'][:12]}")
        return False
    event_id, event = found
    if not isinstance(event, ExportRecorded):
        raise altered(f"export_event {recorded['export_event'][:12]} is not an export")
    for name, want, got in (
        ("digest", recorded["digest"], event.digest),
        ("stamp", recorded["stamp"], event.stamp),
        ("file", recorded["file"], event.target),
        ("asset", [recorded["asset"]], event.asset_ids),
    ):
        if want != got:
            raise altered(f"its {name} is not the one export event {recorded['export_event'][:12]} recorded")
    commit = stored("commit")
    if commit is None or not isinstance(commit[1], Commit):
        raise altered(f"commit {recorded['commit'][:12]} is not a commit of this vault")
    elist = decode(vault.store.get(commit[1].events)) if commit[1].events is not None else None
    if not isinstance(elist, EventList) or event_id not in elist.events:
        raise altered(f"commit {recorded['commit'][:12]} did not record export event {recorded['export_event'][:12]}")
    asset = vault.history.lookup_in(commit[1].tree)(asset_path(recorded["asset"]))
    if not isinstance(asset, Asset) or asset.blob.hex() != recorded["blob"] or asset.mime != recorded["mime"]:
        raise altered(f"asset {recorded['asset'][:12]} had another blob or type when it was exported")
    missing = next((e for e in recorded["events"] if not _has_object(vault, e)), None)
    if missing is not None:
        raise altered(f"lineage event {missing[:12]} is not in this vault")
    return True


def _has_object(vault: Vault, hex_id: str) -> bool:
    from comfyvn_vault.store.ids import ObjectId

    try:
        return vault.store.has(ObjectId.from_hex(hex_id))
    except InputRejected:
        return False


def _known(vault: Vault | None, asset_id: Any) -> bool | None:
    """Whether this vault's history holds the asset (None outside a vault)."""
    if vault is None or not isinstance(asset_id, str):
        return None
    return bool(vault.projections.events_for(asset_path(asset_id)))
