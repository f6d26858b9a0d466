"""Signing and reading C2PA manifests with c2pa-python (the CAI's reference library).

The manifest of an exported asset follows its lineage:

* a generated asset starts with ``c2pa.created`` (digital source type
  *trainedAlgorithmicMedia*, the model as software agent) and lists its inputs
  as ``inputTo`` ingredients;
* a derived asset starts with ``c2pa.opened`` on its first parent (a
  ``parentOf`` ingredient) and continues with ``c2pa.edited`` naming the
  operation; further parents are ``componentOf`` ingredients with ``c2pa.placed``;
* an imported asset starts with ``c2pa.opened`` on the imported original.

An ``org.comfyvn.provenance`` assertion carries the asset id, its events and
the commit, so ``verify`` resolves a file back to the vault's history.
"""

from __future__ import annotations

import io
import json
from typing import IO, Any, Final, NamedTuple

from comfyvn_vault.errors import InputRejected, RemoteFailed
from comfyvn_vault.provenance.identity import Identity

GENERATOR: Final = {"name": "comfyvn-vault", "version": "0.1.0"}
ASSERTION: Final = "org.comfyvn.provenance"
TRAINED: Final = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
SIGNABLE: Final = frozenset({"image/png", "image/jpeg", "audio/wav"})


class Ingredient(NamedTuple):
    title: str
    mime: str
    relationship: str  # parentOf, componentOf, inputTo
    label: str
    data: bytes


def _c2pa() -> Any:
    import c2pa

    return c2pa


def can_sign(mime: str) -> bool:
    return mime in SIGNABLE


def _context(identity: Identity | None, *, builder: bool) -> Any:
    settings: dict[str, Any] = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    }
    if identity is not None:
        settings["trust"] = {"trust_anchors": identity.root_pem.decode()}
    if builder:
        settings["builder"] = {"thumbnail": {"enabled": False}, "claim_generator_info": GENERATOR}
    return _c2pa().Context.from_dict(settings)


def sign(
    identity: Identity,
    *,
    title: str,
    mime: str,
    source: IO[bytes],
    dest: IO[bytes],
    actions: list[dict[str, Any]],
    ingredients: list[Ingredient],
    provenance: dict[str, Any],
) -> bytes:
    """Write ``source`` to ``dest`` with a signed manifest; returns the manifest bytes."""
    c2pa = _c2pa()
    manifest = {
        "claim_generator_info": [GENERATOR],
        "title": title,
        "format": mime,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": ASSERTION, "data": provenance},
        ],
    }
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", identity.chain_pem, identity.key_pem, None))
        with signer, c2pa.Builder(manifest, context=_context(identity, builder=True)) as builder:
            for ing in ingredients:
                builder.add_ingredient(
                    {"title": ing.title, "relationship": ing.relationship, "label": ing.label},
                    ing.mime,
                    io.BytesIO(ing.data),
                )
            manifest_bytes: bytes = builder.sign(signer, mime, source, dest)
            return manifest_bytes
    except c2pa.C2paError as exc:
        raise RemoteFailed(f"C2PA signing failed: {exc}") from None


class Reading(NamedTuple):
    state: str  # Trusted, Valid, Invalid
    manifest: dict[str, Any]
    failures: list[str]


def read(data_or_file: IO[bytes], mime: str, identity: Identity | None) -> Reading | None:
    """The active manifest and its validation against ``identity``'s root; None when there is none."""
    c2pa = _c2pa()
    try:
        reader = c2pa.Reader.try_create(mime, data_or_file, None, _context(identity, builder=False))
    except c2pa.C2paError as exc:
        raise InputRejected(f"the C2PA manifest cannot be read: {str(exc)[:160]}") from None
    if reader is None:
        return None
    with reader:
        state = reader.get_validation_state() or "Invalid"
        manifest = reader.get_active_manifest() or {}
        results = reader.get_validation_results() or {}
    failures = [
        f"{item.get('code')}: {item.get('explanation', '')}"[:200]
        for item in (results.get("activeManifest") or {}).get("failure", [])
    ]
    return Reading(state, json.loads(json.dumps(manifest)), failures)


def provenance_of(manifest: dict[str, Any]) -> dict[str, Any] | None:
    for assertion in manifest.get("assertions", []):
        if assertion.get("label") == ASSERTION:
            data = assertion.get("data")
            return data if isinstance(data, dict) else None
    return None


def actions_of(manifest: dict[str, Any]) -> list[str]:
    for assertion in manifest.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            return [a.get("action", "") for a in assertion.get("data", {}).get("actions", [])]
    return []
