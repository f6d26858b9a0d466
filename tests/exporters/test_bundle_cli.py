"""``comfyvn export bundle``, ``import bundle`` and ``verify`` of a bundle, run as a user runs them."""

from __future__ import annotations

import zipfile
from pathlib import Path

from comfyvn_vault.advisory.policy import set_filter
from comfyvn_vault.api import edit
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.domain.entities import Node, Scene
from comfyvn_vault.vault import Vault
from tests.assets import media
from tests.conftest import assert_refused, cli_ok, run_cli


def _story(root: Path, tmp_path: Path) -> None:
    vault, _ = Vault.init(root)
    with vault:
        set_filter(vault, "warn")
        art = add_assets(vault, [media.png(tmp_path / "bg.png")], license="MIT").assets[0]
        edit.save(vault, {"scenes/intro": Scene(id="intro", title="Intro", nodes=[
            Node(id="n1", content="Hello", directives={"bg": art.id})])}, "intro")  # fmt: skip


def test_export_import_verify(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    _story(origin, tmp_path)
    out = tmp_path / "story.zip"
    doc = cli_ok(origin, "export", "bundle", out, "--json").json()
    assert doc["schema"] == "comfyvn.export/1" and doc["exporter"] == "bundle@1" and doc["files"] == ["story.zip"]
    assert doc["notes"] == []
    assert cli_ok(origin, "verify", out, "--json").json()["confirmed"] is True
    copy = tmp_path / "copy"
    cli_ok(tmp_path, "init", copy)
    first = cli_ok(copy, "import", "bundle", out, "--json").json()
    assert first["commit"] and first["scenes"] == ["intro"]
    again = cli_ok(copy, "import", "bundle", out)
    assert "nothing new" in again.err
    r = run_cli("-C", copy, "verify", out)
    assert r.code == 1 and "not in this vault" in r.out


def test_a_tampered_bundle_is_exit_3(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    _story(origin, tmp_path)
    out = tmp_path / "story.zip"
    cli_ok(origin, "export", "bundle", out)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dest:
        for name in src.namelist():
            data = src.read(name)
            dest.writestr(name, data.replace(b"Hello", b"Hullo") if name.endswith("intro.json") else data)
    assert_refused(run_cli("-C", origin, "verify", bad), 3, "does not match its hash")
    copy = tmp_path / "copy"
    cli_ok(tmp_path, "init", copy)
    assert_refused(run_cli("-C", copy, "import", "bundle", bad), 3, "does not match its hash")
