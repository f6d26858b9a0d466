"""The Play view: lines typed out exactly as ``comfyvn play`` says them, menus by number, variables, seeds."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from comfyvn_tui.app import VaultApp
from comfyvn_tui.views.play import PlayView
from comfyvn_tui.widgets.typewriter import Typewriter
from comfyvn_vault.api import edit, merge, play
from comfyvn_vault.vault import Vault
from tests.tui.conftest import SIZE, conflicting_variant, fixed_clock_and_author, fresh_copy, screen_text, settle


@pytest.fixture(scope="module")
def play_template(story_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test story, plus a choice with effects and a weighted pick that the seed decides."""
    root = tmp_path_factory.mktemp("play") / "vault"
    shutil.copytree(story_template, root)
    with fixed_clock_and_author(), Vault.open(root) as vault:
        edit.choice_edit(vault, "intro", "ask", "c1", effects="courage += 1")
        edit.node_add(vault, "stairs", content="Two doors at the top.", node_id="doors")
        edit.node_add(vault, "stairs", speaker="Alice", content="The left one is cold.", node_id="left")
        edit.node_add(vault, "stairs", speaker="Bob", content="The right one hums.", node_id="right")
        edit.choice_add(vault, "stairs", "doors", text="Left", target="left", weight=1)
        edit.choice_add(vault, "stairs", "doors", text="Right", target="right", weight=1)
    return root


