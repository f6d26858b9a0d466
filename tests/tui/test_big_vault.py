"""On a big vault the TUI reads only what is on screen (the 10,000-scene timing is benches/bench_tui.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benches.bench_tui import generate
from comfyvn_tui.app import VaultApp
from comfyvn_tui.views.scenes import ScenesView
from comfyvn_vault.history.repo import History
from tests.tui.conftest import screen_text, settle

SCENES = 2000


@pytest.fixture(scope="module")
def big_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big") / "vault"
    generate(root, SCENES, nodes=3, batch=1000)
    return root


async def test_opening_and_scrolling_reads_only_the_visible_scenes(
    big_vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: set[Any] = set()
    original = History.entity_doc

    def counting(self: History, doc_id: Any) -> Any:
        decoded.add(doc_id)
        return original(self, doc_id)

    monkeypatch.setattr(History, "entity_doc", counting)
    app = VaultApp(big_vault)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert f"Scenes ({SCENES})" in screen_text(app)
        rows_on_screen = 30
        assert len(decoded) <= rows_on_screen + 5, len(decoded)
        await pilot.press("G")
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, ScenesView) and view.scene_list.current_key == f"s{SCENES - 1:05d}"
        assert len(decoded) <= 2 * rows_on_screen + 10, len(decoded)
        await pilot.press("4")  # history pages through commits lazily, too
        await settle(pilot)
        assert "Import scenes 1000-1999" in screen_text(app)
