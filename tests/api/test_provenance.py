"""The ``provenance`` verbs in process: lineage (with --verify and --used-by) and verify."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from comfyvn_vault.api import assets, provenance
from comfyvn_vault.api.provenance import LineageAsset, LineageEvent
from comfyvn_vault.domain import Cause, Node, Scene, SceneCreated
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.vault import Vault
from tests.assets import media


def _made(vault: Vault, tmp_path: Path) -> tuple[str, str, str]:
    """Three assets: ``mid`` upscaled from ``src``, ``top`` generated from ``mid``."""
    ids = []
    for i, color in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        (row,) = assets.add(vault, [media.png(tmp_path / f"p{i}.png", color=color)], license="MIT").assets
        ids.append(row.id)
    src, mid, top = ids
    assets.derive(vault, mid, [src], "upscale")
    assets.generated(vault, top, workflow_hash="wf", seed=0, model="m1", inputs=[mid], device="cpu")
    return src, mid, top


def test_lineage_is_typed_and_encodes_to_the_graph_document(vault: Vault, tmp_path: Path) -> None:
    from comfyvn_vault.assets.records import get_asset
    from comfyvn_vault.provenance.lineage import lineage as graph_of

    src, mid, top = _made(vault, tmp_path)
    graph = provenance.lineage(vault, top[:10])
    assert (graph.schema, graph.asset, graph.sources) == ("comfyvn.lineage/1", top, [src])
    assert [n.id for n in graph.nodes if isinstance(n, LineageAsset)] == [top, mid, src]
    relations = {(e.from_, e.to): e.relation for e in graph.edges}
    assert relations[(mid, top)] == "input" and relations[(src, mid)] == "derived:upscale"
    generation = next(n for n in graph.nodes if isinstance(n, LineageEvent) and n.type == "GenerationRecorded")
    assert generation.details() == {"model": "m1", "seed": 0}  # a seed of 0 is a seed
    assert graph.problems == [] and not graph.verified
    assert msgspec.to_builtins(graph) == graph_of(vault, get_asset(vault, top))


def test_lineage_verify_counts_what_it_rehashed(vault: Vault, tmp_path: Path) -> None:
    _, mid, _ = _made(vault, tmp_path)
    graph = provenance.lineage(vault, mid, verify=True)
    assert graph.verified and graph.verified.objects >= 6 and graph.problems == []
    assert msgspec.to_builtins(graph)["verified"] == {"objects": graph.verified.objects, "problems": []}


def test_lineage_of_a_removed_asset_keeps_its_events(vault: Vault, tmp_path: Path) -> None:
    from comfyvn_vault.api import advisory

    (gone,) = assets.add(vault, [media.png(tmp_path / "a.png")]).assets  # unlicensed: a finding
    (child,) = assets.add(vault, [media.png(tmp_path / "b.png", color=(3, 3, 3))], license="MIT").assets
    assets.derive(vault, child.id, [gone.id], "crop")
    (finding,) = advisory.list_findings(vault).findings
    advisory.resolve(vault, finding.id, "remove")
    graph = provenance.lineage(vault, child.id)
    removed = next(n for n in graph.nodes if isinstance(n, LineageAsset) and n.id == gone.id)
    assert removed.missing is True and "name" not in msgspec.to_builtins(removed)


def test_lineage_refuses_bad_asset_ids(vault: Vault) -> None:
    with pytest.raises(InputRejected, match="not an asset id"):
        provenance.lineage(vault, "no")
    with pytest.raises(ObjectNotFound):
        provenance.used_by(vault, "abcdef")


def test_used_by_lists_nodes_children_and_exports(vault: Vault, tmp_path: Path) -> None:
    src, mid, _ = _made(vault, tmp_path)
    scene = Scene(id="intro", nodes=[Node(id="n1", content="The sea.", directives={"bg": f"asset:{src}"})])
    vault.record([SceneCreated(scene=scene, cause=Cause(kind="user"))], "a scene using the asset")
    assets.export(vault, src, tmp_path / "src-out.png")
    users = provenance.used_by(vault, src[:12])
    assert [(u.kind, u.path, u.scene, u.node) for u in users.users] == [("node", "scenes/intro#n1", "intro", "n1")]
    assert [(c.asset, c.relation) for c in users.children] == [(mid, "derived:upscale")]
    assert [(e.target, e.stamp) for e in users.exports] == [("src-out.png", "c2pa")]
    assert msgspec.to_builtins(users)["users"] == [
        {"path": "scenes/intro#n1", "kind": "node", "scene": "intro", "node": "n1"}
    ]


def test_verify_confirms_this_vaults_exports_only(vault: Vault, tmp_path: Path) -> None:
    (img,) = assets.add(vault, [media.png(tmp_path / "a.png")], license="MIT").assets
    out = tmp_path / "out.png"
    assets.export(vault, img.id, out)
    report = provenance.verify(vault, out)
    assert (report.stamp, report.state, report.trusted, report.known, report.confirmed) == (
        "c2pa", "Trusted", True, True, True,
    )  # fmt: skip
    assert report.asset == img.id and report.actions == ["c2pa.opened"] and report.ingredients == ["a.png"]
    outside = provenance.verify(None, out)
    assert (outside.trusted, outside.known, outside.confirmed) == (False, None, False)


def test_verify_of_a_text_stamp(vault: Vault, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("credits: Alice\n")
    (row,) = assets.add(vault, [notes], license="CC0-1.0").assets
    out = tmp_path / "notes-out.txt"
    assets.export(vault, row.id, out)
    report = provenance.verify(vault, out)
    assert (report.stamp, report.signed, report.confirmed) == ("text", True, True)
    assert "actions" not in msgspec.to_builtins(report)
    out.write_text("credits: Mallory\n")
    with pytest.raises(InputRejected, match="changed since it was exported"):
        provenance.verify(vault, out)


def test_verify_refuses_what_has_no_stamp(vault: Vault, tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match="no such file"):
        provenance.verify(vault, tmp_path / "missing.png")
    plain = media.png(tmp_path / "plain.png")
    with pytest.raises(InputRejected, match="no provenance stamp"):
        provenance.verify(vault, plain)
