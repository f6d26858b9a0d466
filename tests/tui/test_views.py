"""Characters, timeline, history (with time travel), branches, search and conflicts views."""

from __future__ import annotations

import asyncio
from pathlib import Path

from comfyvn_tui.app import VaultApp
from comfyvn_tui.config import Settings
from comfyvn_tui.screens.confirm import ConfirmScreen
from comfyvn_tui.screens.time_travel import TimeTravelScreen
from comfyvn_tui.views.branches import BranchesView
from comfyvn_tui.views.characters import CharactersView
from comfyvn_tui.views.conflicts import ConflictsView
from comfyvn_tui.views.history import HistoryView
from comfyvn_tui.views.scenes import ScenesView
from comfyvn_tui.views.search import SearchView
from comfyvn_tui.views.timeline import TimelineView
from comfyvn_vault.api import edit, history, merge
from comfyvn_vault.domain.entities import Character, Scene, Timeline
from comfyvn_vault.vault import Vault
from tests.tui.conftest import SIZE, conflicting_variant, fill_form, screen_text, settle


async def test_characters_show_traits_and_the_scenes_they_speak_in(vault_path: Path) -> None:
    app = VaultApp(vault_path, settings=Settings(auto_commit=True), start_view="characters")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, CharactersView)
        text = screen_text(app)
        assert "lighthouse keeper's niece" in text
        assert "intro  The Lighthouse  2 lines" in text and "stairs  The Stairs  1 line" in text
        await pilot.press("t")
        await fill_form(pilot, "mood", "wary")
        assert edit.need(app.vault, "characters", "alice", Character).traits["mood"] == "wary"
        await pilot.press("j")
        assert "morning  Morning  1 line" in screen_text(app)
        await pilot.press("enter", "G", "enter")  # Bob speaks last in morning
        await settle(pilot)
        scenes = app.main.current_view
        assert isinstance(scenes, ScenesView) and scenes.scene_list.current_key == "morning"


async def test_timeline_reorder_is_saved_as_one_edit(vault_path: Path) -> None:
    app = VaultApp(vault_path, start_view="timeline")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, TimelineView)
        await pilot.press("enter", "J")  # intro moves below stairs
        assert view.order == ["stairs", "intro", "morning"]
        assert view.unsaved() is not None and "● unsaved" in screen_text(app)
        await pilot.press("K", "J", "J")
        assert view.order == ["stairs", "morning", "intro"]
        await pilot.press("ctrl+s")
        await fill_form(pilot, "Reorder the route")
        timeline = edit.need(app.vault, "timelines", "main-route", Timeline)
        assert timeline.scene_order == ["stairs", "morning", "intro"]
        assert history.log(app.vault, limit=1).commits[0].events == 1
        await pilot.press("K")
        assert view.unsaved()
        await pilot.press("3")  # switching views keeps the moves; undo would drop them, so it asks
        await pilot.press("z")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert view.order == ["stairs", "intro", "morning"]


async def test_history_shows_lanes_details_and_both_diff_layouts(vault_path: Path) -> None:
    app = VaultApp(vault_path, start_view="history")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, HistoryView)
        text = screen_text(app)
        assert "(main) Edit node n1" in text and "(darker) Edit node n3" in text
        assert "│ ●" in text and "● ┘" in text  # the darker lane beside main, joining at the fork
        assert "- content: The lamp hasn't turned in forty years" in text
        assert "+ content: The lamp hasn't turned in fifty years" in text
        await pilot.press("s")
        text = screen_text(app)
        assert "before (" in text and "after (" in text
        await pilot.press("j")
        await settle(pilot)
        assert "NodeEdited scenes/intro#n3 (content)" in screen_text(app)


async def test_time_travel_browses_the_story_at_any_commit(vault_path: Path) -> None:
    app = VaultApp(vault_path, start_view="history")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, HistoryView) and view.rows is not None
        target = next(i for i, r in enumerate(view.rows.rows) if r.message == "New scene: The Stairs")
        view.row_list.cursor = target
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TimeTravelScreen)
        assert "TIME TRAVEL" in screen_text(app)
        keys = [screen.entity_list.source.key(i) for i in range(len(screen.entity_list.source))]
        assert "scenes/stairs" in keys and "scenes/morning" not in keys and "timelines/main-route" not in keys
        await pilot.press("right_square_bracket")  # newer: Add node n1 to stairs
        assert screen.rows.rows[screen.index].message == "Add node n1 to stairs"
        await pilot.press("left_square_bracket", "left_square_bracket")  # older: the stairs did not exist yet
        keys = [screen.entity_list.source.key(i) for i in range(len(screen.entity_list.source))]
        assert "scenes/stairs" not in keys and "scenes/intro" in keys
        head = app.vault.history.head()
        await pilot.press("z", "1")  # read-only: no undo, no view switching here
        await settle(pilot)
        assert app.vault.history.head() == head and app.screen is screen
        await pilot.press("escape")
        assert isinstance(app.screen, type(app.main))


async def test_branches_create_switch_and_delete(vault_path: Path) -> None:
    app = VaultApp(vault_path, start_view="branches")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, BranchesView)
        await pilot.press("A")
        await fill_form(pilot, "epilogue")
        assert "epilogue" in app.vault.history.view().branches
        await pilot.press("g", "enter")  # darker
        await settle(pilot)
        assert app.vault.history.view().head == "darker"
        assert "branch darker" in screen_text(app)
        assert "I pushed him" in (vault_path / "scenes" / "intro.toml").read_text()
        await pilot.press("j", "d")  # epilogue
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert "epilogue" not in app.vault.history.view().branches
        await pilot.press("g", "d")  # darker is checked out: refused with a message
        await settle(pilot)
        assert any("cannot delete the checked-out branch" in n.message for n in app._notifications)
        await pilot.press("m")  # nor can it merge into itself
        await settle(pilot)
        assert any("is the current branch" in n.message for n in app._notifications)


