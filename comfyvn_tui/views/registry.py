"""The registry of views: one entry per view, each view one module.

A view is a widget class (a :class:`~comfyvn_tui.views.base.View`) named by an import
path, so a view's module is imported only when the view is first shown and
startup stays fast however many views later issues add. To add a view, write
its module and call :func:`register` (or add it to ``BUILTIN``); it gets the
next key of the number row (1-9, 0, -, =), then of F2-F9, and appears in the tab bar, the
command palette and the key list.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from comfyvn_tui.views.base import View


@dataclass(frozen=True)
class ViewSpec:
    """A view: its key (used in binding ids, ``view.<key>``), title, and ``module:Class``."""

    key: str
    title: str
    target: str
    description: str = ""
    #: The label when the tab bar is narrow (80 columns): at most 6 characters.
    short: str = ""

    @property
    def short_title(self) -> str:
        return self.short or self.title

    def load(self) -> type[View]:
        module, _, name = self.target.partition(":")
        cls: type[View] = getattr(importlib.import_module(module), name)
        return cls


BUILTIN: tuple[ViewSpec, ...] = (
    ViewSpec("scenes", "Scenes", "comfyvn_tui.views.scenes:ScenesView", "scenes, their nodes, the node editor"),
    ViewSpec(
        "characters",
        "Characters",
        "comfyvn_tui.views.characters:CharactersView",
        "the cast and where they speak",
        "Cast",
    ),
    ViewSpec("timeline", "Timeline", "comfyvn_tui.views.timeline:TimelineView", "scene orders, reordering", "Time"),
    ViewSpec("history", "History", "comfyvn_tui.views.history:HistoryView", "the log, diffs, time travel", "Log"),
    ViewSpec(
        "branches",
        "Branches",
        "comfyvn_tui.views.branches:BranchesView",
        "variants: create, switch, merge",
        "Branch",
    ),
    ViewSpec("search", "Search", "comfyvn_tui.views.search:SearchView", "full-text search over dialogue"),
    ViewSpec(
        "conflicts",
        "Conflicts",
        "comfyvn_tui.views.conflicts:ConflictsView",
        "unresolved merge conflicts",
        "Confl",
    ),
    ViewSpec("sync", "Sync", "comfyvn_tui.views.sync:SyncView", "remotes, ahead/behind, fetch/pull/push"),
    ViewSpec("assets", "Assets", "comfyvn_tui.views.assets:AssetsView", "the asset registry, thumbnails, filters"),
    ViewSpec("lineage", "Lineage", "comfyvn_tui.views.lineage:LineageView", "an asset's lineage graph and its events"),
    ViewSpec(
        "advisory",
        "Advisory",
        "comfyvn_tui.views.advisory:AdvisoryView",
        "license findings, policy, quick fixes",
        "Advice",
    ),
    ViewSpec("imports", "Imports", "comfyvn_tui.views.imports:ImportsView", "import chats, cards, games, packs"),
    ViewSpec("play", "Play", "comfyvn_tui.views.play:PlayView", "play the story: typed lines, menus, variables, seeds"),
    ViewSpec("map", "Map", "comfyvn_tui.views.storymap:MapView", "the story's graph, following the cursor; findings"),
)

_views: list[ViewSpec] = list(BUILTIN)


def register(spec: ViewSpec) -> None:
    """Add a view (later issues: assets, lineage, imports, play, advisory, compute, sync)."""
    if any(v.key == spec.key for v in _views):
        raise ValueError(f"a view named {spec.key!r} is already registered")
    _views.append(spec)


def views() -> list[ViewSpec]:
    """Every registered view, in number-key order."""
    return list(_views)


def get(key: str) -> ViewSpec:
    for v in _views:
        if v.key == key:
            return v
    raise KeyError(key)


#: The keys that switch views, in order: the number row, 1-9, 0, - and =, then the function keys F2-F9
#: (F1 is the key list; F10 and F11 are often the terminal's own).
VIEW_KEYS = (
    *("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "minus", "equals_sign"),
    *(f"f{n}" for n in range(2, 10)),
)


def number_key(index: int) -> str | None:
    """The key that switches to the ``index``-th view (1-9, 0, - and =, F2-F9; none past the twentieth)."""
    return VIEW_KEYS[index] if index < len(VIEW_KEYS) else None
