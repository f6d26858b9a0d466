"""The TUI follows changes other processes make (``comfyvn watch``, the CLI) without a key press."""

from __future__ import annotations

import time
from pathlib import Path

from comfyvn_tui.app import VaultApp
from tests.conftest import run_cli
from tests.tui.conftest import SIZE, screen_text, settle

DEADLINE = 20.0


async def _wait_for(pilot: object, app: VaultApp, text: str) -> None:
    end = time.monotonic() + DEADLINE
    while not any(text in n.message for n in app._notifications):
        assert time.monotonic() < end, f"no notification with {text!r}"
        await pilot.pause(0.1)  # type: ignore[attr-defined]


async def test_a_commit_from_the_cli_refreshes_the_view_and_notifies(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Harbour" not in screen_text(app)
        r = run_cli("scene", "new", "Harbour", "--id", "harbour", cwd=vault_path)
        assert r.code == 0, r.err
        await _wait_for(pilot, app, "changed by watch/CLI")
        await settle(pilot)
        assert "Harbour" in screen_text(app)
        note = next(n for n in app._notifications if "changed by watch/CLI" in n.message)
        assert note.message.startswith("commit: New scene: Harbour")


async def test_the_apps_own_writes_are_not_reported_as_outside_changes(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("z")  # undo, through the app
        await settle(pilot)
        assert not app.live.poll()
        assert not any("changed by watch/CLI" in n.message for n in app._notifications)
