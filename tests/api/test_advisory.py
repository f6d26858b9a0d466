"""The ``advisory`` verbs in process: scan, list, resolve, the policy, and the content filter in every read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from comfyvn_vault.advisory import policy
from comfyvn_vault.api import advisory, assets, provenance
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.vault import Vault
from tests.assets import media


def test_scan_files_each_finding_once(vault: Vault, tmp_path: Path) -> None:
    assets.add(vault, [media.png(tmp_path / "a.png")], license="MIT")
    (bad,) = assets.add(vault, [media.png(tmp_path / "b.png", color=(1, 1, 1))], license="CC-BY-NC-4.0").assets
    assert advisory.scan(vault).findings == []  # the import filed it already
    (listed,) = advisory.list_findings(vault).findings
    assert (listed.asset_id, listed.kind, listed.status) == (bad.id, "license", "open")
    assert msgspec.to_builtins(advisory.list_findings(vault)) == {
        "schema": "comfyvn.advisory-list/1",
        "findings": [{"id": listed.id, "asset_id": bad.id, "kind": "license", "message": listed.message,
                      "fixes": ["replace", "remove", "waive"], "status": "open"}],
    }  # fmt: skip


def test_scan_commits_what_it_finds(vault: Vault, tmp_path: Path) -> None:
    from comfyvn_vault.domain.asset_events import AssetMetaChanged
    from comfyvn_vault.domain.assets import AssetMeta
    from comfyvn_vault.domain.cause import Cause

    (img,) = assets.add(vault, [media.png(tmp_path / "a.png")], license="MIT").assets
    # a license changed behind the import's scan (as a merge or a hook may): only a scan finds it
    vault.record([AssetMetaChanged(asset_id=img.id, meta=AssetMeta(license="Proprietary"),
                                   before=AssetMeta(license="MIT", origin="import:a.png"), cause=Cause(kind="user"))],
                 "relicense")  # fmt: skip
    head = vault.history.head()
    (found,) = advisory.scan(vault).findings
    assert found.asset_id == img.id and vault.history.head() != head
    assert advisory.scan(vault).findings == []


def test_resolve_decides_with_a_quick_fix(vault: Vault, tmp_path: Path) -> None:
    assets.add(vault, [media.png(tmp_path / "a.png")])
    (finding,) = advisory.list_findings(vault).findings
    result = advisory.resolve(vault, finding.id[:12], "waive", note="our own art")
    assert (result.fix, result.commit) == ("waive", vault.history.head().hex())  # type: ignore[union-attr]
    assert advisory.list_findings(vault).findings == []
    (decided,) = advisory.list_findings(vault, decided=True).findings
    assert (decided.status, decided.note) == ("waived", "our own art")
    with pytest.raises(InputRejected, match="already decided"):
        advisory.resolve(vault, finding.id, "waive")


def test_resolve_refuses_bad_input(vault: Vault, tmp_path: Path) -> None:
    assets.add(vault, [media.png(tmp_path / "a.png")])
    (finding,) = advisory.list_findings(vault).findings
    with pytest.raises(InputRejected, match="is not one of"):
        advisory.resolve(vault, finding.id, "ignore")
    with pytest.raises(InputRejected, match="replacement asset"):
        advisory.resolve(vault, finding.id, "replace")
    with pytest.raises(ObjectNotFound, match="no finding"):
        advisory.resolve(vault, "license-ffff", "waive")


def test_replace_removes_the_asset_for_another(vault: Vault, tmp_path: Path) -> None:
    (bad,) = assets.add(vault, [media.png(tmp_path / "a.png")]).assets
    (good,) = assets.add(vault, [media.png(tmp_path / "b.png", color=(5, 5, 5))], license="MIT").assets
    (finding,) = advisory.list_findings(vault).findings
    advisory.resolve(vault, finding.id, "replace", replacement=good.id[:10])
    assert [r.id for r in assets.list_assets(vault).assets] == [good.id]
    (decided,) = advisory.list_findings(vault, decided=True).findings
    assert (decided.status, decided.replacement, decided.asset_id) == ("replaced", good.id, bad.id)


def test_policy_status_ack_and_filter(vault: Vault, tmp_path: Path) -> None:
    assets.add(vault, [media.png(tmp_path / "a.png")])
    status = advisory.status(vault)
    assert (status.filter, status.acknowledged, status.acknowledged_by, status.open_findings) == ("sfw", False, None, 1)
    assert status.notice == policy.NOTICE and status.notice_version == policy.NOTICE_VERSION
    ack = advisory.ack(vault, "Studio Lead")
    assert ack.commit == vault.history.head().hex()  # type: ignore[union-attr]
    status = advisory.status(vault)
    assert (status.acknowledged, status.acknowledged_by) == (True, "Studio Lead")
    assert isinstance(status.acknowledged_ms, int)
    changed = advisory.set_filter(vault, "warn")
    assert (changed.mode, changed.commit) == ("warn", vault.history.head().hex())  # type: ignore[union-attr]
    assert advisory.set_filter(vault, "warn").commit is None  # already so: nothing recorded
    assert msgspec.to_builtins(advisory.set_filter(vault, "warn")) == {
        "schema": "comfyvn.policy-filter/1", "mode": "warn", "commit": None,
    }  # fmt: skip
    with pytest.raises(InputRejected, match="not one of"):
        advisory.set_filter(vault, "spicy")


# --- the content filter: one decision per read, in every read -----------------------

Read = Callable[[Vault, str, Path], Any]

READS: dict[str, Read] = {
    "show": lambda v, a, _: assets.show(v, a),
    "thumbnail": lambda v, a, _: assets.thumbnail(v, a),
    "export": lambda v, a, out: assets.export(v, a, out / "x.png"),
    "lineage": lambda v, a, _: provenance.lineage(v, a),
    "used_by": lambda v, a, _: provenance.used_by(v, a),
}


@pytest.fixture
def nsfw(vault: Vault, tmp_path: Path) -> tuple[str, str]:
    """A safe and an NSFW asset, both licensed (no finding stands in the way of an export)."""
    (safe,) = assets.add(vault, [media.png(tmp_path / "safe.png")], license="MIT").assets
    (adult,) = assets.add(vault, [media.png(tmp_path / "adult.png", color=(9, 0, 9))], license="MIT", nsfw=True).assets
    return safe.id, adult.id


@pytest.mark.parametrize("read", sorted(READS))
def test_sfw_refuses_every_read_of_an_nsfw_asset(
    vault: Vault, tmp_path: Path, nsfw: tuple[str, str], read: str
) -> None:
    safe, adult = nsfw
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputRejected, match="content filter is sfw"):
        READS[read](vault, adult[:12], out)
    assert list(out.iterdir()) == []  # nothing written
    READS[read](vault, safe, out)  # the safe one reads
    advisory.set_filter(vault, "warn")
    READS[read](vault, adult, tmp_path)


def test_sfw_hides_nsfw_assets_from_the_listing_and_warn_marks_them(vault: Vault, nsfw: tuple[str, str]) -> None:
    safe, adult = nsfw
    listing = assets.list_assets(vault)
    assert ([r.id for r in listing.assets], listing.hidden, listing.filter) == ([safe], 1, "sfw")
    assert assets.list_assets(vault, nsfw=True).hidden == 1
    advisory.set_filter(vault, "warn")
    listing = assets.list_assets(vault)
    assert {r.id: r.flagged for r in listing.assets} == {safe: False, adult: True} and listing.hidden == 0
    assert "flagged" not in msgspec.to_builtins(listing.assets[[r.id for r in listing.assets].index(safe)])
    advisory.set_filter(vault, "unrestricted")
    listing = assets.list_assets(vault)
    assert not any(r.flagged for r in listing.assets) and listing.hidden == 0


def test_warn_exports_nsfw_with_a_warning(vault: Vault, tmp_path: Path, nsfw: tuple[str, str]) -> None:
    advisory.set_filter(vault, "warn")
    advisory.ack(vault, "me")
    assert assets.export(vault, nsfw[1], tmp_path / "x.png").warnings == [
        f"warning: asset {nsfw[1][:12]} is NSFW (filter: warn)"
    ]


@pytest.mark.parametrize("read", [*sorted(READS), "list"])
def test_each_read_decides_the_filter_once(
    vault: Vault, tmp_path: Path, nsfw: tuple[str, str], read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = policy.content_filter

    def counted(v: Vault) -> policy.ContentFilter:
        calls.append(1)
        return real(v)

    monkeypatch.setattr(policy, "content_filter", counted)
    if read == "list":
        assets.list_assets(vault)
    else:
        READS[read](vault, nsfw[0], tmp_path)
    assert len(calls) == 1
