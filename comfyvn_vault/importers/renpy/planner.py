"""Parsed Ren'Py scripts → scenes, characters and variables (the shape is described in the package docstring).

The planner works in passes over every file's statements: it first collects
what is declared anywhere (characters, ``default`` variables, labels, menu
names, images), then gives every label and file its scene id, then writes
each scene's nodes with their flow as references that are bound once
everything is laid out, and finally turns those references into link targets
(``n4``, ``book:``, ``start:n9``). Cross-scene links are recorded after all
scenes exist (each scene is saved once without them, then with them), so a
jump back to an earlier label applies like any other edit.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

from comfyvn_vault.adapters.plan import PlanBuilder
from comfyvn_vault.domain.entities import (
    Character,
    Choice,
    MetaValue,
    Node,
    NodeType,
    Scene,
    Variable,
    VariableValue,
)
from comfyvn_vault.domain.naming import fresh_id, slug
from comfyvn_vault.domain.paths import CHARACTERS, SCENES, VARIABLES, entity_path
from comfyvn_vault.importers.renpy import parser as p
from comfyvn_vault.importers.renpy.parser import BUILTIN_SPEAKERS, Script, Statement

MAX_EXPRESSION: Final = 10_000
"""The longest ``Character(...)`` or ``default`` value read as a Python literal (longer ones stay text)."""
CHARACTER_CALLS: Final = frozenset({"Character", "DynamicCharacter", "NVLCharacter", "ADVCharacter"})
TRANSLATE_CALLS: Final = frozenset({"_", "__", "_p"})


@dataclass(frozen=True)
class ScriptFile:
    """A script to plan: its name (``game/script.rpy``), what it parsed to and the asset holding its text."""

    name: str
    script: Script
    asset: str | None = None


@dataclass(frozen=True)
class Media:
    """The project's media as assets: by file name relative to ``game/`` and by Ren'Py image name."""

    files: dict[str, str] = field(default_factory=dict)
    """``images/bg uni.jpg`` → asset id."""
    images: dict[str, str] = field(default_factory=dict)
    """``bg uni`` → asset id (Ren'Py's automatic images from ``game/images/``)."""


@dataclass
class _Speaker:
    """A speaker as the scripts write it (``e``) and who speaks: the name, and the character's id."""

    var: str
    name: str | None
    """The display name; ``None`` for a narrator-like character (its lines are narration)."""
    cid: str | None = None


class _End:
    """Where flow stops: the end of the scene the node is in."""


END: Final = _End()


@dataclass(eq=False)
class _Ref:
    """A place in the flow, bound later: another ref, a node of a scene, or :data:`END`."""

    to: _Ref | _Place | _End | None = None


@dataclass(frozen=True, eq=False)
class _Place:
    scene: _SceneDraft
    index: int


@dataclass(eq=False)
class _NodeDraft:
    type: NodeType = "text"
    speaker: str | None = None
    content: str = ""
    directives: dict[str, str] = field(default_factory=dict)
    meta: dict[str, MetaValue] = field(default_factory=dict)
    flow: _Ref | None = None
    choices: list[tuple[str, str | None, _Ref]] = field(default_factory=list)


@dataclass(eq=False)
class _SceneDraft:
    id: str
    title: str
    file: str
    meta: dict[str, MetaValue]
    nodes: list[_NodeDraft] = field(default_factory=list)

    def add(self, node: _NodeDraft) -> _Ref:
        self.nodes.append(node)
        return _Ref(_Place(self, len(self.nodes) - 1))


class _Taken:
    """Ids in use in a folder: what this plan gives out and what the story already has."""

    def __init__(self, builder: PlanBuilder, folder: str) -> None:
        self.builder, self.folder = builder, folder
        self.planned: set[str] = set()

    def __contains__(self, entity_id: object) -> bool:
        assert isinstance(entity_id, str)
        return entity_id in self.planned or self.builder.current(entity_path(self.folder, entity_id)) is not None

    def take(self, base: str) -> str:
        got = fresh_id(self, base)
        self.planned.add(got)
        return got


