"""Story editing verbs shared by the CLI and the TUI.

Every verb builds the new version of the entity it edits and hands it to
:func:`save`, which turns old → new into fine-grained events with
:func:`~comfyvn_vault.domain.diffing.diff_entities` (the same path a hand-edited
file takes) and commits them, or, with ``commit=False``, only rewrites the
working-copy file so the change shows in ``status`` until the next ``commit``.
"""

from __future__ import annotations

import functools
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import Any, Final, Literal, ParamSpec, TypeVar

import msgspec
from msgspec.structs import replace

from comfyvn_vault.domain.diffing import diff_entities
from comfyvn_vault.domain.entities import Character, Choice, Entity, Node, Scene, Timeline, Variable
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.events import Cause, Event
from comfyvn_vault.domain.naming import fresh_id, next_numbered, slug
from comfyvn_vault.domain.paths import (
    CHARACTERS,
    SCENES,
    TIMELINES,
    VARIABLES,
    check_id,
    entity_path,
)
from comfyvn_vault.errors import InputRejected, ObjectNotFound, RefMoved
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.suggest import did_you_mean
from comfyvn_vault.vault import Vault


class Saved(msgspec.Struct):
    """What a verb did: the entity it created or edited, and the commit (None with commit=False)."""

    id: str
    commit: str | None
    events: int


# ----------------------------------------------------------------- reading


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


def need(vault: Vault, folder: str, entity_id: str, kind: type[Any], worktree: bool = False) -> Any:
    doc = current(vault, entity_path(folder, check_id(entity_id)), worktree=worktree)
    if doc is None or not isinstance(doc, kind):
        raise ObjectNotFound(f"no {kind.__name__.lower()} {entity_id!r}{_suggest(vault, folder, entity_id)}")
    return doc


def find_id(vault: Vault, folder: str, text: str) -> str:
    """An entity id given its id or its exact name or title (case-insensitive); the id wins.

    A name several entities share is refused (exit 3) with their ids listed.
    """
    if _valid_id(text) and vault.projections.entity_id(entity_path(folder, text)) is not None:
        return text
    ids = vault.projections.by_name(folder, text)
    if len(ids) == 1:
        return ids[0]
    if len(ids) > 1:
        shown = ", ".join(ids[:10]) + (", …" if len(ids) > 10 else "")
        raise InputRejected(f"{len(ids)} {folder} are named {text[:80]!r}: give the id ({shown})")
    raise ObjectNotFound(f"no {folder[:-1]} with id or name {text[:80]!r}{_suggest(vault, folder, text)}")


def _suggest(vault: Vault, folder: str, text: str) -> str:
    """ "; did you mean …" naming the entities of ``folder`` whose id or name is close to ``text``."""
    names = vault.projections.names(folder)
    return did_you_mean(text, [*names, *names.values()], shown_as={name: eid for eid, name in names.items()})


def _valid_id(text: str) -> bool:
    try:
        check_id(text)
        return True
    except Rejected:
        return False


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
        return Saved(subject, None, 0)
    rec = vault.record(events, message, base=_BASE.get())
    return Saved(subject, rec.commit_id.hex(), len(events))


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
    return Saved(subject, None, n)


# ----------------------------------------------------------------- scenes


@retrying
def scene_new(vault: Vault, title: str, scene_id: str | None = None, **opts: Any) -> Saved:
    taken = {p.split("/", 1)[1] for p, _ in vault.projections.paths(SCENES)}
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


@retrying
def scene_rm(vault: Vault, scene_ref: str, **opts: Any) -> Saved:
    sid = find_id(vault, SCENES, scene_ref)
    return save(
        vault, {entity_path(SCENES, sid): None}, opts.pop("message", None) or f"Remove scene {sid}", subject=sid, **opts
    )


def scene_list(vault: Vault) -> list[dict[str, Any]]:
    out = []
    for _, doc_id in vault.projections.paths(SCENES):
        scene = vault.history.entity_doc(doc_id)
        assert isinstance(scene, Scene)
        out.append({"id": scene.id, "title": scene.title, "nodes": len(scene.nodes)})
    return out


