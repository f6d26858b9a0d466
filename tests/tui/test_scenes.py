"""Scenes view: navigate, edit a node and commit it, nodes and choices, $EDITOR."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from comfyvn_tui.app import VaultApp
from comfyvn_tui.config import Settings
from comfyvn_tui.screens.confirm import ConfirmScreen
from comfyvn_tui.views.scenes import ScenesView
from comfyvn_vault.api import edit, history
from comfyvn_vault.domain.entities import Scene
from tests.tui.conftest import SIZE, fill_form, screen_text, settle


def scenes(app: VaultApp) -> ScenesView:
    view = app.main.current_view
    assert isinstance(view, ScenesView)
    return view


async def test_opens_on_the_scene_list_with_the_first_scene(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "intro  The Lighthouse  4 nodes" in text
        assert "n1    Alice: The lamp" in text and "fifty" in text
        assert "branch main" in text and "0 uncommitted" in text and "0 conflicts" in text
        assert app.focused is scenes(app).scene_list


async def test_vim_keys_and_arrows_move_through_lists(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = scenes(app)
        await pilot.press("j")
        assert view.scene_list.current_key == "morning"
        await pilot.press("G")
        assert view.scene_list.current_key == "stairs"
        await pilot.press("g")
        assert view.scene_list.current_key == "intro"
        await pilot.press("down", "up")
        assert view.scene_list.current_key == "intro"
        await pilot.press("enter", "G")
        assert app.focused is view.outline and view.outline.current_key == "ask"
        assert view.editor.node is not None and view.editor.node.id == "ask"
        await pilot.press("escape")
        assert app.focused is view.scene_list


async def test_find_and_next_match(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = scenes(app)
        await pilot.press("slash")
        await fill_form(pilot, "stairs")
        assert view.scene_list.current_key == "stairs"
        await pilot.press("g", "enter", "slash")
        await fill_form(pilot, "alice")  # from n1: the next Alice line
        assert view.outline.current_key == "n3"
        await pilot.press("n")  # wraps around
        assert view.outline.current_key == "n1"
        await pilot.press("N")
        assert view.outline.current_key == "n3"


async def test_edit_a_node_and_commit_with_a_message(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = scenes(app)
        await pilot.press("enter", "j", "enter")  # intro → outline → n2 → editor
        assert app.focused is view.editor.content_area
        view.editor.content_area.load_text("Maybe the keeper never left?")
        await pilot.press("shift+tab")  # to the speaker field
        assert app.focused is view.editor.speaker_input
        view.editor.speaker_input.value = "Robert"
        await pilot.pause()
        assert "● unsaved" in screen_text(app)
        await pilot.press("ctrl+s")
        await fill_form(pilot, "Bob doubts")
        log = history.log(app.vault, limit=1).commits[0]
        assert log.message == "Bob doubts" and log.events == 1
        node = edit.need(app.vault, "scenes", "intro", Scene).nodes[1]
        assert (node.speaker, node.content) == ("Robert", "Maybe the keeper never left?")
        assert not view.editor.dirty
        assert "● unsaved" not in screen_text(app)


async def test_auto_commit_commits_each_edit_with_its_default_message(vault_path: Path) -> None:
    app = VaultApp(vault_path, settings=Settings(auto_commit=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = scenes(app)
        await pilot.press("enter", "enter")
        view.editor.speaker_input.value = ""  # narration: clears the speaker
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert history.log(app.vault, limit=1).commits[0].message == "Edit node n1 of intro"
        assert edit.need(app.vault, "scenes", "intro", Scene).nodes[0].speaker is None


async def test_leaving_an_unsaved_edit_asks_first(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = scenes(app)
        await pilot.press("enter", "enter")
        view.editor.content_area.load_text("half-written")
        await pilot.press("escape", "j", "enter")  # back to the outline, open n2
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert view.editor.node is not None and view.editor.node.id == "n1" and view.editor.dirty
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert app.is_running
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert view.editor.node is not None and view.editor.node.id == "n2" and not view.editor.dirty


async def test_add_and_delete_nodes(vault_path: Path) -> None:
    app = VaultApp(vault_path, settings=Settings(auto_commit=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = scenes(app)
        await pilot.press("enter", "a")  # add after n1
        await fill_form(pilot, "Bob", "What light?")
        ids = [n.id for n in edit.need(app.vault, "scenes", "intro", Scene).nodes]
        assert ids == ["n1", "n5", "n2", "n3", "ask"]
        assert view.outline.current_key == "n5"
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        ids = [n.id for n in edit.need(app.vault, "scenes", "intro", Scene).nodes]
        assert ids == ["n1", "n2", "n3", "ask"]


async def test_add_edit_and_remove_choices(vault_path: Path) -> None:
    app = VaultApp(vault_path, settings=Settings(auto_commit=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = scenes(app)
        await pilot.press("enter", "G", "o")
        await fill_form(pilot, "Run away", "morning:")
        ask = edit.need(app.vault, "scenes", "intro", Scene).nodes[-1]
        assert [c.text for c in ask.choices] == ["Climb the stairs", "Wait for morning", "Run away"]
        view.editor.choice_list.focus()
        await pilot.press("G", "enter")  # edit c3
        await fill_form(pilot, "Flee")
        ask = edit.need(app.vault, "scenes", "intro", Scene).nodes[-1]
        assert ask.choices[-1].text == "Flee"
        await pilot.press("x", "y")
        await settle(pilot)
        ask = edit.need(app.vault, "scenes", "intro", Scene).nodes[-1]
        assert [c.id for c in ask.choices] == ["c1", "c2"]


async def test_new_scene_and_refused_edits_are_notifications(vault_path: Path) -> None:
    app = VaultApp(vault_path, settings=Settings(auto_commit=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = scenes(app)
        await pilot.press("A")
        await fill_form(pilot, "The Cliff")
        assert view.scene_list.current_key == "the-cliff"
        head = app.vault.history.head()
        await pilot.press("A")
        await fill_form(pilot, "Another intro", "intro")  # an id that is taken
        assert any("scene 'intro' already exists" in n.message for n in app._notifications)
        assert app.vault.history.head() == head
        await pilot.press("G", "D", "y")
        await settle(pilot)
        assert "the-cliff" not in [p.split("/")[1] for p, _ in app.vault.projections.paths("scenes")]


def _editor_script(tmp_path: Path) -> str:
    script = tmp_path / "fake-editor"
    script.write_text('#!/bin/sh\nsed -i "s/forty years/sixty years/; s/fifty years/sixty years/" "$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


async def test_e_opens_the_scene_file_in_the_editor_and_commits_the_result(vault_path: Path, tmp_path: Path) -> None:
    os.environ["EDITOR"] = _editor_script(tmp_path)
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await fill_form(pilot)  # the commit message prompt, default message
        commit = history.log(app.vault, limit=1).commits[0]
        assert commit.message == "Edit scenes/intro.toml"
        shown = history.show(app.vault, commit.id)
        assert isinstance(shown, history.ShownCommit)
        assert [e.summary for e in shown.event_list] == ["NodeEdited scenes/intro#n1 (content)"]
        assert "sixty years" in edit.need(app.vault, "scenes", "intro", Scene).nodes[0].content
