"""Sync: the remotes, each tracked branch with ahead/behind counts, and fetch / pull / push.

The rows come from ``api.sync.remote_list`` (what ``comfyvn remote list`` prints); the
keys run ``api.sync.fetch``, ``pull`` and ``push`` (the CLI's verbs) in a
worker thread, with a progress bar fed by the transfer and the app's vault gate
held so no other read sees a half-made transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.virtual_list import StaticSource
from comfyvn_vault.api import history, sync
from comfyvn_vault.errors import VaultError


class SyncView(ListDetailView):
    """One row per remote-tracking branch (or per remote not fetched yet)."""

    view_key = "sync"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "fetch", "Fetch", id="sync.fetch"),
        Binding("u", "pull", "Pull", id="sync.pull"),
        Binding("p", "push", "Push", id="sync.push"),
    ]

    DEFAULT_CSS = """
    SyncView #sync-progress { height: 1; margin: 0 1; }
    SyncView #sync-state { height: 2; padding: 0 1; }
    """

    list_id = "remote-list"
    list_title = "Remotes (f fetch, u pull, p push)"
    empty_text = "(no remotes: comfyvn remote add NAME URL)"
    split = Vertical  # the transfer's progress and outcome below the list

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: dict[str, tuple[str, str | None]] = {}  # row key -> (remote, branch)
        self.busy = False

    def compose_detail(self) -> ComposeResult:
        yield ProgressBar(id="sync-progress", show_eta=False)
        yield Static(id="sync-state")

    def load_rows(self) -> StaticSource:
        doc = sync.remote_list(self.vault)
        head = history.head_branch(self.vault)
        rows: list[tuple[str, Text]] = []
        self.rows = {}
        for r in doc.remotes:
            if not r.branches:
                label = Text()
                label.append(f"{r.name:<12}", style="bold")
                label.append(f" {r.url}  ", style="dim")
                label.append("(not fetched yet)", style="dim italic")
                rows.append((r.name, label))
                self.rows[r.name] = (r.name, None)
            for b in r.branches:
                label = Text()
                label.append(f"{r.name:<12}", style="bold")
                label.append(f" {b.ref:<28}", style="bold green" if b.branch == head else "")
                label.append(f" {b.head[:8]} ", style="yellow")
                label.append(f" ahead {b.ahead}, behind {b.behind}")
                label.append(f"   {r.url}", style="dim")
                rows.append((b.ref, label))
                self.rows[b.ref] = (r.name, b.branch)
        return StaticSource(rows)

    def _target(self) -> tuple[str, str | None] | None:
        key = self.row_list.current_key
        if key is None or key not in self.rows:
            self.notify("no remote here: add one with `comfyvn remote add NAME URL`", severity="warning")
            return None
        return self.rows[key]

    def action_fetch(self) -> None:
        target = self._target()
        if target:
            self._run("fetch", lambda progress: sync.fetch(self.vault, target[0], progress))

    def action_pull(self) -> None:
        target = self._target()
        if target:
            self._run("pull", lambda progress: sync.pull(self.vault, target[0], None, progress))

    def action_push(self) -> None:
        target = self._target()
        if target:
            self._run("push", lambda progress: sync.push(self.vault, target[0], None, False, progress))

    def _run(self, verb: str, job: Callable[[Any], sync.Transfer]) -> None:
        if self.busy:
            self.notify("a transfer is already running")
            return
        self.busy = True
        self.query_one("#sync-state", Static).update(f"{verb}…")
        self._work(verb, job)

    @work(thread=True, exclusive=True, group="sync")
    def _work(self, verb: str, job: Callable[[Any], sync.Transfer]) -> None:
        bar = self.query_one("#sync-progress", ProgressBar)

        @contextmanager
        def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
            self.app.call_from_thread(bar.update, total=max(total, 1), progress=0)
            yield lambda n: self.app.call_from_thread(bar.advance, n)

        try:
            with self.vapp.vault_gate:
                result = job(progress)
            message, ok = _summary(verb, result), True
        except VaultError as exc:
            message, ok = exc.message, False
        self.app.call_from_thread(self._done, message, ok)

    def _done(self, message: str, ok: bool) -> None:
        self.busy = False
        self.query_one("#sync-state", Static).update(message)
        self.notify(message, severity="information" if ok else "error", timeout=6)
        self.vapp.vault_changed()


def _summary(verb: str, result: sync.Transfer) -> str:
    moved = f"{result.objects} objects" if result.objects else "nothing to transfer"
    merged = f", merge: {result.merge['kind']}" if result.merge else ""
    return f"{verb} {result.remote}: {moved}{merged}"