@retrying
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
    commit = opts.get("commit", True)
    sid = find_id(vault, SCENES, scene_ref)
    scene: Scene = need(vault, SCENES, sid, Scene, worktree=not commit)
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


@retrying
def _edit_node(
    vault: Vault, scene_ref: str, node_id: str, change: Any, default_message: Callable[[str], str], **opts: Any
) -> Saved:
    """Replace (or, when ``change`` returns None, remove) one node; ``default_message(scene_id)`` names the edit."""
    commit = opts.get("commit", True)
    sid = find_id(vault, SCENES, scene_ref)
    scene: Scene = need(vault, SCENES, sid, Scene, worktree=not commit)
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
CLEARABLE_NODE_FIELDS: Final = frozenset({"speaker"})
CLEARABLE_CHOICE_FIELDS: Final = frozenset({"condition", "weight"})


def node_edit(vault: Vault, scene_ref: str, node_id: str, *, clear: Iterable[str] = (), **fields: Any) -> Saved:
    """Change the given fields of a node (None means "leave as is"); ``clear`` names fields to empty."""
    opts = {k: fields.pop(k) for k in ("commit", "message") if k in fields}
    changes = {k: v for k, v in fields.items() if v is not None}
    for name in clear:
        if name not in CLEARABLE_NODE_FIELDS:
            raise InputRejected(f"a node's {name} cannot be cleared")
        changes[name] = None
    if not changes:
        raise InputRejected("nothing to change: give --speaker, --no-speaker, --content or --type")
    return node_set(vault, scene_ref, node_id, changes, **opts)


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


def node_rm(vault: Vault, scene_ref: str, node_id: str, **opts: Any) -> Saved:
    return _edit_node(
        vault, scene_ref, node_id, lambda n: None, lambda sid: f"Remove node {node_id} from {sid}", **opts
    )


def choice_add(
    vault: Vault,
    scene_ref: str,
    node_id: str,
    *,
    text: str,
    target: str,
    condition: str | None = None,
    weight: int | None = None,
    choice_id: str | None = None,
    **opts: Any,
) -> Saved:
    def add(node: Node) -> Node:
        ids = {c.id for c in node.choices}
        cid = check_id(choice_id, "choice id") if choice_id else next_numbered(ids, "c")
        if cid in ids:
            raise InputRejected(f"node {node_id} already has a choice {cid!r}")
        choice = Choice(id=cid, text=text, target=target, condition=condition, weight=weight)
        node_type = "choice" if node.type == "text" and not node.choices else node.type
        return replace(node, type=node_type, choices=[*node.choices, choice])

    return _edit_node(vault, scene_ref, node_id, add, lambda sid: f"Add a choice to {sid}#{node_id}", **opts)


def choice_edit(
    vault: Vault,
    scene_ref: str,
    node_id: str,
    choice_id: str,
    *,
    text: str | None = None,
    target: str | None = None,
    condition: str | None = None,
    weight: int | None = None,
    clear: Iterable[str] = (),
    **opts: Any,
) -> Saved:
    """Change one choice's text, target, condition or weight (None: as is; ``clear`` empties condition/weight)."""
    given = {"text": text, "target": target, "condition": condition, "weight": weight}
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    for name in clear:
        if name not in CLEARABLE_CHOICE_FIELDS:
            raise InputRejected(f"a choice's {name} cannot be cleared")
        changes[name] = None
    if not changes:
        raise InputRejected("nothing to change: give --text, --target, --condition or --weight")

    def edit(node: Node) -> Node:
        if choice_id not in {c.id for c in node.choices}:
            raise ObjectNotFound(f"node {node_id} has no choice {choice_id!r}")
        return replace(node, choices=[replace(c, **changes) if c.id == choice_id else c for c in node.choices])

    return _edit_node(
        vault, scene_ref, node_id, edit, lambda sid: f"Edit choice {choice_id} of {sid}#{node_id}", **opts
    )


