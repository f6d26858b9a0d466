"""Scenes as Ren'Py labels: each scene one label, its nodes the statements in it, in order.

A scene is lowered the way a compiler lowers a flow graph: the nodes are
written in the scene's order, and where the flow goes elsewhere than the next
node a ``jump`` says so. A node some link leads to (other than the one before
it) gets a label of its own, ``label harbour_n5:``, inside its scene's label
(a global name: a named menu or a ``call … from`` is a label too, and would
change what a local ``.n5`` belongs to). A scene's last node without a
``next`` ends the story (``return``), as it does when the story plays.

Per node (:meth:`SceneWriter.node`):

* ``conditions`` wrap the node in ``if …:``; when they are false the flow
  goes on to the next node, as when playing;
* a ``text`` node is a say statement (a ``voice`` line first when it has one),
  its effects a ``$`` line after it;
* a ``choice`` node is a ``menu`` (its line the say statement shown with it;
  each choice's condition its ``if``, its effects ``$`` lines in its block), or
  for choices that all carry weights a weighted pick with ``renpy.random``
  among those whose condition holds; an ``if`` node imported from Ren'Py is an
  ``if``/``elif``/``else`` again;
* an ``action`` node imported from Ren'Py is its statement, rebuilt from its
  directives (``scene``, ``show``, ``play``, ``python``, ``call``…) or written
  as it was (``raw``); a story's own action node gets ``scene``/``show``/
  ``hide``/``music``/``sound``/``voice`` statements from its directives and
  ``end`` returns. Directives nothing maps become comments, and the export
  says so.

Conditions and effects of the story's own nodes are translated
(:mod:`.python`); those imported from Ren'Py are Python already and are
written as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from comfyvn_vault.domain.assets import asset_refs
from comfyvn_vault.domain.entities import Choice, Node, Scene
from comfyvn_vault.domain.runtime.expr import ExprError
from comfyvn_vault.exporters.renpy import python
from comfyvn_vault.exporters.renpy.text import Names, comment, indent, renpy_string, say_string

#: Ren'Py statements whose text the importer keeps in ``directives`` (see :mod:`comfyvn_vault.importers.renpy`).
SHOW_CLAUSES: Final = ("onlayer", "at", "as", "behind", "zorder")
AUDIO_VALUES: Final = ("fadeout", "fadein", "volume")
AUDIO_FLAGS: Final = ("loop", "noloop", "if_changed")
#: Speakers Ren'Py defines itself (their lines are narration, or continue the last speaker's).
BUILTIN_SPEAKERS: Final = frozenset({"narrator", "centered", "vcentered", "nvl_narrator", "extend"})
#: The story's own directives this writer turns into statements.
NATIVE_DIRECTIVES: Final = frozenset({"scene", "bg", "background", "show", "hide", "music", "sound", "voice", "end"})
#: Ren'Py statements that are only flow: what they do is the node's ``next`` (see :meth:`SceneWriter._flow`).
FLOW_ONLY: Final = frozenset({"label", "pass", "end", "jump"})
PICK: Final = "comfyvn_pick"
DEAD_END: Final = "comfyvn_dead_end"


def foreign(scene: Scene, node: Node) -> bool:
    """Whether ``node`` came from Ren'Py (its conditions and effects are Python, its text Ren'Py text)."""
    return "renpy" in node.directives or any(key.startswith("renpy_") for key in scene.meta)


@dataclass
class Story:
    """What lowering any scene needs: labels, speakers, variables and media by name, and the notes it makes."""

    scenes: dict[str, Scene]
    labels: dict[str, str]
    """Scene id → its label (a scene left out still has one, a label that only returns)."""
    variables: python.VariableNames
    speaker: Callable[[str | None], str | None]
    """The ``who`` for a speaker (a character's variable, or a quoted name); ``None`` for narration."""
    aliases: dict[str, str | None]
    """A ``who`` an imported script wrote (``e``, ``e_shout``, ``"Eileen"``) → the speaker it means."""
    images: dict[str, str]
    """Asset id → the Ren'Py image name it is shown as."""
    known_images: set[str]
    """Every image name the project defines: the pictures', and those the scripts' ``image`` statements make."""
    files: dict[str, str]
    """Asset id → its file's path under ``game/`` (audio)."""
    script_names: set[str] = field(default_factory=set)
    """Store names the written scripts define (a ``Character(None, kind=nvl)`` narrator among them)."""
    label_names: Names = field(default_factory=Names)
    """Every label name the project uses, so the labels this writer adds are new."""
    scene_vars: list[tuple[str, str]] = field(default_factory=list)
    """``(python name, initial value)`` of scene-scoped variables, set again whenever a scene is entered."""
    notes: list[str] = field(default_factory=list)
    uses_pick: bool = False
    local: dict[str, dict[str, str]] = field(default_factory=dict)
    """Scene id → node id → the label of a node some link jumps to (not its scene's first)."""

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def target(self, scene: Scene, target: str) -> tuple[str, int] | None:
        """``(scene id, node index)`` a link target names, or ``None`` for one that names nothing."""
        scene_id, colon, node_id = target.partition(":")
        if not colon:
            scene_id, node_id = scene.id, target
        found = self.scenes.get(scene_id)
        if found is None or scene_id not in self.labels:
            return None
        if not node_id:
            return (scene_id, 0) if found.nodes else None
        index = next((i for i, n in enumerate(found.nodes) if n.id == node_id), None)
        return None if index is None else (scene_id, index)

    def mark_targets(self) -> None:
        """Give a local label to every node a link leads to, other than by following the node before it."""
        for scene in self.scenes.values():
            for i, node in enumerate(scene.nodes):
                # a menu always jumps (what follows it is where the flow ends when no choice is shown)
                links = [c.target for c in node.choices] if node.type == "choice" else node.next[:1]
                follows = None if node.type == "choice" else (scene.id, i + 1)
                for link in links:
                    place = self.target(scene, link)
                    if place is not None and place != follows and place[1] != 0:
                        self._local(place)

    def _local(self, place: tuple[str, int]) -> str:
        scene = self.scenes[place[0]]
        node = scene.nodes[place[1]]
        names = self.local.setdefault(scene.id, {})
        if node.id not in names:
            names[node.id] = self.label_names.fresh(f"{self.labels[scene.id]}_{node.id}", "n")
        return names[node.id]

    def label_of(self, place: tuple[str, int]) -> str:
        """The label of a place: its scene's for the scene's first node (``harbour``), else its own (``harbour_n5``)."""
        scene_id, index = place
        if index == 0:
            return self.labels[scene_id]
        return self._local(place)


class SceneWriter:
    """Writes one scene's label (see the module docstring)."""

    def __init__(self, story: Story, scene: Scene) -> None:
        self.story = story
        self.scene = scene
        self.out: list[str] = []
        self.trampolines: list[str] = []
        self.last_speaker: str | None = None

    def write(self) -> list[str]:
        scene = self.scene
        label = self.story.labels[scene.id]
        parameters = scene.meta.get("renpy_parameters")
        head = f"label {label}{parameters if isinstance(parameters, str) else ''}"
        head += " hide:" if scene.meta.get("renpy_hide") is True else ":"
        self.out.append(head)
        if scene.title and scene.title != scene.meta.get("renpy_label"):
            self.out.append("    " + comment(scene.title))
        self._enter_scene(1)
        local = self.story.local.get(scene.id, {})
        for i, node in enumerate(scene.nodes):
            if node.id in local and i != 0:
                self.out.append(f"    label {local[node.id]}:")
            self.node(i, node)
        if not scene.nodes or scene.nodes[-1].conditions:
            self.out.append("    return")  # the end of the scene ends the story, passed-over last node or not
        self.out.extend(self.trampolines)
        return self.out

    def _enter_scene(self, level: int) -> None:
        """Scene-scoped variables back to their starting values, as entering a scene does when playing."""
        if self.story.scene_vars:
            sets = "; ".join(f"{name} = {value}" for name, value in self.story.scene_vars)
            self.out.append("    " * level + f"$ {sets}")

    # ------------------------------------------------------------- nodes

    def node(self, i: int, node: Node) -> None:
        level = 1
        own = not foreign(self.scene, node)
        if node.conditions:
            test = " and ".join(f"({self._condition(c, own, node.id)})" for c in node.conditions)
            self.out.append(f"    if {test}:")
            level = 2
        before = len(self.out)
        if node.type == "choice" and node.directives.get("renpy") == "if":
            self._if(node, level)
        elif node.type == "choice":
            self._menu(i, node, level, own)
        else:
            if node.type == "text":
                self._say(node, level, own)
            else:
                self._action(node, level, own)
            if node.effects:
                self._effects(node.effects, own, level, node.id)
            self._flow(i, node, level)
        if all(line.lstrip().startswith("#") for line in self.out[before:]):  # a comment is no statement
            self.out.append("    " * level + "pass")

    def _condition(self, text: str, own: bool, where: str) -> str:
        if not own:
            return " ".join(text.split())
        try:
            return python.condition(text, self.story.variables)
        except ExprError as exc:
            self.story.note(f"scene {self.scene.id} node {where}: condition kept out: {exc}")
            return "False"

    def _effects(self, text: str, own: bool, level: int, where: str) -> None:
        pad = "    " * level
        if not own:
            self.out.extend(pad + "$ " + line.strip() for line in text.split("\n") if line.strip())
            return
        try:
            code = python.effects(text, self.story.variables)
        except ExprError as exc:
            self.story.note(f"scene {self.scene.id} node {where}: effects kept out: {exc}")
            return
        if code:
            self.out.append(f"{pad}$ {code}")

    def _flow(self, i: int, node: Node, level: int) -> None:
        """Where the flow goes after node ``i``: nowhere to write for the next node, else a jump or the end."""
        pad = "    " * level
        if (node.type == "action" and node.directives.get("renpy") in ("return", "end")) or "end" in node.directives:
            if node.directives.get("renpy") != "return":
                self.out.append(pad + "return")
            return
        if node.next:
            self._jump(node.next[0], pad, follows=i + 1)
        elif i == len(self.scene.nodes) - 1:
            self.out.append(pad + "return")

    def _jump(self, target: str, pad: str, follows: int | None = None) -> None:
        place = self.story.target(self.scene, target)
        if place is None:
            self.story.note(f"scene {self.scene.id}: a link to {target!r} names nothing: the story ends there")
            self.out.append(pad + "return")
            return
        if place == (self.scene.id, follows):
            return
        if place[0] != self.scene.id and place[1] != 0:  # into another scene, past the label that resets
            self._enter_scene(len(pad) // 4)
        self.out.append(f"{pad}jump {self.story.label_of(place)}")

    # -------------------------------------------------------------- say

    def _who(self, node: Node) -> str | None:
        who = node.meta.get("who")
        resolved = self.story.speaker(node.speaker)
        if isinstance(who, str):
            if who == "extend" and node.speaker == self.last_speaker and node.speaker is not None:
                return who
            if who != "extend" and node.speaker is None and (who in BUILTIN_SPEAKERS or who in self.story.script_names):
                return who
            if who in self.story.aliases and _same(self.story.aliases[who], node.speaker):
                return who
        return resolved

    def _say_line(self, node: Node, own: bool, *, prefix: str = "say_") -> str:
        d = node.directives
        who = self._who(node)
        text = say_string(node.content) if own else renpy_string(node.content)
        parts = [who] if who else []
        if not own:
            attributes, temporary = d.get(f"{prefix}attributes"), d.get(f"{prefix}temporary_attributes")
            if attributes and who:
                parts.append(attributes)
            if temporary and who:
                parts.append(f"@ {temporary}")
        parts.append(text)
        if not own:
            if d.get(f"{prefix}interact") == "false":
                parts.append("nointeract")
            if d.get(f"{prefix}id"):
                parts.append(f"id {d[f'{prefix}id']}")
            if d.get(f"{prefix}with"):
                parts.append(f"with {d[f'{prefix}with']}")
            if d.get(f"{prefix}arguments"):
                parts.append(d[f"{prefix}arguments"])
        self.last_speaker = node.speaker
        return " ".join(parts)

    def _say(self, node: Node, level: int, own: bool) -> None:
        pad = "    " * level
        voice = node.directives.get("voice")
        if voice and own:
            self._audio_line("voice", voice, pad)
        self.out.append(pad + self._say_line(node, own, prefix=""))
        self._unknown(node, level, own, known={"voice"} if own else set())

    # ------------------------------------------------------------- menus

    def _if(self, node: Node, level: int) -> None:
        pad = "    " * level
        for k, choice in enumerate(node.choices):
            if choice.condition is None:
                self.out.append(f"{pad}else:")
            else:
                self.out.append(f"{pad}{'elif' if k else 'if'} {' '.join(choice.condition.split())}:")
            mark = len(self.out)
            self._jump(choice.target, pad + "    ")
            if len(self.out) == mark:
                self.out.append(pad + "    pass")
            if choice.condition is None:
                break

    def _menu(self, i: int, node: Node, level: int, own: bool) -> None:
        pad = "    " * level
        weighted = [c for c in node.choices if c.weight is not None] if own else []
        plain = [c for c in node.choices if c.weight is None or not own]
        pick = bool(weighted) and all(c.condition for c in plain)
        with_menu = bool(plain) and not pick  # the line is said with the menu, else before whatever comes
        if node.content and not with_menu:
            self.out.append(pad + self._say_line(node, own, prefix=""))
        if node.effects:
            self._effects(node.effects, own, level, node.id)
        if pick:
            self._pick(node, weighted, plain, pad)
        if plain:
            self._menu_statement(node, plain, pad, own, caption=with_menu)
        self.out.append(pad + "return")

    def _pick(self, node: Node, weighted: list[Choice], plain: list[Choice], pad: str) -> None:
        """A weighted pick among the weighted choices shown, when no choice without a weight is."""
        self.story.uses_pick = True
        options = []
        for choice in weighted:
            option = f"({self._choice_label(node, choice)!r}, {choice.weight})"
            if choice.condition:
                option = f"({option} if {self._condition(choice.condition, True, node.id)} else None)"
            options.append(option)
        inner = pad
        if plain:
            shown = " or ".join(f"({self._condition(c.condition or 'true', True, node.id)})" for c in plain)
            self.out.append(f"{pad}if not ({shown}):")
            inner = pad + "    "
        self.out.append(f"{inner}jump expression {PICK}({', '.join(options)})")

    def _choice_label(self, node: Node, choice: Choice) -> str:
        """Where a weighted pick of ``choice`` goes: its target, or a step running its effects first."""
        if not choice.effects:
            place = self.story.target(self.scene, choice.target)
            return DEAD_END if place is None else self.story.label_of(place)
        step = self.story.label_names.fresh(f"{self.story.labels[self.scene.id]}_{node.id}_{choice.id}", "n")
        keep, self.out = self.out, []
        self.out.append(f"    label {step}:")
        self._effects(choice.effects, True, 1, f"{node.id} choice {choice.id}")
        self._jump(choice.target, "    ")
        self.trampolines.extend(self.out)
        self.out = keep
        return step

    def _menu_statement(self, node: Node, choices: list[Choice], pad: str, own: bool, *, caption: bool) -> None:
        d = node.directives if not own else {}
        name = d.get("label")
        head = "menu" + (f" {name}" if name else "") + (d.get("arguments") or "") + ":"
        self.out.append(pad + head)
        inner = pad + "    "
        if d.get("with"):
            self.out.append(f"{inner}with {d['with']}")
        if d.get("set"):
            self.out.append(f"{inner}set {d['set']}")
        kind = node.meta.get("menu_caption")
        if not caption or not node.content:
            pass
        elif kind == "caption" and not own:
            self.out.extend(inner + renpy_string(line) for line in node.content.split("\n"))
        else:
            line = self._say_line(node, own)
            self.out.append(inner + (line if self._who(node) else f"narrator {line}"))
        arguments = node.meta.get("choice_arguments")
        for k, choice in enumerate(choices):
            text = say_string(choice.text) if own else renpy_string(choice.text)
            extra = arguments[k] if isinstance(arguments, list) and k < len(arguments) and arguments[k] else ""
            extra = f" {extra}" if extra else ""
            cond = f" if {self._condition(choice.condition, own, node.id)}" if choice.condition else ""
            self.out.append(f"{inner}{text}{extra}{cond}:")
            if choice.effects:
                self._effects(choice.effects, own, len(inner) // 4 + 1, f"{node.id} choice {choice.id}")
            self._jump(choice.target, inner + "    ")
            if not self.out[-1].startswith(inner + "    "):
                self.out.append(inner + "    pass")

    # ----------------------------------------------------------- actions

    def _action(self, node: Node, level: int, own: bool) -> None:
        pad = "    " * level
        d = node.directives
        verb = d.get("renpy")
        if verb is None:
            self._native_action(node, level)
            return
        line: str | None = None
        if verb in ("raw", "image") and node.content:
            self.out.extend(indent(node.content, level))
        elif verb in ("scene", "show", "hide"):
            self._show(d, pad)
        elif verb == "with":
            line = f"with {d.get('transition', 'None')}"
        elif verb in ("play", "queue", "stop", "voice"):
            line = self._renpy_audio(d)
        elif verb == "pause":
            line = "pause" + (f" {d['delay']}" if d.get("delay") else "")
        elif verb == "python":
            if d.get("block") == "true":
                header = f"python {d['header']}:" if d.get("header") else "python:"
                self.out.append(pad + header)
                self.out.extend(indent(d.get("code", "pass"), level + 1))
            else:
                line = f"$ {d.get('code', '')}"
        elif verb == "call":
            line = self._call(d)
        elif verb == "jump" and "expression" in d:
            line = f"jump expression {d['expression']}"
        elif verb == "return":
            line = "return" + (f" {d['value']}" if d.get("value") else "")
        elif verb in ("define", "default", "image") and declaration(d) is not None:
            line = declaration(d)
        elif verb in FLOW_ONLY:
            return  # _flow writes what it does (a jump, a return, or nothing: on to the next node)
        elif node.content:
            self.out.extend(indent(node.content, level))
        else:
            self.out.append(pad + comment(f"{verb}: not a statement this export writes"))
            self.story.note(f"scene {self.scene.id} node {node.id}: Ren'Py statement {verb!r} not written")
        if line is not None:
            self.out.append(pad + line)

    def _show(self, d: dict[str, str], pad: str) -> None:
        verb = d["renpy"]
        parts = [verb]
        if "expression" in d:
            parts.append(f"expression {d['expression']}")
        elif d.get("image"):
            parts.append(d["image"])
        parts.extend(f"{key} {d[key]}" for key in SHOW_CLAUSES if d.get(key))
        if d.get("with"):
            parts.append(f"with {d['with']}")
        atl = d.get("atl")
        if atl and verb != "hide":
            self.out.append(pad + " ".join(parts) + ":")
            self.out.extend(indent(atl, len(pad) // 4 + 1))
        else:
            self.out.append(pad + " ".join(parts))

    def _renpy_audio(self, d: dict[str, str]) -> str:
        verb = d["renpy"]
        if verb == "voice":
            return "voice sustain" if d.get("sustain") else f"voice {d.get('file', '')}"
        parts = [verb, d.get("channel", "music")]
        if verb != "stop" and d.get("file"):
            parts.append(d["file"])
        parts.extend(f"{key} {d[key]}" for key in AUDIO_VALUES if d.get(key))
        parts.extend(key for key in AUDIO_FLAGS if d.get(key) == "true")
        return " ".join(parts)

    def _call(self, d: dict[str, str]) -> str:
        if "expression" in d:
            line = f"call expression {d['expression']}" + (f" pass {d['arguments']}" if d.get("arguments") else "")
        else:
            scene_id = d.get("scene")
            label = self.story.labels.get(scene_id, d.get("label", "")) if scene_id else d.get("label", "")
            line = f"call {label}{d.get('arguments') or ''}"
        return line + (f" from {d['from']}" if d.get("from") else "")

    def _native_action(self, node: Node, level: int) -> None:
        pad = "    " * level
        d = node.directives
        for key in ("scene", "bg", "background"):
            if d.get(key):
                image = self._image(d[key], node)
                if image:
                    self.out.append(f"{pad}scene {image}")
                break
        if d.get("show"):
            image = self._image(d["show"], node)
            if image:
                self.out.append(f"{pad}show {image}")
        if d.get("hide"):
            image = self._image(d["hide"], node)
            if image:
                self.out.append(f"{pad}hide {image.split()[0]}")
        for channel in ("music", "sound", "voice"):
            if d.get(channel):
                self._audio_line(channel, d[channel], pad)
        if node.content:
            self.out.extend(pad + comment(line) for line in node.content.split("\n") if line.strip())
        self._unknown(node, level, True, known=NATIVE_DIRECTIVES | {"jump", "set"})

    def _unknown(self, node: Node, level: int, own: bool, known: set[str] | frozenset[str]) -> None:
        if not own:
            return
        for key in sorted(set(node.directives) - known):
            self.out.append("    " * level + comment(f"{key}: {node.directives[key]}"))
            self.story.note(f"directive {key!r} has no Ren'Py statement: written as a comment")

    def _image(self, value: str, node: Node) -> str | None:
        for ref in asset_refs(value):
            if ref in self.story.images:
                return self.story.images[ref]
            self.story.note(f"scene {self.scene.id} node {node.id}: asset {ref[:12]} is not an image in the export")
            return None
        name = " ".join(value.split())
        if name in self.story.known_images:
            return name
        self.story.note(f"scene {self.scene.id} node {node.id}: {value[:40]!r} names no image or picture of the story")
        return None

    def _audio_line(self, channel: str, value: str, pad: str) -> None:
        if channel != "voice" and value.strip().lower() == "stop":
            self.out.append(f"{pad}stop {channel}")
            return
        for ref in asset_refs(value):
            path = self.story.files.get(ref)
            if path is None:
                self.story.note(f"scene {self.scene.id}: asset {ref[:12]} is not a sound in the export")
                return
            verb = "voice" if channel == "voice" else f"play {channel}"
            self.out.append(f"{pad}{verb} {renpy_string(path)}")
            return
        self.story.note(f"scene {self.scene.id}: {channel} {value[:40]!r} names no asset")


def _same(a: str | None, b: str | None) -> bool:
    return a is b or (a is not None and b is not None and a.casefold() == b.casefold())


def declaration(d: dict[str, str]) -> str | None:
    """A ``define``, ``default`` or ``image NAME = VALUE`` statement from the directives the importer keeps;
    ``None`` for a node that is none of them (or lacks its name or value)."""
    verb = d.get("renpy")
    if "name" not in d or not d.get("value"):
        return None
    if verb == "image":
        return f"image {d['name']} = {d['value']}"
    if verb not in ("define", "default"):
        return None
    priority = f" {d['priority']}" if d.get("priority") else ""
    index = f"[{d['index']}]" if d.get("index") else ""
    return f"{verb}{priority} {d['name']}{index} {d.get('operator', '=')} {d['value']}"
