"""How fast does the TUI open and move on a big vault? (A helper, not a test.)

    .venv/bin/python -m tests.tui.perf_probe [--scenes 10000] [--nodes 20] [--vault DIR]

Generates a vault (default: 10,000 scenes of 20 nodes = 200,000 nodes) quickly
through the API: batches of ``SceneCreated`` events, each batch one
``Vault.record`` (one commit), and measures:

* in-process: from ``VaultApp(path)`` to the first frame showing the scene list,
  then a jump to the last scene (``G``), a page down and a switch to History;
* a real process in tmux (when tmux is installed): from spawning
  ``python -m tui PATH`` to the scene list being on the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from comfyvn_vault.domain.entities import Character, Node, Scene
from comfyvn_vault.domain.events import Cause, CharacterCreated, SceneCreated
from comfyvn_vault.vault import Vault

SPEAKERS = ("Alice", "Bob", "Carol", "Dave")


def generate(root: Path, scenes: int = 10_000, nodes: int = 20, batch: int = 1000) -> float:
    """Write a vault of ``scenes`` scenes with ``nodes`` nodes each; returns the seconds it took."""
    start = time.perf_counter()
    vault, _ = Vault.init(root)
    cause = Cause(kind="import", ref="perf-probe")
    with vault:
        cast = [CharacterCreated(character=Character(id=s.lower(), name=s), cause=cause) for s in SPEAKERS]
        vault.record(cast, "The cast")
        for first in range(0, scenes, batch):
            events = []
            for i in range(first, min(first + batch, scenes)):
                lines = [
                    Node(
                        id=f"n{j + 1}",
                        speaker=SPEAKERS[(i + j) % len(SPEAKERS)],
                        content=f"Line {j + 1} of scene {i}: the lamp turned, word{i % 97} and word{j}.",
                    )
                    for j in range(nodes)
                ]
                events.append(SceneCreated(scene=Scene(id=f"s{i:05d}", title=f"Scene {i}", nodes=lines), cause=cause))
            vault.record(events, f"Import scenes {first}-{first + len(events) - 1}")
    return time.perf_counter() - start


async def measure_in_process(root: Path, scenes: int) -> dict[str, float]:
    """Seconds from ``VaultApp(path)`` to the first frame, and from a key press to its frame."""
    from textual import events

    from tests.tui.conftest import screen_text
    from tui.app import VaultApp

    marks: dict[str, float] = {}
    start = time.perf_counter()
    app = VaultApp(root)

    async def until(text: str, since: float, timeout: float = 30) -> float:
        while text not in screen_text(app):
            if time.perf_counter() - since > timeout:
                raise TimeoutError(f"{text!r} did not appear in {timeout} s; the screen:\n{screen_text(app)}")
            await asyncio.sleep(0.002)
        return time.perf_counter() - since

    async with app.run_test(size=(120, 36)):
        marks["open: first frame with the scene list"] = await until(f"Scenes ({scenes})", start)
        marks["open: status bar filled (working-copy scan, a thread)"] = await until("uncommitted", start)
        last = f"s{scenes - 1:05d}"
        for label, key, expect in (
            ("G: last scene shown with its nodes", "G", f"Nodes of {last}"),
            ("g: first scene shown with its nodes", "g", "Nodes of s00000"),
            ("4: History log on screen", "4", "Log (all branches)"),
            ("   …its newest commit's 1000 events and diff", "", "Diff (unified"),
            ("1: back to Scenes", "1", "Nodes of s00000"),
        ):
            t = time.perf_counter()
            if key:
                app.post_message(events.Key(key, key if len(key) == 1 else None))
            marks[label] = await until(expect, t)
    return marks


def measure_process(root: Path, scenes: int, timeout: float = 20) -> float | None:
    """Seconds from spawning ``python -m tui`` in tmux to the scene list on screen (None without tmux)."""
    if shutil.which("tmux") is None:
        return None
    tmux = ["tmux", "-S", str(Path(tempfile.gettempdir()) / f"comfyvn-perf-{uuid.uuid4().hex[:8]}")]
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}  # the window's size must win
    command = f"env TERM=xterm-256color {sys.executable} -m tui {root}"
    start = time.perf_counter()
    subprocess.run([*tmux, "new-session", "-d", "-s", "perf", "-x", "120", "-y", "36", command], check=True, env=env)
    try:
        while time.perf_counter() - start < timeout:
            shown = subprocess.run([*tmux, "capture-pane", "-p", "-t", "perf"], capture_output=True, text=True).stdout
            if f"Scenes ({scenes})" in shown:
                return time.perf_counter() - start
            time.sleep(0.01)
        return None
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        Path(tmux[2]).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tui.perf_probe", description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--vault", type=Path, help="use (or create) this vault instead of a temporary one")
    args = parser.parse_args(argv)
    root = args.vault or Path(f"/tmp/comfyvn-perf-{args.scenes}x{args.nodes}")
    if not (root / ".comfyvn").is_dir():
        seconds = generate(root, args.scenes, args.nodes)
        print(f"generated {args.scenes} scenes x {args.nodes} nodes in {root} in {seconds:.1f} s")
    results: dict[str, Any] = asyncio.run(measure_in_process(root, args.scenes))
    for label, seconds in results.items():
        print(f"  in-process  {label:<52} {seconds * 1000:7.0f} ms")
    process = measure_process(root, args.scenes)
    if process is None:
        print("  real process: skipped (tmux is not installed)")
    else:
        print(f"  real process (python start, imports, vault open, first frame)   {process * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
