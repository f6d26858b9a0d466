"""Verbs of the ``edit`` group: scenes, nodes, choices, characters, timelines and variables.

Every verb builds the new version of the entity it edits and hands it to
:func:`save`, which turns old → new into fine-grained events with
:func:`~comfyvn_vault.domain.diffing.diff_entities` (the same path a hand-edited
file takes) and commits them, or, with ``commit=False``, only rewrites the
working-copy file so the change shows in ``status`` until the next ``commit``.
Each returns :class:`Saved`, named after the verb (``comfyvn.node-edit/1``).

The reads list and show the story's entities as the CLI prints them
(``scene list``, ``character show`` …) and give the TUI what its views show
(an entity's file text, the scenes a character speaks in).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import Any, Final, Literal, ParamSpec, TypeAlias, TypeVar

import msgspec
from msgspec.structs import replace

from comfyvn_vault.api.entities import find_id, fresh_id, next_numbered, parse_value, slug, suggest
from comfyvn_vault.domain.diffing import diff_entities
from comfyvn_vault.domain.entities import (
    Character,
    Choice,
    Entity,
    MetaValue,
    Node,
    Scene,
    Scope,
    Timeline,
    Variable,
    VariableValue,
    name_of,
)
from comfyvn_vault.domain.events import Cause, Event
from comfyvn_vault.domain.paths import CHARACTERS, SCENES, TIMELINES, VARIABLES, check_id, entity_path
from comfyvn_vault.errors import InputRejected, ObjectNotFound, RefMoved
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.vault import Vault

# ----------------------------------------------------------------- results


class Saved(msgspec.Struct, kw_only=True):
    """What an edit verb did: the entity it created or edited, and the commit."""

    schema: str = "comfyvn.edit/1"
    """``comfyvn.<verb>/1``, naming the verb that made it (``comfyvn.scene-new/1``, ``comfyvn.node-edit/1`` …)."""
    id: str
    """The scene, node, choice, character, timeline or variable created or edited."""
    commit: str | None
    """The commit made; null when nothing changed or the edit only went to the working copy (``--no-commit``)."""
    events: int
    """How many events the edit is (pending in the working copy when ``commit`` is null)."""


class SceneRow(msgspec.Struct):
    """One scene of ``scene list``."""

    id: str
    title: str
    nodes: int
    """How many nodes the scene has."""


class SceneList(msgspec.Struct, kw_only=True):
    """Every scene of the checkout (``scene list``), in id order."""

    schema: str = "comfyvn.scenes/1"
    scenes: list[SceneRow]


class CharacterRow(msgspec.Struct):
    """One character of ``character list``."""

    id: str
    name: str


class CharacterList(msgspec.Struct, kw_only=True):
    """Every character of the checkout (``character list``), in id order."""

    schema: str = "comfyvn.characters/1"
    characters: list[CharacterRow]


class TimelineRow(msgspec.Struct):
    """One timeline of ``timeline list``."""

    id: str
    name: str
    scene_order: list[str]


class TimelineList(msgspec.Struct, kw_only=True):
    """Every timeline of the checkout (``timeline list``), in id order."""

    schema: str = "comfyvn.timelines/1"
    timelines: list[TimelineRow]


class VariableRow(msgspec.Struct):
    """One variable of ``var list``."""

    id: str
    name: str
    value: VariableValue
    scope: Scope


class VariableList(msgspec.Struct, kw_only=True):
    """Every variable of the checkout (``var list``), in id order."""

    schema: str = "comfyvn.variables/1"
    variables: list[VariableRow]


# The shown documents are the entity's fields (as its schema in schemas/entities/
# gives them, defaults left out) after ``schema``; ``schema`` has no default so
# that it is always written while the entity's defaults are not.


class SceneShown(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A scene (``scene show``): the :class:`~comfyvn_vault.domain.entities.Scene`, fields at their default left out."""

    schema: Literal["comfyvn.scene/1"]
    id: str
    title: str = ""
    nodes: list[Node] = []
    meta: dict[str, MetaValue] = {}


