"""``comfyvn play``: a seeded, non-interactive playthrough of the checked-out story.

The story is read from the checkout (HEAD's tree), the walk itself is the pure
:func:`comfyvn_vault.domain.runtime.play.play`. Without a scene, play starts
at the first scene of the first timeline, or else at the first scene by id.
Play refuses while merge conflicts remain (the story is not one story then).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

from comfyvn_vault.domain.entities import Scene, Timeline, Variable
from comfyvn_vault.domain.paths import SCENES, TIMELINES, VARIABLES, scene_path
from comfyvn_vault.errors import InputRejected

if TYPE_CHECKING:
    from comfyvn_vault.adapters.exporter import StoryView
    from comfyvn_vault.vault import Vault


class SaidLine(msgspec.Struct, frozen=True):
    """One line of a transcript: who says it (None: narration), the text, and the node it came from."""

    speaker: str | None
    text: str
    node: str


class MenuOption(msgspec.Struct, frozen=True):
    """An option of the menu a playthrough stopped at: its number for ``--choose``, the choice, its text."""

    number: int
    choice: str
    text: str


class Played(msgspec.Struct, frozen=True, kw_only=True):
    """What ``comfyvn play`` printed: the seed, where it went, what was said, the choices and variables.

    ``path`` lists the nodes visited as ``SCENE:NODE``; ``stopped`` is ``end``,
    ``menu`` (the choices ran out at ``menu``), ``dead-end`` (nowhere to go) or
    ``limit`` (``max_steps`` reached).
    """

    schema: str = "comfyvn.play/1"
    seed: int
    start: str
    path: list[str]
    transcript: list[SaidLine]
    choices: list[int]
    variables: dict[str, int | bool | str | list[Any] | None]
    stopped: str
    menu: list[MenuOption] = []


RESULTS: Final[tuple[type[Any], ...]] = (Played,)
#: The most steps ``comfyvn play`` takes (a story may loop forever).
MAX_STEPS: Final = 100_000


def start_scene(story: StoryView) -> str:
    """Where a playthrough starts without a scene named: the first timeline's first scene, else the first scene."""
    for timeline in sorted(story.documents(TIMELINES, Timeline), key=lambda t: t.id):
        for sid in timeline.scene_order:
            if isinstance(story.lookup(scene_path(sid)), Scene):
                return sid
    ids = sorted(s.id for s in story.documents(SCENES, Scene))
    if not ids:
        raise InputRejected("the story has no scene to play; add one with `comfyvn scene new`")
    return ids[0]


def play(
    vault: Vault, scene: str | None = None, *, seed: int = 0, choose: Sequence[int] = (), max_steps: int = MAX_STEPS
) -> Played:
    """Play the checked-out story from ``scene`` (see the module docstring)."""
    from comfyvn_vault.adapters.apply import story_view
    from comfyvn_vault.api.entities import find_id
    from comfyvn_vault.api.merge import require_no_conflicts
    from comfyvn_vault.domain.runtime import play as runtime

    require_no_conflicts(vault, "play")
    if not 0 <= seed < 2**64:
        raise InputRejected(f"seed {seed} is not between 0 and 2^64-1")
    story = story_view(vault.history)
    start = find_id(vault, SCENES, scene) if scene is not None else start_scene(story)

    def scenes(sid: str) -> Scene | None:
        doc = story.lookup(scene_path(sid))
        return doc if isinstance(doc, Scene) else None

    variables = list(story.documents(VARIABLES, Variable))
    p = runtime.play(scenes, variables, start, seed, choose, max_steps=max_steps)
    return Played(
        seed=p.seed,
        start=p.start,
        path=p.path,
        transcript=[SaidLine(line.speaker, line.text, f"{line.scene}:{line.node}") for line in p.transcript],
        choices=p.choices,
        variables=p.variables,
        stopped=p.stopped,
        menu=[MenuOption(o.number, o.choice, o.text) for o in p.menu],
    )
