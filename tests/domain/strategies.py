"""Hypothesis strategies for the domain: well-formed documents, states, and events.

Ids come from small pools so that random events often hit existing nodes,
choices and scenes (and so exercise more than "there is no scene"). Documents
are drawn freely and then *repaired* (links to nodes or scenes that are not
there are dropped), which keeps them well formed without constraining the draw.
"""

from __future__ import annotations

import functools
from typing import Any, get_args

import msgspec
from hypothesis import strategies as st
from msgspec.structs import replace

from comfyvn_vault.domain import (
    EVENT_TYPES,
    Cause,
    CauseKind,
    Character,
    Choice,
    Entity,
    Event,
    Node,
    Scene,
    Timeline,
    Variable,
    diff_entities,
    path_of,
)
from comfyvn_vault.domain.paths import local_target, split_target

SCENE_IDS = ["intro", "s1", "s2", "s3"]
NODE_IDS = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"]
CHOICE_IDS = ["c0", "c1", "c2", "c3"]
CHARACTER_IDS = ["alice", "bob", "c.3"]
TIMELINE_IDS = ["main", "route-b"]
VARIABLE_IDS = ["hp", "name", "met_bob"]
ASSET_IDS = ["a" * 64, "portrait.png", "bg-1"]

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
texts = st.text(max_size=12)
small_texts = st.text(alphabet="abcxyz é\n", max_size=4)
meta_values = st.one_of(
    small_texts,
    INT64,
    st.booleans(),
    st.lists(small_texts, max_size=3),
    st.none(),
    st.sampled_from([0, 1, True, False]),
)
metas = st.dictionaries(st.sampled_from(["k", "tag", "origin", "nsfw"]), meta_values, max_size=3)
str_maps = st.dictionaries(st.sampled_from(["bg", "music", "mood", "x"]), small_texts, max_size=3)
causes = st.builds(
    Cause,
    kind=st.sampled_from(get_args(CauseKind)),
    ref=st.none() | small_texts,
    note=st.none() | small_texts,
)
valid_ids = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,10}", fullmatch=True)
bad_ids = st.sampled_from(["", ".x", "a b", "a/b", "a#b", "a:b", "x" * 65, "é"])
BOOLS = st.booleans()
NODE_FATES = st.sampled_from(["keep", "edit", "edit", "drop"])
CHOICE_FATES = st.sampled_from(["keep", "keep", "edit", "drop"])
all_targets = st.one_of(
    st.sampled_from(NODE_IDS),
    st.builds(lambda s, n: f"{s}:{n}", st.sampled_from(SCENE_IDS), st.sampled_from(NODE_IDS)),
    st.builds(lambda s: f"{s}:", st.sampled_from(SCENE_IDS)),
)


def choices_for(target: st.SearchStrategy[str]) -> st.SearchStrategy[Choice]:
    return st.builds(
        Choice,
        id=st.sampled_from(CHOICE_IDS),
        text=small_texts,
        target=target,
        condition=st.none() | st.sampled_from(["hp > 1", "met_bob"]),
        weight=st.none() | st.integers(0, 5),
    )


