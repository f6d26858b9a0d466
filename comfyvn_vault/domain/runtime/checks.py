"""Story checks, as a compiler checks a program: what would go wrong when the story is played.

:func:`check_story` is pure: it reads the scenes, characters, variables,
timelines and the ids of the vault's assets, and returns a sorted list of
:class:`Finding`. It never raises on any story (a malformed target or an
unreadable condition is a finding), and its work is linear in the story's
size: every node, choice and expression is looked at a fixed number of times.

Each finding has a ``kind`` (a stable slug) and a ``severity``:

``bad-condition``, ``bad-effects`` (error)
    A node's ``conditions`` or a choice's ``condition`` does not read as an
    expression, or a node's or choice's ``effects`` does not read as
    assignments (``docs/expressions.md``); the message carries the
    expression error with its column.
``foreign-condition``, ``foreign-effects`` (warning)
    The same, on a node that came from Ren'Py (its directives hold ``renpy``,
    or its scene's meta a ``renpy_*`` key such as ``renpy_label``): Ren'Py
    conditions are Python, which the story language does not read, so this is
    a thing to rewrite rather than a mistake.
``undefined-variable`` (error; a warning on a Ren'Py node)
    A name a condition or effects reads or sets that no :class:`Variable`
    defines: a scoped name (``global.trust``) must match a variable's scope and
    name exactly, a bare name (``trust``) matches a variable of that name in
    any scope. One finding per place and name.
``missing-target`` (error)
    A ``next`` entry or a choice ``target`` that is not a link target, or names
    a scene or node that does not exist (``scene:`` needs a scene with a node
    to start at). The vault refuses these on write, but working-copy files and
    imports may still hold them.
``unreachable-node``, ``unreachable-scene`` (warning)
    What no playthrough can reach. The walk starts at the first node of every
    scene a timeline lists (or, with no timeline listing an existing scene,
    of the first scene by id, where ``comfyvn play`` starts) and follows, from
    each node it reaches:

    * every choice that could be taken (its condition is not literally
      ``false`` and its weight is not 0) to its target;
    * for a node without choices, every ``next`` target, or when it has no
      ``next`` the node after it in its scene;
    * for a node with ``conditions``, also the node after it (the conditions
      may be false, and then the node is passed over);
    * for a node imported from Ren'Py whose directives are ``renpy = "label"``
      or ``"call"`` with a ``scene``, also that scene's first node (Ren'Py goes
      into a label's block and into what it calls; ``comfyvn play`` does not
      yet). The scene of the Ren'Py label ``start`` (meta ``renpy_label =
      "start"``) is a start as well: Ren'Py begins there.

    Conditions are otherwise not evaluated: a choice whose condition is never
    true in practice still counts as a way on. A scene none of whose nodes is
    reached is one ``unreachable-scene`` finding (not one per node); in a scene
    that is reached, each node that is not is an ``unreachable-node``.
``dead-end`` (warning)
    A node a playthrough stops at without the story having ended:

    * a node with choices none of which can ever be taken: each has the
      condition literally ``false`` or a weight of 0 (``comfyvn play`` stops
      there with ``dead-end``);
    * a ``choice`` node without any choice: a menu with nothing to pick (play
      goes straight on past it, which is rarely what the writer meant);
    * a Ren'Py ``jump`` the import could not follow (directives ``renpy =
      "jump"`` with a ``label`` that no imported label or menu has, or with a
      computed ``expression``): the imported story ends there instead.

    A scene's last node with no ``next`` is not a dead end: it ends the story,
    as it does in ``comfyvn play``.
``unknown-speaker`` (warning)
    A node ``speaker`` that is neither a character's id nor (ignoring case) a
    character's name; one finding per scene and speaker, at the first node
    that uses it, with the number of nodes that do.
``missing-asset`` (error)
    An asset id a node's directives or meta values name (a 64-hex id alone or
    as ``asset:<id>``, as the asset projection reads them) that is not in the
    vault.

Findings are sorted by path, then by where they are in the scene (the scene
itself first, then its nodes and their choices in story order), then by kind,
then in the order of what they are about (a node's ``next`` entries in turn).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Final, Literal, TypeAlias

import msgspec

from comfyvn_vault.domain.assets import asset_refs
from comfyvn_vault.domain.entities import Character, MetaValue, Node, Scene, Timeline, Variable
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.paths import SCENES, split_target
from comfyvn_vault.domain.runtime.expr import (
    Bool,
    ExprError,
    names_read,
    names_written,
    parse_condition,
    parse_effects,
)

Severity: TypeAlias = Literal["error", "warning"]

KINDS: Final[dict[str, Severity]] = {
    "bad-condition": "error",
    "bad-effects": "error",
    "foreign-condition": "warning",
    "foreign-effects": "warning",
    "undefined-variable": "error",
    "missing-target": "error",
    "unreachable-node": "warning",
    "unreachable-scene": "warning",
    "dead-end": "warning",
    "unknown-speaker": "warning",
    "missing-asset": "error",
}
"""Every kind of finding and its usual severity (``undefined-variable`` is a warning on a Ren'Py node)."""


class Finding(msgspec.Struct, frozen=True):
    """One thing a story check found: how bad, what kind, where (``scenes/harbour``, ``n3/c2``) and a sentence."""

    severity: Severity
    kind: str
    path: str
    locator: str
    message: str


def check_story(
    scenes: Iterable[Scene],
    characters: Iterable[Character] = (),
    variables: Iterable[Variable] = (),
    timelines: Iterable[Timeline] = (),
    assets: Collection[str] = frozenset(),
) -> list[Finding]:
    """Every finding about the story (see the module docstring), sorted."""
    return _Checker(scenes, characters, variables, timelines, assets).run()


_Key: TypeAlias = tuple[str, int, int, str]
_FALSE: Final = Bool(False)
#: Ren'Py import directives whose ``scene`` names a scene the story goes into (a label's block, a call).
_RENPY_ENTERS: Final = frozenset({"label", "call"})


class _Checker:
    def __init__(
        self,
        scenes: Iterable[Scene],
        characters: Iterable[Character],
        variables: Iterable[Variable],
        timelines: Iterable[Timeline],
        assets: Collection[str],
    ) -> None:
        self.scenes = sorted(scenes, key=lambda s: s.id)
        self.scene_index = {s.id: i for i, s in enumerate(self.scenes)}
        self.node_index = [{n.id: j for j, n in enumerate(s.nodes)} for s in self.scenes]
        cast = list(characters)
        self.character_ids = {c.id for c in cast}
        self.character_names = {c.name.casefold() for c in cast if c.name}
        defined = list(variables)
        self.scoped = {f"{v.scope}.{v.name}" for v in defined}
        self.bare = {v.name for v in defined}
        self.timelines = sorted(timelines, key=lambda t: t.id)
        self.assets = assets
        self.labels = self._renpy_labels()
        self.found: list[tuple[_Key, Finding]] = []
        self.conditions: dict[str, tuple[set[str], set[str]] | ExprError] = {}
        self.effects: dict[str, tuple[set[str], set[str]] | ExprError] = {}
        self.never: set[str] = set()
        """The condition texts that read as literally ``false``."""
        self.edges: list[list[list[tuple[int, int]]]] = []

    def run(self) -> list[Finding]:
        for s, scene in enumerate(self.scenes):
            self._scene(s, scene)
        self._reachability()
        self.found.sort(key=lambda pair: pair[0])
        return [f for _, f in self.found]

    def add(
        self,
        kind: str,
        scene: Scene,
        message: str,
        node: int = -1,
        choice: int = -1,
        *,
        severity: Severity | None = None,
    ) -> None:
        path = f"{SCENES}/{scene.id}"
        locator = ""
        if node >= 0:
            locator = scene.nodes[node].id
            if choice >= 0:
                locator += f"/{scene.nodes[node].choices[choice].id}"
        finding = Finding(severity or KINDS[kind], kind, path, locator, message)
        self.found.append(((path, node, choice, kind), finding))

    def _scene(self, s: int, scene: Scene) -> None:
        """Everything about one scene's nodes but reachability; its nodes' ways on go to :attr:`edges`."""
        foreign_scene = any(key.startswith("renpy_") for key in scene.meta)
        speakers: dict[str, list[int]] = {}
        edges: list[list[tuple[int, int]]] = []
        last = len(scene.nodes) - 1
        for i, node in enumerate(scene.nodes):
            if node.conditions or node.effects is not None or node.choices:
                self._code(scene, i, node, foreign_scene or "renpy" in node.directives)
            out: list[tuple[int, int]] = []
            for k, c in enumerate(node.choices):
                to = self._resolve(s, c.target)
                if isinstance(to, str):
                    message = f"choice {c.id} of {node.id}: the target {_q(c.target)} {to}"
                    self.add("missing-target", scene, message, i, k)
                elif self._takeable(c.condition, c.weight):
                    out.append(to)
            if node.choices:
                if not any(self._takeable(c.condition, c.weight) for c in node.choices):
                    message = (
                        f"node {node.id}: none of its choices can ever be taken (each has the condition false "
                        "or the weight 0), so the story stops there"
                    )
                    self.add("dead-end", scene, message, i)
            else:
                if node.type == "choice":
                    self.add("dead-end", scene, f"node {node.id} is a choice node without any choice to pick", i)
                for target in node.next:
                    to = self._resolve(s, target)
                    if isinstance(to, str):
                        self.add("missing-target", scene, f"node {node.id}: the next {_q(target)} {to}", i)
                    else:
                        out.append(to)
                if not node.next and i < last:
                    out.append((s, i + 1))
            if node.conditions and i < last:
                out.append((s, i + 1))
            if node.directives.get("renpy") in _RENPY_ENTERS:
                entered = self.scene_index.get(node.directives.get("scene", ""), -1)
                if entered >= 0 and self.scenes[entered].nodes:
                    out.append((entered, 0))
            edges.append(out)
            if node.directives:
                if node.directives.get("renpy") == "jump":
                    self._jump(scene, i, node)
                self._assets(scene, i, node.id, node.directives.items(), "directive")
            if node.meta:
                values = ((key, text) for key, meta in node.meta.items() for text in _meta_strings(meta))
                self._assets(scene, i, node.id, values, "meta")
            who = node.speaker
            if who is not None and who not in self.character_ids and who.casefold() not in self.character_names:
                speakers.setdefault(who, []).append(i)
        self.edges.append(edges)
        for who, at in speakers.items():
            lines = "1 node" if len(at) == 1 else f"{len(at)} nodes"
            message = f"the speaker {_q(who)} is no character's id or name ({lines} in this scene, the first here)"
            self.add("unknown-speaker", scene, message, at[0])

    # ----------------------------------------------------------------- conditions, effects, variables

    def _code(self, scene: Scene, i: int, node: Node, foreign: bool) -> None:
        where = f"node {node.id}"
        for text in node.conditions:
            self._expression(scene, i, -1, where, "condition", text, foreign)
        if node.effects is not None:
            self._expression(scene, i, -1, where, "effects", node.effects, foreign)
        for k, c in enumerate(node.choices):
            if c.condition is None and c.effects is None:
                continue
            where = f"choice {c.id} of {node.id}"
            if c.condition is not None:
                self._expression(scene, i, k, where, "condition", c.condition, foreign)
            if c.effects is not None:
                self._expression(scene, i, k, where, "effects", c.effects, foreign)

    def _parsed(self, field: str, text: str) -> tuple[set[str], set[str]] | ExprError:
        """The names ``text`` reads and sets, or why it does not read; each text is parsed once per check."""
        cache = self.conditions if field == "condition" else self.effects
        got = cache.get(text)
        if got is None:
            try:
                if field == "condition":
                    expr = parse_condition(text)
                    got = names_read(expr), set()
                    if expr == _FALSE:
                        self.never.add(text)
                else:
                    effects = parse_effects(text)
                    got = names_read(effects), names_written(effects)
            except ExprError as e:
                got = e
            cache[text] = got
        return got

    def _expression(self, scene: Scene, i: int, k: int, where: str, field: str, text: str, foreign: bool) -> None:
        got = self._parsed(field, text)
        if isinstance(got, ExprError):
            kind = f"{'foreign' if foreign else 'bad'}-{field}"
            note = " (it came from Ren'Py: rewrite it in the story language)" if foreign else ""
            self.add(kind, scene, f"{where}: {got}{note}", i, k)
            return
        read, written = got
        severity: Severity = "warning" if foreign else "error"
        for name in sorted(read | written):
            if name in (self.scoped if "." in name else self.bare):
                continue
            verb = "reads" if name not in written else "sets" if name not in read else "reads and sets"
            message = f"{where}: the {field} {verb} {name}, which no variable defines"
            self.add("undefined-variable", scene, message, i, k, severity=severity)

    # ----------------------------------------------------------------- targets and dead ends

    def _resolve(self, scene: int, target: str) -> tuple[int, int] | str:
        """The (scene, node) indexes ``target`` leads to from scene ``scene``, or why it leads nowhere."""
        sid, colon, nid = target.partition(":")
        s = self.scene_index.get(sid, -1) if colon else scene
        if s >= 0:  # the usual case, without reading the target's ids again: they name what exists
            if not colon:
                nid = sid
            elif not nid:
                if self.scenes[s].nodes:
                    return s, 0
                return f"names the start of scene {sid}, which has no node"
            j = self.node_index[s].get(nid, -1)
            if j >= 0:
                return s, j
        try:
            split_target(target)
        except Rejected as e:
            return f"is not a link target ({e})"
        if s < 0:
            return f"names scene {sid}, which does not exist"
        return f"names node {nid}, which scene {self.scenes[s].id} does not have"

    def _takeable(self, condition: str | None, weight: int | None) -> bool:
        """Whether a choice could ever be taken: its weight is not 0, its condition not literally ``false``."""
        return weight != 0 and (condition is None or condition not in self.never)

    def _renpy_labels(self) -> set[str]:
        """The Ren'Py labels the story has: those its scenes were imported from, and named menus."""
        labels: set[str] = set()
        for scene in self.scenes:
            label = scene.meta.get("renpy_label")
            if isinstance(label, str):
                labels.add(label)
            if "renpy_label" in scene.meta or "renpy_file" in scene.meta:
                for node in scene.nodes:
                    if node.directives.get("renpy") == "menu" and "label" in node.directives:
                        labels.add(node.directives["label"])
        return labels

    def _jump(self, scene: Scene, i: int, node: Node) -> None:
        if "expression" in node.directives:
            message = (
                f"node {node.id} jumps to a computed label ({node.directives['expression']}), "
                "which the import could not follow, so the story ends there"
            )
            self.add("dead-end", scene, message, i)
        elif node.directives.get("label", "") not in self.labels:
            message = (
                f"node {node.id} jumps to the Ren'Py label {_q(node.directives.get('label', ''))}, "
                "which the story does not have, so the story ends there"
            )
            self.add("dead-end", scene, message, i)

    # ----------------------------------------------------------------- reachability

    def _entries(self) -> list[int]:
        listed = [self.scene_index[sid] for t in self.timelines for sid in t.scene_order if sid in self.scene_index]
        starts = [s for s, scene in enumerate(self.scenes) if scene.meta.get("renpy_label") == "start"]
        if not listed and not starts:
            listed = [s for s, scene in enumerate(self.scenes) if "renpy_file" not in scene.meta][:1]
        return listed + starts

    def _reachability(self) -> None:
        entered = [False] * len(self.scenes)
        reached = [[False] * len(s.nodes) for s in self.scenes]
        todo: list[tuple[int, int]] = []
        for s in self._entries():
            entered[s] = True
            if self.scenes[s].nodes and not reached[s][0]:
                reached[s][0] = True
                todo.append((s, 0))
        edges = self.edges
        while todo:
            s, i = todo.pop()
            for t, j in edges[s][i]:
                seen = reached[t]
                if not seen[j]:
                    seen[j] = True
                    entered[t] = True
                    todo.append((t, j))
        for s, scene in enumerate(self.scenes):
            if "renpy_file" in scene.meta:
                continue  # a Ren'Py script file's own scene: its statements run at start-up, not in the flow
            if not entered[s]:
                message = f"scene {scene.id} can never be reached: no timeline lists it and nothing played leads to it"
                self.add("unreachable-scene", scene, message)
                continue
            for i, seen_node in enumerate(reached[s]):
                if not seen_node:
                    message = f"node {scene.nodes[i].id} can never be reached when the story is played"
                    self.add("unreachable-node", scene, message, i)

    # ----------------------------------------------------------------- assets

    def _assets(self, scene: Scene, i: int, node_id: str, values: Iterable[tuple[str, str]], what: str) -> None:
        for key, value in values:
            if len(value) < 64:
                continue
            for ref in asset_refs(value):
                if ref not in self.assets:
                    message = f"node {node_id}: the {what} {key} names asset {ref}, which is not in the vault"
                    self.add("missing-asset", scene, message, i)


def _q(text: str) -> str:
    """``text`` in double quotes, as a writer types it (JSON-style escapes for quotes and control characters)."""
    return msgspec.json.encode(text).decode()


def _meta_strings(value: MetaValue) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    return []