def walk(statements: list[Statement], *, declarations: bool = True) -> Iterator[Statement]:
    """Every statement, those in blocks (labels, menus, ifs) included, in source order.

    With ``declarations``, also those read inside blocks kept as written (``init:``, a creator-defined
    statement's block): what they define is defined, but they are not laid out as nodes. Without it,
    only what is laid out: the blocks of script a label holds (``example:``), not those of the top level.
    """
    stack: list[Iterator[Statement]] = [iter(statements)]
    while stack:
        stmt = next(stack[-1], None)
        if stmt is None:
            stack.pop()
            continue
        yield stmt
        if isinstance(stmt, p.Label):
            stack.append(iter(stmt.block))
        elif isinstance(stmt, p.Menu):
            stack.append(iter([s for c in stmt.choices for s in c.block]))
        elif isinstance(stmt, p.If):
            stack.append(iter([s for b in stmt.branches for s in b.block]))
        elif isinstance(stmt, p.Raw) and stmt.inner and (declarations or stmt.script):
            stack.append(iter(stmt.inner))


INIT_TIME: Final = frozenset(
    {"init", "screen", "style", "transform", "translate", "testcase", "layeredimage", "rpy", "python"}
)
"""Statements (kept as written) that run when the game starts, not where they stand."""


def runs_in_place(stmt: Statement) -> bool:
    """True for a statement Ren'Py runs when the flow reaches it (a say, a show…), not at start-up."""
    if isinstance(stmt, p.Define | p.Image | p.Label):
        return False
    if isinstance(stmt, p.Raw):
        return stmt.script or stmt.keyword not in INIT_TIME
    return True


def layout(top: list[Statement]) -> list[tuple[Statement, list[Statement]]]:
    """A file's top-level statements, each with the ones that run after it: those after a label, until the next.

    Ren'Py runs a file as one sequence: a label's block falls through into the statements after it, and the
    ones that run in place (a say, an ``example:`` block…) belong to that label's scene; those that run at
    start-up (``define``, ``screen``…) stay the file's. What stands before the first label stays the file's.
    """
    out: list[tuple[Statement, list[Statement]]] = []
    tail: list[Statement] | None = None
    for stmt in top:
        if tail is not None and runs_in_place(stmt):
            tail.append(stmt)
            continue
        out.append((stmt, []))
        if isinstance(stmt, p.Label):
            tail = out[-1][1]
    return out


def _literal(text: str) -> object:
    """``text`` as a Python literal, or :data:`END` (not one, or too long to try)."""
    if len(text) > MAX_EXPRESSION:
        return END
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an invalid escape in a string is Ren'Py's business, not a warning
            return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return END


def character_call(call: str) -> tuple[str | None, bool, str | None]:
    """``(display name, known, image tag)`` of a ``Character(...)`` call; ``known`` is False for a computed name."""
    if len(call) > MAX_EXPRESSION:
        return None, False, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(call, mode="eval").body
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None, False, None
    if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name) or tree.func.id not in CHARACTER_CALLS:
        return None, False, None
    keywords = {k.arg: k.value for k in tree.keywords if k.arg}
    image = keywords.get("image")
    tag = image.value if isinstance(image, ast.Constant) and isinstance(image.value, str) else None
    if tree.func.id == "DynamicCharacter":
        return None, False, tag
    arg: ast.expr | None = tree.args[0] if tree.args else keywords.get("name")
    if arg is None:
        return None, True, tag
    if (
        isinstance(arg, ast.Call)
        and isinstance(arg.func, ast.Name)
        and arg.func.id in TRANSLATE_CALLS
        and len(arg.args) == 1
    ):
        arg = arg.args[0]
    if isinstance(arg, ast.Constant) and (arg.value is None or isinstance(arg.value, str)):
        return arg.value, True, tag
    return None, False, tag


