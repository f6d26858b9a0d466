"""SVG snapshots of every view (and the key list, dialogs and time travel) on the fixed story.

Commit ids and times are fixed (``COMFYVN_TIME_MS``, ``COMFYVN_AUTHOR``), so
the pictures are too. Update them with ``pytest tests/tui --snapshot-update``
after an intended change, and look at the diff report pytest writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from comfyvn_tui.app import VaultApp
from tests.tui.conftest import SIZE, assets_and_a_conflict, conflicting_variant, screen_text, settle

Compare = Callable[..., bool]


def _run(*keys: str, then: Callable[[Pilot[Any]], Awaitable[None]] | None = None) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        if then is not None:
            await then(pilot)
            await settle(pilot)
        pilot.app.clear_notifications()
        _steady_cursors(pilot.app)
        await _footer_drawn(pilot)
        await pilot.pause()

    return run_before


async def _footer_drawn(pilot: Pilot[Any]) -> None:
    """Wait (up to 5 s) until the screen is steady with the footer's hints drawn.

    Under load the footer lags frames, and it recomposes whenever bindings
    change (a worker finishing can move focus): the picture is taken only
    once two looks 0.1 s apart agree and the last line holds the hints.
    """
    from textual.widgets import Footer

    if not pilot.app.screen.query(Footer):
        return
    app: Any = pilot.app
    before, steady = "", 0
    for _ in range(80):
        await app.workers.wait_for_complete()
        await pilot.pause()  # handle what the workers posted (the status bar, a view's rows)
        now = screen_text(app).rstrip("\n")
        loaded = getattr(app, "status_doc", None) is not None or getattr(app, "status_problem", None) is not None
        steady = steady + 1 if now == before and loaded and "Commands" in now.splitlines()[-1] else 0
        if steady >= 2:
            return
        before = now
        await pilot.pause(0.1)
    raise AssertionError(f"the screen never settled with its footer drawn:\n{before}")


def _steady_cursors(app: Any) -> None:
    """Stop text cursors blinking, so a picture never catches one mid-blink."""
    from textual.widgets import Input, TextArea

    for screen in app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            assert isinstance(widget, Input | TextArea)
            widget.cursor_blink = False


@pytest.mark.parametrize(
    ("start", "keys"),
    [
        ("scenes", ("enter", "G")),  # the choice node in the editor, its choices listed
        ("characters", ()),
        ("timeline", ("enter",)),
        ("history", ()),
        ("branches", ()),
        ("conflicts", ()),
    ],
    ids=["scenes", "characters", "timeline", "history", "branches", "conflicts-none"],
)
def test_view(snap_compare: Compare, vault_path: Path, start: str, keys: tuple[str, ...]) -> None:
    assert snap_compare(VaultApp(vault_path, start_view=start), terminal_size=SIZE, run_before=_run(*keys))


def test_history_side_by_side(snap_compare: Compare, vault_path: Path) -> None:
    app = VaultApp(vault_path, start_view="history")
    assert snap_compare(app, terminal_size=SIZE, run_before=_run("s"))


def test_search_with_hits(snap_compare: Compare, vault_path: Path) -> None:
    async def search(pilot: Pilot[Any]) -> None:
        from comfyvn_tui.views.search import SearchView

        view = pilot.app.main.current_view  # type: ignore[attr-defined]
        assert isinstance(view, SearchView)
        view.query_input.value = "lamp"
        await pilot.press("enter")

    app = VaultApp(vault_path, start_view="search")
    assert snap_compare(app, terminal_size=SIZE, run_before=_run(then=search))


def test_time_travel(snap_compare: Compare, vault_path: Path) -> None:
    app = VaultApp(vault_path, start_view="history")
    assert snap_compare(app, terminal_size=SIZE, run_before=_run("G", "k", "k", "k", "k", "t", "j", "j"))


def test_time_travel_with_assets_and_a_conflict_at_80_columns(
    snap_compare: Compare, vault_path: Path, tmp_path: Path
) -> None:
    assets_and_a_conflict(vault_path, tmp_path)
    app = VaultApp(vault_path, start_view="history")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_run("t", "G"))


def test_scenes_at_80_columns(snap_compare: Compare, vault_path: Path) -> None:
    app = VaultApp(vault_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_run("enter", "G"))


def test_key_list(snap_compare: Compare, vault_path: Path) -> None:
    assert snap_compare(VaultApp(vault_path), terminal_size=SIZE, run_before=_run("question_mark"))


def test_unsaved_edit_confirmation(snap_compare: Compare, vault_path: Path) -> None:
    async def edit(pilot: Pilot[Any]) -> None:
        from comfyvn_tui.views.scenes import ScenesView

        view = pilot.app.main.current_view  # type: ignore[attr-defined]
        assert isinstance(view, ScenesView)
        view.editor.speaker_input.value = "Alicia"
        await pilot.press("escape", "j", "enter")

    app = VaultApp(vault_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=_run("enter", "enter", then=edit))


def test_commit_message_prompt(snap_compare: Compare, vault_path: Path) -> None:
    async def edit(pilot: Pilot[Any]) -> None:
        from comfyvn_tui.views.scenes import ScenesView

        view = pilot.app.main.current_view  # type: ignore[attr-defined]
        assert isinstance(view, ScenesView)
        view.editor.content_area.load_text("The lamp turned again.")
        await pilot.press("ctrl+s")

    app = VaultApp(vault_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=_run("enter", "enter", then=edit))


def test_conflicts_after_a_merge(snap_compare: Compare, vault_path: Path) -> None:
    from comfyvn_vault.api import merge
    from comfyvn_vault.vault import Vault

    conflicting_variant(vault_path)
    with Vault.open(vault_path) as vault:
        assert merge.merge(vault, "darker").conflicts
    app = VaultApp(vault_path, start_view="conflicts")
    assert snap_compare(app, terminal_size=SIZE, run_before=_run())


def test_play_at_a_menu(snap_compare: Compare, vault_path: Path) -> None:
    async def to_the_menu(pilot: Pilot[Any]) -> None:
        from comfyvn_tui.views.play import PlayView

        view = pilot.app.main.current_view  # type: ignore[attr-defined]
        assert isinstance(view, PlayView)
        while view.session is not None and (view.session.stopped is None or view.typewriter.busy):
            view.typewriter.skip()  # each line in full, then on to the next
            await pilot.pause()

    app = VaultApp(vault_path, start_view="play")
    assert snap_compare(app, terminal_size=SIZE, run_before=_run(then=to_the_menu))


def test_map_following_a_node(snap_compare: Compare, vault_path: Path) -> None:
    app = VaultApp(vault_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=_run("enter", "G", "f3"))
