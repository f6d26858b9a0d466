"""The ``assets`` verbs in process: add, list, show, thumbnail, export, derive, generated."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from comfyvn_vault.api import assets
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.vault import Vault
from tests.assets import media


def test_add_registers_files_in_one_commit_and_says_what_is_new(vault: Vault, tmp_path: Path) -> None:
    png, wav = media.png(tmp_path / "a.png"), media.wav(tmp_path / "b.wav")
    result = assets.add(vault, [png, wav], license="MIT", tags=["hero"])
    head = vault.history.head()
    rows = [(a.kind, a.mime, a.new) for a in result.assets]
    assert rows == [("image", "image/png", True), ("audio", "audio/wav", True)]
    assert result.warnings == []  # an open license, nothing NSFW: the liability gate is quiet
    assert vault.store.has(result.assets[0].blob) and result.assets[0].blob.hex() == result.assets[0].id
    again = assets.add(vault, [png], tags=["extra"])
    assert [a.new for a in again.assets] == [False] and vault.history.head() != head  # the tag is news
    assert msgspec.to_builtins(again) == {
        "schema": "comfyvn.asset-add/1",
        "assets": [
            {"id": again.assets[0].id, "kind": "image", "mime": "image/png", "bytes": png.stat().st_size, "new": False,
             "path": str(png)}
        ],
        "warnings": [],
    }  # fmt: skip


def test_add_warns_about_risky_content_until_the_notice_is_acknowledged(vault: Vault, tmp_path: Path) -> None:
    from comfyvn_vault.api import advisory

    (warning,) = assets.add(vault, [media.png(tmp_path / "a.png")], nsfw=True).warnings
    assert "liability notice" in warning and "flagged NSFW" in warning
    advisory.ack(vault, "me")
    assert assets.add(vault, [media.png(tmp_path / "b.png", color=(1, 2, 3))], nsfw=True).warnings == []


def test_add_refuses_bad_paths_and_changes_nothing(vault: Vault, tmp_path: Path) -> None:
    good = media.png(tmp_path / "good.png")
    head = vault.history.head()
    with pytest.raises(InputRejected, match="no such file"):
        assets.add(vault, [good, tmp_path / "missing.png"])
    with pytest.raises(InputRejected, match="is a directory"):
        assets.add(vault, [tmp_path])
    assert vault.history.head() == head and assets.list_assets(vault).assets == []


def test_add_with_strict_refuses_a_mislabelled_file(vault: Vault, tmp_path: Path) -> None:
    lying = tmp_path / "photo.png"
    lying.write_bytes(media.jpeg(tmp_path / "real.jpg").read_bytes())
    with pytest.raises(InputRejected):
        assets.add(vault, [lying], strict=True)
    (row,) = assets.add(vault, [lying]).assets
    assert row.mime == "image/jpeg" and row.warning is not None


def test_total_size_counts_readable_files(tmp_path: Path) -> None:
    a = media.png(tmp_path / "a.png")
    assert assets.total_size([a, tmp_path / "gone.png"]) == a.stat().st_size


def test_list_selects_by_facets_in_id_order(vault: Vault, tmp_path: Path) -> None:
    (img,) = assets.add(vault, [media.png(tmp_path / "a.png")], license="CC0-1.0", tags=["Bg"]).assets
    (snd,) = assets.add(vault, [media.wav(tmp_path / "b.wav")]).assets
    everything = assets.list_assets(vault)
    assert [r.id for r in everything.assets] == sorted([img.id, snd.id])
    assert (everything.filter, everything.hidden) == ("sfw", 0)
    assert [r.id for r in assets.list_assets(vault, kind="audio").assets] == [snd.id]
    assert [r.id for r in assets.list_assets(vault, tag="bg", license="cc0-1.0").assets] == [img.id]
    assert [r.id for r in assets.list_assets(vault, license="(none)").assets] == [snd.id]
    assert assets.list_assets(vault, kind="image", license="(none)").assets == []
    assert [r.id for r in assets.list_assets(vault, nsfw=False).assets] == sorted([img.id, snd.id])
    (row,) = assets.list_assets(vault, kind="audio").assets
    assert msgspec.to_builtins(row) == {
        "id": snd.id, "kind": "audio", "mime": "audio/wav", "bytes": snd.bytes, "width": None, "height": None,
        "duration_ms": 500, "name": "b.wav", "meta": {"license": None, "nsfw": False, "origin": "import:b.wav",
        "tags": []}, "parents": {},
    }  # fmt: skip


def test_list_refuses_an_unknown_kind(vault: Vault) -> None:
    with pytest.raises(InputRejected, match="not one of image, audio"):
        assets.list_assets(vault, kind="sculpture")


def test_show_has_the_metadata_findings_and_thumbnail(vault: Vault, tmp_path: Path) -> None:
    (img,) = assets.add(vault, [media.png(tmp_path / "a.png", (64, 32))]).assets  # no license: a finding
    doc = assets.show(vault, img.id[:8])
    assert (doc.id, doc.width, doc.height, doc.meta.license) == (img.id, 64, 32, None)
    (finding,) = doc.findings
    assert finding.asset_id == img.id and finding.status == "open" and "no license" in finding.message
    assert doc.thumbnail is not None and Path(doc.thumbnail).is_file()
    built = msgspec.to_builtins(doc)
    assert built["schema"] == "comfyvn.asset/1" and built["findings"][0]["fixes"] == ["replace", "remove", "waive"]
    (snd,) = assets.add(vault, [media.wav(tmp_path / "b.wav")], license="MIT").assets
    assert assets.show(vault, snd.id).thumbnail is None


def test_show_refuses_what_is_not_an_asset_id(vault: Vault, tmp_path: Path) -> None:
    assets.add(vault, [media.png(tmp_path / "a.png")])
    with pytest.raises(InputRejected, match="not an asset id"):
        assets.show(vault, "xyz!")
    with pytest.raises(ObjectNotFound):
        assets.show(vault, "0000000000")


def test_thumbnail_is_rebuilt_from_the_blob_and_none_for_sound(vault: Vault, tmp_path: Path) -> None:
    (img,) = assets.add(vault, [media.png(tmp_path / "a.png", (320, 160))]).assets
    (snd,) = assets.add(vault, [media.wav(tmp_path / "b.wav")]).assets
    path = assets.thumbnail(vault, img.id)
    assert path is not None and path.is_file()
    path.unlink()
    assert assets.thumbnail(vault, img.id) == path and path.is_file()
    assert assets.thumbnail(vault, snd.id) is None


def test_export_writes_the_file_and_its_signed_record(vault: Vault, tmp_path: Path) -> None:
    import json

    (img,) = assets.add(vault, [media.png(tmp_path / "a.png")], license="MIT").assets
    out = tmp_path / "out.png"
    result = assets.export(vault, img.id, out)
    assert (result.schema, result.stamp, result.asset, result.file, result.warnings) == (
        "comfyvn.asset-export/1", "c2pa", img.id, "out.png", [],
    )  # fmt: skip
    assert result.commit == vault.history.head().hex()  # type: ignore[union-attr]
    sidecar = json.loads(out.with_name("out.png.provenance.json").read_text())
    document = msgspec.to_builtins(result)
    assert {k: v for k, v in document.items() if k not in ("schema", "warnings")} == {
        k: v for k, v in sidecar.items() if k != "schema"
    }
    with pytest.raises(InputRejected, match="already exists"):
        assets.export(vault, img.id, out)
    assert assets.export(vault, img.id, out, force=True).stamp == "c2pa"


def test_export_refuses_an_open_finding(vault: Vault, tmp_path: Path) -> None:
    (img,) = assets.add(vault, [media.png(tmp_path / "a.png")]).assets
    with pytest.raises(InputRejected, match="open finding"):
        assets.export(vault, img.id, tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()


def test_derive_and_generated_record_how_an_asset_was_made(vault: Vault, tmp_path: Path) -> None:
    (base,) = assets.add(vault, [media.png(tmp_path / "base.png")], license="MIT").assets
    (crop,) = assets.add(vault, [media.png(tmp_path / "crop.png", (16, 16))], license="MIT").assets
    (gen,) = assets.add(vault, [media.png(tmp_path / "gen.png", color=(1, 1, 1))], license="MIT").assets
    derived = assets.derive(vault, crop.id[:10], [base.id[:10]], "crop")
    assert derived.commit == vault.history.head().hex()  # type: ignore[union-attr]
    assert msgspec.to_builtins(derived) == {"schema": "comfyvn.commit/1", "commit": derived.commit}
    assert assets.show(vault, crop.id).parents == {base.id: "derived:crop"}
    made = assets.generated(vault, gen.id, workflow_hash="wf", seed=7, model="m", inputs=[base.id])
    assert made.commit == vault.history.head().hex()  # type: ignore[union-attr]
    assert assets.show(vault, gen.id).parents == {base.id: "input"}
    with pytest.raises(ObjectNotFound):
        assets.derive(vault, crop.id, ["ffffffffffff"], "crop")