@pytest.fixture
def play_vault(play_template: Path, tmp_path: Path) -> Path:
    return fresh_copy(play_template, tmp_path)


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Type a line in a few ticks and go straight on to the next."""
    monkeypatch.setattr(Typewriter, "TICK_S", 0.005)
    monkeypatch.setattr(Typewriter, "CHARS_PER_TICK", 40)
    monkeypatch.setattr(Typewriter, "PAUSE_TICKS", 0)


async def until(pilot: Pilot[Any], done: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


def stopped(view: PlayView) -> Callable[[], bool]:
    return lambda: view.session is not None and view.session.stopped is not None and not view.typewriter.busy


def transcript(app: VaultApp, seed: int, choose: list[int]) -> list[str]:
    """What ``comfyvn play --json`` says, line by line as shown (on the vault the app has open)."""
    return [line.shown for line in play.play(app.vault, seed=seed, choose=choose).transcript]


async def playing(pilot: Pilot[Any]) -> PlayView:
    await settle(pilot)
    view = pilot.app.main.current_view  # type: ignore[attr-defined]
    assert isinstance(view, PlayView)
    return view


async def test_each_line_is_typed_out_in_order_without_gaps(play_vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Typewriter, "TICK_S", 3600.0)  # the test ticks by hand
    app = VaultApp(play_vault, start_view="play")
    async with app.run_test(size=SIZE) as pilot:
        view = await playing(pilot)
        typewriter = view.typewriter
        first = "Alice: The lamp hasn't turned in fifty years. Tonight it did."
        seen = [typewriter.lines[-1]]
        while typewriter.lines[-1] != first:
            typewriter.tick()
            seen.append(typewriter.lines[-1])
        step = Typewriter.CHARS_PER_TICK
        assert seen[0] == "" and all(b.startswith(a) for a, b in pairwise(seen))
        assert all(len(b) - len(a) == min(step, len(first) - len(a)) for a, b in pairwise(seen))
        await pilot.pause()
        assert "Alice: The lamp hasn't turned" in screen_text(app)
        await pilot.press("space")  # the pause after the line: skipped, the next line starts
        await pilot.pause()
        assert typewriter.lines == [first, ""]
        await pilot.press("space")  # the rest of this line at once
        assert typewriter.lines == [first, "Bob: Maybe the keeper came back?"]


async def test_the_lines_shown_are_the_transcript_of_comfyvn_play(play_vault: Path, fast: None) -> None:
    app = VaultApp(play_vault, start_view="play")
    async with app.run_test(size=(160, 40)) as pilot:
        view = await playing(pilot)
        await until(pilot, stopped(view))
        assert view.session is not None and view.session.stopped == "menu"
        assert view.typewriter.lines == transcript(app, 0, [])
        text = screen_text(app)
        assert "1 Climb the stairs" in text and "2 Wait for morning" in text
        assert "comfyvn play intro --seed 0" in text
        await pilot.press("1")
        await until(pilot, stopped(view))
        assert view.session.stopped == "end"
        assert view.typewriter.lines == transcript(app, 0, [1])
        text = screen_text(app)
        for line in view.typewriter.lines:
            assert line in text
        assert "comfyvn play intro --seed 0 --choose 1" in text and "the end" in text


async def test_a_number_picks_that_option_and_the_variables_show_its_effects(play_vault: Path, fast: None) -> None:
    app = VaultApp(play_vault, start_view="play")
    async with app.run_test(size=SIZE) as pilot:
        view = await playing(pilot)
        await until(pilot, stopped(view))
        assert "global.courage = 0" in screen_text(app)
        await pilot.press("5")  # the menu has two options: a warning, and no other view
        assert app.main.current == "play" and view.session is not None and view.session.stopped == "menu"
        await pilot.press("2")
        await until(pilot, stopped(view))
        assert view.typewriter.lines[-1] == "Bob: By daylight, the lamp is dark again."
        assert view.typewriter.lines == transcript(app, 0, [2])
        assert "global.courage = 0" in screen_text(app)  # waiting for morning takes no courage
        await pilot.press("r")  # the same seed again, from the start
        await until(pilot, stopped(view))
        await pilot.press("1")
        await until(pilot, stopped(view))
        await pilot.pause()
        assert "global.courage = 1  (was 0)" in screen_text(app)  # the choice's effects, marked
        await pilot.press("2")  # not at a menu any more: the number key switches views again
        await settle(pilot)
        assert app.main.current == "characters"


async def test_a_new_seed_restarts_and_plays_what_that_seed_plays(play_vault: Path, fast: None) -> None:
    app = VaultApp(play_vault, start_view="play")
    async with app.run_test(size=(160, 40)) as pilot:
        view = await playing(pilot)
        await until(pilot, stopped(view))
        await pilot.press("1")
        await until(pilot, stopped(view))
        assert view.seed == 0
        seen = {tuple(view.typewriter.lines)}
        for _ in range(40):  # the doors are a coin toss: a few seeds show both ways
            if len(seen) == 2:
                break
            await pilot.press("s")
            await until(pilot, stopped(view))
            seed = view.seed
            assert seed != 0 and f"seed {seed}" in screen_text(app)
            await pilot.press("1")
            await until(pilot, stopped(view))
            assert view.typewriter.lines == transcript(app, seed, [1])
            seen.add(tuple(view.typewriter.lines))
        assert len(seen) == 2  # through the left door (and on past the right one), or the right door only


async def test_enter_on_a_scene_starts_there_and_conflicts_are_a_message(play_vault: Path, fast: None) -> None:
    app = VaultApp(play_vault, start_view="play")
    async with app.run_test(size=SIZE) as pilot:
        view = await playing(pilot)
        await until(pilot, stopped(view))
        await pilot.press("j", "enter")  # morning (scenes are listed by id)
        await until(pilot, stopped(view))
        assert view.session is not None and view.session.start == "morning"
        assert view.typewriter.lines == ["Bob: By daylight, the lamp is dark again."]
    conflicting_variant(play_vault)
    with Vault.open(play_vault) as vault:
        assert merge.merge(vault, "darker").conflicts
    app = VaultApp(play_vault, start_view="play")
    async with app.run_test(size=SIZE) as pilot:
        view = await playing(pilot)
        text = screen_text(app)
        assert "cannot play: 1 unresolved merge conflict" in text
        assert view.session is None
        await pilot.press("r", "s")  # still refused, still no crash
        assert "cannot play: 1 unresolved merge conflict" in screen_text(app)


async def test_the_palette_runs_an_action_with_its_argument(play_vault: Path, fast: None) -> None:
    from comfyvn_tui.keys import catalog

    app = VaultApp(play_vault, start_view="play")
    async with app.run_test(size=SIZE) as pilot:
        view = await playing(pilot)
        await until(pilot, stopped(view))
        pick = next(e for e in catalog(app) if e.id == "play.choose_2")
        assert pick.palette is not None
        await pick.palette()  # what the palette's "Pick option 2" runs: choose(2)
        await until(pilot, stopped(view))
        assert view.session is not None and view.session.choices == [2]
