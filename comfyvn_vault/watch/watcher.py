"""``comfyvn watch``: file events from the working copy → settled changes → commits.

watchfiles (inotify here, polling elsewhere) reports raw events for the whole
project folder; only entity files (``scenes/<id>.toml`` and the like) count,
and nothing under ``.comfyvn/`` ever does. Paths are gathered by a
:class:`~comfyvn_vault.watch.settle.Settler` until the writes stop, then
:func:`~comfyvn_vault.watch.record.record_paths` validates and commits them.

The watcher's own commits write nothing in the working copy (``commit`` only
reads the files), and files that other commands rewrite (``switch``, an edit
verb, ``undo``) already match the new checkout when they settle, so they record
nothing. If another writer moves the branch while a change is being recorded,
the commit is refused as concurrent work and the paths are tried again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from comfyvn_vault.watch.record import Mode, Settled, dirty_paths, record_paths
from comfyvn_vault.watch.settle import Settler
from comfyvn_vault.worktree.format import path_of_file

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

TICK_MS: Final = 100  # how often the loop wakes without events (to notice settling and stop)
MAX_RETRIES: Final = 5  # of one change refused as concurrent work

Report = Callable[[Settled], None]


def entity_path_of(root: Path, changed: str) -> str | None:
    """The entity path (``scenes/intro``) of an absolute path from a file event, else None.

    Anything under ``.comfyvn/`` and any non-entity file (editor swap and temp
    files, art, notes) is None.
    """
    try:
        rel = Path(changed).relative_to(root).as_posix()
    except ValueError:
        return None
    if rel.startswith(".comfyvn/") or rel == ".comfyvn":
        return None
    return path_of_file(rel)


class Watcher:
    """Watch one vault's working copy until :meth:`stop` (or the stop event) is called."""

    def __init__(
        self,
        vault: Vault,
        report: Report,
        *,
        mode: Mode = "commit",
        quiet: float = 0.3,
        longest: float = 10.0,
        force_polling: bool | None = None,
    ) -> None:
        self.vault = vault
        self.report = report
        self.mode: Mode = mode
        self.settler = Settler(quiet, longest)
        self.force_polling = force_polling
        self.stop_event = threading.Event()
        #: Set once the file watch is in place (tests and the CLI wait for it).
        self.ready = threading.Event()
        self._retries: dict[str, int] = {}

    def stop(self) -> None:
        self.stop_event.set()

    def run(self, initial: bool = True, on_ready: Callable[[], None] | None = None) -> None:
        """Watch until stopped. With ``initial``, edits made while nobody watched are recorded first.

        Changes gathered but not yet settled when the watcher stops are recorded
        before it returns, so a save just before Ctrl-C is not lost.
        Stopping happens between changes: a change being recorded is finished first.
        """
        import watchfiles

        root = self.vault.root
        stream = watchfiles.watch(
            root,
            watch_filter=lambda _change, path: entity_path_of(root, path) is not None,
            step=50,
            rust_timeout=TICK_MS,
            yield_on_timeout=True,
            stop_event=self.stop_event,
            raise_interrupt=True,
            force_polling=self.force_polling,
            poll_delay_ms=100,
        )
        try:
            # The first value comes once the watch is installed: edits from now on are seen.
            first = next(stream)
            self.ready.set()
            if on_ready is not None:
                on_ready()
            if initial:
                self.settle(dirty_paths(self.vault))
            self._note(first)
            for batch in stream:
                self._note(batch)
                if self.settler.due(time.monotonic()):
                    self.settle(self.settler.take())
        finally:
            self.ready.set()
            stream.close()
        # Edits not yet seen or settled when the watch stops are recorded now. With
        # ``initial`` the whole copy is checked, as at the start: an edit saved just
        # before Ctrl-C may still sit in the kernel's event queue.
        last = self.settler.take()
        if initial:
            last = list(dict.fromkeys([*last, *dirty_paths(self.vault)]))
        self.settle(last)

    def _note(self, batch: Iterable[tuple[object, str]]) -> None:
        root = self.vault.root
        paths = [p for _, changed in batch if (p := entity_path_of(root, changed)) is not None]
        self.settler.note(paths, time.monotonic())

    def settle(self, paths: list[str]) -> Settled | None:
        """Record one settled set of paths and report it (nothing is reported when nothing changed)."""
        if not paths:
            return None
        result = record_paths(self.vault, paths, self.mode)
        if result.retry:
            again = [p for p in paths if self._retries.get(p, 0) < MAX_RETRIES]
            for p in again:
                self._retries[p] = self._retries.get(p, 0) + 1
            if again:
                self.settler.note(again, time.monotonic())
            else:
                result.retry = False
        else:
            for p in paths:
                self._retries.pop(p, None)
        if not result.empty:
            self.report(result)
        return result
