"""End to end: the real ``comfyvn tui`` in a real terminal (tmux), edited by keystrokes.

Starts ``python -m comfyvn_vault -C VAULT tui`` in a private tmux server,
opens a node, rewrites its line, saves it with a commit message, quits, and
checks the result with ``comfyvn log --json`` and ``comfyvn scene show --json``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux) so no real terminal to drive"
)

# Until `tui_cmds` is in VERB_MODULES, register it for this run only (a no-op once it is).
LAUNCHER = (
    "import sys; from comfyvn_vault.cli import main, tui_cmds; "
    "main.VERB_MODULES += () if tui_cmds in main.VERB_MODULES else (tui_cmds,); "
    "sys.exit(main.main(sys.argv[1:]))"
)


class Tmux:
    """A private tmux server (its own socket) running one command in a 120x32 window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10)

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

    def wait_gone(self, text: str, timeout: float = 5) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text not in self.screen():
                return True
            time.sleep(0.05)
        return False

    def replace_field(self, text: str, was: str, shown_as: str, attempts: int = 3) -> None:
        """Clear the focused field (the screen showed ``was``) and type ``text`` until it shows ``shown_as``.

        Textual inserts typed characters at once but runs key bindings (ctrl+a,
        ctrl+k) when the key has bubbled up to the app, so characters typed in
        the same burst could land before the clear: wait for the clear first.
        """
        for _ in range(attempts):
            self.keys("C-a", "C-k")
            if not self.wait_gone(was):
                continue
            self.keys(text, literal=True)
            try:
                self.wait_for(shown_as, timeout=3)
                return
            except AssertionError:
                was = shown_as.rstrip()[: len(was)] if shown_as in self.screen() else was
                continue
        self.wait_for(shown_as, timeout=1)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    t = Tmux(f"comfyvn-test-{uuid.uuid4().hex[:8]}")
    yield t
    t.run("kill-server")


def test_edit_a_line_in_the_real_tui_then_check_it_with_the_cli(tmux: Tmux, vault_path: Path) -> None:
    wanted = ("COMFYVN_TIME_MS", "COMFYVN_AUTHOR", "XDG_CONFIG_HOME", "PATH", "HOME")
    env = {k: os.environ[k] for k in wanted if k in os.environ}
    env["TERM"] = "xterm-256color"
    command = " ".join(
        [
            "env",
            "-u",
            "COLUMNS",
            "-u",
            "LINES",
            *(f"{k}={shlex.quote(v)}" for k, v in env.items()),
            shlex.quote(sys.executable),
            "-c",
            shlex.quote(LAUNCHER),
            "-C",
            shlex.quote(str(vault_path)),
            "tui",
        ]
    )
    started = tmux.run("new-session", "-d", "-s", "tui", "-x", "120", "-y", "32", "-c", str(vault_path), command)
    assert started.returncode == 0, started.stderr
    tmux.wait_for("Scenes (3)")
    tmux.wait_for("0 uncommitted")
    tmux.keys("Enter")  # into the outline of intro
    tmux.keys("j")  # n2: Bob's line
    tmux.wait_for("intro#n2")
    tmux.keys("Enter")  # into the editor (the content)
    tmux.wait_for("^s Save")
    tmux.replace_field(
        "Maybe the keeper never left.", "▊ Maybe the keeper came back?", "▊ Maybe the keeper never left. "
    )
    tmux.wait_for("● unsaved")
    tmux.keys("C-s")
    tmux.wait_for("Commit message")
    tmux.replace_field(
        "Bob wonders, from the terminal", "▊  Edit node n2 of intro", "▊  Bob wonders, from the terminal "
    )
    tmux.keys("Enter")
    tmux.wait_for("committed")
    tmux.keys("Escape")  # back to the outline; wait for it, or ESC + q could read as alt+q
    tmux.wait_for("Delete node")
    tmux.keys("q")
    deadline = time.monotonic() + 10
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not tmux.alive(), "the TUI did not quit on q"

    log = run_cli("-C", vault_path, "log", "-n", "1", "--json")
    assert log.code == 0, log.err
    newest = log.json()["commits"][0]
    assert newest["message"] == "Bob wonders, from the terminal"
    assert newest["author"] == "tester" and newest["events"] == 1
    scene = run_cli("-C", vault_path, "scene", "show", "intro", "--json")
    assert scene.code == 0, scene.err
    bob = scene.json()["nodes"][1]
    assert bob["id"] == "n2" and bob["speaker"] == "Bob" and bob["content"] == "Maybe the keeper never left."
    status = run_cli("-C", vault_path, "status", "--json").json()
    assert status["changes"] == []