def choice_rm(vault: Vault, scene_ref: str, node_id: str, choice_id: str, **opts: Any) -> Saved:
    def rm(node: Node) -> Node:
        if choice_id not in {c.id for c in node.choices}:
            raise ObjectNotFound(f"node {node_id} has no choice {choice_id!r}")
        return replace(node, choices=[c for c in node.choices if c.id != choice_id])

    return _edit_node(
        vault, scene_ref, node_id, rm, lambda sid: f"Remove choice {choice_id} from {sid}#{node_id}", **opts
    )


# ----------------------------------------------------------------- characters, timelines, variables


@retrying
def character_new(
    vault: Vault, name: str, traits: Mapping[str, str] | None = None, character_id: str | None = None, **opts: Any
) -> Saved:
    taken = {p.split("/", 1)[1] for p, _ in vault.projections.paths(CHARACTERS)}
    cid = check_id(character_id) if character_id else fresh_id(taken, slug(name, "character"))
    if cid in taken:
        raise InputRejected(f"character {cid!r} already exists")
    ch = Character(id=cid, name=name, traits=dict(traits or {}))
    msg = opts.pop("message", None) or f"New character: {name}"
    return save(vault, {entity_path(CHARACTERS, cid): ch}, msg, subject=cid, **opts)


@retrying
def character_edit(
    vault: Vault,
    ref: str,
    *,
    name: str | None = None,
    traits: Mapping[str, str] | None = None,
    unset: list[str] | None = None,
    **opts: Any,
) -> Saved:
    cid = find_id(vault, CHARACTERS, ref)
    ch: Character = need(vault, CHARACTERS, cid, Character, worktree=not opts.get("commit", True))
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


def entity_list(vault: Vault, folder: str) -> list[Entity]:
    return [vault.history.entity_doc(doc_id) for _, doc_id in vault.projections.paths(folder)]


@retrying
def timeline_new(
    vault: Vault, name: str, scenes: list[str] | None = None, timeline_id: str | None = None, **opts: Any
) -> Saved:
    taken = {p.split("/", 1)[1] for p, _ in vault.projections.paths(TIMELINES)}
    tid = check_id(timeline_id) if timeline_id else fresh_id(taken, slug(name, "timeline"))
    if tid in taken:
        raise InputRejected(f"timeline {tid!r} already exists")
    order = [find_id(vault, SCENES, s) for s in scenes or []]
    msg = opts.pop("message", None) or f"New timeline: {name}"
    return save(
        vault, {entity_path(TIMELINES, tid): Timeline(id=tid, name=name, scene_order=order)}, msg, subject=tid, **opts
    )


@retrying
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
    tid = find_id(vault, TIMELINES, ref)
    tl: Timeline = need(vault, TIMELINES, tid, Timeline, worktree=not opts.get("commit", True))
    scene_order = [find_id(vault, SCENES, s) for s in order] if order is not None else list(tl.scene_order)
    gone = {find_id(vault, SCENES, s) for s in remove or []}
    scene_order = [s for s in scene_order if s not in gone]
    scene_order += [find_id(vault, SCENES, s) for s in add or []]
    new = replace(tl, scene_order=scene_order, name=name if name is not None else tl.name)
    msg = opts.pop("message", None) or f"Edit timeline {tid}"
    return save(vault, {entity_path(TIMELINES, tid): new}, msg, subject=tid, **opts)


def parse_value(text: str) -> int | str | bool:
    """``true``/``false`` → bool, an integer → int, anything else → str (no floats: they do not hash stably)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"[-+]?\d+", text.strip()):
        return int(text)
    return text


@retrying
def var_set(
    vault: Vault, name: str, value: str, scope: Literal["global", "session", "scene"] = "global", **opts: Any
) -> Saved:
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


@retrying
def var_rm(vault: Vault, name: str, **opts: Any) -> Saved:
    vid = find_id(vault, VARIABLES, name)
    msg = opts.pop("message", None) or f"Remove variable {name}"
    return save(vault, {entity_path(VARIABLES, vid): None}, msg, subject=vid, **opts)


def to_json(entity: Entity) -> dict[str, Any]:
    """An entity document as JSON-able builtins (without the internal type tag)."""
    data: dict[str, Any] = msgspec.to_builtins(entity)
    data.pop("_type", None)
    return data
