"""The main screen: the view tabs, the current view, the status bar and the footer.

Views are mounted into a :class:`ContentSwitcher` the first time they are
shown and kept afterwards, so switching back is instant and keeps the cursor.
esc steps back inside a view and then to the previously shown view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer

from comfyvn_tui.guard import Guarded
from comfyvn_tui.targets import Target
from comfyvn_tui.views.base import View
from comfyvn_tui.views.registry import get
from comfyvn_tui.widgets.status_bar import StatusBar
from comfyvn_tui.widgets.view_tabs import ViewTabs

if TYPE_CHECKING:
    from comfyvn_tui.app import VaultApp


class MainScreen(Guarded, Screen[None]):
    """Holds the views; the app talks to them through this screen."""

    def __init__(self, start_view: str = "scenes", *, auto_commit: bool = False) -> None:
        super().__init__()
        self.start_view = start_view
        self.auto_commit = auto_commit
        self.current: str | None = None
        self.trail: list[str] = []
        #: Where the cursor last was in a view that others follow (the Scenes view, a playthrough).
        self.selection: Target | None = None

    def compose(self) -> ComposeResult:
        yield ViewTabs(self.start_view, id="tabs")
        yield ContentSwitcher(id="views")
        yield StatusBar(auto_commit=self.auto_commit, id="status")
        yield Footer()

    async def on_mount(self) -> None:
        await self.show_view(self.start_view)

    def _views(self) -> list[View]:
        """Every view in the switcher, including one still being mounted."""
        return list(self.query_one("#views", ContentSwitcher).query_children(View))

    def mounted_views(self) -> list[View]:
        """The views whose children exist: only these are told about changes.

        A view joins the DOM before its compose has run; a status that a worker
        delivers in between must not reach it (its widgets are not there yet).
        ``show_view`` hands the view the status once its mount completes.
        """
        return [v for v in self._views() if v.is_mounted]

    def view(self, key: str) -> View | None:
        for v in self._views():
            if v.view_key == key:
                return v
        return None

    @property
    def current_view(self) -> View | None:
        return self.view(self.current) if self.current else None

    async def show_view(self, key: str, *, remember: bool = True) -> View:
        """Show the view ``key``, mounting it the first time."""
        switcher = self.query_one("#views", ContentSwitcher)
        view = self.view(key)
        cls = get(key).load() if view is None else None
        if remember and self.current is not None and self.current != key:
            self.trail.append(self.current)
            del self.trail[:-20]
        self.current = key  # before mounting: a view that leads others as it mounts (View.lead) is the current one
        if view is None:
            assert cls is not None
            view = cls(id=f"view-{key}")
            await switcher.mount(view)
            status = cast("VaultApp", self.app).status_doc
            if status is not None:
                view.status_changed(status)
            if self.selection is not None:
                view.follow(self.selection)
        switcher.current = view.id
        self.query_one("#tabs", ViewTabs).show(key)
        view.focus_default()
        self.refresh_bindings()
        return view

    async def go_to(self, target: Target) -> None:
        view = await self.show_view(target.view)
        view.go_to(target)

    def follow(self, target: Target, source: View | None = None) -> None:
        """The cursor of ``source`` is on ``target`` now: every other view that follows it moves there too."""
        self.selection = target
        for v in self.mounted_views():
            if v is not source:
                v.follow(target)

    def back(self) -> None:
        view = self.current_view
        if view is not None and view.back():
            return
        if self.trail:
            self.app.run_worker(self.show_view(self.trail.pop(), remember=False))

    def reload_views(self) -> None:
        for view in self.mounted_views():
            view.reload()

    def unsaved(self) -> list[str]:
        return [u for v in self.mounted_views() if (u := v.unsaved())]

    def discard_unsaved(self) -> None:
        for v in self.mounted_views():
            v.discard()

    def show_status(self, status: dict[str, Any] | None, problem: str | None) -> None:
        self.query_one("#status", StatusBar).show_status(status, problem)
        for v in self.mounted_views():
            v.status_changed(status)