def escape_tab(text: str) -> str:
    """A line as Ren'Py's dialogue table writes it (backslash, tab and newline escaped)."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class Planner:
    """Plans the scripts of one project into ``builder`` (see the module docstring)."""

    def __init__(
        self,
        builder: PlanBuilder,
        files: list[ScriptFile],
        media: Media,
        *,
        source_asset: str | None,
        note: Callable[[str, str], None],
    ) -> None:
        self.builder = builder
        self.files = files
        self.media = media
        self.source_asset = source_asset
        self._note = note
        self.scenes: list[_SceneDraft] = []
        self.speakers: dict[str, _Speaker] = {}
        self.labels: dict[str, _Ref] = {}
        self.label_ids: dict[int, str] = {}
        self.starts: dict[int, _Ref] = {}
        self.label_scene: dict[str, str] = {}
        self.scene_taken = _Taken(builder, SCENES)
        self.char_taken = _Taken(builder, CHARACTERS)
        self.by_name: dict[str, str] = {}
        """Casefolded display name → the character's id: one character per name."""
        self.last_speaker: str | None = None
        self._unknown_speakers: set[str] = set()
        self.variable_ids: dict[str, str] = {}

    def note(self, message: str, file: str, line: int | None = None) -> None:
        self._note(message, f"{file}, line {line}" if line else file)

    # ------------------------------------------------------------- collect

    def plan(self) -> None:
        self._images()
        self._characters()
        self._variables()
        self._label_ids()
        for f in self.files:
            self._file(f)
        self._save()

    def _images(self) -> None:
        """``image name = "file.png"`` statements: these names show that file (over an automatic image)."""
        for f in self.files:
            for stmt in walk(f.script.statements):
                if isinstance(stmt, p.Image) and stmt.value is not None:
                    asset = self._file_asset(stmt.value)
                    if asset is not None:
                        self.media.images[stmt.name] = asset

    def _characters(self) -> None:
        found: list[tuple[str, str, str, int]] = []
        for f in self.files:
            for stmt in walk(f.script.statements):
                if isinstance(stmt, p.Define) and not stmt.default and "." not in stmt.name:
                    if stmt.value.lstrip().split("(", 1)[0].strip() in CHARACTER_CALLS:
                        found.append((stmt.name, stmt.value, f.name, stmt.line))
                elif isinstance(stmt, p.Raw):
                    found.extend((n, c, f.name, line) for n, c, line in stmt.characters)
                elif isinstance(stmt, p.Python):
                    first = stmt.line + 1 if stmt.block else stmt.line
                    found.extend((n, c, f.name, line) for n, c, line in p.character_assignments(stmt.code, first))
        groups: dict[str, list[tuple[str, str, str, int, str | None]]] = {}
        for var, call, file, line in found:
            if var in self.speakers:
                continue
            name, known, tag = character_call(call)
            if not known:
                self.note(f"character {var!r} has a computed name: its lines are spoken by {var!r}", file, line)
                name = var
            self.speakers[var] = _Speaker(var, name)
            if name is not None:
                groups.setdefault(name.casefold(), []).append((var, call, file, line, tag))
        for defs in groups.values():
            # Ren'Py characters of one name (``e``, ``e_shout``) are one person in several styles: one character.
            var, call, file, line, tag = defs[0]
            name = self.speakers[var].name
            assert name is not None
            meta: dict[str, MetaValue] = {
                "renpy_var": var,
                "renpy_define": call,
                "source_file": file,
                "source_line": line,
            }
            if len(defs) > 1:
                meta["renpy_also"] = [d[0] for d in defs[1:]]
            tags = [d[4] for d in defs if d[4]]
            cid = self._character(name, meta, tags[0] if tags else var)
            for d in defs:
                self.speakers[d[0]].cid = cid

    def _character(self, name: str, meta: dict[str, MetaValue], tag: str) -> str:
        """The id of the character ``name``: the story's own when it has one of that name and id, else a new one."""
        planned = self.by_name.get(name.casefold())
        if planned is not None:
            return planned
        taken = self.char_taken
        base = slug(name, "character")
        known = self.builder.current(entity_path(CHARACTERS, base))
        if isinstance(known, Character) and known.name.casefold() == name.casefold() and base not in taken.planned:
            taken.planned.add(base)
            self.by_name[name.casefold()] = base
            return base
        cid = taken.take(base)
        self.by_name[name.casefold()] = cid
        image, expressions = self._expressions(tag, name)
        if image is not None:
            meta["renpy_image"] = image
        self.builder.save(Character(id=cid, name=name, expressions=expressions, meta=meta))
        return cid

    def _expressions(self, tag: str, name: str) -> tuple[str | None, dict[str, str]]:
        """The character's image tag and its images (attributes → asset id): those of its ``image=`` tag,
        else of its variable, else of its name (``sylvie green smile`` for Sylvie)."""
        for candidate in dict.fromkeys((tag, name.casefold())):
            found = {
                image.split(" ", 1)[1]: asset
                for image, asset in self.media.images.items()
                if image.startswith(candidate + " ")
            }
            if found:
                return candidate, dict(sorted(found.items()))
        return None, {}

    def _variables(self) -> None:
        """``default x = ...`` (a story variable) and ``define x = ...`` (a constant) with a plain name and an
        int, text or bool value; a ``default`` of another value is noted, a ``define`` of one is Ren'Py's own."""
        taken = _Taken(self.builder, VARIABLES)
        seen: set[str] = set()
        for f in self.files:
            for stmt in walk(f.script.statements):
                if not isinstance(stmt, p.Define) or stmt.operator != "=" or stmt.index is not None:
                    continue
                if stmt.name in seen or "." in stmt.name or stmt.name in self.speakers:
                    continue
                value = _literal(stmt.value)
                if isinstance(value, bool | int | str):
                    seen.add(stmt.name)
                    self._variable(taken, stmt, value, f.name)
                elif stmt.default:
                    seen.add(stmt.name)
                    shown = stmt.value.split("\n", 1)[0][:60]
                    self.note(
                        f"default {stmt.name} = {shown} is not a story variable (int, text or bool): kept as written",
                        f.name,
                        stmt.line,
                    )

    def _variable(self, taken: _Taken, stmt: p.Define, value: VariableValue, file: str) -> None:
        base = slug(stmt.name, "variable")
        known = self.builder.current(entity_path(VARIABLES, base))
        if isinstance(known, Variable) and known.name == stmt.name and base not in taken.planned:
            taken.planned.add(base)
            self.variable_ids[stmt.name] = base
            if known.value != value or type(known.value) is not type(value):
                self.note(f"variable {stmt.name!r} exists with another value: kept as it is", file, stmt.line)
            return
        vid = taken.take(base)
        self.variable_ids[stmt.name] = vid
        meta: dict[str, MetaValue] = {
            "renpy": "default" if stmt.default else "define",
            "source_file": file,
            "source_line": stmt.line,
        }
        self.builder.save(Variable(id=vid, name=stmt.name, value=value, meta=meta))

    def _label_ids(self) -> None:
        """Every label's scene id, and the ref its flow starts at (bound when its scene is laid out)."""
        for f in self.files:
            laid_out = [stmt for stmt, _ in layout(f.script.statements)]
            laid_out += [t for _, tail in layout(f.script.statements) for t in tail]
            for stmt in walk(laid_out, declarations=False):
                if isinstance(stmt, p.Label):
                    if stmt.name in self.labels:
                        self.note(f"label {stmt.name!r} is defined twice: jumps go to the first", f.name, stmt.line)
                    self.label_ids[id(stmt)] = sid = self.scene_taken.take(slug(stmt.name, "label"))
                    self.starts[id(stmt)] = start = _Ref()
                    if stmt.name not in self.labels:
                        self.labels[stmt.name] = start
                        self.label_scene[stmt.name] = sid
                elif isinstance(stmt, p.Menu) and stmt.name and stmt.name not in self.labels:
                    self.labels[stmt.name] = _Ref()

    # ---------------------------------------------------------------- files

    def _file(self, f: ScriptFile) -> None:
        if not f.script.statements:
            return
        stem = f.name.removeprefix("game/")
        meta: dict[str, MetaValue] = {"renpy_file": f.name, "source_file": f.name}
        self._lineage(meta, f)
        scene = _SceneDraft(self.scene_taken.take(slug(f"file-{stem}", "file")), f.name, f.name, meta)
        self.scenes.append(scene)
        laid = layout(f.script.statements)
        following: list[_Ref] = []  # following[i]: where the flow goes after top-level statement i's label
        ahead = _Ref(END)
        for stmt, _ in reversed(laid):
            following.append(ahead)
            if isinstance(stmt, p.Label):
                ahead = self._label_start(stmt)
        following.reverse()
        outside = 0
        for i, (stmt, tail) in enumerate(laid):
            node = self._top(f, stmt)
            if node is None:
                outside += 1
                node = _NodeDraft(type="action", directives={"renpy": "raw", "statement": _keyword(stmt)})
                node.content = f.script.source(stmt)
            node.meta = {"source_line": stmt.line, "source_file": f.name, **node.meta}
            scene.add(node)
            if isinstance(stmt, p.Label):
                self._label_scene(f, stmt, tail, following[i])
        if outside:
            self.note(f"{outside} statement(s) before the file's first label: kept as written", f.name)

    def _lineage(self, meta: dict[str, MetaValue], f: ScriptFile) -> None:
        if self.source_asset is not None:
            meta["source_asset"] = self.source_asset
        if f.asset is not None and f.asset != self.source_asset:
            meta["source_script"] = f.asset

    def _label_start(self, stmt: Statement) -> _Ref:
        """Where the label statement ``stmt``'s own scene starts (bound when it is laid out)."""
        return self.starts[id(stmt)]

    def _top(self, f: ScriptFile, stmt: Statement) -> _NodeDraft | None:
        """The file scene's node for a top-level statement; ``None`` for one that only runs inside a label."""
        if isinstance(stmt, p.Label):
            return _NodeDraft(type="action", directives={"renpy": "label", "scene": self.label_ids[id(stmt)]})
        if isinstance(stmt, p.Define | p.Image | p.Raw):
            return self._declaration(f, stmt)
        return None

    def _declaration(self, f: ScriptFile, stmt: p.Define | p.Image | p.Raw) -> _NodeDraft:
        node = _NodeDraft(type="action")
        if isinstance(stmt, p.Raw):
            node.directives = {"renpy": "raw", "statement": stmt.keyword}
            node.content = f.script.source(stmt)
            hidden = p.says(stmt.inner)
            if hidden:
                self.note(
                    f"{hidden} line(s) of dialogue in the {stmt.keyword!r} block are kept as written, not as lines",
                    f.name,
                    stmt.line,
                )
            return node
        if isinstance(stmt, p.Image):
            node.directives = {"renpy": "image", "name": stmt.name}
            if stmt.value is not None:
                node.directives["value"] = stmt.value
                asset = self._file_asset(stmt.value)
                if asset is not None:
                    node.directives["asset"] = asset
            else:
                node.content = f.script.source(stmt)
            return node
        d = {"renpy": "default" if stmt.default else "define", "name": stmt.name, "value": stmt.value}
        if stmt.operator != "=":
            d["operator"] = stmt.operator
        if stmt.index is not None:
            d["index"] = stmt.index
        if stmt.priority:
            d["priority"] = str(stmt.priority)
        speaker = self.speakers.get(stmt.name)
        if not stmt.default and speaker is not None and speaker.cid is not None and "." not in stmt.name:
            d["character"] = speaker.cid
        vid = self.variable_ids.get(stmt.name)
        if vid is not None and "." not in stmt.name and d.get("character") is None:
            d["variable"] = vid
        node.directives = d
        return node

    def _file_asset(self, expression: str) -> str | None:
        """The asset of a file a string literal names (``"bg.png"``, ``"audio/x.ogg"``), if it is one."""
        value = _literal(expression) if expression[:1] in "\"'" else END
        if not isinstance(value, str):
            return None
        for name in (value, f"audio/{value}", f"images/{value}"):
            if name in self.media.files:
                return self.media.files[name]
        return None

    # --------------------------------------------------------------- labels

    def _label_scene(self, f: ScriptFile, label: p.Label, tail: list[Statement], cont: _Ref) -> None:
        """The scene of ``label``: its block, then ``tail`` (the top-level statements that follow it, if any)."""
        sid = self.label_ids[id(label)]
        meta: dict[str, MetaValue] = {"renpy_label": label.name, "source_file": f.name, "source_line": label.line}
        if label.parameters:
            meta["renpy_parameters"] = label.parameters
        if label.hide:
            meta["renpy_hide"] = True
        self._lineage(meta, f)
        scene = _SceneDraft(sid, label.name, f.name, meta)
        self.scenes.append(scene)
        self.last_speaker = None
        if tail:
            after = _Ref()
            entry = self._block(f, scene, label.block, after)
            first = len(scene.nodes)
            after.to = self._block(f, scene, tail, cont)
            for node in scene.nodes[first:]:
                node.meta.setdefault("renpy_toplevel", True)
        else:
            entry = self._block(f, scene, label.block, cont)
        if not scene.nodes:
            node = _NodeDraft(type="action", directives={"renpy": "pass"}, flow=entry)
            node.meta = {"source_line": label.line, "source_file": f.name}
            scene.add(node)
        self.starts[id(label)].to = _Place(scene, 0)

    def _block(self, f: ScriptFile, scene: _SceneDraft, block: list[Statement], cont: _Ref) -> _Ref:
        entry = _Ref()
        hole = entry
        for stmt in block:
            after = _Ref()
            hole.to = self._stmt(f, scene, stmt, after)
            hole = after
        hole.to = cont
        return entry

    def _add(self, f: ScriptFile, scene: _SceneDraft, stmt: Statement, node: _NodeDraft) -> _Ref:
        node.meta = {"source_line": stmt.line, "source_file": f.name, **node.meta}
        return scene.add(node)

    def _stmt(self, f: ScriptFile, scene: _SceneDraft, stmt: Statement, after: _Ref) -> _Ref:
        if isinstance(stmt, p.Say):
            return self._add(f, scene, stmt, self._say(f, stmt, after))
        if isinstance(stmt, p.Menu):
            return self._menu(f, scene, stmt, after)
        if isinstance(stmt, p.If):
            return self._if(f, scene, stmt, after)
        if isinstance(stmt, p.Pass):
            return after
        if isinstance(stmt, p.Raw) and stmt.script:
            return self._script_block(f, scene, stmt, after)
        if isinstance(stmt, p.Label):
            sid = self.label_ids[id(stmt)]
            ref = self._add(f, scene, stmt, _NodeDraft(type="action", directives={"renpy": "label", "scene": sid}))
            scene.nodes[-1].flow = self._label_start(stmt)
            self._label_scene(f, stmt, [], after)
            return ref
        node = _NodeDraft(type="action", flow=after)
        if isinstance(stmt, p.Jump):
            node.directives = {"renpy": "jump", ("expression" if stmt.expression else "label"): stmt.target}
            node.flow = self._jump_target(f, stmt)
        elif isinstance(stmt, p.Call):
            node.directives = {"renpy": "call", ("expression" if stmt.expression else "label"): stmt.target}
            if stmt.arguments:
                node.directives["arguments"] = stmt.arguments
            if stmt.from_:
                node.directives["from"] = stmt.from_
            if not stmt.expression and stmt.target in self.label_scene:
                node.directives["scene"] = self.label_scene[stmt.target]
            elif not stmt.expression:
                self.note(f"call to label {stmt.target!r}, which the scripts do not define", f.name, stmt.line)
        elif isinstance(stmt, p.Return):
            node.directives = {"renpy": "return"}
            if stmt.value:
                node.directives["value"] = stmt.value
            node.flow = _Ref(END)
        elif isinstance(stmt, p.Show):
            node.directives = self._show(stmt)
        elif isinstance(stmt, p.With):
            node.directives = {"renpy": "with", "transition": stmt.transition}
        elif isinstance(stmt, p.Audio):
            node.directives = {"renpy": stmt.verb, "channel": stmt.channel}
            if stmt.file is not None:
                node.directives["file"] = stmt.file
                asset = self._file_asset(stmt.file)
                if asset is not None:
                    node.directives["asset"] = asset
            node.directives.update(stmt.clauses)
        elif isinstance(stmt, p.Pause):
            node.directives = {"renpy": "pause"}
            if stmt.delay is not None:
                node.directives["delay"] = stmt.delay
        elif isinstance(stmt, p.Python):
            node.directives = {"renpy": "python", "code": stmt.code}
            if stmt.block:
                node.directives["block"] = "true"
            if stmt.header:
                node.directives["header"] = stmt.header
        else:
            node = self._declaration(f, stmt)
            node.flow = after
        return self._add(f, scene, stmt, node)

    def _script_block(self, f: ScriptFile, scene: _SceneDraft, stmt: p.Raw, after: _Ref) -> _Ref:
        """A statement Ren'Py does not define whose block is script: its line, then its block's nodes.

        The line is a ``raw`` node (``directives.block = "script"``) holding only the line itself; the
        nodes of its block follow it, each with ``meta.renpy_block`` naming that node.
        """
        directives = {"renpy": "raw", "statement": stmt.keyword, "block": "script"}
        header = _NodeDraft(type="action", content=f.script.source(stmt, stmt.head), directives=directives)
        ref = self._add(f, scene, stmt, header)
        header_id = f"n{len(scene.nodes)}"
        first = len(scene.nodes)
        header.flow = self._block(f, scene, stmt.inner, after)
        for node in scene.nodes[first:]:
            node.meta.setdefault("renpy_block", header_id)
        return ref

    def _jump_target(self, f: ScriptFile, stmt: p.Jump) -> _Ref:
        if stmt.expression:
            return _Ref(END)
        target = self.labels.get(stmt.target)
        if target is None:
            self.note(f"jump to label {stmt.target!r}, which the scripts do not define", f.name, stmt.line)
            return _Ref(END)
        return target

    def _show(self, stmt: p.Show) -> dict[str, str]:
        d = {"renpy": stmt.verb}
        if stmt.image is not None:
            d["expression" if stmt.expression else "image"] = stmt.image
            if not stmt.expression and stmt.image in self.media.images:
                d["asset"] = self.media.images[stmt.image]
        d.update(stmt.clauses)
        return d

    def _say(self, f: ScriptFile, stmt: p.Say, after: _Ref | None) -> _NodeDraft:
        node = _NodeDraft(type="text", content=stmt.what, flow=after)
        node.speaker, who = self._speaker(f, stmt.who, stmt.line)
        if who is not None:
            node.meta["who"] = who
        d: dict[str, str] = {}
        for key, value in (
            ("attributes", stmt.attributes),
            ("temporary_attributes", stmt.temporary),
            ("with", stmt.with_),
            ("arguments", stmt.arguments),
            ("id", stmt.identifier),
        ):
            if value is not None:
                d[key] = value
        if not stmt.interact:
            d["interact"] = "false"
        node.directives = d
        return node

    def _speaker(self, f: ScriptFile, who: str | None, line: int) -> tuple[str | None, str | None]:
        """``(speaker name or None for narration, who as written)`` for a say statement's ``who``."""
        if who is None:
            self.last_speaker = None
            return None, None
        if who == "extend":
            return self.last_speaker, who
        speaker = self.speakers.get(who)
        if speaker is not None:
            self.last_speaker = speaker.name
            return speaker.name, who
        if who in BUILTIN_SPEAKERS:
            self.last_speaker = None
            return None, who
        value = _literal(who) if who[:1] in "\"'" else END
        name = value if isinstance(value, str) else who
        if not isinstance(value, str) and who not in self._unknown_speakers:
            self._unknown_speakers.add(who)
            self.note(
                f"speaker {who!r} is not a Character the scripts define: its lines are spoken by {who!r}", f.name, line
            )
        cid = self._character(name, {"renpy_who": who, "source_file": f.name, "source_line": line}, name)
        self.speakers[who] = _Speaker(who, name, cid)
        self.last_speaker = name
        return name, who

    def _menu(self, f: ScriptFile, scene: _SceneDraft, stmt: p.Menu, after: _Ref) -> _Ref:
        node = _NodeDraft(type="choice")
        node.directives = {"renpy": "menu"}
        for key, value in (
            ("label", stmt.name),
            ("arguments", stmt.arguments),
            ("with", stmt.with_),
            ("set", stmt.set_),
        ):
            if value is not None:
                node.directives[key] = value
        if stmt.say is not None:
            said = self._say(f, stmt.say, None)
            node.speaker, node.content = said.speaker, said.content
            node.meta = {**said.meta, "menu_caption": "say", "caption_line": stmt.say.line}
            node.directives.update({f"say_{k}": v for k, v in said.directives.items() if k != "interact"})
        elif stmt.captions:
            node.content = "\n".join(stmt.captions)
            node.meta = {"menu_caption": "caption"}
            if len(stmt.captions) > 1:
                self.note(f"a menu has {len(stmt.captions)} captions: kept as one, a line each", f.name, stmt.line)
        if any(c.arguments for c in stmt.choices):
            node.meta["choice_arguments"] = [c.arguments or "" for c in stmt.choices]
        ref = self._add(f, scene, stmt, node)
        if stmt.name:
            label = self.labels.get(stmt.name)
            if label is not None and label.to is None:
                label.to = ref
        for choice in stmt.choices:
            node.choices.append((choice.text, choice.condition, self._branch(f, scene, choice.block, after)))
        return ref

    def _branch(self, f: ScriptFile, scene: _SceneDraft, block: list[Statement], after: _Ref) -> _Ref:
        """Where a choice leads: a jump's label directly when that is all its block does, else its block."""
        if len(block) == 1 and isinstance(block[0], p.Jump) and not block[0].expression:
            target = self.labels.get(block[0].target)
            if target is not None:
                return target
        return self._block(f, scene, block, after)

    def _if(self, f: ScriptFile, scene: _SceneDraft, stmt: p.If, after: _Ref) -> _Ref:
        node = _NodeDraft(type="choice", directives={"renpy": "if"})
        ref = self._add(f, scene, stmt, node)
        for i, branch in enumerate(stmt.branches):
            text = "else" if branch.condition is None else f"{'elif' if i else 'if'} {branch.condition}"
            node.choices.append((text, branch.condition, self._branch(f, scene, branch.block, after)))
        if stmt.branches[-1].condition is not None:
            node.choices.append(("else", None, after))
            node.meta["implicit_else"] = True
        return ref

    # ----------------------------------------------------------------- save

    def _save(self) -> None:
        finals = {id(scene): self._scene(scene) for scene in self.scenes}
        for scene in self.scenes:
            final = finals[id(scene)]
            self.builder.save(_local_only(final))
        for scene in self.scenes:
            final = finals[id(scene)]
            if final != _local_only(final):
                self.builder.save(final)

    def _scene(self, draft: _SceneDraft) -> Scene:
        last = len(draft.nodes) - 1
        needs_end = any(self._resolve(t) is END for d in draft.nodes for _, _, t in d.choices) or any(
            d.flow is not None and i != last and self._resolve(d.flow) is END for i, d in enumerate(draft.nodes)
        )
        if needs_end:
            draft.nodes.append(_NodeDraft(type="action", directives={"renpy": "end"}, meta={"implicit": True}))
        ids = [f"n{i + 1}" for i in range(len(draft.nodes))]
        nodes: list[Node] = []
        for i, d in enumerate(draft.nodes):
            target = None if d.flow is None else self._link(draft, ids, self._resolve(d.flow), follows=i + 1)
            choices = [
                Choice(
                    id=f"c{k + 1}",
                    text=text,
                    target=self._link(draft, ids, self._resolve(t)) or ids[-1],
                    condition=cond,
                )
                for k, (text, cond, t) in enumerate(d.choices)
            ]
            nodes.append(
                Node(
                    id=ids[i],
                    type=d.type,
                    speaker=d.speaker,
                    content=d.content,
                    directives=d.directives,
                    next=[] if target is None else [target],
                    choices=choices,
                    meta=d.meta,
                )
            )
        return Scene(id=draft.id, title=draft.title, nodes=nodes, meta=draft.meta)

    @staticmethod
    def _resolve(ref: _Ref | _Place | _End | None) -> _Place | _End:
        for _ in range(1 << 20):
            if isinstance(ref, _Ref):
                ref = ref.to
                continue
            return END if ref is None else ref
        return END  # pragma: no cover - refs never form a cycle

    @staticmethod
    def _link(draft: _SceneDraft, ids: list[str], place: _Place | _End, follows: int | None = None) -> str | None:
        """The link target for ``place`` from a node of ``draft``; ``None`` when that is the node that follows.

        :data:`END` is the scene's last node (its implicit end node when it has one).
        """
        if isinstance(place, _End):
            end = len(ids) - 1
            return None if follows is not None and follows >= end else ids[end]
        if place.scene is draft:
            return None if place.index == follows else ids[place.index]
        return f"{place.scene.id}:" if place.index == 0 else f"{place.scene.id}:n{place.index + 1}"


def _local_only(scene: Scene) -> Scene:
    """``scene`` without its links to other scenes (saved first, so that every scene exists before they are)."""
    nodes = []
    changed = False
    for node in scene.nodes:
        next_ = [t for t in node.next if ":" not in t]
        choices = [c for c in node.choices if ":" not in c.target]
        if len(next_) != len(node.next) or len(choices) != len(node.choices):
            changed = True
            node = Node(
                id=node.id,
                type=node.type,
                speaker=node.speaker,
                content=node.content,
                directives=node.directives,
                conditions=node.conditions,
                next=next_,
                choices=choices,
                meta=node.meta,
            )
        nodes.append(node)
    return Scene(id=scene.id, title=scene.title, nodes=nodes, meta=scene.meta) if changed else scene


def _keyword(stmt: Statement) -> str:
    """The first word of a statement (``say`` for a say statement)."""
    if isinstance(stmt, p.Raw):
        return stmt.keyword
    if isinstance(stmt, p.Show | p.Audio):
        return stmt.verb
    if isinstance(stmt, p.Python):
        return "$" if not stmt.block else "python"
    return type(stmt).__name__.lower()
