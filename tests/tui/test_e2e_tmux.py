"""End to end: the real ``comfyvn tui`` in a real terminal (tmux), edited and played by keystrokes.

Starts ``python -m comfyvn_vault -C VAULT tui`` in a private tmux server,
opens a node, rewrites its line, saves it with a commit message, quits, and
checks the result with ``comfyvn log --json`` and ``comfyvn scene show --json``;
and plays the story (F2, a menu option by its number) against ``comfyvn play``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux) so no real terminal to drive"
)


class Tmux:
    """A private tmux server (its own socket file) running one command in a 120x32 window."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, timeout=10)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "tui").stdout

    def alive(self) -> bool:
        return self.run("has-session", "-t", "tui").returncode == 0

    def wait_for(self, text: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", "tui", *(["-l"] if literal else []), *keys)

    def wait_gone(self, text: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while text in self.screen():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never went away; the screen was:\n{self.screen()}")
            time.sleep(0.05)

    def replace_field(self, text: str, was: str, shown_as: str) -> None:
        """Clear the focused field (the screen showed ``was``) and type ``text``; wait until it shows ``shown_as``.

        Textual inserts typed characters at once but runs key bindings (ctrl+a,
        ctrl+k) when the key has bubbled up to the app, so characters sent in
        the same burst could land before the clear: wait for the clear first.
        """
        self.keys("C-a", "C-k")
        self.wait_gone(was)
        self.keys(text, literal=True)
        self.wait_for(shown_as)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    # A short path of its own: a socket path may not exceed ~100 bytes.
    socket = Path(tempfile.gettempdir()) / f"comfyvn-tmux-{uuid.uuid4().hex[:8]}"
    t = Tmux(socket)
    yield t
    t.run("kill-server")
    socket.unlink(missing_ok=True)


def start_tui(tmux: Tmux, vault_path: Path, **extra_env: str) -> None:
    """Run ``comfyvn -C VAULT tui`` in the tmux window, as a user would, and wait for the first screen."""
    wanted = ("COMFYVN_TIME_MS", "COMFYVN_AUTHOR", "XDG_CONFIG_HOME", "PATH", "HOME")
    env = {**{k: os.environ[k] for k in wanted if k in os.environ}, "TERM": "xterm-256color", **extra_env}
    entry = ["-m", "comfyvn_vault"]  # the real `comfyvn`: its tui verb comes by entry point
    command = " ".join(
        [
            "env",
            *("-u", "COLUMNS", "-u", "LINES"),  # a size inherited from the test runner's terminal would win
            *(f"{k}={shlex.quote(v)}" for k, v in env.items()),
            shlex.quote(sys.executable),
            *entry,
            *("-C", shlex.quote(str(vault_path)), "tui"),
        ]
    )
    started = tmux.run("new-session", "-d", "-s", "tui", "-x", "120", "-y", "32", "-c", str(vault_path), command)
    assert started.returncode == 0, started.stderr
    tmux.wait_for("Scenes (3)")
    tmux.wait_for("0 uncommitted")


def quit_tui(tmux: Tmux) -> None:
    tmux.keys("q")
    deadline = time.monotonic() + 10
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not tmux.alive(), "the TUI did not quit on q"


def test_edit_a_line_in_the_real_tui_then_check_it_with_the_cli(tmux: Tmux, vault_path: Path) -> None:
    start_tui(tmux, vault_path)
    tmux.keys("Enter")  # into the outline of intro
    tmux.keys("j")  # n2: Bob's line
    tmux.wait_for("intro#n2")
    tmux.keys("Enter")  # into the editor (the content)
    tmux.wait_for("^s Save")
    line = "Maybe the keeper never left."
    tmux.replace_field(line, was="▊ Maybe the keeper came back?", shown_as=f"▊ {line} ")
    tmux.wait_for("● unsaved")
    tmux.keys("C-s")
    tmux.wait_for("Commit message")
    message = "Bob wonders, from the terminal"
    tmux.replace_field(message, was="▊  Edit node n2 of intro", shown_as=f"▊  {message} ")
    tmux.keys("Enter")
    tmux.wait_for("committed")
    tmux.keys("Escape")  # back to the outline; wait for it, or ESC + q could read as alt+q
    tmux.wait_for("Delete node")
    quit_tui(tmux)

    log = run_cli("-C", vault_path, "log", "-n", "1", "--json")
    assert log.code == 0, log.err
    newest = log.json()["commits"][0]
    assert newest["message"] == message
    assert newest["author"] == "tester" and newest["events"] == 1
    scene = run_cli("-C", vault_path, "scene", "show", "intro", "--json")
    assert scene.code == 0, scene.err
    bob = scene.json()["nodes"][1]
    assert bob["id"] == "n2" and bob["speaker"] == "Bob" and bob["content"] == line
    status = run_cli("-C", vault_path, "status", "--json").json()
    assert status["changes"] == []


def test_e_suspends_the_tui_for_the_editor_and_commits_the_file(tmux: Tmux, vault_path: Path, tmp_path: Path) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/fifty years/seventy years/" "$1"\n')
    editor.chmod(0o755)
    start_tui(tmux, vault_path, EDITOR=str(editor))
    tmux.keys("e")  # the app suspends, the "editor" rewrites scenes/intro.toml, the app resumes
    tmux.wait_for("Edit scenes/intro.toml")  # the commit prompt, with its default message
    tmux.keys("Enter")
    tmux.wait_for("committed")
    tmux.wait_gone("Commit message")  # the prompt has closed: q now reaches the app, not its field
    quit_tui(tmux)
    newest = run_cli("-C", vault_path, "log", "-n", "1", "--json").json()["commits"][0]
    assert newest["message"] == "Edit scenes/intro.toml" and newest["events"] == 1
    scene = run_cli("-C", vault_path, "scene", "show", "intro", "--json").json()
    assert "seventy years" in scene["nodes"][0]["content"]


def test_play_in_the_real_tui_says_what_comfyvn_play_says(tmux: Tmux, vault_path: Path) -> None:
    start_tui(tmux, vault_path)
    tmux.keys("F2")  # a function key reaches the app through a real terminal
    tmux.wait_for("2 Wait for morning")  # typed out to the menu
    tmux.keys("1")
    shown = tmux.wait_for("the end")
    said = run_cli("-C", vault_path, "play", "--choose", "1").out.splitlines()
    assert said[-1] == "Alice: Stay close. The steps are rotten."
    for line in said:
        assert line[:50] in shown  # the transcript pane wraps the longest line after 50 columns
    assert "comfyvn play intro --seed 0 --choose 1" in shown
    quit_tui(tmux)
