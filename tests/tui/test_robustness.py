"""The TUI never dies on an error, and time travel shows every kind of document a tree holds.

An exception escaping a view's action, a message handler, a worker or a
row's paint becomes a notification (kept for F12); the app, and the widget
whose handler raised, keep running.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text

from comfyvn_tui import rows
from comfyvn_tui.app import VaultApp
from comfyvn_tui.screens.confirm import ConfirmScreen
from comfyvn_tui.screens.errors import ErrorsScreen
from comfyvn_tui.screens.time_travel import TimeTravelScreen
from comfyvn_tui.views.history import HistoryView
from comfyvn_tui.views.scenes import ScenesView
from comfyvn_vault.api import edit, history
from comfyvn_vault.domain.entities import Entity
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.vault import Vault
from tests.tui.conftest import SIZE, assets_and_a_conflict, screen_text, settle


def _notices(app: VaultApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom [/b] from a view")  # markup-like text must not break the notification


async def test_an_action_that_raises_is_reported_and_the_app_keeps_running(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HistoryView, "action_toggle_diff", _boom)
    app = VaultApp(vault_path, start_view="history")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert app.is_running and app.return_code is None
        assert any("RuntimeError: boom [/b] from a view" in n and "internal error" in n for n in _notices(app))
        assert [c.where for c in app.caught_errors] == ["HistoryView action toggle_diff"]
        await pilot.press("1")  # still answering keys
        await settle(pilot)
        assert app.main.current == "scenes"
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, ErrorsScreen)
        text = screen_text(app)
        assert "boom [/b] from a view" in text and "Traceback" in text
        await pilot.press("escape")
        assert app.screen is app.main
        app.caught_errors.clear()


async def test_a_handler_that_raises_leaves_its_view_working(vault_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = VaultApp(vault_path, start_view="history")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, HistoryView)
        with monkeypatch.context() as patch:
            patch.setattr(HistoryView, "_load_details", _boom)  # what the Highlighted handler calls
            await pilot.press("j")
            await settle(pilot)
        assert [c.where for c in app.caught_errors] == ["HistoryView handling Highlighted"]
        app.caught_errors.clear()
        await pilot.press("j")  # the view's message loop still runs: the next highlight loads its details
        await settle(pilot)
        assert view.rows is not None and view.row_list.cursor == 2
        assert view.shown == view.rows.key(2) and view.rows.key(2)[:12] in screen_text(app)


async def test_a_worker_that_raises_is_reported(vault_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "show", _boom)  # the history view's details worker
    app = VaultApp(vault_path, start_view="history")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        assert [c.summary for c in app.caught_errors] == ["RuntimeError: boom [/b] from a view"]
        app.caught_errors.clear()
        await pilot.press("2")
        await settle(pilot)
        assert app.main.current == "characters"


async def test_a_vault_error_that_escapes_reads_as_its_message(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise InputRejected("no such thing here")

    monkeypatch.setattr(ScenesView, "action_edit_external", refuse)
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert "refused: no such thing here" in _notices(app)
        assert [c.expected for c in app.caught_errors] == [True]
        app.caught_errors.clear()


async def test_time_travel_lists_assets_and_conflicts_after_the_story(vault_path: Path, tmp_path: Path) -> None:
    assets_and_a_conflict(vault_path, tmp_path)
    app = VaultApp(vault_path, start_view="history")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TimeTravelScreen)
        rows = screen.entity_list.source
        keys = [rows.key(i) for i in range(len(rows))]
        folders = [k.split("/")[0] for k in keys]
        assert folders.index("assets") > folders.index("variables")  # the story first, then records
        assert folders.count("assets") == 2 and folders.count("conflicts") == 1
        text = screen_text(app)
        assert "sky.png" in text and "bell.wav" in text and "conflict  scenes/intro" in text
        assert "[ older" in text  # the banner's key line is there at 80 columns
        screen.entity_list.cursor = folders.index("conflicts")
        await settle(pilot)
        document = screen.document.text
        assert '"locator": "nodes/n1/content"' in document and "sixty years" in document
        screen.entity_list.cursor = keys.index(next(k for k in keys if k.startswith("assets/")))
        await settle(pilot)
        assert '"mime": "' in screen.document.text
        for _ in range(len(screen.rows)):  # every commit, back to the vault's first
            await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.index == len(screen.rows) - 1
        await pilot.press("escape")  # (focus is on the list: esc leaves)
        await pilot.press("1")
        await settle(pilot)
        scenes = app.main.current_view
        assert isinstance(scenes, ScenesView) and len(scenes.scene_list.source) == 3  # records are not scenes


async def test_a_row_that_cannot_be_painted_says_so_and_the_rest_paint(
    vault_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    label = rows.entity_label

    def fussy(doc: Entity, folder: str | None = None) -> Text:
        if doc.id == "morning":
            raise RuntimeError("cannot label morning")
        return label(doc, folder)

    monkeypatch.setattr(rows, "entity_label", fussy)
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "⚠ row 2 cannot be shown" in text and "intro" in text and "stairs" in text
        await pilot.press("j", "j")
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, ScenesView) and view.scene_list.current_key == "stairs"
        assert [c.summary for c in app.caught_errors] == ["RuntimeError: cannot label morning"]  # once, not per paint
        app.caught_errors.clear()


async def test_text_that_looks_like_markup_is_shown_as_typed(vault_path: Path) -> None:
    with Vault.open(vault_path) as vault:
        edit.node_edit(vault, "intro", "n2", content="[/b] Maybe [keys] the keeper?")
        edit.timeline_new(vault, "A [/i] route", ["intro"])  # sorts first: shown on opening
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "j", "d")  # delete n2: the question quotes its text
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "[/b] Maybe [keys] the" in screen_text(app)
        await pilot.press("n", "3")
        await settle(pilot)
        assert not app.caught_errors
        view = app.main.current_view
        assert view is not None
        view.notify("committed 1234: fix [/b] and [keys]")  # a widget's notify asks for markup: never given
        await settle(pilot)
        assert [n.message for n in app._notifications if not n.markup] == ["committed 1234: fix [/b] and [keys]"]
        assert "Scenes of A [/i] route" in screen_text(app)
