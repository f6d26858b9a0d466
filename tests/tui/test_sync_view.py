"""The Sync view: remotes with ahead/behind counts, fetch and push from the keyboard."""

from __future__ import annotations

from pathlib import Path

from comfyvn_tui.app import VaultApp
from comfyvn_tui.views.sync import SyncView
from comfyvn_vault import sync
from comfyvn_vault.api import edit
from comfyvn_vault.vault import Vault
from tests.tui.conftest import SIZE, screen_text, settle


async def test_fetch_and_push_from_the_sync_view(vault_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "laptop"
    sync.clone(str(vault_path), other)
    with Vault.open(other) as v:
        edit.node_add(v, "intro", speaker="Alice", content="Written on the laptop.")
    with Vault.open(vault_path) as v:
        sync.remote_add(v, "laptop", str(other))
    app = VaultApp(vault_path, start_view="sync")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, SyncView)
        assert "not fetched yet" in screen_text(app)
        await pilot.press("f")
        await app.workers.wait_for_complete()
        await settle(pilot)
        text = screen_text(app)
        assert "laptop/main" in text and "ahead 0, behind 1" in text
        await pilot.press("u")  # pull: fast-forward
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "ahead 0, behind 0" in screen_text(app)
        assert "Written on the laptop." in (vault_path / "scenes" / "intro.toml").read_text()
        await pilot.press("p")  # nothing to push: up to date
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "push laptop" in screen_text(app)
