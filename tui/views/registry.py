"""The registry of views: one entry per view, each view one module.

A view is a widget class (a :class:`~tui.views.base.View`) named by an import
path, so a view's module is imported only when the view is first shown and
startup stays fast however many views later issues add. To add a view, write
its module and call :func:`register` (or add it to ``BUILTIN``); it gets the
next number key and appears in the command palette and the key list.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.views.base import View


@dataclass(frozen=True)
class ViewSpec:
    """A view: its key (used in binding ids, ``view.<key>``), title, and ``module:Class``."""

    key: str
    title: str
    target: str
    description: str = ""

    def load(self) -> type[View]:
        module, _, name = self.target.partition(":")
        cls: type[View] = getattr(importlib.import_module(module), name)
        return cls


BUILTIN: tuple[ViewSpec, ...] = (
    ViewSpec("scenes", "Scenes", "tui.views.scenes:ScenesView", "scenes, their nodes, the node editor"),
    ViewSpec("characters", "Characters", "tui.views.characters:CharactersView", "the cast and where they speak"),
    ViewSpec("timeline", "Timeline", "tui.views.timeline:TimelineView", "scene orders, reordering"),
    ViewSpec("history", "History", "tui.views.history:HistoryView", "the log, diffs, time travel"),
    ViewSpec("branches", "Branches", "tui.views.branches:BranchesView", "variants: create, switch, merge"),
    ViewSpec("search", "Search", "tui.views.search:SearchView", "full-text search over dialogue"),
    ViewSpec("conflicts", "Conflicts", "tui.views.conflicts:ConflictsView", "unresolved merge conflicts"),
    ViewSpec("sync", "Sync", "tui.views.sync:SyncView", "remotes, ahead/behind, fetch/pull/push"),
    ViewSpec("assets", "Assets", "tui.views.assets:AssetsView", "the asset registry, thumbnails, filters"),
    ViewSpec("lineage", "Lineage", "tui.views.lineage:LineageView", "an asset's lineage graph and its events"),
    ViewSpec("advisory", "Advisory", "tui.views.advisory:AdvisoryView", "license findings, policy, quick fixes"),
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


def number_key(index: int) -> str | None:
    """The key that switches to the ``index``-th view (1-9, then 0 for the tenth)."""
    if index < 9:
        return str(index + 1)
    return "0" if index == 9 else None
