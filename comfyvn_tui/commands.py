"""Command palette providers: every action (ctrl+p) and a fuzzy "go to" (ctrl+g).

"Go to" matches scene ids and titles, character and timeline names, and,
with ``SCENE#NODE``, the nodes of the scenes that match SCENE. Scene titles
come from the name projection (no scene documents are read), so it stays
quick on 10,000 scenes; only the hits shown are loaded.
"""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from comfyvn_tui.targets import Target
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.domain.paths import CHARACTERS, SCENES, TIMELINES, entity_path

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


def _subsequence(query: str) -> re.Pattern[str]:
    """A fast pre-filter: the query's characters in order (what the fuzzy matcher scores)."""
    return re.compile(".*?".join(re.escape(ch) for ch in query.lower() if not ch.isspace()))


class GotoProvider(Provider):
    """Scenes, nodes (``SCENE#NODE``), characters and timelines by fuzzy id or name."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.entries: list[tuple[str, Target]] = []

    async def startup(self) -> None:
        self.entries = await asyncio.to_thread(self._index)

    def _index(self) -> list[tuple[str, Target]]:
        app = cast("VaultApp", self.app)
        with app.vault_gate:
            return self._read_index(app)

    def _read_index(self, app: VaultApp) -> list[tuple[str, Target]]:
        vault = app.vault
        entries: list[tuple[str, Target]] = []
        for folder in (SCENES, CHARACTERS, TIMELINES):
            names = vault.projections.names(folder)
            for path, _ in vault.projections.paths(folder):
                eid = path.split("/", 1)[1]
                entries.append((f"{folder[:-1]} {eid} {names.get(eid, '')}".strip(), Target(folder, eid)))
        return entries

    async def discover(self) -> Hits:
        for text, target in self.entries[:MAX_HITS]:
            yield DiscoveryHit(text, partial(self._go, target), help=str(target))

    async def search(self, query: str) -> Hits:
        query = query.strip()
        if not query:
            return
        if "#" in query:
            for hit in await asyncio.to_thread(self._node_hits, query):
                yield hit
            return
        matcher = self.matcher(query)
        pattern = _subsequence(query)
        scored: list[tuple[float, str, Target]] = []
        for text, target in self.entries:
            if pattern.search(text.lower()):
                score = matcher.match(text)
                if score > 0:
                    scored.append((score, text, target))
                    if len(scored) > 2000:
                        break
        scored.sort(key=lambda s: -s[0])
        for score, text, target in scored[:MAX_HITS]:
            yield Hit(score, matcher.highlight(text), partial(self._go, target), help=str(target))

    def _node_hits(self, query: str) -> list[Hit]:
        app = cast("VaultApp", self.app)
        with app.vault_gate:
            return self._read_node_hits(app, query)

    def _read_node_hits(self, app: VaultApp, query: str) -> list[Hit]:
        vault = app.vault
        scene_part, _, node_part = query.partition("#")
        scene_pattern = _subsequence(scene_part)
        scenes = [t.id for _, t in self.entries if t.folder == SCENES and scene_pattern.search(t.id.lower())]
        scenes.sort(key=lambda s: (not s.lower().startswith(scene_part.lower()), len(s)))
        matcher = self.matcher(node_part) if node_part.strip() else None
        hits: list[Hit] = []
        for sid in scenes[:5]:
            doc_id = vault.projections.entity_id(entity_path(SCENES, sid))
            scene = vault.history.entity_doc(doc_id) if doc_id is not None else None
            if not isinstance(scene, Scene):
                continue
            for node in scene.nodes:
                text = f"{sid}#{node.id} {node.speaker + ': ' if node.speaker else ''}{node.content[:60]}"
                score = matcher.match(f"{node.id} {node.content}") if matcher else 1.0
                if score > 0:
                    label = matcher.highlight(text) if matcher else text
                    hits.append(Hit(score, label, partial(self._go, Target(SCENES, sid, node.id)), help="node"))
        hits.sort(key=lambda h: -h.score)
        return hits[:MAX_HITS]

    def _go(self, target: Target) -> None:
        cast("VaultApp", self.app).go_to(target)
