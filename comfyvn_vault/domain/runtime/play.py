"""Playing a story: a seeded, deterministic walk through scenes, nodes and choices.

:func:`play` is pure: it reads scenes through a lookup and the story's
variables as given, and returns a :class:`Playthrough` (the transcript, the
path of nodes visited, the choices taken, the variables at the end and why it
stopped). The same story, seed and choices always give the same playthrough,
on any machine: the only randomness is :mod:`.rng`'s, seeded by
:func:`~.rng.playthrough_rng` from the seed and the start scene.

A step visits one node:

* a node whose ``conditions`` are not all true is passed over (the walk goes on
  to the node after it);
* a ``text`` or ``choice`` node with a line (a menu's caption) adds it to the transcript;
* the node's ``effects`` run (:func:`~.expr.apply_effects`);
* its choices whose ``condition`` is false are hidden. The visible choices
  without a ``weight`` are a menu: the next of the given choices picks one
  (1 is the first option shown), and when they run out the walk stops at the
  menu (``stopped == "menu"``, with its options). When every visible choice
  has a weight, the RNG picks one (:meth:`~.rng.Rng.weighted`). The picked
  choice's effects run and the walk goes to its target. A node whose choices
  are all hidden (or all weigh 0) is a dead end (``stopped == "dead-end"``);
* without choices, the first ``next`` target, else the following node of the
  scene; after a scene's last node the playthrough ends.

Variables are named ``scope.name`` (``global.trust``); scene-scoped ones go
back to their defined values whenever a scene is entered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final, Literal, TypeAlias

import msgspec

from comfyvn_vault.domain.entities import Choice, Node, Scene, Variable
from comfyvn_vault.domain.paths import split_target
from comfyvn_vault.domain.runtime.expr import Value, apply_effects, evaluate, parse_condition, parse_effects, truthy
from comfyvn_vault.domain.runtime.rng import Rng, playthrough_rng
from comfyvn_vault.errors import InputRejected

SceneLookup: TypeAlias = Callable[[str], "Scene | None"]
Stopped: TypeAlias = Literal["end", "menu", "limit", "dead-end"]

#: The most steps one playthrough takes unless told otherwise (a story may loop forever).
MAX_STEPS: Final = 1_000_000


class Line(msgspec.Struct, frozen=True):
    """One line of the transcript: who says it (None: narration) and where it came from."""

    speaker: str | None
    text: str
    scene: str
    node: str


class Option(msgspec.Struct, frozen=True):
    """A menu option as shown: its number (from 1), the choice, its text and target."""

    number: int
    choice: str
    text: str
    target: str


class Playthrough(msgspec.Struct, frozen=True):
    """What playing gave: where it went, what was said, the choices taken and the variables at the end."""

    seed: int
    start: str
    path: list[str]
    transcript: list[Line]
    choices: list[int]
    variables: dict[str, Value]
    stopped: Stopped
    menu: list[Option] = []


def initial_variables(variables: Iterable[Variable]) -> dict[str, Value]:
    """The variables' defined values by ``scope.name``."""
    return {f"{v.scope}.{v.name}": v.value for v in variables}


def play(
    scenes: SceneLookup,
    variables: Iterable[Variable],
    start: str,
    seed: int,
    choose: Sequence[int] = (),
    *,
    max_steps: int = MAX_STEPS,
) -> Playthrough:
    """Play from scene ``start`` with ``seed``, taking the menu options numbered in ``choose`` in turn."""
    defined = list(variables)
    walk = _Walk(scenes, defined, playthrough_rng(seed, start), list(choose))
    walk.enter(start, None)
    stopped: Stopped = "limit"
    for _ in range(max_steps):
        outcome = walk.step()
        if outcome is not None:
            stopped = outcome
            break
    return Playthrough(
        seed=seed,
        start=start,
        path=walk.path,
        transcript=walk.transcript,
        choices=walk.taken,
        variables=dict(sorted(walk.env.items())),
        stopped=stopped,
        menu=walk.menu,
    )


class _Walk:
    def __init__(self, scenes: SceneLookup, variables: list[Variable], rng: Rng, choose: list[int]) -> None:
        self.scenes, self.rng, self.choose = scenes, rng, choose
        self.env = initial_variables(variables)
        self.scene_defaults = {f"scene.{v.name}": v.value for v in variables if v.scope == "scene"}
        self.path: list[str] = []
        self.transcript: list[Line] = []
        self.taken: list[int] = []
        self.menu: list[Option] = []
        self.scene = Scene(id="")
        self.at = 0

    def enter(self, scene_id: str, node_id: str | None) -> None:
        scene = self.scenes(scene_id)
        if scene is None or not scene.nodes:
            raise InputRejected(f"there is no scene {scene_id!r} with a node to play")
        if scene.id != self.scene.id:
            self.env.update(self.scene_defaults)
        self.scene = scene
        self.at = 0 if node_id is None else _index(scene, node_id)

    def jump(self, target: str) -> None:
        other, node_id = split_target(target)
        self.enter(other or self.scene.id, node_id)

    def step(self) -> Stopped | None:
        node = self.scene.nodes[self.at]
        self.path.append(f"{self.scene.id}:{node.id}")
        if not all(self._true(c) for c in node.conditions):
            return self._following()
        if node.type != "action" and node.content:
            self.transcript.append(Line(node.speaker, node.content, self.scene.id, node.id))
        self._effects(node.effects)
        visible = [c for c in node.choices if c.condition is None or self._true(c.condition)]
        if visible:
            picked = self._pick(node, visible)
            if not isinstance(picked, Choice):
                return picked
            self._effects(picked.effects)
            self.jump(picked.target)
            return None
        if node.choices:
            return "dead-end"  # every choice hidden: a story check reports it
        if node.next:
            self.jump(node.next[0])
            return None
        return self._following()

    def _following(self) -> Stopped | None:
        if self.at + 1 >= len(self.scene.nodes):
            return "end"
        self.at += 1
        return None

    def _pick(self, node: Node, visible: list[Choice]) -> Choice | Stopped:
        menu = [c for c in visible if c.weight is None]
        if not menu:
            weights = [c.weight or 0 for c in visible]
            if not any(weights):
                return "dead-end"  # every weight is 0: nothing can be picked
            return visible[self.rng.weighted(weights)]
        if not self.choose:
            self.menu = [Option(i, c.id, c.text, c.target) for i, c in enumerate(menu, start=1)]
            return "menu"
        number = self.choose.pop(0)
        if not 1 <= number <= len(menu):
            raise InputRejected(
                f"choice {number} at {self.scene.id}:{node.id}: the menu has {len(menu)} option(s), numbered from 1"
            )
        self.taken.append(number)
        return menu[number - 1]

    def _true(self, condition: str) -> bool:
        return truthy(evaluate(parse_condition(condition), self.env))

    def _effects(self, effects: str | None) -> None:
        if effects:
            self.env = apply_effects(parse_effects(effects), self.env)


def _index(scene: Scene, node_id: str) -> int:
    for i, node in enumerate(scene.nodes):
        if node.id == node_id:
            return i
    raise InputRejected(f"scene {scene.id!r} has no node {node_id!r}")
