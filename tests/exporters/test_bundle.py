"""``export bundle`` → ``import bundle``: the same state tree in a fresh vault, nothing new the second time.

Real vaults (LMDB in temp folders), real C2PA signing and validation. The
story has scenes linking each other both ways, characters with a portrait,
a timeline, variables, signed and unsigned media, a derivation and a
generation, a decided license finding, an import record, a recorded
playthrough and a policy; random small stories (the domain's strategies)
round-trip too.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

from comfyvn_vault.adapters.archive import SafeZip
from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.plan import PlanBuilder, local_only
from comfyvn_vault.advisory.policy import acknowledge, set_filter
from comfyvn_vault.api import advisory, edit, exports, imports, merge, play
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.api.provenance import BundleVerification, verify
from comfyvn_vault.domain.entities import Character, Choice, Entity, Node, Scene, Timeline, Variable
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.exporters.bundle_format import BundleManifest, BundleProvenance
from comfyvn_vault.importers.bundle_read import read_bundle
from comfyvn_vault.provenance.derivation import record_derivation, record_generation
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.vault import Vault
from tests.assets import media
from tests.conftest import fork_story
from tests.domain.strategies import states


def head_tree(vault: Vault) -> str:
    tree = vault.history.tree_of(vault.history.head())
    assert tree is not None
    return tree.hex()


def fresh(tmp_path: Path, name: str) -> Vault:
    vault, _ = Vault.init(tmp_path / name)
    return vault


def rich_story(vault: Vault, tmp_path: Path) -> dict[str, str]:
    """A story touching every kind of document a tree holds; the ids of its assets."""
    set_filter(vault, "warn")
    portrait = add_assets(vault, [media.png(tmp_path / "alice.png")], license="CC-BY-4.0", tags=["cast"]).assets[0]
    photo = add_assets(vault, [media.jpeg(tmp_path / "bg.jpg")], license="MIT").assets[0]
    voice = add_assets(vault, [media.wav(tmp_path / "hello.wav")], license="CC0-1.0").assets[0]
    flac = add_assets(vault, [media.flac(tmp_path / "theme.flac")], license="CC0-1.0").assets[0]
    crop = add_assets(vault, [media.png(tmp_path / "crop.png", (40, 40))], license="MIT").assets[0]
    gen = add_assets(vault, [media.png(tmp_path / "gen.png", color=(9, 9, 9))], license="MIT").assets[0]
    odd = add_assets(vault, [media.png(tmp_path / "odd.png", color=(1, 2, 3))], license="LicenseRef-Mine").assets[0]
    record_derivation(vault, crop.id, [portrait.id], "crop")
    record_generation(vault, gen.id, workflow_hash="wf1", seed=42, model="sdxl", inputs=[photo.id], device="cpu")
    script = tmp_path / "chat.txt"
    script.write_text("Bob: Hi there\n> The end.\n")
    imports.import_source(vault, "text", script)
    advisory.scan(vault)
    for row in advisory.list_findings(vault).findings:
        advisory.resolve(vault, row.id, "waive", note="ours")
    acknowledge(vault, "tester")
    alice = Character(id="alice", name="Alice", traits={"mood": "calm"}, portrait_asset_id=portrait.id,
                      expressions={"happy": crop.id})  # fmt: skip
    intro = Scene(
        id="intro",
        title="Intro",
        nodes=[
            Node(id="n1", speaker="alice", content="Hello", directives={"bg": photo.id, "voice": voice.id}),
            Node(id="n2", type="choice", content="Where?", choices=[Choice(id="c1", text="Away", target="away:")]),
        ],
    )
    away = Scene(id="away", title="Away", nodes=[Node(id="a1", content="Back?", next=["intro:n1"])])
    edit.save(vault, {"characters/alice": alice}, "Alice")
    # away first without its link back, so intro's choice has a scene to lead to
    edit.save(vault, {"scenes/away": Scene(id="away", title="Away", nodes=[Node(id="a1", content="Back?")])}, "a")
    edit.save(vault, {"scenes/intro": intro}, "intro")
    edit.save(vault, {"scenes/away": away}, "away")
    edit.save(vault, {"timelines/main": Timeline(id="main", name="Main", scene_order=["intro", "away"])}, "tl")
    edit.save(vault, {"variables/hp": Variable(id="hp", name="hp", value=3)}, "hp")
    play.play(vault, "intro", seed=7, choose=[1], record=True)
    return {"portrait": portrait.id, "photo": photo.id, "voice": voice.id, "flac": flac.id, "odd": odd.id}


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[Vault]:
    vault = fresh(tmp_path, "origin")
    rich_story(vault, tmp_path)
    yield vault
    vault.close()


def export_bundle(vault: Vault, out: Path) -> exports.Exported:
    return exports.export(vault, "bundle", out)


def test_round_trip_gives_the_same_tree_and_a_second_import_changes_nothing(origin: Vault, tmp_path: Path) -> None:
    out = tmp_path / "story.zip"
    result = export_bundle(origin, out)
    assert result.files == ["story.zip"] and result.notes == []
    manifest = msgspec.json.decode(zipfile.ZipFile(out).read("manifest.json"), type=BundleManifest)
    assert manifest.tree == manifest.commit_tree == head_tree(origin)
    signed = {a.mime for a in manifest.assets if a.c2pa}
    assert signed == {"image/png", "image/jpeg", "audio/wav"}
    assert all(a.original is None for a in manifest.assets), "stripping the C2PA manifest gives the blob back"
    with fresh(tmp_path, "copy") as copy:
        first = imports.import_source(copy, "bundle", out)
        assert first.commit is not None and not first.already and first.findings == []
        assert head_tree(copy) == manifest.tree
        head = copy.history.head()
        again = imports.import_source(copy, "bundle", out)
        assert again.already and again.commit is None and again.events == 0
        assert copy.history.head() == head
        for asset in manifest.assets:  # the original bytes, not the signed ones
            assert copy.store.get(ObjectId.from_hex(asset.id)) == origin.store.get(ObjectId.from_hex(asset.id))


def test_provenance_resolves_to_the_origins_events_and_objects(origin: Vault, tmp_path: Path) -> None:
    out = tmp_path / "story.zip"
    export_bundle(origin, out)
    prov = msgspec.json.decode(zipfile.ZipFile(out).read("provenance.json"), type=BundleProvenance)
    gen = next(a for a in prov.assets if any(e.type == "GenerationRecorded" for e in a.events))
    event = next(e for e in gen.events if e.type == "GenerationRecorded")
    assert (event.seed, event.model, event.workflow_hash, event.device) == (42, "sdxl", "wf1", "cpu")
    for asset in prov.assets:
        assert asset.events and asset.events[0].type == "AssetImported"
        for e in asset.events:
            assert origin.store.has(origin.store.resolve(e.event)) and origin.store.has(origin.store.resolve(e.commit))
            assert e.time_ms > 0
    manifest = msgspec.json.decode(zipfile.ZipFile(out).read("manifest.json"), type=BundleManifest)
    signed = sum(a.c2pa for a in manifest.assets)
    assert signed == 6  # four PNGs, a JPEG and a WAV; the FLAC and the imported text are not signed
    report = verify(origin, out)
    assert isinstance(report, BundleVerification)
    assert report.confirmed and report.resolved and report.c2pa == signed and report.c2pa_trusted == signed


def test_verify_in_a_restored_copy_and_outside_a_vault(origin: Vault, tmp_path: Path) -> None:
    out = tmp_path / "story.zip"
    export_bundle(origin, out)
    outside = verify(None, out)
    assert isinstance(outside, BundleVerification) and outside.confirmed and outside.resolved is None
    with fresh(tmp_path, "copy") as copy:
        imports.import_source(copy, "bundle", out)
        report = verify(copy, out)
        assert isinstance(report, BundleVerification)
        assert (
            not report.confirmed and report.missing and all(m.split()[0] in ("event", "commit") for m in report.missing)
        )


def test_sfw_export_leaves_nsfw_assets_and_the_scenes_needing_them_out(vault: Vault, tmp_path: Path) -> None:
    safe = add_assets(vault, [media.png(tmp_path / "safe.png")], license="MIT").assets[0]
    spicy = add_assets(vault, [media.png(tmp_path / "spicy.png", color=(1, 1, 1))], license="MIT", nsfw=True).assets[0]
    edit.save(vault, {"scenes/calm": Scene(id="calm", title="Calm", nodes=[Node(id="n1", directives={"bg": safe.id})])},
              "calm")  # fmt: skip
    hot = Scene(id="hot", title="Hot", nodes=[Node(id="n1", directives={"bg": spicy.id})])
    edit.save(vault, {"scenes/hot": hot}, "hot")
    edit.save(vault, {"timelines/all": Timeline(id="all", name="All", scene_order=["calm", "hot"])}, "tl")
    out = tmp_path / "sfw.zip"
    result = export_bundle(vault, out)  # no filter recorded: sfw
    assert any(spicy.id in f and "NSFW" in f for f in result.notes)
    assert any("scenes/hot" in f for f in result.notes) and any("timelines/all" in f for f in result.notes)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        manifest = msgspec.json.decode(zf.read("manifest.json"), type=BundleManifest)
    assert not any(spicy.id in n for n in names) and any(safe.id in n for n in names)
    assert {x.path for x in manifest.left_out} == {f"assets/{spicy.id}", "scenes/hot", "timelines/all"}
    assert manifest.tree != manifest.commit_tree
    with fresh(tmp_path, "copy") as copy:
        imports.import_source(copy, "bundle", out)
        assert head_tree(copy) == manifest.tree
        assert edit.current(copy, "scenes/hot") is None and edit.current(copy, "scenes/calm") is not None


def test_open_findings_refuse_the_export(vault: Vault, tmp_path: Path) -> None:
    add_assets(vault, [media.png(tmp_path / "x.png")], license="LicenseRef-Unknown")
    advisory.scan(vault)
    with pytest.raises(InputRejected, match="open finding"):
        export_bundle(vault, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


# ---------------------------------------------------------------- hostile bundles


def rewrite(src: Path, dest: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    change(members)
    with zipfile.ZipFile(dest, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dest


def _manifest(members: dict[str, bytes]) -> dict:
    return json.loads(members["manifest.json"])


def _relist(members: dict[str, bytes], name: str) -> None:
    """Give member ``name`` its new hash in the manifest (a forger who knows the format)."""
    doc = _manifest(members)
    for m in doc["members"]:
        if m["path"] == name:
            m["blake3"], m["bytes"] = hash_bytes(members[name]).hex(), len(members[name])
    members["manifest.json"] = json.dumps(doc).encode()


def _first(members: dict[str, bytes], prefix: str) -> str:
    return next(n for n in sorted(members) if n.startswith(prefix))


def _edit_scene(members: dict[str, bytes]) -> None:
    name = "documents/scenes/intro.json"
    members[name] = members[name].replace(b"Hello", b"Hullo")


def _forged_scene(members: dict[str, bytes]) -> None:
    _edit_scene(members)
    _relist(members, "documents/scenes/intro.json")


def _forged_media(members: dict[str, bytes]) -> None:
    name = _first(members, "assets/")
    data = bytearray(members[name])
    data[-40] ^= 0xFF
    members[name] = bytes(data)
    _relist(members, name)


def _zip_slip(members: dict[str, bytes]) -> None:
    members["../../evil.txt"] = b"boo"


def _extra(members: dict[str, bytes]) -> None:
    members["documents/scenes/extra.json"] = b"{}"


def _bad_json(members: dict[str, bytes]) -> None:
    members["manifest.json"] = members["manifest.json"][:-20]


def _lying_size(members: dict[str, bytes]) -> None:
    doc = _manifest(members)
    doc["members"][0]["bytes"] = 1 << 40
    members["manifest.json"] = json.dumps(doc).encode()


def _wrong_tree(members: dict[str, bytes]) -> None:
    doc = _manifest(members)
    doc["tree"] = "0" * 64
    members["manifest.json"] = json.dumps(doc).encode()


HOSTILE = {
    "a mutated document": (_edit_scene, "does not match its hash"),
    "a document forged with its member hash": (_forged_scene, "does not hash to its object id"),
    "media forged with its member hash": (_forged_media, "do not hash to asset"),
    "a zip-slip member": (_zip_slip, "leaves the archive"),
    "a member the manifest does not list": (_extra, "is not in manifest.json"),
    "a manifest that is not JSON": (_bad_json, "not valid JSON"),
    "a huge declared member size": (_lying_size, "size of"),
}


@pytest.fixture
def good_bundle(origin: Vault, tmp_path: Path) -> Path:
    out = tmp_path / "good.zip"
    export_bundle(origin, out)
    return out


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bundles_are_refused_and_change_nothing(good_bundle: Path, tmp_path: Path, case: str) -> None:
    change, message = HOSTILE[case]
    bad = rewrite(good_bundle, tmp_path / "bad.zip", change)
    with fresh(tmp_path, "target") as target:
        head = target.history.head()
        with pytest.raises(InputRejected, match=message):
            imports.import_source(target, "bundle", bad)
        assert target.history.head() == head
        with pytest.raises(InputRejected):
            verify(target, bad)


def test_a_huge_size_in_the_zip_header_is_refused(good_bundle: Path, tmp_path: Path) -> None:
    data = bytearray(good_bundle.read_bytes())
    at = data.find(b"PK\x01\x02")  # the first central directory entry: its uncompressed size at +24
    data[at + 24 : at + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    bad = tmp_path / "huge.zip"
    bad.write_bytes(bytes(data))
    with fresh(tmp_path, "target") as target:
        head = target.history.head()
        with pytest.raises(InputRejected, match="inflate past"):
            imports.import_source(target, "bundle", bad)
        assert target.history.head() == head


def test_a_zip_bomb_member_is_refused(good_bundle: Path, tmp_path: Path) -> None:
    """10 MiB of zeros in 10 KiB, listed with its true hash: refused by its ratio while it inflates."""
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(good_bundle) as src:
        members = {n: src.read(n) for n in src.namelist()}
    members["provenance.json"] = b"\0" * (10 << 20)
    _relist(members, "provenance.json")
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as dest:
        for name, data in members.items():
            dest.writestr(name, data)
    with fresh(tmp_path, "target") as target:
        head = target.history.head()
        with pytest.raises(InputRejected, match="inflates 200x"):
            imports.import_source(target, "bundle", bomb)
        assert target.history.head() == head


def test_verify_detects_a_tampered_member(good_bundle: Path, tmp_path: Path) -> None:
    bad = rewrite(good_bundle, tmp_path / "bad.zip", _edit_scene)
    with pytest.raises(InputRejected, match="does not match its hash"):
        verify(None, bad)


def test_verify_checks_the_tree_the_documents_make(good_bundle: Path, tmp_path: Path) -> None:
    bad = rewrite(good_bundle, tmp_path / "bad.zip", _wrong_tree)
    with pytest.raises(InputRejected, match="do not make the state tree"):
        verify(None, bad)


def test_a_reader_sees_every_member_checked(good_bundle: Path) -> None:
    with open(good_bundle, "rb") as f:
        bundle = read_bundle(SafeZip(f, "good.zip"), "good.zip")
    assert len(bundle.blobs) == len(bundle.manifest.assets) and bundle.stamped


# ---------------------------------------------------------------- random stories


def _filed(state: dict[str, Entity]) -> dict[str, Entity]:
    """``state`` without null meta values, which the working copy's TOML files cannot hold (a limit of theirs)."""

    def meta(values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v is not None}

    out: dict[str, Entity] = {}
    for path, doc in state.items():
        if isinstance(doc, Scene):
            nodes = [msgspec.structs.replace(n, meta=meta(n.meta)) for n in doc.nodes]
            doc = msgspec.structs.replace(doc, nodes=nodes)
        out[path] = msgspec.structs.replace(doc, meta=meta(doc.meta))
    return out


