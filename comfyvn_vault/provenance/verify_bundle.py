"""``comfyvn verify BUNDLE.zip``: a ``comfyvn-bundle@1`` checked against its manifest and provenance.

Everything a restore checks (:mod:`comfyvn_vault.importers.bundle_read`: every
member's size and BLAKE3, every document's object id and the tree they make,
every asset's blob id, ``provenance.json`` agreeing with the manifest), then
every embedded C2PA manifest is read and validated (with the vault's root as
the trust anchor inside a vault) and must name its own asset. Inside a vault,
every id the bundle names (documents, blobs, and the events and commits of
``provenance.json``) is looked up in the store.

Exit 0: intact, and inside a vault every id resolves there (the bundle is
this vault's, or a clone's); 1: intact, but some ids are not in this vault
(another vault's bundle, or a restored copy, whose history is new); 3: a
member is altered or missing, or a C2PA manifest does not validate.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from comfyvn_vault.adapters.archive import SafeZip, load_json
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.exporters.bundle_format import BUNDLE_SCHEMA, MANIFEST
from comfyvn_vault.provenance import c2pa_io, identity
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
    from comfyvn_vault.importers.bundle_read import Bundle
    from comfyvn_vault.vault import Vault

#: How many unresolved ids the report names (it counts them all).
MISSING_SHOWN: Final = 20


def bundle_manifest(path: Path) -> dict[str, Any] | None:
    """``manifest.json`` of the bundle at ``path``; None when ``path`` is not a ``comfyvn-bundle@1``."""
    from comfyvn_vault.importers.bundle_read import is_bundle

    try:
        with open(path, "rb") as f:
            if f.read(2) != b"PK":
                return None
            f.seek(0)
            files = SafeZip(f, path.name, strip_common=True)
            if MANIFEST not in files:
                return None
            manifest = load_json(files.read(MANIFEST), f"{path.name}: {MANIFEST}")
    except OSError:
        return None
    return manifest if is_bundle(manifest) else None


def verify_bundle(path: Path, vault: Vault | None) -> tuple[int, dict[str, Any]]:
    """Check the bundle at ``path`` (see the module docstring); returns (exit code, report)."""
    from comfyvn_vault.history.tree import tree_id_of
    from comfyvn_vault.importers.bundle_read import read_bundle

    try:
        with open(path, "rb") as f:
            files = SafeZip(f, path.name, strip_common=True)
            bundle = read_bundle(files, path.name, tree_id=tree_id_of, keep_blobs=False)
    except OSError as exc:
        raise InputRejected(f"{path}: cannot read it ({exc.strerror or exc})") from None
    ident = identity.load(vault.store.paths.root) if vault is not None else None
    trusted = _check_c2pa(path, bundle, ident)
    missing = _unresolved(vault, bundle) if vault is not None else None
    m = bundle.manifest
    report: dict[str, Any] = {
        "schema": "comfyvn.verify-bundle/1",
        "file": str(path),
        "bundle": BUNDLE_SCHEMA,
        "vault": m.vault,
        "commit": m.commit,
        "tree": m.tree,
        "members": len(m.members) + 1,
        "documents": len(m.documents),
        "assets": len(m.assets),
        "c2pa": len(bundle.stamped),
        "c2pa_trusted": trusted,
        "resolved": None if missing is None else not missing,
        "unresolved": None if missing is None else len(missing),
        "missing": [] if missing is None else missing[:MISSING_SHOWN],
    }
    report["confirmed"] = missing is None or not missing
    return (0 if report["confirmed"] else 1), report


def _check_c2pa(path: Path, bundle: Bundle, ident: identity.Identity | None) -> int:
    """Validate every embedded manifest; how many are signed by this vault (Trusted)."""
    mimes = {a.id: (a.mime, a.file) for a in bundle.manifest.assets}
    trusted = 0
    for asset_id, data in sorted(bundle.stamped.items()):
        mime, file = mimes[asset_id]
        reading = c2pa_io.read(io.BytesIO(data), mime, ident)
        if reading is None:
            raise InputRejected(f"{path}: {file} has no C2PA manifest (the manifest says it is signed)")
        if reading.state == "Invalid":
            why = reading.failures[0] if reading.failures else "the manifest does not validate"
            raise InputRejected(f"{path}: {file}: C2PA verification failed ({why})")
        claim = c2pa_io.provenance_of(reading.manifest) or {}
        if claim.get("asset") != asset_id:
            raise InputRejected(f"{path}: {file}: its C2PA manifest names another asset")
        trusted += reading.state == "Trusted"
    return trusted


def _unresolved(vault: Vault, bundle: Bundle) -> list[str]:
    """The ids the bundle names that this vault's store does not hold, as ``kind id``."""
    named: list[tuple[str, str]] = [("document", d.id) for d in bundle.manifest.documents]
    named += [("blob", a.id) for a in bundle.manifest.assets]
    for asset in bundle.provenance.assets:
        for event in asset.events:
            named += [("event", event.event), ("commit", event.commit)]
    named.append(("commit", bundle.manifest.commit))
    missing: list[str] = []
    seen: set[str] = set()
    for kind, hex_id in named:
        if hex_id in seen:
            continue
        seen.add(hex_id)
        try:
            held = vault.store.has(ObjectId.from_hex(hex_id))
        except InputRejected:
            raise InputRejected(f"{kind} id {hex_id[:20]!r} in the bundle is not an object id") from None
        if not held:
            missing.append(f"{kind} {hex_id}")
    return missing


__all__ = ["bundle_manifest", "verify_bundle"]