class CharacterShown(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A character (``character show``): the :class:`~comfyvn_vault.domain.entities.Character`, defaults left out."""

    schema: Literal["comfyvn.character/1"]
    id: str
    name: str = ""
    traits: dict[str, str] = {}
    portrait_asset_id: str | None = None
    expressions: dict[str, str] = {}
    meta: dict[str, MetaValue] = {}


class TimelineShown(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A timeline (``timeline show``): the :class:`~comfyvn_vault.domain.entities.Timeline`, defaults left out."""

    schema: Literal["comfyvn.timeline/1"]
    id: str
    name: str = ""
    scene_order: list[str] = []
    meta: dict[str, MetaValue] = {}


class VariableShown(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A variable (``var show``): the :class:`~comfyvn_vault.domain.entities.Variable`, defaults left out."""

    schema: Literal["comfyvn.variable/1"]
    id: str
    name: str
    value: VariableValue
    scope: Scope = "global"
    meta: dict[str, MetaValue] = {}


Shown: TypeAlias = SceneShown | CharacterShown | TimelineShown | VariableShown
#: Each shown document's entity type.
SHOWN: Final[dict[type[Shown], type[Entity]]] = {
    SceneShown: Scene,
    CharacterShown: Character,
    TimelineShown: Timeline,
    VariableShown: Variable,
}


class Appearance(msgspec.Struct):
    """A scene a character speaks in (the TUI's "appears in")."""

    scene: str
    """The scene's id."""
    title: str
    lines: int
    """How many of the scene's lines the character speaks."""


#: The result types of this module's verbs, for the generated JSON Schemas.
RESULTS: Final[tuple[type[Any], ...]] = (
    Saved,
    SceneList,
    CharacterList,
    TimelineList,
    VariableList,
    SceneShown,
    CharacterShown,
    TimelineShown,
    VariableShown,
    Appearance,
)

# ----------------------------------------------------------------- reading

E = TypeVar("E", Scene, Character, Timeline, Variable)


def current(vault: Vault, path: str, *, worktree: bool = False) -> Entity | None:
    """The entity at ``path`` in the checkout (or, with ``worktree``, as its file says now)."""
    if worktree:
        from comfyvn_vault.worktree.format import file_of

        rel = file_of(path)
        if (vault.root / rel).is_file():
            return vault.worktree.read(rel)
        tree = vault.checkout_tree()
        if tree is not None and vault.history.trees.get(tree, path) is not None:
            return None  # the file was deleted in the working copy
    base = _BASE.get()
    if base is not None:
        # Inside a verb's attempt everything is read at the HEAD it started from, so the
        # events it derives are against that one state: a writer that commits meanwhile
        # makes them clash (RefMoved, then a fresh attempt), never silently overwritten.
        tree = vault.history.tree_of(base)
        doc_id = vault.history.trees.get(tree, path) if tree is not None else None
    else:
        doc_id = vault.projections.entity_id(path)
    return vault.history.entity_doc(doc_id) if doc_id is not None else None


def need(vault: Vault, folder: str, entity_id: str, kind: type[E], worktree: bool = False) -> E:
    """The entity ``folder/entity_id`` (see :func:`current`); ObjectNotFound (exit 3) if there is none of ``kind``."""
    doc = current(vault, entity_path(folder, check_id(entity_id)), worktree=worktree)
    if doc is None or not isinstance(doc, kind):
        raise ObjectNotFound(f"no {kind.__name__.lower()} {entity_id!r}{suggest(vault, folder, entity_id)}")
    return doc


def entries(vault: Vault, folder: str) -> list[tuple[str, ObjectId]]:
    """(path, document id) of every entity of ``folder`` in the checkout, in id order (no document is read)."""
    return vault.projections.paths(folder)


def names(vault: Vault, folder: str) -> dict[str, str]:
    """Entity id → lowercased name or title of every entity of ``folder`` (from the name index alone)."""
    return vault.projections.names(folder)


def entity_list(vault: Vault, folder: str) -> list[Entity]:
    """Every entity of ``folder`` in the checkout, in id order."""
    return [vault.history.entity_doc(doc_id) for _, doc_id in entries(vault, folder)]


def titles(vault: Vault, folder: str, ids: Iterable[str]) -> dict[str, str | None]:
    """The name or title of each entity ``ids`` names; None for one the checkout does not have."""
    out: dict[str, str | None] = {}
    for entity_id in ids:
        doc_id = vault.projections.entity_id(entity_path(folder, entity_id))
        out[entity_id] = name_of(vault.history.entity_doc(doc_id)) if doc_id is not None else None
    return out


def appearances(vault: Vault, character: Character) -> list[Appearance]:
    """The scenes ``character`` speaks in, by scene id, from the speaker index (no scene is read to find them)."""
    counts = vault.projections.scenes_with_speaker(character.name)
    shown = titles(vault, SCENES, sorted(counts))
    return [Appearance(sid, title or "", counts[sid]) for sid, title in shown.items()]


def scene_list(vault: Vault) -> SceneList:
    """Every scene, with its node count (``scene list``)."""
    rows = []
    for scene in entity_list(vault, SCENES):
        assert isinstance(scene, Scene)
        rows.append(SceneRow(scene.id, scene.title, len(scene.nodes)))
    return SceneList(scenes=rows)


def character_list(vault: Vault) -> CharacterList:
    """Every character (``character list``)."""
    return CharacterList(characters=[CharacterRow(c.id, c.name) for c in _all(vault, CHARACTERS, Character)])


def timeline_list(vault: Vault) -> TimelineList:
    """Every timeline (``timeline list``)."""
    rows = [TimelineRow(t.id, t.name, list(t.scene_order)) for t in _all(vault, TIMELINES, Timeline)]
    return TimelineList(timelines=rows)


def var_list(vault: Vault) -> VariableList:
    """Every variable (``var list``)."""
    rows = [VariableRow(v.id, v.name, v.value, v.scope) for v in _all(vault, VARIABLES, Variable)]
    return VariableList(variables=rows)


def _all(vault: Vault, folder: str, kind: type[E]) -> list[E]:
    return [doc for doc in entity_list(vault, folder) if isinstance(doc, kind)]


def scene_show(vault: Vault, ref: str) -> SceneShown:
    """The scene with id or title ``ref`` (``scene show``)."""
    return SceneShown(schema="comfyvn.scene/1", **_fields(vault, SCENES, ref, Scene))


def character_show(vault: Vault, ref: str) -> CharacterShown:
    """The character with id or name ``ref`` (``character show``)."""
    return CharacterShown(schema="comfyvn.character/1", **_fields(vault, CHARACTERS, ref, Character))


def timeline_show(vault: Vault, ref: str) -> TimelineShown:
    """The timeline with id or name ``ref`` (``timeline show``)."""
    return TimelineShown(schema="comfyvn.timeline/1", **_fields(vault, TIMELINES, ref, Timeline))


def var_show(vault: Vault, ref: str) -> VariableShown:
    """The variable with id or name ``ref`` (``var show``)."""
    return VariableShown(schema="comfyvn.variable/1", **_fields(vault, VARIABLES, ref, Variable))


def _fields(vault: Vault, folder: str, ref: str, kind: type[E]) -> dict[str, Any]:
    return msgspec.structs.asdict(need(vault, folder, find_id(vault, folder, ref), kind))


def file_text(doc: Entity | Shown) -> str:
    """An entity (or a shown one) as its working-copy file holds it: the TOML a writer edits."""
    from comfyvn_vault.worktree.format import render

    if not isinstance(doc, Scene | Character | Timeline | Variable):
        kind = SHOWN[type(doc)]
        doc = kind(**{name: getattr(doc, name) for name in kind.__struct_fields__})
    return render(doc)


# ----------------------------------------------------------------- saving

#: How often a verb re-reads HEAD and derives its edit again when another writer got in first.
ATTEMPTS: Final = 8
#: The HEAD the running verb read its entities at (set by :func:`retrying`, passed to ``Vault.record``).
_BASE: ContextVar[ObjectId | None] = ContextVar("comfyvn_story_base", default=None)

P = ParamSpec("P")
R = TypeVar("R")


def retrying(verb: Callable[P, R]) -> Callable[P, R]:
    """Run a story verb against one HEAD; when another writer moves HEAD first, run it again.

    The verb notes HEAD before it reads anything, and commits with that as the
    base, so a concurrent commit that clashes with its edit (the same generated
    node id, the same field) is :class:`RefMoved`, never a rejection of the
    edit. Then it re-reads the new HEAD and derives its edit again (a fresh
    node id, say), up to ``ATTEMPTS`` times; after that RefMoved reaches the
    caller (exit 4: retry).
    """

    @functools.wraps(verb)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        vault = args[0]
        assert isinstance(vault, Vault)
        if _BASE.get() is not None:
            return verb(*args, **kwargs)  # called from another verb: its attempt is the one
        for attempt in range(ATTEMPTS):
            token = _BASE.set(vault.history.head())
            try:
                return verb(*args, **kwargs)
            except RefMoved:
                if attempt == ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
            finally:
                _BASE.reset(token)
        raise AssertionError("unreachable")

    return run


def edit_verb(verb: Callable[P, Saved]) -> Callable[P, Saved]:
    """An edit verb: :func:`retrying`, its result named after it (``node_edit`` → ``comfyvn.node-edit/1``)."""
    schema = f"comfyvn.{verb.__name__.replace('_', '-')}/1"
    attempt = retrying(verb)

    @functools.wraps(verb)
    def run(*args: P.args, **kwargs: P.kwargs) -> Saved:
        return replace(attempt(*args, **kwargs), schema=schema)

    return run


def save(
    vault: Vault,
    changes: Mapping[str, Entity | None],
    message: str,
    *,
    commit: bool = True,
    cause: Cause | None = None,
    subject: str = "",
) -> Saved:
    """Record new versions of entities as fine-grained events (see module doc)."""
    cause = cause or Cause(kind="user")
    if not commit:
        return _save_to_worktree(vault, changes, cause, subject)
    events: list[Event] = []
    for path, new in changes.items():
        events.extend(diff_entities(path, current(vault, path), new, cause=cause))
    if not events:
        return Saved(id=subject, commit=None, events=0)
    rec = vault.record(events, message, base=_BASE.get())
    return Saved(id=subject, commit=rec.commit_id.hex(), events=len(events))


def _save_to_worktree(vault: Vault, changes: Mapping[str, Entity | None], cause: Cause, subject: str) -> Saved:
    from comfyvn_vault.domain.apply import apply_all

    tree = vault.checkout_tree()
    committed = vault.history.lookup_in(tree)
    olds = {path: current(vault, path, worktree=True) for path in changes}

    def lookup(p: str) -> Any:
        return olds[p] if p in olds else committed(p)

    events = [e for path, new in changes.items() for e in diff_entities(path, olds[path], new, cause=cause)]
    # Validate against the rest of the story before touching the files.
    apply_all(lookup, events, listing=vault.history.listing_in(tree))
    n = len(events)
    with vault.store.transaction():
        for path, new in changes.items():
            vault.worktree.write_file(path, new)
    return Saved(id=subject, commit=None, events=n)


# ----------------------------------------------------------------- scenes


@edit_verb
def scene_new(vault: Vault, title: str, scene_id: str | None = None, **opts: Any) -> Saved:
    """Create a scene titled ``title`` (its id made from the title unless given)."""
    taken = {p.split("/", 1)[1] for p, _ in entries(vault, SCENES)}
    sid = check_id(scene_id) if scene_id else fresh_id(taken, slug(title, "scene"))
    if sid in taken:
        raise InputRejected(f"scene {sid!r} already exists")
    scene = Scene(id=sid, title=title)
    return save(
        vault,
        {entity_path(SCENES, sid): scene},
        opts.pop("message", None) or f"New scene: {title}",
        subject=sid,
        **opts,
    )


@edit_verb
def scene_rm(vault: Vault, scene_ref: str, **opts: Any) -> Saved:
    """Delete a scene."""
    sid = find_id(vault, SCENES, scene_ref)
    return save(
        vault, {entity_path(SCENES, sid): None}, opts.pop("message", None) or f"Remove scene {sid}", subject=sid, **opts
    )


@edit_verb
def node_add(
    vault: Vault,
    scene_ref: str,
    *,
    type: Literal["text", "choice", "action"] = "text",
    speaker: str | None = None,
    content: str = "",
    after: str | None = None,
    node_id: str | None = None,
    **opts: Any,
) -> Saved:
    """Add a node to a scene: at the end, or after the node ``after``."""
    commit = opts.get("commit", True)
    sid = find_id(vault, SCENES, scene_ref)
    scene = need(vault, SCENES, sid, Scene, worktree=not commit)
    ids = [n.id for n in scene.nodes]
    nid = check_id(node_id, "node id") if node_id else next_numbered(set(ids), "n")
    if nid in ids:
        raise InputRejected(f"scene {sid} already has a node {nid!r}")
    node = Node(id=nid, type=type, speaker=speaker, content=content)
    if after is None:
        nodes = [*scene.nodes, node]
    else:
        if after not in ids:
            raise ObjectNotFound(f"scene {sid} has no node {after!r}")
        at = ids.index(after) + 1
        nodes = [*scene.nodes[:at], node, *scene.nodes[at:]]
    new = replace(scene, nodes=nodes)
    msg = opts.pop("message", None) or f"Add node {nid} to {sid}"
    return save(vault, {entity_path(SCENES, sid): new}, msg, subject=nid, **opts)


def _edit_node(
    vault: Vault,
    scene_ref: str,
    node_id: str,
    change: Callable[[Node], Node | None],
    default_message: Callable[[str], str],
    **opts: Any,
) -> Saved:
    """Replace (or, when ``change`` returns None, remove) one node; ``default_message(scene_id)`` names the edit."""
    commit = opts.get("commit", True)
    sid = find_id(vault, SCENES, scene_ref)
    scene = need(vault, SCENES, sid, Scene, worktree=not commit)
    for i, node in enumerate(scene.nodes):
        if node.id == node_id:
            nodes = list(scene.nodes)
            new_node = change(node)
            if new_node is None:
                del nodes[i]
            else:
                nodes[i] = new_node
            new = replace(scene, nodes=nodes)
            msg = opts.pop("message", None) or default_message(sid)
            return save(vault, {entity_path(SCENES, sid): new}, msg, subject=node_id, **opts)
    raise ObjectNotFound(f"scene {sid} has no node {node_id!r}")


#: Node fields that may be cleared (set to None / empty) by an edit.
CLEARABLE_NODE_FIELDS: Final = frozenset({"speaker", "effects"})
CLEARABLE_CHOICE_FIELDS: Final = frozenset({"condition", "effects", "weight"})


def check_story_code(*, condition: str | None = None, effects: str | None = None) -> None:
    """Refuse (exit 3, pointing at the column) a condition or effects text that does not parse."""
    if condition is None and effects is None:
        return
    from comfyvn_vault.domain.runtime.expr import parse_condition, parse_effects

    if condition is not None:
        parse_condition(condition)
    if effects is not None:
        parse_effects(effects)


@edit_verb
def node_edit(vault: Vault, scene_ref: str, node_id: str, *, clear: Iterable[str] = (), **fields: Any) -> Saved:
    """Change the given fields of a node (None means "leave as is"); ``clear`` names fields to empty."""
    opts = {k: fields.pop(k) for k in ("commit", "message") if k in fields}
    changes = {k: v for k, v in fields.items() if v is not None}
    check_story_code(effects=changes.get("effects"))
    for name in clear:
        if name not in CLEARABLE_NODE_FIELDS:
            raise InputRejected(f"a node's {name} cannot be cleared")
        changes[name] = None
    if not changes:
        raise InputRejected("nothing to change: give --speaker, --no-speaker, --content, --type or --effects")
    return node_set(vault, scene_ref, node_id, changes, **opts)


@edit_verb
def node_set(vault: Vault, scene_ref: str, node_id: str, fields: Mapping[str, Any], **opts: Any) -> Saved:
    """Set node fields exactly as given, as one edit (``speaker=None`` clears it; ``choices`` replaces them)."""
    message = opts.pop("message", None)
    return _edit_node(
        vault,
        scene_ref,
        node_id,
        lambda n: replace(n, **fields),
        lambda sid: message or f"Edit node {node_id} of {sid}",
        **opts,
    )


@edit_verb
def node_rm(vault: Vault, scene_ref: str, node_id: str, **opts: Any) -> Saved:
    """Remove a node from its scene."""
    return _edit_node(
        vault, scene_ref, node_id, lambda n: None, lambda sid: f"Remove node {node_id} from {sid}", **opts
    )


@edit_verb
def choice_add(
    vault: Vault,
    scene_ref: str,
    node_id: str,
    *,
    text: str,
    target: str,
    condition: str | None = None,
    effects: str | None = None,
    weight: int | None = None,
    choice_id: str | None = None,
    **opts: Any,
) -> Saved:
    """Add a choice to a node (a text node without choices becomes a choice node)."""
    check_story_code(condition=condition, effects=effects)

    def add(node: Node) -> Node:
        ids = {c.id for c in node.choices}
        cid = check_id(choice_id, "choice id") if choice_id else next_numbered(ids, "c")
        if cid in ids:
            raise InputRejected(f"node {node_id} already has a choice {cid!r}")
        choice = Choice(id=cid, text=text, target=target, condition=condition, effects=effects, weight=weight)
        node_type = "choice" if node.type == "text" and not node.choices else node.type
        return replace(node, type=node_type, choices=[*node.choices, choice])

    return _edit_node(vault, scene_ref, node_id, add, lambda sid: f"Add a choice to {sid}#{node_id}", **opts)


@edit_verb
def choice_edit(
    vault: Vault,
    scene_ref: str,
    node_id: str,
    choice_id: str,
    *,
    text: str | None = None,
    target: str | None = None,
    condition: str | None = None,
    effects: str | None = None,
    weight: int | None = None,
    clear: Iterable[str] = (),
    **opts: Any,
) -> Saved:
    """Change one choice's text, target, condition, effects or weight (None: as is; ``clear`` empties
    condition, effects or weight)."""
    check_story_code(condition=condition, effects=effects)
    given = {"text": text, "target": target, "condition": condition, "effects": effects, "weight": weight}
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    for name in clear:
        if name not in CLEARABLE_CHOICE_FIELDS:
            raise InputRejected(f"a choice's {name} cannot be cleared")
        changes[name] = None
    if not changes:
        raise InputRejected("nothing to change: give --text, --target, --condition, --effects or --weight")

    def edit(node: Node) -> Node:
        if choice_id not in {c.id for c in node.choices}:
            raise ObjectNotFound(f"node {node_id} has no choice {choice_id!r}")
        return replace(node, choices=[replace(c, **changes) if c.id == choice_id else c for c in node.choices])

    return _edit_node(
        vault, scene_ref, node_id, edit, lambda sid: f"Edit choice {choice_id} of {sid}#{node_id}", **opts
    )


@edit_verb
def choice_rm(vault: Vault, scene_ref: str, node_id: str, choice_id: str, **opts: Any) -> Saved:
    """Remove one choice of a node."""

    def rm(node: Node) -> Node:
        if choice_id not in {c.id for c in node.choices}:
            raise ObjectNotFound(f"node {node_id} has no choice {choice_id!r}")
        return replace(node, choices=[c for c in node.choices if c.id != choice_id])

    return _edit_node(
        vault, scene_ref, node_id, rm, lambda sid: f"Remove choice {choice_id} from {sid}#{node_id}", **opts
    )


# ----------------------------------------------------------------- characters, timelines, variables


@edit_verb
def character_new(
    vault: Vault, name: str, traits: Mapping[str, str] | None = None, character_id: str | None = None, **opts: Any
) -> Saved:
    """Create a character named ``name`` (its id made from the name unless given)."""
    taken = {p.split("/", 1)[1] for p, _ in entries(vault, CHARACTERS)}
    cid = check_id(character_id) if character_id else fresh_id(taken, slug(name, "character"))
    if cid in taken:
        raise InputRejected(f"character {cid!r} already exists")
    ch = Character(id=cid, name=name, traits=dict(traits or {}))
    msg = opts.pop("message", None) or f"New character: {name}"
    return save(vault, {entity_path(CHARACTERS, cid): ch}, msg, subject=cid, **opts)


@edit_verb
def character_edit(
    vault: Vault,
    ref: str,
    *,
    name: str | None = None,
    traits: Mapping[str, str] | None = None,
    unset: list[str] | None = None,
    **opts: Any,
) -> Saved:
    """Rename a character (its lines are then spoken under the new name) or set and unset traits."""
    cid = find_id(vault, CHARACTERS, ref)
    ch = need(vault, CHARACTERS, cid, Character, worktree=not opts.get("commit", True))
    new_traits = {**ch.traits, **(traits or {})}
    for key in unset or []:
        new_traits.pop(key, None)
    new = replace(ch, name=name if name is not None else ch.name, traits=new_traits)
    changes: dict[str, Entity | None] = {entity_path(CHARACTERS, cid): new}
    if new.name != ch.name:
        changes.update(_respoken(vault, ch, new.name, worktree=not opts.get("commit", True)))
    msg = opts.pop("message", None) or f"Edit character {cid}"
    return save(vault, changes, msg, subject=cid, **opts)


def _respoken(vault: Vault, ch: Character, name: str, *, worktree: bool) -> dict[str, Entity | None]:
    """The scenes whose lines ``ch`` speaks, with those lines spoken as ``name`` (for a rename).

    A node's speaker is the name it is spoken under (narration and minor
    voices need no character), matched as the speaker index does, without
    case. Lines under a name another character also has stay as they are:
    they cannot be told apart, and they still name that character.
    """
    old = ch.name.lower()
    if not old or any(other != ch.id for other in vault.projections.by_name(CHARACTERS, ch.name)):
        return {}
    out: dict[str, Entity | None] = {}
    for sid in vault.projections.scenes_with_speaker(ch.name):
        scene = current(vault, entity_path(SCENES, sid), worktree=worktree)
        if not isinstance(scene, Scene):
            continue
        nodes = [
            replace(n, speaker=name) if n.speaker is not None and n.speaker.lower() == old else n for n in scene.nodes
        ]
        if nodes != scene.nodes:
            out[entity_path(SCENES, sid)] = replace(scene, nodes=nodes)
    return out


@edit_verb
def timeline_new(
    vault: Vault, name: str, scenes: list[str] | None = None, timeline_id: str | None = None, **opts: Any
) -> Saved:
    """Create a timeline named ``name`` ordering ``scenes`` (ids or titles)."""
    taken = {p.split("/", 1)[1] for p, _ in entries(vault, TIMELINES)}
    tid = check_id(timeline_id) if timeline_id else fresh_id(taken, slug(name, "timeline"))
    if tid in taken:
        raise InputRejected(f"timeline {tid!r} already exists")
    order = [find_id(vault, SCENES, s) for s in scenes or []]
    msg = opts.pop("message", None) or f"New timeline: {name}"
    return save(
        vault, {entity_path(TIMELINES, tid): Timeline(id=tid, name=name, scene_order=order)}, msg, subject=tid, **opts
    )


@edit_verb
def timeline_edit(
    vault: Vault,
    ref: str,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    order: list[str] | None = None,
    name: str | None = None,
    **opts: Any,
) -> Saved:
    """Reorder a timeline's scenes (``order``), remove some and add others at the end, or rename it."""
    tid = find_id(vault, TIMELINES, ref)
    tl = need(vault, TIMELINES, tid, Timeline, worktree=not opts.get("commit", True))
    scene_order = [find_id(vault, SCENES, s) for s in order] if order is not None else list(tl.scene_order)
    gone = {find_id(vault, SCENES, s) for s in remove or []}
    scene_order = [s for s in scene_order if s not in gone]
    scene_order += [find_id(vault, SCENES, s) for s in add or []]
    new = replace(tl, scene_order=scene_order, name=name if name is not None else tl.name)
    msg = opts.pop("message", None) or f"Edit timeline {tid}"
    return save(vault, {entity_path(TIMELINES, tid): new}, msg, subject=tid, **opts)


@edit_verb
def var_set(
    vault: Vault, name: str, value: str, scope: Literal["global", "session", "scene"] = "global", **opts: Any
) -> Saved:
    """Create a variable, or change its value (of the same type: ``true``/``false``, an integer, or text)."""
    vid = check_id(name, "variable name")
    old = current(vault, entity_path(VARIABLES, vid), worktree=not opts.get("commit", True))
    parsed = parse_value(value)
    if isinstance(old, Variable) and type(old.value) is not type(parsed):
        raise InputRejected(
            f"variable {name} holds a {type(old.value).__name__}; {value!r} is a {type(parsed).__name__}"
        )
    new = Variable(id=vid, name=name, value=parsed, scope=scope)
    msg = opts.pop("message", None) or f"Set {name} = {value}"
    return save(vault, {entity_path(VARIABLES, vid): new}, msg, subject=vid, **opts)


@edit_verb
def var_rm(vault: Vault, name: str, **opts: Any) -> Saved:
    """Delete a variable."""
    vid = find_id(vault, VARIABLES, name)
    msg = opts.pop("message", None) or f"Remove variable {name}"
    return save(vault, {entity_path(VARIABLES, vid): None}, msg, subject=vid, **opts)
