"""``lineage``: the graph back to the original sources with its events; --verify; --used-by."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.api.assets import export
from comfyvn_vault.api.provenance import lineage, used_by
from comfyvn_vault.domain import Cause, Character, CharacterCreated, Node, Scene, SceneCreated
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.provenance.derivation import record_derivation, record_generation
from comfyvn_vault.vault import Vault
from tests.assets import media


def _three(vault: Vault, tmp_path: Path) -> tuple[str, str, str]:
    ids = []
    for i, color in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        (a,) = add_assets(vault, [media.png(tmp_path / f"p{i}.png", color=color)], license="MIT").assets
        ids.append(a.id)
    return ids[0], ids[1], ids[2]


def test_graph_reaches_the_sources_with_events(vault: Vault, tmp_path: Path) -> None:
    src, mid, top = _three(vault, tmp_path)
    record_derivation(vault, mid, [src], "upscale")
    record_generation(vault, top, workflow_hash="abc", seed=7, model="m1", inputs=[mid], device="cpu")
    doc = msgspec.to_builtins(lineage(vault, top[:10]))  # the ``lineage --json`` document
    assert doc["schema"] == "comfyvn.lineage/1" and doc["asset"] == top
    assets = [n["id"] for n in doc["nodes"] if n["kind"] == "asset"]
    assert assets == [top, mid, src] and doc["sources"] == [src]
    rel = {(e["from"], e["to"]): e["relation"] for e in doc["edges"]}
    assert rel[(mid, top)] == "input" and rel[(src, mid)] == "derived:upscale"
    kinds = {n["type"] for n in doc["nodes"] if n["kind"] == "event"}
    assert {"AssetImported", "AssetDerived", "GenerationRecorded"} <= kinds
    gen = next(n for n in doc["nodes"] if n.get("type") == "GenerationRecorded")
    assert (gen["seed"], gen["model"], gen["workflow_hash"], gen["device"]) == (7, "m1", "abc", "cpu")
    assert all({"id", "kind", "event"} <= set(n) for n in doc["nodes"])


def test_lineage_cannot_loop(vault: Vault, tmp_path: Path) -> None:
    a, b, _ = _three(vault, tmp_path)
    record_derivation(vault, b, [a], "crop")
    with pytest.raises(Rejected, match="lineage cannot loop"):
        record_derivation(vault, a, [b], "crop")


def test_verify_rehashes_and_reports_damage(vault: Vault, tmp_path: Path, cli: Any) -> None:
    src, mid, _ = _three(vault, tmp_path)
    record_derivation(vault, mid, [src], "crop")
    doc = msgspec.to_builtins(lineage(vault, mid, verify=True))
    assert doc["verified"]["problems"] == [] and doc["verified"]["objects"] >= 6
    assert cli("-C", vault.root, "lineage", mid, "--verify", "--json").code == 0
    # flip a byte of the source blob in its pack, behind the store's back
    entry = vault.store.entry(vault.store.resolve(src))
    assert entry is not None
    pack = vault.store.paths.pack(entry.pack)
    data = bytearray(pack.read_bytes())
    data[entry.offset + entry.stored - 10] ^= 0xFF
    pack.write_bytes(bytes(data))
    r = cli("-C", vault.root, "lineage", mid, "--verify", "--json")
    assert r.code == 1, r.err
    problems = r.json()["verified"]["problems"]
    assert [p["id"] for p in problems] == [src] and problems[0]["kind"] == "blob"


def test_used_by_lists_nodes_characters_children_and_exports(vault: Vault, tmp_path: Path, cli: Any) -> None:
    src, child, _ = _three(vault, tmp_path)
    record_derivation(vault, child, [src], "crop")
    alice = "alice"
    user = Cause(kind="user")
    scene = Scene(id="intro", nodes=[Node(id="n1", content="The sea.", directives={"bg": f"asset:{src}"})])
    vault.record(
        [
            CharacterCreated(character=Character(id=alice, name="Alice", portrait_asset_id=src), cause=user),
            SceneCreated(scene=scene, cause=user),
        ],
        "story using the asset",
    )
    export(vault, src, tmp_path / "src-out.png")
    doc = msgspec.to_builtins(used_by(vault, src[:12]))
    assert {(u["kind"], u["path"]) for u in doc["users"]} == {
        ("node", "scenes/intro#n1"),
        ("character", f"characters/{alice}"),
    }
    assert doc["children"] == [{"asset": child, "relation": "derived:crop"}]
    assert [e["target"] for e in doc["exports"]] == ["src-out.png"]
    r = cli("-C", vault.root, "lineage", src, "--used-by", "--json")
    assert r.code == 0 and r.json()["users"] == doc["users"]
