"""What every view is: a widget that shows part of the vault and reloads when it changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.widget import Widget

from comfyvn_tui.guard import Guarded
from comfyvn_tui.targets import Target

if TYPE_CHECKING:
    from comfyvn_tui.app import VaultApp
    from comfyvn_vault.api import Vault


class View(Guarded, Widget):
    """Base class of the views the number keys switch between.

    Subclasses load what they show in :meth:`reload` (called when mounted and
    after anything changed the vault) and report edits not yet saved in
    :meth:`unsaved`, so the app can confirm before dropping them.
    """

    DEFAULT_CSS = """
    View { height: 1fr; width: 1fr; }
    """

    view_key: ClassVar[str] = ""

    @property
    def vapp(self) -> VaultApp:
        """The app, typed (views only run inside :class:`~comfyvn_tui.app.VaultApp`)."""
        return cast("VaultApp", self.app)

    @property
    def vault(self) -> Vault:
        return self.vapp.vault

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Re-read what the view shows from the vault (keep the cursor where it can stay)."""

    def unsaved(self) -> str | None:
        """A short description of edits that would be lost, or None."""
        return None

    def discard(self) -> None:
        """Drop unsaved edits (after the user confirmed)."""

    def back(self) -> bool:
        """esc inside the view: step focus back one level; False when already at the top."""
        return False

    def focus_default(self) -> None:
        """Focus the view's main widget when it is shown."""
        for widget in self.query("*"):
            if widget.focusable:
                self.screen.set_focus(widget)
                return

    def go_to(self, target: Target) -> None:
        """Show ``target`` (a scene and node, a character, a timeline) if this view can."""

    def follow(self, target: Target) -> None:
        """The cursor of another view is on ``target`` now (the map highlights it); by default nothing."""

    def lead(self, target: Target) -> None:
        """This view's cursor is on ``target``: the views that follow it (:meth:`follow`) move there too.

        Only the view on screen leads: one reloading out of sight (or a playthrough going on there) does not
        move the cursor of the view the user is in.
        """
        try:
            main = self.vapp.main
        except StopIteration:  # no main screen (yet): nothing follows
            return
        if main.current == self.view_key:
            main.follow(target, self)

    def status_changed(self, status: dict[str, Any] | None) -> None:
        """A new ``comfyvn status`` document (the conflicts view lists its conflicts)."""
