"""``asset add``: kinds and metadata from real files, events in history, projections, thumbnails, re-adds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.assets import thumbs
from comfyvn_vault.assets.records import assets_at, get_asset
from comfyvn_vault.domain.asset_events import AssetImported, FindingRecorded
from comfyvn_vault.projections.assets import assets_with, facet_values
from comfyvn_vault.store.codec import decode
from comfyvn_vault.vault import Vault
from tests.assets import media


def test_add_reads_kind_and_metadata_and_commits_events(vault: Vault, tmp_path: Path) -> None:
    p = media.png(tmp_path / "red.png", (96, 64))
    j = media.jpeg(tmp_path / "green.jpg", (80, 60))
    w = media.wav(tmp_path / "tone.wav", seconds=0.5)
    t = tmp_path / "notes.txt"
    t.write_text("Alice: hello\n")
    added = add_assets(vault, [p, j, w, t], license="CC-BY-4.0", tags=["hero"]).assets
    assert [(a.kind, a.mime, a.new) for a in added] == [
        ("image", "image/png", True),
        ("image", "image/jpeg", True),
        ("audio", "audio/wav", True),
        ("text", "text/plain", True),
    ]
    by_id = {a.blob: a for a in assets_at(vault)}
    png_asset = by_id[added[0].blob]
    assert (png_asset.width, png_asset.height, png_asset.bytes) == (96, 64, p.stat().st_size)
    assert by_id[added[1].blob].width == 80
    assert by_id[added[2].blob].duration_ms == 500
    assert png_asset.meta.license == "CC-BY-4.0" and png_asset.meta.tags == ["hero"]
    assert png_asset.blob == added[0].blob  # the asset id is the blob id
    # one commit holding the imports (the license is open: no findings)
    head = vault.history.head()
    assert head is not None
    events = [e for _, e in vault.history.events_of(vault.history.commit(head))]
    assert [type(e) for e in events] == [AssetImported] * 4


def test_readding_is_one_asset_and_merges_tags(vault: Vault, tmp_path: Path) -> None:
    p = media.png(tmp_path / "a.png")
    (first,) = add_assets(vault, [p], tags=["x"]).assets
    copy = tmp_path / "again.png"
    copy.write_bytes(p.read_bytes())
    (second,) = add_assets(vault, [copy], tags=["y"], license="MIT").assets
    assert first.new and not second.new and first.id == second.id
    (asset,) = assets_at(vault)
    assert asset.meta.tags == ["x", "y"] and asset.meta.license == "MIT"
    head = vault.history.head()
    before = vault.history.head()
    add_assets(vault, [copy])  # nothing new to say: no commit
    assert vault.history.head() == before == head


def test_readding_reads_each_file_once_and_probes_only_new_ones(vault: Vault, tmp_path: Path, monkeypatch: Any) -> None:
    """A registered asset was decoded when it was first added; a re-add only hashes it."""
    from comfyvn_vault.assets import registry

    old = media.png(tmp_path / "old.png", (64, 64))
    big = tmp_path / "big.wav"
    media.wav(big, seconds=12.0, rate=44_100)  # past the loose threshold: hashed (and staged) before the lock
    assert big.stat().st_size >= vault.store.loose_threshold
    add_assets(vault, [old, big])
    probed: list[str] = []
    real = registry.probe_file

    def counting(path: Path, **kw: Any) -> Any:
        probed.append(path.name)
        return real(path, **kw)

    monkeypatch.setattr(registry, "probe_file", counting)
    new = media.png(tmp_path / "new.png", (32, 32))
    copy = tmp_path / "renamed.png"
    copy.write_bytes(old.read_bytes())
    added = add_assets(vault, [copy, big, new], tags=["again"]).assets
    assert probed == ["new.png"]
    assert [a.new for a in added] == [False, False, True]
    by_id = {a.blob: a for a in assets_at(vault)}
    assert by_id[added[0].blob].meta.tags == ["again"] and by_id[added[0].blob].width == 64
    assert by_id[added[2].blob].width == 32
    assert vault.fsck().problems == []


def test_small_files_past_the_memory_budget_are_read_again(vault: Vault, tmp_path: Path, monkeypatch: Any) -> None:
    from comfyvn_vault.assets import registry

    monkeypatch.setattr(registry, "KEEP_SMALL_BYTES", 100)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("short\n")  # kept: fits the budget
    b.write_text("a line long enough to go past the budget of this test " * 4)
    added = add_assets(vault, [a, b]).assets
    assert [x.new for x in added] == [True, True]
    assert [vault.store.get(x.blob) for x in added] == [a.read_bytes(), b.read_bytes()]


def test_progress_counts_every_byte_of_an_add(vault: Vault, tmp_path: Path) -> None:
    files = [media.png(tmp_path / "a.png"), media.wav(tmp_path / "big.wav", seconds=12.0, rate=44_100)]
    (tmp_path / "c.txt").write_text("hello\n")
    files.append(tmp_path / "c.txt")
    for again in (False, True):
        ticks: list[int] = []
        add_assets(vault, files, progress=ticks.append)
        assert sum(ticks) == sum(f.stat().st_size for f in files), again


def test_projections_by_kind_tag_license_nsfw(vault: Vault, tmp_path: Path) -> None:
    a = add_assets(vault, [media.png(tmp_path / "a.png")], tags=["Bg"], license="CC0-1.0").assets[0]
    b = add_assets(vault, [media.wav(tmp_path / "b.wav")], nsfw=True).assets[0]
    pr = vault.projections
    assert assets_with(pr, "kind", "image") == [a.id]
    assert assets_with(pr, "kind", "audio") == [b.id]
    assert assets_with(pr, "tag", "bg") == [a.id]
    assert assets_with(pr, "license", "cc0-1.0") == [a.id]
    assert assets_with(pr, "license", "(none)") == [b.id]
    assert assets_with(pr, "nsfw", "yes") == [b.id]
    assert facet_values(pr, "kind") == {"audio": 1, "image": 1}
    assert vault.reindex(verify=True)["identical"] is True


def test_nsfw_and_license_from_embedded_metadata(vault: Vault, tmp_path: Path) -> None:
    p = media.png(tmp_path / "gen.png", parameters="masterpiece, nsfw, 1girl", License="CC-BY-SA-4.0")
    (added,) = add_assets(vault, [p]).assets
    asset = get_asset(vault, added.id[:10])
    assert asset.meta.nsfw is True
    assert asset.meta.license == "CC-BY-SA-4.0"


def test_thumbnails_are_cached_derived_files(vault: Vault, tmp_path: Path) -> None:
    (added,) = add_assets(vault, [media.png(tmp_path / "big.png", (640, 320))]).assets
    asset = get_asset(vault, added.id)
    path = thumbs.thumb_path(vault, asset.id)
    assert path.is_file()
    with Image.open(path) as img:
        assert max(img.size) <= 160 and img.size[0] == 2 * img.size[1]
    path.unlink()  # a cache: rebuilt from the blob on a miss
    assert thumbs.thumbnail(vault, asset) == path and path.is_file()
    head = vault.history.head()
    assert head is not None
    assert not any("thumb" in type(e).__name__.lower() for _, e in vault.history.events_of(vault.history.commit(head)))


def test_unlicensed_import_files_a_finding(vault: Vault, tmp_path: Path) -> None:
    (added,) = add_assets(vault, [media.png(tmp_path / "x.png")]).assets
    head = vault.history.head()
    assert head is not None
    events = [e for _, e in vault.history.events_of(vault.history.commit(head))]
    findings = [e.finding for e in events if isinstance(e, FindingRecorded)]
    assert [(f.asset_id, f.kind, f.status) for f in findings] == [(added.id, "license", "open")]
    assert "no license" in findings[0].message


def test_asset_add_and_list_json_through_the_cli(vault_dir: Path, tmp_path: Path, cli: Any) -> None:
    p = media.png(tmp_path / "a.png")
    r = cli("-C", vault_dir, "asset", "add", p, "--license", "MIT", "--tag", "t1", "--json")
    assert r.code == 0, r.err
    (row,) = r.json()["assets"]
    assert {k: row[k] for k in ("kind", "mime", "new")} == {"kind": "image", "mime": "image/png", "new": True}
    doc = cli("-C", vault_dir, "asset", "list", "--json").json()
    assert doc["schema"].startswith("comfyvn.asset-list/")
    (listed,) = doc["assets"]
    assert {"id", "kind", "mime", "bytes", "meta"} <= set(listed)
    assert listed["meta"]["license"] == "MIT" and listed["meta"]["tags"] == ["t1"]
    shown = cli("-C", vault_dir, "asset", "show", row["id"][:8], "--json").json()
    assert shown["id"] == row["id"] and shown["thumbnail"]


def test_decoded_events_name_the_asset(vault: Vault, tmp_path: Path) -> None:
    (added,) = add_assets(vault, [media.jpeg(tmp_path / "j.jpg")], license="MIT").assets
    hits = vault.projections.events_for(f"assets/{added.id}")
    assert len(hits) == 1
    event = decode(vault.store.get(hits[0][3]))
    assert isinstance(event, AssetImported) and event.source == "j.jpg"


def test_undone_add_keeps_its_bytes_through_gc(vault: Vault, tmp_path: Path) -> None:
    """The asset record links its blob and the operation log keeps the undone commit: gc keeps the bytes."""
    t = tmp_path / "line.txt"
    t.write_bytes(b"Bob: the tide is out.\n" * 100)
    (added,) = add_assets(vault, [t]).assets
    vault.undo()
    assert assets_at(vault) == []
    vault.gc()
    assert b"".join(vault.iter_object(added.blob)) == t.read_bytes()
    assert "assets" not in vault.store.refs()  # no store-level roll beside history any more
