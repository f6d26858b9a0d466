"""Text-stamp provenance cannot be forged, and ``asset export`` writes only regular files it may write."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.api.assets import AssetExport, export
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.provenance.export import verify_file
from comfyvn_vault.store.ids import hash_bytes
from comfyvn_vault.vault import Vault
from tests.assets import media


def _export_text(vault: Vault, tmp_path: Path, name: str = "notes-out.txt") -> tuple[Path, AssetExport]:
    notes = tmp_path / "notes.txt"
    notes.write_text("credits: Alice\n")
    (added,) = add_assets(vault, [notes], license="CC0-1.0").assets
    out = tmp_path / name
    result = export(vault, added.id, out)
    assert result.stamp == "text"
    return out, result


def _sidecar(out: Path) -> Path:
    return out.with_name(out.name + ".provenance.json")


def _tampered(value: Any) -> Any:
    """A different value of the same shape (a string with its last character changed, a longer list…)."""
    if isinstance(value, str):
        return value[:-1] + ("1" if value[-1:] == "0" else "0")
    if isinstance(value, list):
        return [*value, "0" * 64]
    if isinstance(value, dict):
        return {**value, "forged": True}
    return "forged"


def test_an_unmodified_text_stamp_is_trusted_in_its_own_vault(vault: Vault, tmp_path: Path, cli: Any) -> None:
    out, _ = _export_text(vault, tmp_path)
    code, report = verify_file(out, vault)
    assert (code, report["state"], report["trusted"], report["known"]) == (0, "Trusted", True, True)
    shown = cli("verify", out, cwd=vault.root)
    assert shown.code == 0, shown.err
    assert "text Trusted" in shown.out and "not signed by this vault" not in shown.out


def test_a_text_stamp_is_valid_but_not_trusted_elsewhere(vault: Vault, tmp_path: Path) -> None:
    out, _ = _export_text(vault, tmp_path)
    assert verify_file(out, None)[:1] == (1,)
    other, _ = Vault.init(tmp_path / "other")
    try:
        code, report = verify_file(out, other)
    finally:
        other.close()
    assert (code, report["state"], report["known"]) == (1, "Valid", False)


def test_every_field_of_the_record_is_tamper_evident(vault: Vault, tmp_path: Path, cli: Any) -> None:
    out, _ = _export_text(vault, tmp_path)
    sidecar = _sidecar(out)
    original = json.loads(sidecar.read_text())
    assert {"digest", "asset", "blob", "export_event", "commit", "events", "signature", "signer"} <= set(original)
    for key in sorted(original):
        forged = {**original, key: _tampered(original[key])}
        sidecar.write_text(json.dumps(forged))
        with pytest.raises(InputRejected):
            verify_file(out, vault)
        with pytest.raises(InputRejected):  # outside any vault the signature still catches it
            verify_file(out, None)
    sidecar.write_text(json.dumps({k: v for k, v in original.items() if k != "digest"}))
    assert cli("verify", out, cwd=vault.root).code == 3
    sidecar.write_text(json.dumps(original))
    assert verify_file(out, vault)[0] == 0


def test_a_forged_digest_for_other_bytes_is_refused(vault: Vault, tmp_path: Path, cli: Any) -> None:
    """The reported attack: other bytes in the file and their hash as the digest (and as every id)."""
    out, _ = _export_text(vault, tmp_path)
    sidecar = _sidecar(out)
    record = json.loads(sidecar.read_text())
    out.write_bytes(b"credits: Mallory\n")
    forged = hash_bytes(out.read_bytes()).hex()
    for fields in ({"digest"}, {"digest", "blob", "asset"}):
        forged_record = {**record, **dict.fromkeys(fields, forged)}
        sidecar.write_text(json.dumps(forged_record))
        result = cli("verify", out, cwd=vault.root)
        assert result.code == 3, result.out + result.err
        # without the signature the history still refuses it: the export event names other bytes
        unsigned = {k: v for k, v in forged_record.items() if k not in ("signature", "signer")}
        sidecar.write_text(json.dumps(unsigned))
        with pytest.raises(InputRejected):
            verify_file(out, vault)


def test_a_record_re_signed_by_another_vault_does_not_pass_for_this_one(vault: Vault, tmp_path: Path) -> None:
    """An attacker with their own vault can sign anything; this vault's history still decides."""
    import base64

    from comfyvn_vault.provenance import identity
    from comfyvn_vault.provenance.export import _signed_bytes

    out, _ = _export_text(vault, tmp_path)
    sidecar = _sidecar(out)
    record = json.loads(sidecar.read_text())
    out.write_bytes(b"credits: Mallory\n")
    forged = hash_bytes(out.read_bytes()).hex()
    record.update(digest=forged, blob=forged, asset=forged)
    (tmp_path / "mallory").mkdir()
    mallory = identity.ensure(tmp_path / "mallory", "mallory")
    record["signer"] = identity.signer_pem(mallory).decode()
    record["signature"] = base64.b64encode(identity.sign_bytes(mallory, _signed_bytes(record))).decode()
    sidecar.write_text(json.dumps(record))
    stamp = out.with_name(out.name + ".stamp.txt")
    stamp.write_text(f"comfyvn asset {forged} export {record['export_event']} digest {forged}\n")
    with pytest.raises(InputRejected, match="altered"):
        verify_file(out, vault)
    assert verify_file(out, None)[0] == 1  # outside a vault: a valid signature by someone, never trusted


