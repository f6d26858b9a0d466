"""Export with a signed C2PA manifest and verify it back: real signing, real validation, tampering caught."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.api.assets import export
from comfyvn_vault.domain.asset_events import ExportRecorded
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.provenance import c2pa_io
from comfyvn_vault.provenance.derivation import record_derivation, record_generation
from comfyvn_vault.provenance.export import verify_file
from comfyvn_vault.store.codec import decode
from comfyvn_vault.vault import Vault
from tests.assets import media


def _flip_pixels(path: Path, marker: bytes, offset: int = 40) -> None:
    data = bytearray(path.read_bytes())
    at = data.find(marker)
    assert at > 0
    data[at + offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("kind", ["png", "jpeg", "wav"])
def test_export_signs_and_verify_trusts_this_vault(vault: Vault, tmp_path: Path, kind: str) -> None:
    make = {"png": media.png, "jpeg": media.jpeg, "wav": media.wav}[kind]
    src = make(tmp_path / f"src.{'jpg' if kind == 'jpeg' else kind}")
    (added,) = add_assets(vault, [src], license="CC-BY-4.0").assets
    out = tmp_path / f"out{src.suffix}"
    result = export(vault, added.id[:8], out)
    assert result.warnings == [] and result.stamp == "c2pa"
    code, report = verify_file(out, vault)
    assert code == 0 and report["state"] == "Trusted" and report["asset"] == added.id
    assert report["actions"][0] == "c2pa.opened" and report["ingredients"] == [src.name]
    sidecar = json.loads(out.with_name(out.name + ".provenance.json").read_text())
    assert sidecar["asset"] == added.id and sidecar["digest"] == result.digest
    # the sidecar resolves back to event and object ids
    export_event = decode(vault.store.get(vault.store.resolve(sidecar["export_event"])))
    assert isinstance(export_event, ExportRecorded) and export_event.digest == sidecar["digest"]
    assert all(vault.store.has(vault.store.resolve(e)) for e in sidecar["events"])
    # the identity: a root CA and a signer, the private key readable by the owner only
    ident = vault.store.paths.root / "identity"
    assert stat.S_IMODE(os.stat(ident / "signer.key").st_mode) == 0o600


def test_tampered_export_fails_verification(vault: Vault, tmp_path: Path, cli: Any) -> None:
    (added,) = add_assets(vault, [media.png(tmp_path / "a.png", (120, 90))], license="MIT").assets
    out = tmp_path / "out.png"
    export(vault, added.id, out)
    _flip_pixels(out, b"IDAT")
    with pytest.raises(InputRejected, match="C2PA verification failed"):
        verify_file(out, vault)
    r = cli("-C", vault.root, "verify", out)
    assert r.code == 3 and r.err.startswith("comfyvn: ") and len(r.err.strip().splitlines()) == 1


def test_other_vaults_signature_is_valid_but_not_trusted(tmp_path: Path) -> None:
    a, _ = Vault.init(tmp_path / "a")
    b, _ = Vault.init(tmp_path / "b")
    with a, b:
        (added,) = add_assets(a, [media.jpeg(tmp_path / "j.jpg")], license="MIT").assets
        out = tmp_path / "j-out.jpg"
        export(a, added.id, out)
        code, report = verify_file(out, b)
        assert code == 1 and report["trusted"] is False and report["state"] == "Valid"


def test_manifest_follows_derivation_and_generation(vault: Vault, tmp_path: Path) -> None:
    base = add_assets(vault, [media.png(tmp_path / "base.png")], license="MIT").assets[0].id
    ref = add_assets(vault, [media.png(tmp_path / "ref.png", color=(0, 0, 9))], license="MIT").assets[0]
    crop = add_assets(vault, [media.png(tmp_path / "crop.png", (40, 40))], license="MIT").assets[0].id
    gen = add_assets(vault, [media.png(tmp_path / "gen.png", color=(9, 9, 9))], license="MIT").assets[0]
    record_derivation(vault, crop, [base], "crop")
    record_generation(vault, gen.id, workflow_hash="wf1", seed=42, model="sdxl", inputs=[ref.id])
    out = tmp_path / "crop-out.png"
    export(vault, crop, out)
    code, report = verify_file(out, vault)
    assert code == 0 and report["actions"] == ["c2pa.opened", "c2pa.edited"] and report["ingredients"] == ["base.png"]
    out2 = tmp_path / "gen-out.png"
    export(vault, gen.id, out2)
    code, report = verify_file(out2, vault)
    assert code == 0 and report["actions"] == ["c2pa.created"] and report["ingredients"] == ["ref.png"]
    with open(out2, "rb") as f:
        reading = c2pa_io.read(f, "image/png", None)
    assert reading is not None
    prov = c2pa_io.provenance_of(reading.manifest)
    assert prov is not None and prov["asset"] == gen.id and prov["sources"] == [ref.id]


def test_text_stamp_for_formats_without_c2pa(vault: Vault, tmp_path: Path, cli: Any) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("credits: Alice\n")
    (added,) = add_assets(vault, [notes], license="CC0-1.0").assets
    out = tmp_path / "notes-out.txt"
    result = export(vault, added.id, out)
    assert result.stamp == "text" and out.read_text() == "credits: Alice\n"
    assert added.id in out.with_name(out.name + ".stamp.txt").read_text()
    assert verify_file(out, vault)[0] == 0
    out.write_text("credits: Mallory\n")
    with pytest.raises(InputRejected, match="changed since it was exported"):
        verify_file(out, vault)


def test_export_refuses_a_mismatched_extension(vault: Vault, tmp_path: Path) -> None:
    (added,) = add_assets(vault, [media.png(tmp_path / "p.png")], license="MIT").assets
    with pytest.raises(InputRejected, match=r"cannot be exported as \.jpg"):
        export(vault, added.id, tmp_path / "p.jpg")
    assert not (tmp_path / "p.jpg").exists()
