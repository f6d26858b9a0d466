"""Fixtures for the TUI tests: a deterministic story vault and a way to drive the app.

The story is written once per session through the same API verbs the CLI
uses (with a fixed clock and author, so commit ids and times never change),
then copied for each test. Settings files and ``$EDITOR`` are isolated.
"""

from __future__ import annotations

import asyncio
import inspect
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from comfyvn_vault.api import edit, merge
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.vault import Vault
from tests.assets import media

FIXED_TIME_MS = "1767225600000"  # 2026-01-01 00:00 UTC
AUTHOR = "tester"
SIZE = (120, 32)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop (Pilot needs one; no asyncio plugin is installed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**args))
    return True


def write_story(root: Path) -> None:
    """The demo's branching story, through the story verbs (each verb one commit)."""
    vault, _ = Vault.init(root)
    with vault:
        edit.character_new(vault, "Alice", {"role": "lighthouse keeper's niece"})
        edit.character_new(vault, "Bob", {"role": "fisherman"})
        edit.var_set(vault, "courage", "0")
        edit.scene_new(vault, "The Lighthouse", "intro")
        for speaker, text in [
            ("Alice", "The lamp hasn't turned in forty years. Tonight it did."),
            ("Bob", "Maybe the keeper came back?"),
            ("Alice", "The keeper drowned, Bob. I was there."),
        ]:
            edit.node_add(vault, "intro", speaker=speaker, content=text)
        edit.node_add(vault, "intro", type="choice", content="Who is up there?", node_id="ask")
        edit.scene_new(vault, "The Stairs", "stairs")
        edit.node_add(vault, "stairs", speaker="Alice", content="Stay close. The steps are rotten.")
        edit.scene_new(vault, "Morning", "morning")
        edit.node_add(vault, "morning", speaker="Bob", content="By daylight, the lamp is dark again.")
        edit.choice_add(vault, "intro", "ask", text="Climb the stairs", target="stairs:", condition="courage >= 0")
        edit.choice_add(vault, "intro", "ask", text="Wait for morning", target="morning:")
        edit.timeline_new(vault, "Main route", ["intro", "stairs", "morning"])
        vault.switch("darker", create=True)
        edit.node_edit(vault, "intro", "n3", content="The keeper drowned, Bob. I pushed him.")
        vault.switch("main")
        edit.node_edit(vault, "intro", "n1", content="The lamp hasn't turned in fifty years. Tonight it did.")


@pytest.fixture(autouse=True)
def tui_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fixed clock and author; no user config files; no real editor."""
    monkeypatch.setenv("COMFYVN_TIME_MS", FIXED_TIME_MS)
    monkeypatch.setenv("COMFYVN_AUTHOR", AUTHOR)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "false")


@pytest.fixture(autouse=True)
def no_unread_errors(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app survives errors (comfyvn_tui/guard.py); a test fails on any it survived and did not read and clear."""
    from comfyvn_tui.app import VaultApp

    apps: list[VaultApp] = []
    init = VaultApp.__init__

    def tracked(self: VaultApp, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        apps.append(self)

    monkeypatch.setattr(VaultApp, "__init__", tracked)
    yield
    for app in apps:
        assert not app.caught_errors, "\n".join(f"{c.summary} in {c.where}\n{c.details}" for c in app.caught_errors)


@contextmanager
def fixed_clock_and_author() -> Iterator[None]:
    """The clock and author every test vault is written with (outside a test's own environment)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMFYVN_TIME_MS", FIXED_TIME_MS)
        mp.setenv("COMFYVN_AUTHOR", AUTHOR)
        yield


@pytest.fixture(scope="session")
def story_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "vault"
    with fixed_clock_and_author():
        write_story(root)
    return root


def fresh_copy(template: Path, tmp_path: Path) -> Path:
    """A copy of a template vault for one test."""
    root = tmp_path / "vault"
    shutil.copytree(template, root)
    return root


@pytest.fixture
def vault_path(story_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the story vault for one test."""
    return fresh_copy(story_template, tmp_path)


def conflicting_variant(vault_path: Path) -> None:
    """On darker, change the same word of intro#n1 that main changed: a merge conflict."""
    with Vault.open(vault_path) as vault:
        vault.switch("darker")
        edit.node_edit(vault, "intro", "n1", content="The lamp hasn't turned in sixty years. Tonight it did.")
        vault.switch("main")


def assets_and_a_conflict(root: Path, tmp_path: Path) -> None:
    """Every commit after the first holds assets; the merge commit also holds a conflict record."""
    with Vault.open(root) as vault:
        add_assets(vault, [media.png(tmp_path / "sky.png"), media.wav(tmp_path / "bell.wav")])
        vault.switch("darker")
        edit.node_edit(vault, "intro", "n1", content="The lamp hasn't turned in sixty years.")
        vault.switch("main")
        result = merge.merge(vault, "darker", "Merge darker")
        assert result.conflicts


async def settle(pilot: Pilot[Any]) -> None:
    """Let messages, workers (status, details, search) and repaints finish."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app: Any) -> str:
    """The screen as plain text (what a user would read)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


async def fill_form(pilot: Pilot[Any], *values: str | None) -> None:
    """Answer the open :class:`FormScreen`: set its fields (None keeps a field) and press enter on the last."""
    from textual.widgets import Input

    from comfyvn_tui.screens.form import FormScreen

    screen = pilot.app.screen
    assert isinstance(screen, FormScreen), f"expected a form, got {screen!r}"
    inputs = list(screen.query(Input))
    assert len(values) <= len(inputs)
    for widget, value in zip(inputs, values, strict=False):
        if value is not None:
            widget.value = value
    inputs[-1].focus()
    await pilot.press("enter")
    await settle(pilot)