async def test_search_finds_dialogue_and_opens_the_node(vault_path: Path) -> None:
    app = VaultApp(vault_path, start_view="search")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, SearchView)
        view.query_input.value = "lamp"
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "2 hits for 'lamp'" in text
        assert "intro#n1  Alice: The lamp" in text and "morning#n1  Bob: By daylight" in text
        await pilot.press("j", "enter")
        await settle(pilot)
        scenes = app.main.current_view
        assert isinstance(scenes, ScenesView)
        assert (scenes.scene_list.current_key, scenes.outline.current_key) == ("morning", "n1")
        await pilot.press("6", "slash")
        assert app.focused is view.query_input


async def test_merge_with_a_conflict_then_resolve_it(vault_path: Path) -> None:
    conflicting_variant(vault_path)
    app = VaultApp(vault_path, start_view="branches")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g", "m")  # darker into main
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await fill_form(pilot)  # the default message: Merge darker into main
        head = history.show(app.vault, "HEAD")
        assert isinstance(head, history.ShownCommit)
        assert head.message == "Merge darker into main" and len(head.parents) == 2
        view = app.main.current_view
        assert isinstance(view, ConflictsView)
        text = screen_text(app)
        assert "scenes/intro  nodes/n1/content" in text and "1 conflicts" in text
        assert "fifty years" in text and "sixty years" in text  # ours and theirs, side by side
        await pilot.press("enter")  # opens the node the conflict is in
        await settle(pilot)
        scenes = app.main.current_view
        assert isinstance(scenes, ScenesView) and scenes.outline.current_key == "n1"
        await pilot.press("7")
        await pilot.press("t")
        await fill_form(pilot)
        assert app.vault.conflicts() == []
        assert "(no unresolved conflicts)" in screen_text(app) and "0 conflicts" in screen_text(app)
        intro = edit.need(app.vault, "scenes", "intro", Scene)
        assert "sixty years" in intro.nodes[0].content and "I pushed him" in intro.nodes[2].content
        assert history.log(app.vault, limit=1).commits[0].message.startswith("Resolve scenes/intro")


async def test_merge_abort_undoes_the_merge(vault_path: Path) -> None:
    conflicting_variant(vault_path)
    app = VaultApp(vault_path, start_view="branches")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.vault.history.head()
        await pilot.press("g", "m", "y")
        await fill_form(pilot)
        assert app.main.current == "conflicts" and len(app.vault.conflicts()) == 1
        await pilot.press("X", "y")
        await settle(pilot)
        assert app.vault.history.head() == before and app.vault.conflicts() == []


async def test_a_status_arriving_while_a_view_mounts_waits_for_its_widgets(vault_path: Path) -> None:
    # The status worker can finish after a view joined the DOM but before its compose
    # ran (starting the app on the conflicts view hit this under load): the view must
    # not be told yet, and gets the status once its mount completes.
    conflicting_variant(vault_path)
    with Vault.open(vault_path) as vault:
        assert merge.merge(vault, "darker").conflicts
    app = VaultApp(vault_path, start_view="scenes")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = app.status_doc
        assert status is not None and status["conflicts"]
        screen = app.main
        mounting = screen.show_view("conflicts")  # mounts the view; not awaited yet
        task = asyncio.ensure_future(mounting)
        for _ in range(50):
            await asyncio.sleep(0)
            pending = [v for v in screen._views() if isinstance(v, ConflictsView)]
            if pending and not pending[0].is_mounted:
                break
        assert pending and not pending[0].is_mounted, "never caught the view between joining and mounting"
        screen.show_status(status, None)  # before the fix: NoMatches('#conflict-list')
        view = await task
        await settle(pilot)
        assert isinstance(view, ConflictsView) and len(view.conflicts) == 1
        assert "1 conflicts" in screen_text(app) or "(1)" in screen_text(app)


async def test_merge_from_the_palette_never_proposes_an_already_merged_branch(vault_path: Path) -> None:
    conflicting_variant(vault_path)
    with Vault.open(vault_path) as vault:
        vault.branch_create("side")  # at main's tip: merged from the start
        assert merge.merge(vault, "darker", "Merge darker").conflicts
    app = VaultApp(vault_path, start_view="branches")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main.current_view
        assert isinstance(view, BranchesView)
        view.row_list.cursor = view.row_list.index_of("darker") or 0
        await settle(pilot)
        assert "already merged into main" in screen_text(app)
        await pilot.press("7", "ctrl+p", *"merge into current")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)  # nothing to merge: no question asked
        assert any("darker is already merged into main" in n.message for n in app._notifications)
        assert any("every branch is merged into main" in n.message for n in app._notifications)
        head = app.vault.history.head()
        with app.vault_gate:  # a new commit on side: now it has something to merge
            app.vault.switch("side")
            edit.node_edit(app.vault, "stairs", "n1", content="Mind the seventh step.")
            app.vault.switch("main")
        head = app.vault.history.head()
        await pilot.press("ctrl+r")
        await settle(pilot)
        view.row_list.cursor = view.row_list.index_of("darker") or 0
        await pilot.press("m")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen) and view.row_list.current_key == "side"
        await pilot.press("m")
        assert isinstance(app.screen, ConfirmScreen)  # side has a commit main lacks: proposed
        await pilot.press("n")
        assert app.vault.history.head() == head