def _store_story(vault: Vault, state: dict[str, Entity]) -> None:
    builder = PlanBuilder(AdapterInfo("test", "1"), lambda path: None)
    scenes = [d for d in state.values() if isinstance(d, Scene)]
    for doc in sorted(state.values(), key=lambda d: (isinstance(d, Timeline), isinstance(d, Scene), d.id)):
        if isinstance(doc, Scene):
            builder.save(msgspec.structs.replace(doc, nodes=[local_only(n, doc.id) for n in doc.nodes]))
        elif not isinstance(doc, Timeline):
            builder.save(doc)
    for doc in [*scenes, *(d for d in state.values() if isinstance(d, Timeline))]:
        builder.save(doc)
    events = builder.build().events
    if events:
        with vault.change("a random story") as ch:
            ch.record(list(events))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=states().map(_filed))
def test_random_stories_round_trip(tmp_path_factory: pytest.TempPathFactory, state: dict[str, Entity]) -> None:
    root = tmp_path_factory.mktemp("story")
    with fresh(root, "a") as a:
        _store_story(a, state)
        set_filter(a, "unrestricted")  # a random node may be flagged NSFW; this test is about exactness
        out = root / "s.zip"
        export_bundle(a, out)
        with fresh(root, "b") as b:
            imports.import_source(b, "bundle", out)
            assert head_tree(b) == head_tree(a)
            assert imports.import_source(b, "bundle", out).already


