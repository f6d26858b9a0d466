"""``comfyvn watch`` as a real process: JSON lines, hooks, and a clean Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tests.conftest import run_cli
from tests.watch.conftest import DEADLINE, make_story


class WatchProcess:
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.out: queue.Queue[dict[str, Any]] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.err_lines: list[str] = []
        assert proc.stdout is not None and proc.stderr is not None
        self.pumps = [
            threading.Thread(target=self._pump, args=(proc.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(proc.stderr, False), daemon=True),
        ]
        for t in self.pumps:
            t.start()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(DEADLINE)
        for t in self.pumps:
            t.join(DEADLINE)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def _pump(self, stream: IO[bytes], is_json: bool) -> None:
        for raw in stream:
            line = raw.decode()
            if is_json:
                self.out.put(json.loads(line))
            else:
                self.err_lines.append(line.rstrip("\n"))
                self.err.put(line)

    def wait_err(self, text: str) -> str:
        while True:
            try:
                line = self.err.get(timeout=DEADLINE)
            except queue.Empty:
                raise AssertionError(f"no {text!r} on stderr; got {self.err_lines}") from None
            if text in line:
                return line

    def next(self) -> dict[str, Any]:
        try:
            return self.out.get(timeout=DEADLINE)
        except queue.Empty:
            raise AssertionError(f"no JSON line; stderr: {self.err_lines}") from None


@contextmanager
def comfyvn_watch(root: Path, *args: str) -> Iterator[WatchProcess]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "comfyvn_vault", "watch", "--json", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    w = WatchProcess(proc)
    try:
        w.wait_err("watch: watching")
        yield w
    finally:
        w.close()


def test_watch_records_an_edit_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    make_story(tmp_path / "v").close()
    root = tmp_path / "v"
    intro = root / "scenes" / "intro.toml"
    with comfyvn_watch(root, "--settle", "200") as w:
        intro.write_text(intro.read_text().replace("Who lit it?", "Who lit it, then?"))
        doc = w.next()
        assert doc["schema"] == "comfyvn.watch/1" and doc["commit"] and doc["files"] == ["scenes/intro.toml"]
        # An edit still settling when Ctrl-C arrives is recorded before the watch exits.
        intro.write_text(intro.read_text().replace("Who lit it, then?", "Who lit it, at last?"))
        w.proc.send_signal(signal.SIGINT)
        assert w.proc.wait(DEADLINE) == 0
        w.wait_err("watch: stopped")
    assert not any("Traceback" in line for line in w.err_lines)
    status = run_cli("status", "--json", cwd=root).json()
    assert status["changes"] == []
    log = run_cli("log", "-n", "1", "--json", cwd=root).json()
    assert log["commits"][0]["message"] == "watch: scenes/intro.toml"


def test_watch_reports_a_malformed_file_in_one_line_and_keeps_running(tmp_path: Path) -> None:
    make_story(tmp_path / "v").close()
    root = tmp_path / "v"
    intro = root / "scenes" / "intro.toml"
    bad = intro.read_text() + "\nnodes = 3\n"
    with comfyvn_watch(root) as w:
        intro.write_text(bad)
        doc = w.next()
        assert doc["commit"] is None and doc["rejected"][0]["file"] == "scenes/intro.toml"
        line = w.wait_err("scenes/intro.toml")
        assert line.startswith("watch: scenes/intro.toml:") and "not recorded" in line
        w.proc.send_signal(signal.SIGTERM)
        assert w.proc.wait(DEADLINE) == 0
    assert intro.read_text() == bad


def test_watch_outside_a_vault_is_a_usage_error(tmp_path: Path) -> None:
    r = run_cli("watch", cwd=tmp_path)
    assert r.code == 2 and "not inside a vault" in r.err


def test_watch_runs_the_pre_commit_hook_and_a_veto_commits_nothing(tmp_path: Path) -> None:
    make_story(tmp_path / "v").close()
    root = tmp_path / "v"
    hook = root / ".comfyvn" / "hooks" / "pre-commit"
    hook.parent.mkdir()
    hook.write_text("#!/bin/sh\necho 'no shouting in dialogue' >&2\nexit 1\n")
    hook.chmod(0o755)
    head = run_cli("log", "-n", "1", "--json", cwd=root).json()["commits"][0]["id"]
    intro = root / "scenes" / "intro.toml"
    edited = intro.read_text().replace("Who lit it?", "WHO LIT IT?")
    with comfyvn_watch(root) as w:
        intro.write_text(edited)
        doc = w.next()
        assert doc["commit"] is None
        assert doc["error"].startswith("pre-commit hook vetoed the commit: no shouting in dialogue")
        w.proc.send_signal(signal.SIGINT)
        assert w.proc.wait(DEADLINE) == 0
    assert run_cli("log", "-n", "1", "--json", cwd=root).json()["commits"][0]["id"] == head
    assert intro.read_text() == edited
    assert os.access(hook, os.X_OK)
