"""A story vault and a real watcher (watchfiles on a temp dir) running in a thread."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.api import edit
from comfyvn_vault.vault import Vault
from comfyvn_vault.watch.record import Settled
from comfyvn_vault.watch.watcher import Watcher

DEADLINE = 20.0  # seconds to wait for something that should take well under one


def make_story(root: Path) -> Vault:
    vault, _ = Vault.init(root)
    edit.scene_new(vault, "The Lighthouse", "intro")
    edit.node_add(vault, "intro", speaker="Alice", content="The lamp turned tonight.")
    edit.node_add(vault, "intro", speaker="Bob", content="Who lit it?")
    edit.scene_new(vault, "Aside", "aside")
    edit.node_add(vault, "aside", content="Gulls.")
    return vault


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    v = make_story(tmp_path / "story")
    try:
        yield v
    finally:
        v.close()


class Running:
    """A watcher thread and the reports it made."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.reports: queue.Queue[Settled] = queue.Queue()

    def next(self, deadline: float = DEADLINE) -> Settled:
        try:
            return self.reports.get(timeout=deadline)
        except queue.Empty:
            raise AssertionError(f"no report from watch within {deadline} s") from None

    def quiet_for(self, seconds: float) -> list[Settled]:
        """Reports made within ``seconds`` (expected: none)."""
        end = time.monotonic() + seconds
        got: list[Settled] = []
        while (left := end - time.monotonic()) > 0:
            try:
                got.append(self.reports.get(timeout=left))
            except queue.Empty:
                break
        return got


@contextmanager
def watching(vault: Vault, *, initial: bool = False, **kwargs: Any) -> Iterator[Running]:
    kwargs.setdefault("quiet", 0.3)
    holder: list[Running] = []
    watcher = Watcher(vault, lambda r: holder[0].reports.put(r), **kwargs)
    running = Running(watcher)
    holder.append(running)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            watcher.run(initial=initial)
        except BaseException as exc:  # noqa: BLE001 -- handed to the test thread, re-raised there
            errors.append(exc)
            watcher.ready.set()

    thread = threading.Thread(target=run, name="watch", daemon=True)
    thread.start()
    assert watcher.ready.wait(DEADLINE), "the watch never started"
    try:
        yield running
    finally:
        watcher.stop()
        thread.join(DEADLINE)
        assert not thread.is_alive(), "the watcher did not stop"
    if errors:
        raise errors[0]


def wait_until(check: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def commit_count(vault: Vault) -> int:
    head = vault.history.head()
    assert head is not None
    return sum(1 for _ in vault.history.log(head))
