"""Playing a story: a seeded, deterministic walk through scenes, nodes and choices.

:func:`play` is pure: it reads scenes through a lookup and the story's
variables as given, and returns a :class:`Playthrough` (the transcript, the
path of nodes visited, the choices taken, the variables at the end and why it
stopped). The same story, seed and choices always give the same playthrough,
on any machine: the only randomness is :mod:`.rng`'s, seeded by
:func:`~.rng.playthrough_rng` from the seed and the start scene. A
:class:`Session` is the same walk taken a line at a time (the TUI plays with
one): :func:`play` runs a session to its stop.

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

from comfyvn_vault.domain.entities import Choice, Scene, Variable
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
    session = Session(scenes, variables, start, seed, max_steps=max_steps)
    session.run(choose)
    return session.playthrough()


class Session:
    """A playthrough in progress, taken a line at a time: what a player sees (the TUI's Play view).

    :meth:`advance` walks on to the next line said, :meth:`choose` answers the
    menu the walk stopped at, and :attr:`transcript`, :attr:`variables` and
    :attr:`menu` say where it is. :func:`play` is a session run to its stop,
    so playing step by step and ``comfyvn play`` are one walk: the same seed
    and choices give the same lines, whichever way they are taken.
    """

    def __init__(
        self, scenes: SceneLookup, variables: Iterable[Variable], start: str, seed: int, *, max_steps: int = MAX_STEPS
    ) -> None:
        self.seed, self.start, self.max_steps = seed, start, max_steps
        self._walk = _Walk(scenes, list(variables), playthrough_rng(seed, start))
        self._walk.enter(start, None)
        self._steps = 0
        #: Why the walk stopped (None: it goes on; ``menu``: :meth:`choose` lets it go on).
        self.stopped: Stopped | None = None

    @property
    def transcript(self) -> list[Line]:
        """The lines said so far, oldest first."""
        return list(self._walk.transcript)

    @property
    def path(self) -> list[str]:
        """The nodes visited so far, as ``SCENE:NODE``."""
        return list(self._walk.path)

    @property
    def choices(self) -> list[int]:
        """The menu options taken so far (1 is a menu's first option shown)."""
        return list(self._walk.taken)

    @property
    def variables(self) -> dict[str, Value]:
        """Every variable's value now, by ``scope.name``, sorted by name."""
        return dict(sorted(self._walk.env.items()))

    @property
    def menu(self) -> list[Option]:
        """The options of the menu the walk stopped at (empty unless :attr:`stopped` is ``menu``)."""
        return list(self._walk.menu)

    def advance(self) -> Line | None:
        """Walk on to the next line said and return it; None when the walk stops first (see :attr:`stopped`).

        A step may say a line and stop (a menu's caption): the line is returned and :attr:`stopped` is set.
        """
        said = len(self._walk.transcript)
        while self.stopped is None:
            if self._steps >= self.max_steps:
                self.stopped = "limit"
                break
            self._steps += 1
            self.stopped = self._walk.step()
            if len(self._walk.transcript) > said:
                return self._walk.transcript[-1]
        return None

    def choose(self, number: int) -> None:
        """Take option ``number`` (from 1) of the menu the walk stopped at: its effects run, the walk goes on."""
        if self.stopped != "menu":
            raise InputRejected(f"choice {number}: the playthrough is not at a menu")
        self._walk.take(number)
        self.stopped = None

    def run(self, choose: Iterable[int] = ()) -> Stopped:
        """Walk to the stop, taking the menu options numbered in ``choose`` in turn as menus come."""
        pending = list(choose)
        while True:
            while self.advance() is not None:
                pass
            if self.stopped != "menu" or not pending:
                return self.stopped or "limit"  # advance gives None only once the walk stopped
            self.choose(pending.pop(0))

    def playthrough(self) -> Playthrough:
        """Where the walk went until now, as :func:`play` returns it (a walk not stopped reads as ``limit``)."""
        return Playthrough(
            seed=self.seed,
            start=self.start,
            path=self.path,
            transcript=self.transcript,
            choices=self.choices,
            variables=self.variables,
            stopped=self.stopped or "limit",
            menu=self.menu,
        )


class _Walk:
    def __init__(self, scenes: SceneLookup, variables: list[Variable], rng: Rng) -> None:
        self.scenes, self.rng = scenes, rng
        self.env = initial_variables(variables)
        self.scene_defaults = {f"scene.{v.name}": v.value for v in variables if v.scope == "scene"}
        self.path: list[str] = []
        self.transcript: list[Line] = []
        self.taken: list[int] = []
        self.menu: list[Option] = []
        self.offered: list[Choice] = []
        """The choices of the menu the walk stopped at, as :attr:`menu` numbers them."""
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
            picked = self._pick(visible)
            if not isinstance(picked, Choice):
                return picked
            self._go(picked)
            return None
        if node.choices:
            return "dead-end"  # every choice hidden: a story check reports it
        if node.next:
            self.jump(node.next[0])
            return None
        return self._following()

    def take(self, number: int) -> None:
        """Take option ``number`` of the menu the walk stopped at."""
        if not 1 <= number <= len(self.offered):
            node = self.scene.nodes[self.at]
            raise InputRejected(
                f"choice {number} at {self.scene.id}:{node.id}: the menu has {len(self.offered)} option(s), "
                "numbered from 1"
            )
        picked = self.offered[number - 1]
        self.taken.append(number)
        self.menu, self.offered = [], []
        self._go(picked)

    def _go(self, picked: Choice) -> None:
        self._effects(picked.effects)
        self.jump(picked.target)

    def _following(self) -> Stopped | None:
        if self.at + 1 >= len(self.scene.nodes):
            return "end"
        self.at += 1
        return None

    def _pick(self, visible: list[Choice]) -> Choice | Stopped:
        menu = [c for c in visible if c.weight is None]
        if not menu:
            weights = [c.weight or 0 for c in visible]
            if not any(weights):
                return "dead-end"  # every weight is 0: nothing can be picked
            return visible[self.rng.weighted(weights)]
        self.offered = menu
        self.menu = [Option(i, c.id, c.text, c.target) for i, c in enumerate(menu, start=1)]
        return "menu"

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
