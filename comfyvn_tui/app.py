"""The comfyvn Textual app: a thin shell over the ``comfyvn_vault`` API.

The app owns the open :class:`~comfyvn_vault.vault.Vault` and the things every
view shares: running an edit as a commit (asking for a message unless
auto-commit is on), confirming destructive actions, ``$EDITOR`` through
:meth:`App.suspend`, undo/redo through the operation log, and refreshing the
views and the status bar after anything changed the vault.

Views are registered in :mod:`comfyvn_tui.views.registry` and imported on first use,
so startup reads only what the first screen shows.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import msgspec
from textual import work
from textual.app import App, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen

from comfyvn_tui.config import Settings, load_settings
from comfyvn_tui.guard import CaughtError, Guarded, describe_error
from comfyvn_tui.live import LiveRefresh
from comfyvn_tui.targets import Target
from comfyvn_tui.views.registry import number_key, views
from comfyvn_vault.api import Vault, history
from comfyvn_vault.errors import VaultError

if TYPE_CHECKING:
    from comfyvn_tui.screens.main import MainScreen

T = TypeVar("T")
Done = Callable[[], None]


def _actions_provider() -> type[Provider]:
    """The command palette's provider, imported when the palette first opens."""
    from comfyvn_tui.commands import ActionsProvider

    return ActionsProvider


#: How many caught errors the errors screen keeps.
KEEP_ERRORS = 50
#: Errors caught within this many seconds of a notified one are only listed on the errors screen.
ERROR_NOTICE_GAP_S = 1.0


