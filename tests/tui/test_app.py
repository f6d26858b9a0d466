"""App-wide behaviour: views by number, esc, the key list, remapping, the palette, go-to, undo/redo."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.keys import format_key

from comfyvn_tui.app import VaultApp
from comfyvn_tui.config import Settings, load_settings
from comfyvn_tui.keys import catalog
from comfyvn_tui.screens.confirm import ConfirmScreen
from comfyvn_tui.screens.help import HelpScreen
from comfyvn_tui.views.registry import number_key, views
from comfyvn_tui.views.scenes import ScenesView
from comfyvn_vault.api import history
from comfyvn_vault.vault import Vault
from tests.tui.conftest import SIZE, fill_form, screen_text, settle

MAX_HINTS = 6


async def test_number_keys_switch_views_and_esc_goes_back(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for i, spec in enumerate(views()):
            key = number_key(i)
            assert key is not None  # every view has a key: the number row, then F2, F3
            await pilot.press(key)
            await settle(pilot)
            assert app.main.current == spec.key
            if spec.key == "search":
                await pilot.press("escape")  # leave the query box so digits switch views again
        await pilot.press(*["escape"] * 7)
        # back from Map (F3, shown last), Play, Imports, Advisory, Lineage, Assets, Sync
        assert app.main.current == "conflicts"
        await pilot.press("escape")
        assert app.main.current == "search"
        await pilot.press("escape", "escape")
        assert app.main.current == "branches"


@pytest.mark.parametrize("width", [80, 120])
async def test_the_tab_bar_labels_every_view_with_its_key(vault_path: Path, width: int) -> None:
    app = VaultApp(vault_path, start_view="history")
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        bar = screen_text(app).splitlines()[0]
        for i, spec in enumerate(views()):
            key = format_key(number_key(i) or "")
            # 120 columns fit every short title; 80 fit every key and the current view's title
            label = (
                f"{key}{spec.short_title}" if width >= 120 else f"{key} Log" if spec.key == "history" else f" {key} "
            )
            assert label in bar, (spec.key, bar)
        assert "…" not in bar
        await pilot.press("minus")  # the eleventh view has a key too
        await settle(pilot)
        assert app.main.current == views()[10].key


async def test_footer_shows_at_most_six_hints_in_every_context(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for i in range(len(views())):
            await pilot.press(number_key(i) or "")
            await settle(pilot)
            view = app.main.current_view
            assert view is not None
            for widget in [w for w in view.query("*") if w.focusable]:
                widget.focus()
                await pilot.pause()
                active = app.screen.active_bindings.values()
                shown = {b.binding.id or b.binding.action for b in active if b.binding.show and b.enabled}
                assert len(shown) <= MAX_HINTS, (view.view_key, widget, shown)
            if view.view_key == "search":
                await pilot.press("escape")


async def test_question_mark_lists_every_key_with_its_id(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "scenes.add_node" in text and "[keys] in a config file" in text  # the current view's keys first
        assert text.index("scenes.add_node") < text.index("list.down")
        await pilot.press(*["down"] * 8)  # the keys that work everywhere follow
        await settle(pilot)
        assert "app.undo" in screen_text(app)
        ids = [e.id for e in catalog(app)]
        assert len(ids) == len(set(ids))
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "4", "f1")  # from another view: that view's keys first
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "history.time_travel" in text and "scenes.add_node" not in text


async def test_every_binding_has_an_id(vault_path: Path) -> None:
    from textual.binding import Binding

    from comfyvn_tui.screens.time_travel import TimeTravelScreen
    from comfyvn_tui.widgets.virtual_list import VirtualList

    classes = [VaultApp, VirtualList, TimeTravelScreen, HelpScreen, ConfirmScreen, *[v.load() for v in views()]]
    for cls in classes:
        for binding in Binding.make_bindings(cls.BINDINGS):
            assert binding.id, f"{cls.__name__}: {binding.key} -> {binding.action} has no id"


async def test_keys_can_be_remapped_in_the_vault_config(vault_path: Path) -> None:
    (vault_path / ".comfyvn" / "tui.toml").write_text('[keys]\n"app.undo" = "u"\n"list.down" = ["ctrl+n", "j"]\n')
    settings = load_settings(vault_path)
    assert settings.keymap == {"app.undo": "u", "list.down": "ctrl+n,j"} and not settings.problems
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, ScenesView)
        await pilot.press("ctrl+n")
        assert view.scene_list.current_key == "morning"
        head = app.vault.history.head()
        await pilot.press("z")  # no longer undo
        await settle(pilot)
        assert app.vault.history.head() == head
        await pilot.press("u")
        await settle(pilot)
        assert app.vault.history.head() != head
        await pilot.press("question_mark", *["down"] * 8)  # past the Scenes view's keys and the list keys
        await settle(pilot)
        row = next(line for line in screen_text(app).splitlines() if "app.undo" in line)
        assert row.split("█")[1].split()[:2] == ["u", "Undo"]


def test_user_keys_file_and_bad_files_are_reported(vault_path: Path, tmp_path: Path) -> None:
    user = tmp_path / "xdg" / "comfyvn"
    user.mkdir(parents=True)
    (user / "keys.toml").write_text('"app.quit" = "Q"\n[keys]\n"app.help" = "h"\n')
    (vault_path / ".comfyvn" / "tui.toml").write_text("[settings]\nauto_commit = 'yes'\n[keys\n")
    settings = load_settings(vault_path, {"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert settings.keymap == {"app.quit": "Q", "app.help": "h"}
    assert len(settings.problems) == 1 and "tui.toml" in settings.problems[0]
    (vault_path / ".comfyvn" / "tui.toml").write_text("[settings]\nauto_commit = 'yes'\n")
    settings = load_settings(vault_path, {"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert "auto_commit" in settings.problems[0] and not settings.auto_commit


async def test_unknown_binding_ids_are_reported(vault_path: Path) -> None:
    app = VaultApp(vault_path, settings=Settings(keymap={"app.nope": "x"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("app.nope" in n.message for n in app._notifications)


async def test_command_palette_runs_any_action(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert CommandPalette.is_open(app)
        await pilot.press(*"new branch")
        await settle(pilot)
        assert "New branch" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.current == "branches"
        await fill_form(pilot, "from-palette")
        assert "from-palette" in app.vault.history.view().branches


def test_the_palette_offers_each_action_once(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    names = [name for name, _, _ in app.palette_commands()]
    assert names.count("Quit") == 1  # q and ctrl+q are one command
    assert names.count("Keys") == 1 and "New branch" in names


async def test_go_to_finds_scenes_nodes_and_characters(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g", *"stair")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, ScenesView) and view.scene_list.current_key == "stairs"
        await pilot.press("ctrl+g", *"intro#n3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert view.scene_list.current_key == "intro" and view.outline.current_key == "n3"
        await pilot.press("ctrl+g", *"bob")
        await settle(pilot)
        assert "character bob" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.current == "characters"


async def test_undo_and_redo_walk_the_operation_log(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, ScenesView)
        assert "fifty" in screen_text(app)
        await pilot.press("z")
        await settle(pilot)
        assert "forty" in screen_text(app)  # the last commit is undone; the view reloaded
        assert history.op_log(app.vault, 1).operations[0].kind == "undo"
        await pilot.press("Z")
        await settle(pilot)
        assert "fifty" in screen_text(app)
        assert history.op_log(app.vault, 1).operations[0].kind == "redo"


async def test_undo_with_uncommitted_file_edits_is_refused_and_c_commits_them(vault_path: Path) -> None:
    intro = vault_path / "scenes" / "intro.toml"
    intro.write_text(intro.read_text().replace("fifty years", "ninety years"))
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "1 uncommitted" in screen_text(app)
        await pilot.press("z")
        await settle(pilot)
        assert any("uncommitted edits" in n.message for n in app._notifications)
        await pilot.press("c")
        await fill_form(pilot, "Ninety")
        assert "0 uncommitted" in screen_text(app)
        assert history.log(app.vault, limit=1).commits[0].message == "Ninety"


async def test_q_quits_and_closes_the_vault(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0
    with Vault.open(vault_path) as vault:  # the app closed its handle: a new one opens cleanly
        assert vault.history.head() is not None


async def test_unsaved_edits_are_confirmed_before_quitting(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, ScenesView)
        await pilot.press("enter", "enter")
        view.editor.content_area.load_text("changed")
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
    assert app.return_value == 0
