"""Command palette providers: every action (ctrl+p) and a fuzzy "go to" (ctrl+g).

"Go to" matches scene ids and titles, character and timeline names, and,
with ``SCENE#NODE``, the nodes of the scenes that match SCENE: the index and
the candidates come from ``api.history`` (:func:`~comfyvn_vault.api.find.entity_index`,
:func:`~comfyvn_vault.api.find.find`, :func:`~comfyvn_vault.api.find.find_nodes`);
here they are only scored and highlighted by the palette's fuzzy matcher.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from comfyvn_tui.targets import Target
from comfyvn_vault.api import history

if TYPE_CHECKING:
    from comfyvn_tui.app import VaultApp

MAX_HITS = 40


class ActionsProvider(Provider):
    """Every action of the app and of every view, runnable by name."""

    async def discover(self) -> Hits:
        app = cast("VaultApp", self.app)
        for name, help_text, callback in app.palette_commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        app = cast("VaultApp", self.app)
        matcher = self.matcher(query)
        for name, help_text, callback in app.palette_commands():
            score = matcher.match(f"{name} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class GotoProvider(Provider):
    """Scenes, nodes (``SCENE#NODE``), characters and timelines by fuzzy id or name."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.entries: list[history.Found] = []

    async def startup(self) -> None:
        self.entries = await asyncio.to_thread(self._index)

    def _index(self) -> list[history.Found]:
        app = cast("VaultApp", self.app)
        with app.vault_gate:
            return history.entity_index(app.vault)

    async def discover(self) -> Hits:
        for entry in self.entries[:MAX_HITS]:
            target = _target(entry)
            yield DiscoveryHit(entry.label, partial(self._go, target), help=str(target))

    async def search(self, query: str) -> Hits:
        query = query.strip()
        if not query:
            return
        if "#" in query:
            for hit in await asyncio.to_thread(self._node_hits, query):
                yield hit
            return
        matcher = self.matcher(query)
        scored: list[tuple[float, history.Found]] = []
        for entry in history.find(self.entries, query):
            score = matcher.match(entry.words)
            if score > 0:
                scored.append((score, entry))
                if len(scored) > 2000:
                    break
        scored.sort(key=lambda s: -s[0])
        for score, entry in scored[:MAX_HITS]:
            target = _target(entry)
            yield Hit(score, matcher.highlight(entry.label), partial(self._go, target), help=str(target))

    def _node_hits(self, query: str) -> list[Hit]:
        app = cast("VaultApp", self.app)
        with app.vault_gate:
            nodes = history.find_nodes(app.vault, self.entries, query)
        node_part = query.partition("#")[2]
        matcher = self.matcher(node_part) if node_part.strip() else None
        hits: list[Hit] = []
        for found in nodes:
            score = matcher.match(found.words) if matcher else 1.0
            if score > 0:
                label = matcher.highlight(found.label) if matcher else found.label
                hits.append(Hit(score, label, partial(self._go, _target(found)), help="node"))
        hits.sort(key=lambda h: -h.score)
        return hits[:MAX_HITS]

    def _go(self, target: Target) -> None:
        cast("VaultApp", self.app).go_to(target)


def _target(found: history.Found) -> Target:
    return Target(found.folder, found.id, found.node)