class VaultApp(Guarded, App[int], inherit_bindings=False):
    """The TUI over the vault at ``root``."""

    CSS_PATH = "app.tcss"
    TITLE = "comfyvn"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {_actions_provider}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit_anywhere"),
        Binding("question_mark,f1", "help", "Keys", id="app.help"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True, id="app.palette"),
        Binding("ctrl+g", "goto", "Go to", show=False, id="app.goto"),
        Binding("escape", "back", "Back", show=False, id="app.back"),
        Binding("z", "undo", "Undo", show=False, id="app.undo"),
        Binding("Z", "redo", "Redo", show=False, id="app.redo"),
        Binding("c", "commit", "Commit", show=False, id="app.commit"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="app.reload"),
        Binding("f12", "errors", "Errors caught", show=False, id="app.errors"),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="app.focus_next"),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False, id="app.focus_previous"),
    ]

    def __init__(
        self,
        root: Path | str,
        *,
        settings: Settings | None = None,
        start_view: str = "scenes",
        env: dict[str, str] | None = None,
    ) -> None:
        self.vault = Vault.open(root)
        #: Worker-thread reads and main-thread writes never overlap: a write transaction in
        #: progress is visible to (and flushed by) reads from any thread.
        self.vault_gate = threading.Lock()
        self.settings = settings if settings is not None else load_settings(self.vault.root, env)
        self.start_view = start_view
        self.status_doc: dict[str, Any] | None = None
        self.status_problem: str | None = None
        #: Notices changes made by `comfyvn watch`, the CLI and hooks (see comfyvn_tui/live.py).
        self.live = LiveRefresh(self)
        #: Errors that escaped an action, a worker or a refresh (see comfyvn_tui/guard.py), oldest first.
        self.caught_errors: list[CaughtError] = []
        self._last_error_notice = -ERROR_NOTICE_GAP_S
        super().__init__()
        for i, spec in enumerate(views()):
            key = number_key(i)
            if key is not None:
                self._bindings._add_binding(
                    Binding(key, f"show_view('{spec.key}')", spec.title, show=False, id=f"view.{spec.key}")
                )

    # ----------------------------------------------------------------- lifecycle

    def get_default_screen(self) -> Screen[Any]:
        from comfyvn_tui.screens.main import MainScreen

        return MainScreen(self.start_view, auto_commit=self.settings.auto_commit)

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        for problem in self.settings.problems:
            self.notify(problem, title="settings", severity="warning", timeout=10)
        self.refresh_status()
        self.live.start()
        if self.settings.keymap:
            self.call_after_refresh(self._check_keymap)

    def on_unmount(self) -> None:
        self.vault.close()

    def _check_keymap(self) -> None:
        from comfyvn_tui.keys import known_ids

        unknown = sorted(set(self.settings.keymap) - known_ids(self))
        if unknown:
            self.notify(f"unknown binding ids: {', '.join(unknown)} (press ? for the list)", severity="warning")

    @property
    def main(self) -> MainScreen:
        """The main screen (views, status bar), wherever the screen stack is."""
        from comfyvn_tui.screens.main import MainScreen

        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    # ----------------------------------------------------------------- errors

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text: messages quote names, ids and commit messages that may hold ``[``."""
        if timeout is None:
            super().notify(message, title=title, severity=severity, markup=False)
        else:
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def report_error(self, error: BaseException, where: str = "") -> None:
        """Show an error that escaped a handler as a notification and keep it for the errors screen (F12).

        The vault refusing something (a :class:`VaultError`) reads as its message;
        anything else is a bug, reported as one, and the app keeps running.
        """
        caught = describe_error(error, where)
        self.log.error(caught.summary, caught.where, caught.details)
        if any(c.summary == caught.summary and c.where == caught.where for c in self.caught_errors):
            return  # the same error again (a row failing at each paint): one report is enough
        self.caught_errors.append(caught)
        del self.caught_errors[:-KEEP_ERRORS]
        now = time.monotonic()
        if now - self._last_error_notice < ERROR_NOTICE_GAP_S:
            return  # a burst (every row of a list failing): the first one's notification stands for it
        self._last_error_notice = now
        if caught.expected:
            self.notify(caught.summary, title="refused", severity="error", timeout=8)
        else:
            self.notify(
                f"{caught.summary}\nThe app kept running; F12 lists the errors with their details.",
                title="internal error",
                severity="error",
                timeout=12,
            )

    def survive(self, error: BaseException, where: str = "") -> bool:
        """Report ``error`` and go on; False when the app cannot (the main screen is not up, or reporting failed)."""
        if not self.is_running or not self._main_screen_up():
            return False
        try:
            self.report_error(error, where)
        except Exception:  # noqa: BLE001 - reporting failed too: the caller ends the app as Textual would
            return False
        return True

    def _main_screen_up(self) -> bool:
        from comfyvn_tui.screens.main import MainScreen

        return any(isinstance(s, MainScreen) for s in self.screen_stack)

    def _handle_exception(self, error: Exception) -> None:
        """Anything Textual would end the app for: a worker, timer, callback, compose or refresh that raised."""
        if not self.survive(error):
            super()._handle_exception(error)

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        """Run an action (a key, the palette); one that raises is reported, not fatal."""
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except Exception as error:
            if not self.survive(error, f"{type(namespace).__name__} action {action_name}"):
                raise
            return True

    def action_errors(self) -> None:
        from comfyvn_tui.screens.errors import ErrorsScreen

        if not isinstance(self.screen, ErrorsScreen):
            self.push_screen(ErrorsScreen())

    # ----------------------------------------------------------------- shared helpers

    def attempt(self, fn: Callable[[], T], what: str = "", *, write: bool = True) -> tuple[bool, T | None]:
        """Run one API call; a :class:`VaultError` becomes an error notification instead of a crash.

        A ``write`` waits for any worker thread that is reading the vault.
        """
        try:
            if write:
                with self.vault_gate:
                    result = fn()
                self.live.mark_seen()
                return True, result
            return True, fn()
        except VaultError as exc:
            self.notify(exc.message, title=what or "refused", severity="error", timeout=8)
            return False, None

    def confirm(self, question: str, then: Done, yes: str = "yes") -> None:
        """Ask ``question``; run ``then`` only on yes."""
        from comfyvn_tui.screens.confirm import ConfirmScreen

        def answered(ok: bool | None) -> None:
            if ok:
                then()

        self.push_screen(ConfirmScreen(question, yes), answered)

    def unsaved(self) -> list[str]:
        """Descriptions of unsaved edits in any view (the node editor, a timeline being reordered)."""
        try:
            return self.main.unsaved()
        except StopIteration:
            return []

    def guard_unsaved(self, then: Done, doing: str) -> None:
        """Run ``then``, after confirming when it would drop unsaved edits."""
        pending = self.unsaved()
        if not pending:
            then()
            return

        def discard_then() -> None:
            self.main.discard_unsaved()
            then()

        self.confirm(f"Unsaved edits: {'; '.join(pending)}.\nDiscard them and {doing}?", discard_then, "discard")

    def save_edit(
        self, default_message: str, do: Callable[[str], Any], after: Callable[[Any], None] | None = None
    ) -> None:
        """Record an edit as a commit: ``do(message)`` calls the API verb.

        With auto-commit the default message is used; otherwise a prompt asks
        for one (prefilled with the default). Errors are notifications and
        nothing changes.
        """

        def run(message: str) -> None:
            before = self.vault.history.head()
            ok, result = self.attempt(lambda: do(message))
            if not ok:
                return
            after_head = self.vault.history.head()
            if after_head is None or after_head == before:
                self.notify("nothing changed")
            elif self.vault.history.commit(after_head).message == message:
                self.notify(f"committed {after_head.short()}: {message.splitlines()[0] if message else ''}")
            else:
                self.notify(f"{self.vault.history.head_branch()} moved to {after_head.short()}")
            self.vault_changed()
            if after is not None:
                after(result)

        if self.settings.auto_commit:
            run(default_message)
            return
        from comfyvn_tui.screens.form import FormScreen, field

        def answered(values: dict[str, str] | None) -> None:
            if values is not None:
                run(values["message"].strip() or default_message)

        self.push_screen(
            FormScreen("Commit", [field("message", "Commit message", default_message)], submit="Commit"), answered
        )

    def vault_changed(self) -> None:
        """Something changed history or the working copy: reload every view and the status bar."""
        self.live.mark_seen()
        self.main.reload_views()
        self.refresh_status()

    @work(thread=True, exclusive=True, group="status")
    def refresh_status(self) -> None:
        """Compute ``comfyvn status`` off the UI thread (a big working copy takes a while to scan)."""
        try:
            with self.vault_gate:
                # Views read the document as ``comfyvn status --json`` prints it.
                doc, problem = msgspec.to_builtins(history.status(self.vault)), None
        except VaultError as exc:
            doc, problem = None, exc.message
        self.call_from_thread(self._show_status, doc, problem)

    def _show_status(self, doc: dict[str, Any] | None, problem: str | None) -> None:
        if doc is not None:
            self.status_doc = doc
        self.status_problem = problem
        self.main.show_status(self.status_doc if doc is None and problem is None else doc, problem)

    def run_editor(self, rel_file: str) -> None:
        """Open a working-copy file in ``$VISUAL``/``$EDITOR`` (the app is suspended meanwhile).

        Afterwards the working copy's edits become events: a commit (with the
        usual message prompt), exactly as ``comfyvn commit`` would record them.
        """
        path = self.vault.root / rel_file
        if not path.is_file():
            self.notify(f"{rel_file} is not in the working copy", severity="error")
            return
        command = [*shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"), str(path)]
        try:
            if self.is_headless:
                # No terminal to hand over (tests): run the (scripted) editor directly.
                code = subprocess.call(command, stdin=subprocess.DEVNULL)
            else:
                with self.suspend():
                    code = subprocess.call(command)
        except (OSError, SuspendNotSupported) as exc:
            self.notify(f"cannot run the editor {command[0]!r}: {exc}", severity="error")
            return
        if code != 0:
            self.notify(f"the editor exited with code {code}; checking the file anyway", severity="warning")
        self.commit_working_copy(f"Edit {rel_file}")

    def commit_working_copy(self, default_message: str = "Commit working-copy edits") -> None:
        """``comfyvn commit``: turn every working-copy edit into events in one commit."""
        ok, changes = self.attempt(self.vault.changes, "working copy", write=False)
        self.refresh_status()
        if not ok:
            return
        if not changes:
            self.notify("nothing to commit: the working copy matches HEAD")
            return
        self.save_edit(default_message, lambda message: history.commit(self.vault, message))

    def go_to(self, target: Target) -> None:
        """Show an entity in its view (a scene and node, a character, a timeline)."""
        self.call_later(self.main.go_to, target)

    # ----------------------------------------------------------------- actions

    READ_ONLY_BLOCKED: ClassVar[frozenset[str]] = frozenset({"undo", "redo", "commit", "show_view", "goto", "reload"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Time travel is read-only: the actions that change the vault or leave the screen are off there."""
        from comfyvn_tui.screens.time_travel import TimeTravelScreen

        return not (action in self.READ_ONLY_BLOCKED and isinstance(self.screen, TimeTravelScreen))

    async def action_show_view(self, key: str) -> None:
        await self.main.show_view(key)

    def action_help(self) -> None:
        from comfyvn_tui.keys import catalog, context_of, in_order_for
        from comfyvn_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            first = context_of(self)
            self.push_screen(HelpScreen(in_order_for(catalog(self), first), first=first))

    def action_goto(self) -> None:
        from textual.command import CommandPalette

        from comfyvn_tui.commands import GotoProvider

        if not CommandPalette.is_open(cast("App[object]", self)):
            self.push_screen(CommandPalette(providers=[GotoProvider], placeholder="Go to a scene, node or character…"))

    async def action_back(self) -> None:
        if self.screen is self.main:
            self.main.back()
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    async def action_quit(self) -> None:
        self.guard_unsaved(lambda: self.exit(0), "quit")

    def action_undo(self) -> None:
        self.guard_unsaved(lambda: self._undo_redo(undo=True), "undo")

    def action_redo(self) -> None:
        self.guard_unsaved(lambda: self._undo_redo(undo=False), "redo")

    def _undo_redo(self, undo: bool) -> None:
        ok, done = self.attempt(
            lambda: history.undo(self.vault) if undo else history.redo(self.vault), "undo" if undo else "redo"
        )
        if ok and done is not None:
            self.notify(done.operation)
            self.vault_changed()

    def action_commit(self) -> None:
        self.commit_working_copy()

    def action_reload(self) -> None:
        self.guard_unsaved(self.vault_changed, "reload")

    # ----------------------------------------------------------------- palette

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        """(name, help, callback) for every action: global ones, view switches, each view's actions."""
        from comfyvn_tui.keys import catalog

        offered: set[tuple[str, str]] = set()
        for entry in catalog(self):
            if entry.palette is None or (entry.context, entry.action) in offered:
                continue  # one command per action: q and ctrl+q are both "Quit", offered once
            offered.add((entry.context, entry.action))
            yield entry.description, f"{entry.keys_display}  ·  {entry.context}  ·  {entry.id}", entry.palette


def run(root: Path | str, start_view: str = "scenes") -> int:
    """Run the TUI on the vault at (or above) ``root``; returns the exit code."""
    from comfyvn_vault.errors import UsageError

    known = [spec.key for spec in views()]
    if start_view not in known:
        raise UsageError(f"no view {start_view!r} (views: {', '.join(known)})")
    app = VaultApp(root, start_view=start_view)
    result = app.run()
    if isinstance(result, int):
        return result
    return app.return_code or 0  # an error before the main screen was up ended the app: not a success
