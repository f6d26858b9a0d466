"""License scan, findings and quick fixes, the liability gate, and content filters in every query path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.advisory import findings, policy, scan
from comfyvn_vault.advisory.licenses import verdict
from comfyvn_vault.api import history
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.api.assets import export, list_assets
from comfyvn_vault.api.provenance import lineage
from comfyvn_vault.assets.records import assets_at, get_asset
from comfyvn_vault.domain import Cause, Node, Scene, SceneCreated
from comfyvn_vault.domain.asset_events import FindingResolved
from comfyvn_vault.domain.assets import Asset
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.codec import decode
from comfyvn_vault.vault import Vault
from tests.assets import media


@pytest.mark.parametrize(
    ("text", "passes"),
    [("CC-BY-4.0", True), ("cc0", True), ("MIT", True), ("Public Domain", True), (None, False), ("", False),
     ("CC-BY-NC-4.0", False), ("CC-BY-ND-4.0", False), ("All rights reserved", False), ("Proprietary", False)],
)  # fmt: skip
def test_known_open_licenses_pass_and_the_rest_ask(text: str | None, passes: bool) -> None:
    assert (verdict(text) is None) is passes


def test_scan_on_demand_files_each_finding_once(vault: Vault, tmp_path: Path) -> None:
    add_assets(vault, [media.png(tmp_path / "a.png")], license="CC-BY-NC-4.0")
    add_assets(vault, [media.png(tmp_path / "b.png", color=(1, 1, 1))], license="MIT")
    (opened,) = findings.findings_at(vault, status="open")  # filed on import
    assert "commercial" in opened.message
    assert scan.scan(vault) == []  # nothing new: never filed twice


def test_a_failing_scanner_files_a_finding_not_a_pass(vault: Vault, tmp_path: Path) -> None:
    add_assets(vault, [media.png(tmp_path / "a.png")], license="MIT")
    assert findings.findings_at(vault) == []

    def broken(asset: Asset) -> str | None:
        raise RuntimeError("license database unreadable")

    (found,) = scan.scan(vault, check=broken)
    assert found.kind == "scanner" and "scanner failed" in found.message and "unreadable" in found.message
    assert findings.findings_at(vault, status="open") == [found]


@pytest.mark.parametrize("fix", ["waive", "remove", "replace"])
def test_quick_fixes_are_events(vault: Vault, tmp_path: Path, fix: str) -> None:
    (bad,) = add_assets(vault, [media.png(tmp_path / "bad.png")], license="Proprietary").assets
    (good,) = add_assets(vault, [media.png(tmp_path / "good.png", color=(3, 3, 3))], license="MIT").assets
    (finding,) = findings.findings_at(vault, status="open")
    rec = findings.resolve(vault, finding.id[:12], fix, replacement=good.id if fix == "replace" else None)
    (decided,) = findings.findings_at(vault)
    assert decided.status == {"waive": "waived", "remove": "removed", "replace": "replaced"}[fix]
    events = [e for _, e in vault.history.events_of(rec.commit)]
    assert isinstance(events[0], FindingResolved) and events[0].fix == fix
    remaining = {a.id for a in assets_at(vault)}
    assert (bad.id in remaining) is (fix == "waive")
    # the decision is part of the asset's lineage, even after the asset left the registry
    hits = vault.projections.events_for(f"assets/{bad.id}")
    assert any(isinstance(decode(vault.store.get(eid)), FindingResolved) for *_, eid in hits)
    with pytest.raises(InputRejected, match="already decided"):
        findings.resolve(vault, finding.id, "waive")


def test_export_refuses_open_findings_until_decided(vault: Vault, tmp_path: Path) -> None:
    (added,) = add_assets(vault, [media.png(tmp_path / "a.png")]).assets  # no license: a finding
    with pytest.raises(InputRejected, match="open finding"):
        export(vault, added.id, tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()
    (finding,) = findings.findings_at(vault, status="open")
    findings.resolve(vault, finding.id, "waive", note="our own art")
    warnings = export(vault, added.id, tmp_path / "out.png").warnings
    assert warnings and "liability" in warnings[0]  # risky (no license) and not acknowledged
    policy.acknowledge(vault, "Studio Lead")
    warnings = export(vault, added.id, tmp_path / "out2.png").warnings
    assert warnings == []  # acknowledged: the user's choice is honoured


def test_liability_gate_on_import_through_the_cli(vault_dir: Path, tmp_path: Path, cli: Any) -> None:
    r = cli("-C", vault_dir, "asset", "add", media.png(tmp_path / "a.png"), "--nsfw")
    assert r.code == 0 and "warning:" in r.err and "policy ack" in r.err
    assert cli("-C", vault_dir, "policy", "ack", "--by", "me").code == 0
    doc = cli("-C", vault_dir, "policy", "status", "--json").json()
    assert doc["acknowledged"] is True and doc["acknowledged_by"] == "me" and doc["filter"] == "sfw"
    r = cli("-C", vault_dir, "asset", "add", media.png(tmp_path / "b.png", color=(4, 4, 4)), "--nsfw")
    assert r.code == 0 and "warning:" not in r.err


def _nsfw_story(vault: Vault, tmp_path: Path) -> tuple[str, str]:
    (safe,) = add_assets(vault, [media.png(tmp_path / "safe.png")], license="MIT").assets
    (adult,) = add_assets(vault, [media.png(tmp_path / "adult.png", color=(9, 0, 9))], license="MIT", nsfw=True).assets
    scene = Scene(
        id="s",
        nodes=[
            Node(id="n1", content="A lighthouse at night.", directives={"bg": safe.id}),
            Node(id="n2", content="A lighthouse scene, explicit.", directives={"bg": f"asset:{adult.id}"}),
            Node(id="n3", content="Another lighthouse line.", meta={"nsfw": True}),
        ],
    )
    vault.record([SceneCreated(scene=scene, cause=Cause(kind="user"))], "scene")
    return safe.id, adult.id


def test_filters_hide_what_they_should_in_every_query_path(vault: Vault, tmp_path: Path, cli: Any) -> None:
    safe, adult = _nsfw_story(vault, tmp_path)
    # the default (nothing chosen) is sfw: nothing fails open
    assert policy.policy_of(vault).filter_mode == "sfw"
    listing = list_assets(vault)
    assert [r.id for r in listing.assets] == [safe] and listing.hidden == 1
    assert [h.node for h in history.search(vault, "lighthouse").hits] == ["n1"]
    with pytest.raises(InputRejected, match="content filter"):
        lineage(vault, adult)
    with pytest.raises(InputRejected, match="content filter is sfw"):
        export(vault, adult, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
    r = cli("-C", vault.root, "asset", "show", adult, "--json")
    assert r.code == 3 and "content filter" in r.err
    listed = cli("-C", vault.root, "asset", "list", "--json").json()
    assert [a["id"] for a in listed["assets"]] == [safe] and listed["hidden"] == 1

    policy.set_filter(vault, "warn")
    listing = list_assets(vault)
    assert {r.id for r in listing.assets} == {safe, adult} and listing.hidden == 0
    assert [r.flagged for r in listing.assets if r.id == adult] == [True]
    assert sorted(h.node for h in history.search(vault, "lighthouse").hits) == ["n1", "n2", "n3"]
    policy.acknowledge(vault, "me")
    assert any("NSFW" in w for w in export(vault, adult, tmp_path / "x.png").warnings)

    policy.set_filter(vault, "unrestricted")
    listing = list_assets(vault)
    assert listing.hidden == 0 and not any(r.flagged for r in listing.assets)
    assert lineage(vault, adult).asset == adult
    assert policy.set_filter(vault, "unrestricted") is None  # already so: no event


def test_list_facets_through_the_cli(vault_dir: Path, tmp_path: Path, cli: Any) -> None:
    cli("-C", vault_dir, "asset", "add", media.png(tmp_path / "a.png"), "--tag", "bg", "--license", "MIT")
    cli("-C", vault_dir, "asset", "add", media.wav(tmp_path / "v.wav"), "--license", "CC0-1.0")
    kinds = cli("-C", vault_dir, "asset", "list", "--kind", "audio", "--json").json()["assets"]
    assert [a["kind"] for a in kinds] == ["audio"]
    tagged = cli("-C", vault_dir, "asset", "list", "--tag", "bg", "--license", "mit", "--json").json()["assets"]
    assert [a["mime"] for a in tagged] == ["image/png"]


def test_a_license_given_later_settles_the_no_license_finding(vault: Vault, tmp_path: Path, cli: Any) -> None:
    src = media.png(tmp_path / "a.png")
    (added,) = add_assets(vault, [src]).assets
    (opened,) = findings.findings_at(vault, status="open")
    assert opened.asset_id == added.id and "no license" in opened.message
    add_assets(vault, [src], license="CC-BY-NC-4.0")  # a license that still asks
    assert [f.id for f in findings.findings_at(vault, status="open")] == [opened.id]
    add_assets(vault, [src], license="CC-BY-4.0")
    assert findings.findings_at(vault, status="open") == []
    (settled,) = findings.findings_at(vault)
    assert settled.status == "settled" and settled.note == "license set to CC-BY-4.0"
    export(vault, added.id, tmp_path / "out.png")  # no open finding blocks it now
    listed = cli("advisory", "list", "--all", cwd=vault.root)
    assert listed.code == 0 and "[settled]" in listed.out, listed.err


def test_settle_is_not_a_quick_fix_a_person_picks(vault: Vault, tmp_path: Path) -> None:
    from comfyvn_vault.domain.errors import Rejected

    (added,) = add_assets(vault, [media.png(tmp_path / "a.png")]).assets
    (opened,) = findings.findings_at(vault, status="open")
    with pytest.raises(InputRejected, match="is not one of"):
        findings.resolve(vault, opened.id, "settle")
    event = FindingResolved(finding_id=opened.id, fix="settle", before=opened, cause=Cause(kind="user"))
    with pytest.raises(Rejected, match="settled only by giving its asset a license"):
        vault.record([event], "settle without a license")
    assert get_asset(vault, added.id).meta.license is None
