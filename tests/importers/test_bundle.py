"""ComfyVN studio packs: both layouts, every scene shape, the checks, and hostile packs refused cleanly."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.adapters import Source, apply_import, plan_import
from comfyvn_vault.api import imports
from comfyvn_vault.domain.entities import Character, Scene, Timeline, Variable
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.bundle import BundleImporter, BundleOptions
from comfyvn_vault.vault import Vault

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
OGG = b"OggS" + b"\1" * 64

ROLEPLAY_SCENE = {
    "id": "tavern",
    "title": "At the tavern",
    "nodes": [
        {"id": "a", "content": {"speaker": "Mira", "text": "Another round?"}},
        {"id": "b", "content": {"speaker": "Tom", "text": "Make it two."}},
        {"id": "c", "content": {"speaker": None, "text": "The fire crackles."}},
    ],
}
SCENARIO_SCENE = {
    "id": "gate",
    "title": "The gate",
    "variables": {"gold": {"type": "int", "value": 3}, "met_guard": {"type": "bool", "default": False}},
    "nodes": [
        {"id": "start", "type": "line", "speaker": "Guard", "text": "Halt!", "next": "ask"},
        {
            "id": "ask",
            "type": "choice",
            "text": "What do you do?",
            "choices": [
                {"text": "Pay", "next": "paid", "weight": 2, "conditions": ["gold >= 1"], "set": {"gold": 2}},
                {"text": "Leave", "next": "tavern"},
            ],
        },
        {"id": "paid", "type": "set", "var": "met_guard", "value": True, "next": "through"},
        {"id": "through", "type": "jump", "target": "tavern:b"},
        {"id": "done", "type": "end"},
        {"id": "odd", "type": "teleport", "where": "moon"},
    ],
}
MIRA = {"id": "mira", "name": "Mira", "description": "The innkeeper.", "portrait": "assets/mira.png",
        "expressions": {"smile": "mira.png"}}  # fmt: skip
TIMELINE = {"id": "main", "name": "Main route", "scene_order": ["gate", "tavern", "nowhere"]}


def studio_zip(extra: dict[str, bytes] | None = None, folder: str = "mypack/") -> bytes:
    files = {
        "manifest.json": json.dumps({"id": "p1", "title": "Pack", "engine": "comfyvn", "licenses": "CC-BY-4.0"}),
        "scenes/tavern.json": json.dumps(ROLEPLAY_SCENE),
        "scenes/gate.json": json.dumps(SCENARIO_SCENE),
        "characters/mira/character.json": json.dumps(MIRA),
        "timelines/main.json": json.dumps(TIMELINE),
        "assets/mira.png": PNG,
        "assets/music/theme.ogg": OGG,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in {**files, **(extra or {})}.items():
            z.writestr(folder + name, data)
    return buf.getvalue()


def test_a_studio_pack_imports_every_shape(vault: Vault) -> None:
    result = apply_import(vault, BundleImporter(), Source(studio_zip(), "my.cvnpack"), BundleOptions())
    assert result.commit is not None
    look = vault.history.lookup_in(vault.history.tree_of(vault.history.head()))
    tavern, gate = look("scenes/tavern"), look("scenes/gate")
    assert isinstance(tavern, Scene) and isinstance(gate, Scene)
    assert [(n.speaker, n.content) for n in tavern.nodes] == [
        ("mira", "Another round?"), ("tom", "Make it two."), (None, "The fire crackles.")]  # fmt: skip
    assert tavern.meta["source_asset"] == result.summary.assets[0] and tavern.nodes[1].meta["source_node"] == 1
    by_id = {n.id: n for n in gate.nodes}
    assert by_id["start"].next == ["ask"] and by_id["start"].speaker == "guard"
    pay, leave = by_id["ask"].choices
    assert (pay.text, pay.weight, pay.condition) == ("Pay", 2, "gold >= 1")
    step = by_id[pay.target]  # the choice's `set` runs on the way to its target
    assert step.type == "action" and step.directives == {"set": "gold = 2"} and step.next == ["paid"]
    assert leave.target == "tavern:"
    assert by_id["paid"].directives == {"set": "met_guard = true"} and by_id["through"].next == ["tavern:b"]
    assert by_id["done"].directives == {"end": "true"}
    assert by_id["odd"].type == "action" and json.loads(by_id["odd"].content)["where"] == "moon"
    gold, met = look("variables/gold"), look("variables/met_guard")
    assert isinstance(gold, Variable) and gold.value == 3 and isinstance(met, Variable) and met.value is False
    mira = look("characters/mira")
    assert isinstance(mira, Character) and mira.traits == {"description": "The innkeeper."}
    assert mira.portrait_asset_id is not None and mira.expressions == {"smile": mira.portrait_asset_id}
    portrait = look(f"assets/{mira.portrait_asset_id}")
    assert portrait.meta.license == "CC-BY-4.0" and portrait.kind == "image"  # type: ignore[union-attr]
    timeline = look("timelines/main")
    assert isinstance(timeline, Timeline) and timeline.scene_order == ["gate", "tavern"]
    notes = " | ".join(str(f) for f in result.summary.findings)
    assert "teleport" in notes and "timeline" in notes and "Guard" in notes


def test_taken_ids_are_made_fresh_and_links_follow(vault: Vault) -> None:
    apply_import(vault, BundleImporter(), Source(studio_zip(), "a.cvnpack"), BundleOptions())
    source = Source(studio_zip({"x.txt": b"other bytes"}), "b.zip")
    planned = plan_import(vault, BundleImporter(), source, BundleOptions())
    assert not [e for e in planned.events if type(e).__name__ == "CharacterCreated"]  # Mira, Tom, the guard: reused
    result = apply_import(vault, BundleImporter(), source, BundleOptions())
    assert sorted(result.summary.scenes) == ["gate-2", "tavern-2"]
    gate = vault.history.lookup_in(vault.history.tree_of(vault.history.head()))("scenes/gate-2")
    assert isinstance(gate, Scene) and {n.id: n for n in gate.nodes}["through"].next == ["tavern-2:b"]
    assert {n.id: n for n in gate.nodes}["ask"].choices[1].target == "tavern-2:"


def _pack_folder(root: Path, corrupt: bool = False) -> Path:
    root.mkdir()
    (root / "text").mkdir()
    (root / "media").mkdir()
    scene = json.dumps(ROLEPLAY_SCENE).encode()
    (root / "text/tavern.json").write_bytes(scene)
    (root / "media/theme.ogg").write_bytes(OGG)
    (root / "blob.bin").write_bytes(b"\0\1\2")
    sha = hashlib.sha1(scene).hexdigest()
    manifest = {
        "schema": "comfyvn-pack@1",
        "text": [{"path": "text/tavern.json", "sha1": "0" * 40 if corrupt else sha}],
        "assets": [{"path": "media/theme.ogg", "sha1": hashlib.sha1(OGG).hexdigest(), "license": "CC0-1.0",
                    "tags": ["music"]}],
        "raw": [{"path": "blob.bin", "sha1": hashlib.sha1(b"\0\1\2").hexdigest()}],
    }  # fmt: skip
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def test_a_comfyvn_pack_folder_imports_through_the_verb_and_checks_its_hashes(vault: Vault, tmp_path: Path) -> None:
    folder = _pack_folder(tmp_path / "pack")
    result = imports.import_source(vault, "bundle", folder)
    assert result.scenes == ["tavern"] and len(result.assets) == 3  # the manifest, the music, the raw blob
    assert imports.import_source(vault, "bundle", folder).already
    bad = _pack_folder(tmp_path / "bad", corrupt=True)
    head = vault.history.head()
    with pytest.raises(InputRejected, match="does not match its sha1"):
        imports.import_source(vault, "bundle", bad)
    assert vault.history.head() == head


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"scenes/a.json": b"{}"}, "no manifest.json"),
        ({"manifest.json": b"[1]"}, "not a JSON object"),
        ({"manifest.json": b'{"schema": "other@9"}'}, "not 'comfyvn-pack@1'"),
        ({"manifest.json": b"{}", "scenes/a.json": b'{"nodes": 5}'}, "'nodes' is not a list"),
        ({"manifest.json": b"{}", "scenes/a.json": b"[" * 200 + b"]" * 200}, "nested deeper"),
        ({"manifest.json": b"{}", "scenes/a.json": b'{"nodes": [{"type": "choice"}]}'}, "needs a list of choices"),
        ({"manifest.json": b'{"licenses": 5}'}, "licenses"),
        ({"manifest.json": b"{}", "../evil.json": b"{}"}, "leaves the archive"),
    ],
)
def test_a_malformed_pack_is_one_clean_refusal(members: dict[str, bytes], message: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(InputRejected, match=message):
        BundleImporter().plan(Source(buf.getvalue(), "bad.zip"), BundleOptions(), lambda p: None)


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(InputRejected, match="not a pack"):
        BundleImporter().plan(Source(b"hello", "x.cvnpack"), BundleOptions(), lambda p: None)


def _lookup(path: str) -> Any:
    return None


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_packs_give_a_plan_or_a_clean_refusal(data: st.DataObject) -> None:
    raw = bytearray(studio_zip())
    for _ in range(data.draw(st.integers(1, 6))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        BundleImporter().plan(Source(bytes(raw), "mutant.zip"), BundleOptions(), _lookup)
    except InputRejected:
        pass


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=20))  # fmt: skip
def test_any_json_scene_gives_a_plan_or_a_clean_refusal(doc: object) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("manifest.json", "{}")
        z.writestr("scenes/s.json", json.dumps(doc))
        z.writestr("scenes/t.json", json.dumps({"nodes": [doc]}))
    try:
        BundleImporter().plan(Source(buf.getvalue(), "fuzz.zip"), BundleOptions(), _lookup)
    except InputRejected:
        pass