def test_the_bundle_stream_is_a_plain_zip(good_bundle: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(good_bundle.read_bytes())) as zf:
        assert zf.testzip() is None
        assert zf.namelist()[-1] == "manifest.json"


# ---------------------------------------------------------------- what else a vault may hold


def test_records_naming_removed_assets_and_a_large_blob_round_trip(vault: Vault, tmp_path: Path) -> None:
    """A finding whose asset was removed, a child whose parent was, and a blob stored loose (over 1 MiB)."""
    set_filter(vault, "warn")
    parent = add_assets(vault, [media.png(tmp_path / "p.png")], license="LicenseRef-Nope").assets[0]
    child = add_assets(vault, [media.png(tmp_path / "c.png", (30, 30))], license="MIT").assets[0]
    record_derivation(vault, child.id, [parent.id], "crop")
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * (6 << 12))  # 6 MiB: staged and stored loose, streamed into the zip
    add_assets(vault, [big], license="MIT")
    advisory.scan(vault)
    (finding,) = advisory.list_findings(vault).findings
    advisory.resolve(vault, finding.id, "remove")
    assert edit.current(vault, f"assets/{parent.id}") is None
    out = tmp_path / "b.zip"
    assert export_bundle(vault, out).notes == []
    with fresh(tmp_path, "copy") as copy:
        imports.import_source(copy, "bundle", out)
        assert head_tree(copy) == head_tree(vault)
        assert imports.import_source(copy, "bundle", out).already


def test_a_vault_that_holds_other_records_keeps_them_and_says_so(origin: Vault, tmp_path: Path) -> None:
    out = tmp_path / "story.zip"
    export_bundle(origin, out)
    with fresh(tmp_path, "other") as other:
        set_filter(other, "unrestricted")
        dry = imports.import_source(other, "bundle", out, dry_run=True)
        assert dry.dry_run and dry.events > 0 and dry.job is None and other.history.head() is not None
        result = imports.import_source(other, "bundle", out)
        assert any("settings/policy" in f and "kept the vault's" in f for f in result.findings)
        assert advisory.status(other).filter == "unrestricted"
        assert edit.current(other, "scenes/intro") == edit.current(origin, "scenes/intro")


def test_conflicts_refuse_the_export(vault: Vault, tmp_path: Path) -> None:
    fork_story(vault)
    edit.node_edit(vault, "intro", "n1", content="The lamp is lit")
    vault.switch("alt")
    edit.node_edit(vault, "intro", "n1", content="The lamp is out")
    vault.switch("main")
    merge.merge(vault, "alt")
    with pytest.raises(InputRejected, match="cannot export: 1 unresolved merge conflict"):
        export_bundle(vault, tmp_path / "c.zip")
