"""The catalog of key bindings: every binding id, its keys (after remaps) and what it does.

The key list (``?``) and the command palette are both built from here, so
they always match the bindings the app really has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.binding import Binding, BindingType
from textual.keys import format_key

if TYPE_CHECKING:
    from comfyvn_tui.app import VaultApp


@dataclass(frozen=True)
class KeyEntry:
    """One binding: ``palette`` runs it from the command palette (None: not offered there)."""

    id: str
    keys: str
    description: str
    context: str
    action: str
    palette: Callable[[], Any] | None

    @property
    def keys_display(self) -> str:
        return " ".join(format_key(k.strip()) for k in self.keys.split(","))


def _bindings(items: Iterable[BindingType]) -> list[Binding]:
    return [b for b in Binding.make_bindings(items) if b.id]


def catalog(app: VaultApp) -> list[KeyEntry]:
    """Every binding with an id, grouped by where it applies, in display order."""
    from comfyvn_tui.screens.confirm import ConfirmScreen
    from comfyvn_tui.screens.form import FormScreen
    from comfyvn_tui.screens.help import HelpScreen
    from comfyvn_tui.screens.time_travel import TimeTravelScreen
    from comfyvn_tui.views.registry import views
    from comfyvn_tui.widgets.virtual_list import VirtualList

    keymap: dict[str, str] = dict(app._keymap)
    out: list[KeyEntry] = []
    seen: set[str] = set()

    def add(binding: Binding, context: str, palette: Callable[[], Any] | None) -> None:
        assert binding.id is not None
        if binding.id in seen:
            return
        seen.add(binding.id)
        keys = keymap.get(binding.id, binding.key)
        out.append(KeyEntry(binding.id, keys, binding.description or binding.action, context, binding.action, palette))

    app_bindings = [b for _, b in app._bindings if b.id]
    for b in app_bindings:
        if b.id and b.id.startswith("app."):
            palette = None if b.action in ("command_palette", "back") else _run_app(app, b.action)
            add(b, "everywhere", palette)
    for b in app_bindings:
        if b.id and b.id.startswith("view."):
            add(b, "everywhere", _run_app(app, b.action))
    for spec in views():
        cls = spec.load()
        for b in _bindings(cls.BINDINGS):
            add(b, f"{spec.title} view", _run_in_view(app, spec.key, b.action))
    for b in _bindings(VirtualList.BINDINGS):
        add(b, "lists", None)
    for b in _bindings(TimeTravelScreen.BINDINGS):
        add(b, "time travel", None)
    for cls2, context in ((FormScreen, "dialogs"), (ConfirmScreen, "questions"), (HelpScreen, "this list")):
        for b in _bindings(cls2.BINDINGS):
            add(b, context, None)
    return out


def context_of(app: VaultApp) -> str:
    """Where the user is, as :func:`catalog` names contexts: ``Scenes view``, ``time travel``, …"""
    from comfyvn_tui.screens.time_travel import TimeTravelScreen
    from comfyvn_tui.views.registry import get

    if isinstance(app.screen, TimeTravelScreen):
        return "time travel"
    try:
        current = app.main.current
    except StopIteration:
        return "everywhere"
    return f"{get(current).title} view" if current else "everywhere"


def in_order_for(entries: list[KeyEntry], context: str) -> list[KeyEntry]:
    """``entries`` with ``context``'s keys first, then the list keys and the global ones, then the rest."""
    rank = {context: 0, "lists": 1, "everywhere": 2}
    return sorted(entries, key=lambda e: rank.get(e.context, 3))


def known_ids(app: VaultApp) -> set[str]:
    return {e.id for e in catalog(app)}


def _run_app(app: VaultApp, action: str) -> Callable[[], Any]:
    async def run() -> None:
        await app.run_action(action)

    return run


def _run_in_view(app: VaultApp, view_key: str, action: str) -> Callable[[], Any]:
    """Show the view, then call its action method directly (skipping the focus-based enabling)."""

    from textual.actions import parse

    async def run() -> None:
        view = await app.main.show_view(view_key)
        _, name, params = parse(action)
        method = getattr(view, f"action_{name}", None)
        if method is None:
            await view.run_action(action)
            return
        result = method(*params)
        if hasattr(result, "__await__"):
            await result

    return run
