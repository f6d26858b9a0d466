"""``comfyvn stats``: how much story there is, by character, scene or route.

Counts what a reader reads, as Ren'Py's lint does: every node with text that
is neither an ``action`` nor a menu is a *line*; its words are the runs of
text between spaces and its characters are counted in code points. A *menu*
is a node with choices offered to the player (a Ren'Py ``if`` kept as a
branch node is not one); a menu's narration is its caption, counted apart,
and a character's line shown with a menu is a line.
Routes are timelines (a scene in no timeline counts under ``(no route)``).
On a Ren'Py game imported whole the figures are the ones its lint prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import msgspec

from comfyvn_vault.domain.entities import Scene, Timeline
from comfyvn_vault.domain.paths import SCENES, TIMELINES

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

By: TypeAlias = Literal["character", "scene", "route"]
BY: Final[tuple[By, ...]] = ("character", "scene", "route")
NARRATION: Final = "(narration)"
NO_ROUTE: Final = "(no route)"


class Count(msgspec.Struct, kw_only=True):
    """Lines, words and characters of one speaker, scene or route (``key``)."""

    key: str
    lines: int = 0
    words: int = 0
    characters: int = 0

    def add(self, text: str) -> None:
        self.lines += 1
        self.words += len(text.split())
        self.characters += len(text)


class StoryStats(msgspec.Struct, frozen=True, kw_only=True):
    """What ``comfyvn stats`` printed: the rows (largest first), the totals and the story's shape."""

    schema: str = "comfyvn.stats/1"
    by: str
    rows: list[Count]
    total: Count
    scenes: int
    nodes: int
    menus: int
    choices: int
    captions: int


RESULTS: Final[tuple[type[Any], ...]] = (StoryStats,)


def stats(vault: Vault, by: By = "character") -> StoryStats:
    """Count HEAD's story by ``by`` (see the module docstring)."""
    from comfyvn_vault.adapters.apply import story_view

    story = story_view(vault.history)
    return count(list(story.documents(SCENES, Scene)), list(story.documents(TIMELINES, Timeline)), by)


def count(scenes: Iterable[Scene], timelines: Iterable[Timeline], by: By) -> StoryStats:
    """The statistics of ``scenes`` (routes from ``timelines``), by ``by``."""
    routes: dict[str, list[str]] = {}
    for timeline in timelines:
        for sid in dict.fromkeys(timeline.scene_order):
            routes.setdefault(sid, []).append(timeline.id)
    rows: dict[str, Count] = {}
    total = Count(key="total")
    n_scenes = n_nodes = menus = choices = captions = 0
    for scene in scenes:
        n_scenes += 1
        for node in scene.nodes:
            n_nodes += 1
            if node.choices and node.directives.get("renpy") != "if":
                menus += 1
                choices += len(node.choices)
                said = node.speaker is not None or node.meta.get("menu_caption") == "say"
                if not said:  # a caption; a line said with the menu is a line, as Ren'Py counts it
                    captions += bool(node.content)
                    continue
            if node.type == "action" or not node.content:
                continue
            total.add(node.content)
            if by == "character":
                keys = [node.speaker or NARRATION]
            elif by == "scene":
                keys = [scene.id]
            else:
                keys = routes.get(scene.id, [NO_ROUTE])
            for key in keys:
                rows.setdefault(key, Count(key=key)).add(node.content)
    ordered = sorted(rows.values(), key=lambda c: (-c.words, c.key))
    return StoryStats(
        by=by,
        rows=ordered,
        total=total,
        scenes=n_scenes,
        nodes=n_nodes,
        menus=menus,
        choices=choices,
        captions=captions,
    )
