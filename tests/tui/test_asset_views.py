"""Assets, Lineage and Advisory views: real vaults with real images, driven by Pilot."""

from __future__ import annotations

from pathlib import Path

from comfyvn_tui.app import VaultApp
from comfyvn_tui.config import Settings
from comfyvn_tui.views.advisory import AdvisoryView
from comfyvn_tui.views.assets import AssetsView, halfblocks
from comfyvn_tui.views.lineage import LineageView
from comfyvn_vault.advisory import findings
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.assets.records import assets_at
from comfyvn_vault.provenance.derivation import record_derivation
from comfyvn_vault.vault import Vault
from tests.assets import media
from tests.tui.conftest import SIZE, screen_text, settle


def _seed(root: Path, tmp_path: Path) -> tuple[str, str, str]:
    with Vault.open(root) as v:
        (base,) = add_assets(v, [media.png(tmp_path / "base.png", (64, 32))], license="MIT").assets
        (crop,) = add_assets(v, [media.png(tmp_path / "crop.png", (32, 32), (0, 0, 200))], license="MIT").assets
        (adult,) = add_assets(v, [media.png(tmp_path / "adult.png", color=(9, 9, 9))], nsfw=True).assets
        record_derivation(v, crop.id, [base.id], "crop")
    return base.id, crop.id, adult.id


def test_halfblocks_draw_two_pixels_per_cell(tmp_path: Path) -> None:
    text = halfblocks(media.png(tmp_path / "p.png", (64, 32), (255, 0, 0)), columns=8)
    lines = text.plain.splitlines()
    assert lines == ["▀" * 8] * 2  # 8 columns x 4 pixel rows = 2 text rows
    style = text.spans[0].style
    assert not isinstance(style, str) and style.color is not None and style.bgcolor is not None
    assert style.color.get_truecolor() == style.bgcolor.get_truecolor() == (255, 0, 0)


async def test_assets_view_lists_filters_and_opens_lineage(vault_path: Path, tmp_path: Path) -> None:
    base, crop, _ = _seed(vault_path, tmp_path)
    app = VaultApp(vault_path, settings=Settings(auto_commit=True), start_view="assets")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, AssetsView)
        assert set(view.assets) == {base, crop}  # sfw by default: the NSFW asset is hidden
        text = screen_text(app)
        assert "1 hidden" in text and "filter sfw" in text and "license MIT" in text and "▀" in text
        view.row_list.cursor = view.row_list.index_of(crop) or 0
        await pilot.press("l")
        await settle(pilot)
        lineage = app.main.current_view
        assert isinstance(lineage, LineageView) and lineage.asset_id == crop
        text = screen_text(app)
        assert "AssetDerived" in text and "derived:crop" in text and base[:12] in text
        await pilot.press("v")
        await settle(pilot)
        assert "0 problem(s)" in screen_text(app)


async def test_advisory_view_waives_a_finding(vault_path: Path, tmp_path: Path) -> None:
    _, _, adult = _seed(vault_path, tmp_path)
    app = VaultApp(vault_path, settings=Settings(auto_commit=True), start_view="advisory")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, AdvisoryView)
        assert "no license is recorded" in screen_text(app) and "content filter: sfw" in screen_text(app)
        await pilot.press("w")
        await settle(pilot)
        (decided,) = findings.findings_at(app.vault)
        assert decided.status == "waived" and decided.asset_id == adult
        assert adult in {a.id for a in assets_at(app.vault)}
