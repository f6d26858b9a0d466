"""The Map view: the story's graph as an outline that follows the Scenes view's cursor, with check findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from comfyvn_tui.app import VaultApp
from comfyvn_tui.views.play import PlayView
from comfyvn_tui.views.scenes import ScenesView
from comfyvn_tui.views.storymap import MapView
from comfyvn_vault.api import edit, merge
from comfyvn_vault.vault import Vault
from tests.tui.conftest import SIZE, conflicting_variant, screen_text, settle


def add_an_island(root: Path) -> None:
    """A scene nothing leads to, where someone no character is speaks; and morning ends in a menu with no way on."""
    with Vault.open(root) as vault:
        edit.scene_new(vault, "The Island", "island")
        edit.node_add(vault, "island", speaker="Ghost", content="No one comes here.")
        edit.node_add(vault, "morning", type="choice", content="Swim to the island?", node_id="swim")
        edit.choice_add(vault, "morning", "swim", text="Swim", target="island:", condition="false")


async def show(pilot: Pilot[Any], key: str) -> Any:
    await pilot.press(key)
    await settle(pilot)
    return pilot.app.main.current_view  # type: ignore[attr-defined]


async def test_the_map_lists_scenes_nodes_choices_and_marks(vault_path: Path) -> None:
    add_an_island(vault_path)
    app = VaultApp(vault_path, start_view="map")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, MapView)
        text = screen_text(app)
        assert "▾ intro  The Lighthouse  4 nodes" in text
        assert "◆ ask  Who is up there?" in text
        assert "→ stairs:n1  c1: Climb the stairs [courage >= 0]" in text
        assert "→ morning:n1  c2: Wait for morning" in text
        assert "rotten.  ■ end" in text  # the story ends in the stairs
        assert "▾ island  The Island  1 node  ∅ unreachable" in text
        assert "◆ swim  Swim to the island?  ✗ dead end" in text and "→ island:n1  c1: Swim [false]" in text
        assert "0 errors · 3 warnings" in text
        await pilot.press("f")  # the first row with a finding: the island
        await settle(pilot)
        assert view.row_list.current_key == "island"
        text = screen_text(app)
        assert "unreachable-scene" in text and "scenes/island.toml:1" in text
        await pilot.press("f")
        await settle(pilot)
        assert view.row_list.current_key == "island:n1" and "unknown-speaker" in screen_text(app)
        await pilot.press("f")
        await settle(pilot)
        assert view.row_list.current_key == "morning:swim" and "dead-end" in screen_text(app)
        await pilot.press("F")
        await settle(pilot)
        assert view.row_list.current_key == "island:n1"


async def test_the_map_follows_the_cursor_of_the_scenes_view(vault_path: Path) -> None:
    app = VaultApp(vault_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        scenes = app.main.current_view
        assert isinstance(scenes, ScenesView)
        await pilot.press("j")  # morning
        await settle(pilot)
        view = await show(pilot, "f3")
        assert isinstance(view, MapView) and view.row_list.current_key == "morning"
        await show(pilot, "1")
        await pilot.press("k", "enter", "j", "j")  # into intro's outline, to n3
        await settle(pilot)
        assert view.row_list.current_key == "intro:n3"  # the map, out of sight, followed at once
        await pilot.press("G")
        await settle(pilot)
        assert view.row_list.current_key == "intro:ask"
        await show(pilot, "f3")
        assert "intro:ask  choice" in screen_text(app)  # the detail: the node, its ways on and in
        await pilot.press("j", "enter")  # on the edge to the stairs: enter goes where it leads
        await settle(pilot)
        assert view.row_list.current_key == "stairs:n1"
        assert view.rows is not None and view.rows.selected == "stairs:n1"
        await pilot.press("enter")  # on a node: it opens in the Scenes view
        await settle(pilot)
        assert app.main.current == "scenes" and scenes.scene_list.current_key == "stairs"


async def test_a_playthrough_leads_the_map_and_p_plays_from_a_scene(vault_path: Path) -> None:
    app = VaultApp(vault_path, start_view="map")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, MapView)
        await pilot.press("G")  # the last row: stairs:n1
        await show(pilot, "f2")  # the Play view starts playing intro
        assert view.row_list.current_key == "intro:n1"  # the map is at the line being said
        await show(pilot, "f3")
        await pilot.press("G", "p")
        await settle(pilot)
        assert app.main.current == "play"
        play_view = app.main.current_view
        assert isinstance(play_view, PlayView) and play_view.session is not None
        assert play_view.session.start == "stairs"


async def test_the_map_says_why_it_cannot_map_a_story_with_conflicts(vault_path: Path) -> None:
    conflicting_variant(vault_path)
    with Vault.open(vault_path) as vault:
        assert merge.merge(vault, "darker").conflicts
    app = VaultApp(vault_path, start_view="map")
    async with app.run_test(size=(160, 32)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "cannot map: 1 unresolved merge conflict" in text