@functools.cache
def likely_targets(node_ids: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Targets that mostly name one of ``node_ids`` (so repair keeps most links)."""
    if not node_ids:
        return all_targets
    return st.one_of(st.sampled_from(node_ids), st.sampled_from(node_ids), st.sampled_from(node_ids), all_targets)


@functools.cache
def choices_among(node_ids: tuple[str, ...]) -> st.SearchStrategy[Choice]:
    return choices_for(likely_targets(node_ids))


@functools.cache
def node_bodies(node_ids: tuple[str, ...] = ()) -> st.SearchStrategy[Node]:
    """Nodes (id ``"_"``, to be replaced) whose links mostly name ``node_ids`` and may dangle (see :func:`repair`).

    Cached so hypothesis validates each strategy once, not once per draw.
    """
    targets = likely_targets(node_ids)
    return st.builds(
        Node,
        id=st.just("_"),
        type=st.sampled_from(["text", "choice", "action"]),
        speaker=st.none() | st.sampled_from(["alice", "bob", "Narrator"]),
        content=small_texts,
        directives=str_maps,
        conditions=st.lists(st.sampled_from(["hp > 1", "met_bob", "x"]), max_size=2),
        next=st.lists(targets, max_size=3, unique=True),
        choices=st.lists(choices_among(node_ids), max_size=4, unique_by=lambda c: c.id),
        meta=metas,
    )


def draw_node(draw: st.DrawFn, node_id: str, node_ids: tuple[str, ...]) -> Node:
    return replace(draw(node_bodies(node_ids)), id=node_id)


nodes = st.builds(lambda node, node_id: replace(node, id=node_id), node_bodies(), st.sampled_from(NODE_IDS))


def _resolves(scene: Scene, target: str, others: dict[str, set[str]]) -> bool:
    other, node_id = split_target(target)
    if other is None or other == scene.id:
        return node_id is None or node_id in {n.id for n in scene.nodes}
    # a scene's start (``other:``) resolves only when that scene has a node to start at
    return other in others and (bool(others[other]) if node_id is None else node_id in others[other])


def repair(scene: Scene, others: dict[str, set[str]]) -> Scene:
    """``scene`` without the links that do not resolve (``others``: node ids of the other scenes)."""
    fixed = []
    for node in scene.nodes:
        fixed.append(
            replace(
                node,
                next=[t for t in node.next if _resolves(scene, t, others)],
                choices=[c for c in node.choices if _resolves(scene, c.target, others)],
            )
        )
    return replace(scene, nodes=fixed)


@st.composite
def scenes(draw: st.DrawFn, scene_id: str | None = None, others: dict[str, set[str]] | None = None) -> Scene:
    """A well-formed scene; cross-scene links only into ``others``."""
    sid = scene_id if scene_id is not None else draw(st.sampled_from(SCENE_IDS))
    ids = draw(st.lists(st.sampled_from(NODE_IDS), unique=True, max_size=6))
    key = tuple(ids)
    scene = Scene(id=sid, title=draw(small_texts), nodes=[draw_node(draw, i, key) for i in ids], meta=draw(metas))
    return repair(scene, others or {})


def _mix(draw: st.DrawFn, old: Any, fresh: Any) -> Any:
    """A struct taking each field from ``old`` or ``fresh``: a partial edit."""
    fields = {f: getattr(old if draw(BOOLS) else fresh, f) for f in type(old).__struct_fields__}
    return type(old)(**fields)


@st.composite
def edited_scenes(draw: st.DrawFn, old: Scene, others: dict[str, set[str]]) -> Scene:
    """A plausible next version of ``old``: some nodes and choices kept, edited, dropped, added, moved."""
    kept: list[Node] = []
    key = tuple(n.id for n in old.nodes)
    for node in old.nodes:
        action = draw(NODE_FATES)
        if action == "drop":
            continue
        if action == "edit":
            fresh = draw_node(draw, node.id, key)
            choices: list[Choice] = []
            for choice in node.choices:
                verdict = draw(CHOICE_FATES)
                if verdict == "keep":
                    choices.append(choice)
                elif verdict == "edit":
                    choices.append(_mix(draw, choice, replace(draw(choices_among(key)), id=choice.id)))
            choices += [c for c in fresh.choices if c.id not in {d.id for d in choices}]
            node = replace(_mix(draw, node, fresh), id=node.id, choices=list(draw(st.permutations(choices))))
        kept.append(node)
    unused = [n for n in NODE_IDS if n not in {k.id for k in kept} and n not in {o.id for o in old.nodes}]
    added = (
        [draw_node(draw, i, key) for i in draw(st.lists(st.sampled_from(unused), unique=True, max_size=3))]
        if unused
        else []
    )
    order = draw(st.permutations(kept + added))
    new = Scene(
        id=old.id,
        title=old.title if draw(BOOLS) else draw(small_texts),
        nodes=list(order),
        meta=old.meta if draw(BOOLS) else draw(metas),
    )
    return repair(new, others)


characters = st.builds(
    Character,
    id=st.sampled_from(CHARACTER_IDS),
    name=small_texts,
    traits=str_maps,
    portrait_asset_id=st.none() | st.sampled_from(ASSET_IDS),
    expressions=st.dictionaries(st.sampled_from(["happy", "sad"]), st.sampled_from(ASSET_IDS), max_size=2),
    meta=metas,
)
variable_values = st.one_of(INT64, small_texts, st.booleans())
variables = st.builds(
    Variable,
    id=st.sampled_from(VARIABLE_IDS),
    name=small_texts,
    value=variable_values,
    scope=st.sampled_from(["global", "session", "scene"]),
    meta=metas,
)


@functools.cache
def timelines(scene_ids: tuple[str, ...]) -> st.SearchStrategy[Timeline]:
    return st.builds(
        Timeline,
        id=st.sampled_from(TIMELINE_IDS),
        name=small_texts,
        scene_order=st.lists(st.sampled_from(scene_ids), unique=True) if scene_ids else st.just([]),
        meta=metas,
    )


@st.composite
def states(draw: st.DrawFn) -> dict[str, Entity]:
    """A consistent story: scenes linking each other, characters, timelines over the scenes, variables."""
    scene_ids = draw(st.lists(st.sampled_from(SCENE_IDS), unique=True, max_size=3))
    maybe = {sid: set(NODE_IDS) for sid in scene_ids}  # links drawn freely, repaired once nodes are known
    drafts = [draw(scenes(sid, maybe)) for sid in scene_ids]
    others = {s.id: {n.id for n in s.nodes} for s in drafts}
    docs: list[Entity] = [repair(s, others) for s in drafts]
    docs += draw(st.lists(characters, unique_by=lambda c: c.id, max_size=2))
    docs += draw(st.lists(timelines(tuple(scene_ids)), unique_by=lambda t: t.id, max_size=1))
    docs += draw(st.lists(variables, unique_by=lambda v: v.id, max_size=2))
    return {path_of(doc): doc for doc in docs}


def scene_nodes(state: dict[str, Entity]) -> dict[str, set[str]]:
    return {doc.id: {n.id for n in doc.nodes} for doc in state.values() if isinstance(doc, Scene)}


@st.composite
def next_versions(draw: st.DrawFn, state: dict[str, Entity]) -> tuple[str, Entity | None, Entity | None]:
    """A path and two versions of its document (old from ``state``, or ``None`` for a creation)."""
    others = scene_nodes(state)
    kind = draw(st.sampled_from(["scene", "character", "timeline", "variable"]))
    new: Entity | None
    if kind == "scene":
        sid = draw(st.sampled_from(SCENE_IDS))
        old = state.get(f"scenes/{sid}")
        others.pop(sid, None)
        if isinstance(old, Scene) and draw(st.integers(0, 5)):
            new = draw(edited_scenes(old, others))
        else:
            new = draw(scenes(sid, others))
    elif kind == "character":
        new = draw(characters)
    elif kind == "timeline":
        new = draw(timelines(tuple(sorted(others))))
    else:
        new = draw(variables)
    path = path_of(new)
    old_doc = state.get(path)
    if old_doc is not None and draw(st.integers(0, 7)) == 0:
        new = None  # a deletion
    return path, old_doc, new


# --- events ----------------------------------------------------------------------

_FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "scene_id": st.sampled_from(SCENE_IDS) | bad_ids,
    "node_id": st.sampled_from(NODE_IDS) | bad_ids,
    "choice_id": st.sampled_from(CHOICE_IDS),
    "character_id": st.sampled_from(CHARACTER_IDS),
    "timeline_id": st.sampled_from(TIMELINE_IDS),
    "variable_id": st.sampled_from(VARIABLE_IDS),
    "after": st.none() | st.just("") | st.sampled_from(NODE_IDS),
    "index": st.integers(-1, 4),
    "target": all_targets | bad_ids,
    "next": st.lists(all_targets | bad_ids, max_size=3),
    "weight": st.none() | st.integers(-2, 5),
    "title": small_texts,
    "content": small_texts,
    "scene_order": st.lists(st.sampled_from([*SCENE_IDS, "nope"]), max_size=3),
    "portrait_asset_id": st.none() | st.sampled_from(ASSET_IDS) | bad_ids,
    "node": nodes,
    "choice": choices_for(all_targets | bad_ids),
    "variable": variables,
    "character": characters,
    "before": st.none(),
}


@st.composite
def perturbed(draw: st.DrawFn, event: Event) -> Event:
    """``event`` with up to two fields replaced by random values: near misses that probe every check."""
    names = [f for f in type(event).__struct_fields__ if f in _FIELD_VALUES]
    if not names:
        return event
    changes: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=2)):
        value = draw(_FIELD_VALUES[name])
        if name == "before" and not _optional(type(event), name):
            continue
        changes[name] = value
    return replace(event, **changes) if changes else event


def _optional(kind: type[Event], name: str) -> bool:
    info = msgspec.inspect.type_info(kind)
    assert isinstance(info, msgspec.inspect.StructType)
    field = next(f for f in info.fields if f.name == name)
    return isinstance(field.type, msgspec.inspect.UnionType) and field.type.includes_none


@st.composite
def events_for(draw: st.DrawFn, state: dict[str, Entity]) -> list[Event]:
    """Events against ``state``: the diff to a plausible next version, some of them perturbed."""
    path, old, new = draw(next_versions(state))
    cause = draw(causes)
    found = diff_entities(path, old, new, cause=cause)
    if not found or draw(BOOLS):
        return found
    position = draw(st.integers(0, len(found) - 1))
    found[position] = draw(perturbed(found[position]))
    return found


def any_event_type() -> st.SearchStrategy[type[Event]]:
    return st.sampled_from(EVENT_TYPES)


def local_links(scene: Scene) -> list[tuple[str, str]]:
    """``(source node, target node)`` for every in-scene link of ``scene``."""
    out = []
    for node in scene.nodes:
        for target in [*node.next, *(c.target for c in node.choices)]:
            nid = local_target(scene.id, target)
            if nid is not None:
                out.append((node.id, nid))
    return out