def test_the_stamp_line_and_the_file_bytes_are_checked(vault: Vault, tmp_path: Path) -> None:
    out, _ = _export_text(vault, tmp_path)
    stamp = out.with_name(out.name + ".stamp.txt")
    line = stamp.read_text()
    stamp.write_text(line.replace("comfyvn asset ", "comfyvn asset 0"))
    with pytest.raises(InputRejected, match="does not match"):
        verify_file(out, vault)
    stamp.write_text(line)
    out.write_bytes(out.read_bytes() + b" ")
    with pytest.raises(InputRejected, match="changed since it was exported"):
        verify_file(out, vault)


# --- export targets ------------------------------------------------------------------


def _make_fifo(path: Path) -> None:
    os.mkfifo(path)


def _make_device(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own


def _make_symlink(path: Path) -> None:
    elsewhere = path.parent / "elsewhere.txt"
    elsewhere.write_text("keep me\n")
    path.symlink_to(elsewhere)


def _make_dir(path: Path) -> None:
    path.mkdir()


def _make_file(path: Path) -> None:
    path.write_text("an older file\n")


SPECIAL = {"fifo": _make_fifo, "device": _make_device, "symlink": _make_symlink, "directory": _make_dir}


def _state(path: Path) -> tuple[int, bytes | None]:
    st = os.lstat(path)
    data = path.read_bytes() if stat.S_ISREG(st.st_mode) else None
    return stat.S_IFMT(st.st_mode), data


@pytest.mark.parametrize("which", ["target", "sidecar", "stamp"])
@pytest.mark.parametrize("kind", [*SPECIAL, "existing file"])
def test_export_refuses_anything_but_a_new_path_or_a_regular_file(
    vault_dir: Path, tmp_path: Path, cli: Any, kind: str, which: str
) -> None:
    src = tmp_path / "notes.txt"
    src.write_text("credits: Alice\n")
    added = cli("asset", "add", src, "--license", "MIT", "--json", cwd=vault_dir)
    assert added.code == 0, added.err
    asset = added.json()["assets"][0]["id"]
    out = tmp_path / "out.txt"
    victim = {"target": out, "sidecar": _sidecar(out), "stamp": out.with_name(out.name + ".stamp.txt")}[which]
    (SPECIAL.get(kind) or _make_file)(victim)
    before = _state(victim)
    head = cli("log", "--json", cwd=vault_dir).out
    result = cli("asset", "export", asset, out, cwd=vault_dir)
    assert result.code == 3, result.out + result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert _state(victim) == before
    assert cli("log", "--json", cwd=vault_dir).out == head  # no export was recorded
    if kind == "symlink":
        assert (tmp_path / "elsewhere.txt").read_text() == "keep me\n"
    forced = cli("asset", "export", asset, out, "--force", cwd=vault_dir)
    if kind == "existing file":
        assert forced.code == 0, forced.err
        assert out.read_text() == "credits: Alice\n" and cli("verify", out, cwd=vault_dir).code == 0
    else:
        assert forced.code == 3 and _state(victim) == before  # --force never replaces a special file


def test_export_over_a_png_needs_force(vault: Vault, tmp_path: Path) -> None:
    (added,) = add_assets(vault, [media.png(tmp_path / "a.png")], license="MIT").assets
    out = tmp_path / "out.png"
    export(vault, added.id, out)
    with pytest.raises(InputRejected, match="--force"):
        export(vault, added.id, out)
    export(vault, added.id, out, force=True)
    assert verify_file(out, vault)[0] == 0
