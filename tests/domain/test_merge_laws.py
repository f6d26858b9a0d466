"""Merge laws, by property, for every entity kind.

* identity: ``merge(x, x, x) = x``; a side that changed nothing yields the other;
* disjoint edits (to different fields, keys, nodes, choices; one side reordering)
  merge cleanly, the same both ways round, and every edit of both sides is in
  the result while everything else is as in base;
* overlapping edits are never dropped silently: each change is in the result, in
  a word-level text merge, or explained by a conflict;
* the merged document is always valid: ids, shapes and links resolve.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from comfyvn_vault.domain import Character, Choice, Entity, Node, Rejected, Scene, Timeline, path_of
from comfyvn_vault.domain.conflicts import ABSENT
from comfyvn_vault.domain.events import START
from comfyvn_vault.domain.merge import Keyed, at, merge_entity, rule_of
from comfyvn_vault.domain.patch import same
from comfyvn_vault.domain.resolve import check_alone, place, value_at
from comfyvn_vault.domain.textmerge import merge_text
from comfyvn_vault.domain.validate import check_scene, referrers
from comfyvn_vault.store.codec import encode
from tests.domain.strategies import (
    ASSET_IDS,
    CHARACTER_IDS,
    SCENE_IDS,
    TIMELINE_IDS,
    VARIABLE_IDS,
    characters,
    edited_scenes,
    meta_values,
    scenes,
    small_texts,
    timelines,
    variable_values,
    variables,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OTHER = Scene("elsewhere", nodes=[Node("n0"), Node("n1")])
OTHERS = {OTHER.id: {n.id for n in OTHER.nodes}}
SIDES = ("o", "t")


def lookup(path: str) -> Entity | None:
    return OTHER if path == path_of(OTHER) else None


def read(doc: Entity | None, locator: str) -> Any:
    """The value at ``locator``, ``ABSENT`` where there is none (or nothing to hold it)."""
    if doc is None:
        return ABSENT if locator else doc
    try:
        return value_at(doc, locator)
    except Rejected:
        return ABSENT


def leaves(holder: Any, prefix: str = "") -> Iterator[str]:
    """Every place a merge decides separately: fields, map keys, whole items and their fields."""
    if not prefix:
        yield ""
    for name in type(holder).__struct_fields__:
        rule, where = rule_of(type(holder), name), at(prefix, name)
        if name == "id":
            continue
        if rule == "map":
            yield from (at(where, key) for key in getattr(holder, name))
        elif isinstance(rule, Keyed):
            for item in getattr(holder, name):
                yield at(where, item.id)
                yield from leaves(item, at(where, item.id))
        else:
            yield where


def all_leaves(*docs: Entity | None) -> list[str]:
    return list(dict.fromkeys(loc for doc in docs if doc is not None for loc in leaves(doc)))


def same_doc(a: Entity | None, b: Entity | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and encode(a) == encode(b))


def assert_valid(doc: Entity | None) -> None:
    if doc is not None:
        check_alone(doc)
        if isinstance(doc, Scene):
            check_scene(lookup, doc)


# --- random versions -----------------------------------------------------------------


def _partial(draw: st.DrawFn, old: Any, fresh: Any) -> Any:
    """``old`` with each field (or, for maps, each key) taken from ``fresh`` at random."""
    fields: dict[str, Any] = {}
    for name in type(old).__struct_fields__:
        was, now = getattr(old, name), getattr(fresh, name)
        if isinstance(was, dict) and draw(st.booleans()):
            keys = sorted(was.keys() | now.keys())
            fields[name] = {
                k: v for k in keys if (v := (now if draw(st.booleans()) else was).get(k, ABSENT)) is not ABSENT
            }
        else:
            fields[name] = now if draw(st.booleans()) else was
    return type(old)(**fields)


def fresh_docs(kind: str, entity_id: str) -> st.SearchStrategy[Entity]:
    if kind == "scene":
        return scenes(entity_id, OTHERS)
    source: st.SearchStrategy[Any] = {
        "character": characters,
        "variable": variables,
        "timeline": timelines(tuple(SCENE_IDS)),
    }[kind]
    return source.map(lambda doc: replace(doc, id=entity_id))


@st.composite
def next_version(draw: st.DrawFn, kind: str, entity_id: str, base: Entity | None) -> Entity | None:
    """Another version of ``base``: unchanged, deleted, partly or wholly rewritten."""
    roll = draw(st.integers(0, 9))
    if base is None:
        return None if roll == 0 else draw(fresh_docs(kind, entity_id))
    if roll == 0:
        return None
    if roll <= 2:
        return base
    if isinstance(base, Scene):
        return draw(edited_scenes(base, OTHERS))
    partial: Entity = _partial(draw, base, draw(fresh_docs(kind, entity_id)))
    return partial


@st.composite
def three_versions(draw: st.DrawFn) -> tuple[str, Entity | None, Entity | None, Entity | None]:
    kind = draw(st.sampled_from(["scene", "scene", "scene", "character", "timeline", "variable"]))
    ids = {"scene": SCENE_IDS, "character": CHARACTER_IDS, "timeline": TIMELINE_IDS, "variable": VARIABLE_IDS}
    entity_id = draw(st.sampled_from(ids[kind]))
    base = None if draw(st.integers(0, 5)) == 0 else draw(fresh_docs(kind, entity_id))
    ours, theirs = draw(next_version(kind, entity_id, base)), draw(next_version(kind, entity_id, base))
    return f"{kind}s/{entity_id}", base, ours, theirs


# --- identity --------------------------------------------------------------------------


@PROPERTY
@given(three_versions())
def test_an_unchanged_side_yields_the_other(versions: tuple[str, Entity | None, Entity | None, Entity | None]) -> None:
    path, base, other, _ = versions
    for b, o, t, want in [
        (base, base, base, base),
        (other, other, other, other),
        (base, base, other, other),
        (base, other, base, other),
        (base, other, other, other),
    ]:
        merged = merge_entity(path, b, o, t)
        assert merged.conflicts == []
        assert same_doc(merged.entity, want)


# --- overlapping edits -----------------------------------------------------------------


def is_item(locator: str) -> bool:
    """``""`` (the entity), ``nodes/n1`` or ``nodes/n1/choices/c1``: a whole document, node or choice."""
    parts = locator.split("/")
    return not locator or (len(parts) >= 2 and parts[-2] in ("nodes", "choices"))


def _explains(conflict: str, locator: str) -> bool:
    """A conflict at ``conflict`` covers ``locator``: the same place, or a whole item or entity around it."""
    return conflict == locator or (is_item(conflict) and (not conflict or locator.startswith(conflict + "/")))


def read_leaf(doc: Entity | None, locator: str) -> Any:
    """As :func:`read`, but a whole item is judged only by whether it is there (its fields are leaves too)."""
    value = read(doc, locator)
    return value is not ABSENT and value is not None if is_item(locator) else value


@PROPERTY
@given(three_versions())
def test_no_change_is_dropped_silently_and_the_result_is_valid(
    versions: tuple[str, Entity | None, Entity | None, Entity | None],
) -> None:
    path, base, ours, theirs = versions
    merged = merge_entity(path, base, ours, theirs)
    assert_valid(merged.entity)
    found = [c.locator for c in merged.conflicts]
    assert len(found) == len(set(found))
    for locator in all_leaves(base, ours, theirs):
        if locator == "scene_order":  # an ordered set: each scene added or removed by a side is so in the result
            if None in (ours, theirs, merged.entity):  # an entity deleted on a side is the "" leaf's business
                continue
            items = [set(v) if isinstance(v, list) else set() for v in (read(d, locator) for d in (base, ours, theirs))]
            now = set(read(merged.entity, locator))
            assert all(x in now for side in items[1:] for x in side - items[0])
            assert all(x not in now for side in items[1:] for x in items[0] - side)
            continue
        was, got = read_leaf(base, locator), read_leaf(merged.entity, locator)
        for side in (ours, theirs):
            now = read_leaf(side, locator)
            if same(now, was) or same(now, got) or any(_explains(c, locator) for c in found):
                continue
            # both sides changed one line of dialogue in different words: both edits are in the merge
            mine, yours = read(ours, locator), read(theirs, locator)
            assert locator.endswith(("/content", "/text")), (locator, was, now, got)
            assert got == merge_text(was, mine, yours)
    # a conflict keeps ours at its place (or, for a deleted node still linked, the version that has it)
    for conflict in merged.conflicts:
        if conflict.locator and conflict.locator.rsplit("/", 1)[-1] not in ("nodes", "choices", "scene_order"):
            kept = read(merged.entity, conflict.locator)
            assert same(kept, read(ours, conflict.locator)) or kept is not ABSENT


@PROPERTY
@given(three_versions())
def test_merging_is_deterministic_and_clean_merges_are_symmetric(
    versions: tuple[str, Entity | None, Entity | None, Entity | None],
) -> None:
    # (conflicts may differ with the sides swapped: the result keeps ours, and what ours keeps may need more)
    path, base, ours, theirs = versions
    merged, swapped = merge_entity(path, base, ours, theirs), merge_entity(path, base, theirs, ours)
    assert merge_entity(path, base, ours, theirs) == merged
    if not merged.conflicts and not swapped.conflicts:
        assert same_doc(merged.entity, swapped.entity)


# --- disjoint edits --------------------------------------------------------------------

MAP_KEYS = {
    "directives": ["bg", "music", "mood", "x"],
    "meta": ["k", "tag", "origin", "nsfw"],
    "traits": ["bg", "music", "mood", "x"],
    "expressions": ["happy", "sad"],
}
MAP_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "directives": small_texts,
    "meta": meta_values,
    "traits": small_texts,
    "expressions": st.sampled_from(ASSET_IDS),
}
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "title": small_texts,
    "name": small_texts,
    "type": st.sampled_from(["text", "choice", "action"]),
    "speaker": st.none() | st.sampled_from(["alice", "bob"]),
    "content": small_texts,
    "conditions": st.lists(st.sampled_from(["hp > 1", "met_bob", "x"]), max_size=2),
    "text": small_texts,
    "condition": st.none() | st.sampled_from(["hp > 1", "met_bob"]),
    "effects": st.none() | st.sampled_from(["hp += 1", "met_bob = true"]),
    "weight": st.none() | st.integers(0, 5),
    "portrait_asset_id": st.none() | st.sampled_from(ASSET_IDS),
    "value": variable_values,
    "scope": st.sampled_from(["global", "session", "scene"]),
}
OWNERS = st.sampled_from([None, None, "o", "t"])


class Sides:
    """Two versions of one document being edited in disjoint places."""

    def __init__(self, base: Entity) -> None:
        self.docs: dict[str, Any] = {"o": base, "t": base}

    def put(self, side: str, locator: str, value: Any, after: str | None = None) -> None:
        doc = self.docs[side]
        self.docs[side] = place(type(doc), doc, locator, after).put(value)


def _values(name: str, present: bool, targets: list[str]) -> st.SearchStrategy[Any]:
    if name == "next":
        return st.lists(st.sampled_from(targets), unique=True, max_size=2) if targets else st.just([])
    if name == "target":
        return st.sampled_from(targets)
    if name in MAP_VALUES:
        return MAP_VALUES[name] | st.just(ABSENT) if present else MAP_VALUES[name]
    return VALUES[name]


def edit_fields(draw: st.DrawFn, sides: Sides, holder: Any, prefix: str, targets: dict[str, list[str]]) -> None:
    """Give each atom, text field and map key of ``holder`` to one side (or none) and edit it there."""
    for name in type(holder).__struct_fields__:
        rule = rule_of(type(holder), name)
        if name == "id" or isinstance(rule, Keyed) or rule == "order":
            continue
        if name == "target" and not (targets["o"] and targets["t"]):
            continue
        here = at(prefix, name)
        if rule == "map":
            have = getattr(holder, name)
            for key in sorted(set(have) | set(MAP_KEYS[name])):
                if (who := draw(OWNERS)) is not None:
                    sides.put(who, at(here, key), draw(_values(name, key in have, targets[who])))
        elif (who := draw(OWNERS)) is not None:
            sides.put(who, here, draw(_values(name, True, targets[who])))


def edit_order(draw: st.DrawFn, sides: Sides, locator: str, mover: str | None, new: dict[str, list[Any]]) -> None:
    """Insert each side's new items anywhere; the mover also moves some kept ones."""
    for side in SIDES:
        for item in new[side]:
            current = read(sides.docs[side], locator)
            after = draw(st.sampled_from([START, *current]))
            sides.put(side, at(locator, item.id), item, after)
        if side == mover:
            current = read(sides.docs[side], locator)
            sides.put(side, locator, list(draw(st.permutations(current))))


@st.composite
def disjoint_scene_edits(draw: st.DrawFn, base: Scene) -> tuple[Scene, Scene, str | None]:
    """Two versions of ``base`` whose edits touch disjoint places, and the side that reorders nodes."""
    sides = Sides(base)
    linked = {n.id for n in base.nodes if referrers(base, n.id)}
    fate = {
        n.id: "live" if n.id in linked else draw(st.sampled_from(["live", "live", "live", "o", "t"]))
        for n in base.nodes
    }
    live = [nid for nid, who in fate.items() if who == "live"]
    new_ids = {
        side: draw(st.lists(st.sampled_from([f"{side}{i}" for i in range(3)]), unique=True, max_size=2))
        for side in SIDES
    }
    targets = {side: [*live, *new_ids[side]] for side in SIDES}
    new_nodes = {
        side: [
            Node(
                nid,
                content=draw(small_texts),
                next=draw(st.lists(st.sampled_from(targets[side]), unique=True, max_size=2)),
                choices=[Choice(f"{nid}c", draw(small_texts), draw(st.sampled_from(targets[side])))],
            )
            for nid in new_ids[side]
        ]
        for side in SIDES
    }
    mover = draw(st.sampled_from([None, "o", "t"]))
    edit_order(draw, sides, "nodes", mover, new_nodes)
    edit_fields(draw, sides, base, "", targets)
    for node in base.nodes:
        where = at("nodes", node.id)
        if fate[node.id] != "live":
            sides.put(fate[node.id], where, ABSENT)
            continue
        edit_fields(draw, sides, node, where, targets)
        for choice in node.choices:
            if (who := draw(st.sampled_from(["live", "live", "o", "t"]))) != "live":
                sides.put(who, at(at(where, "choices"), choice.id), ABSENT)
            else:
                edit_fields(draw, sides, choice, at(at(where, "choices"), choice.id), targets)
        added = {
            side: [Choice(f"{side}c{node.id}", "new", draw(st.sampled_from(targets[side])))]
            if draw(st.booleans())
            else []
            for side in SIDES
        }
        edit_order(draw, sides, at(where, "choices"), None, added)
    ours, theirs = sides.docs["o"], sides.docs["t"]
    assert_valid(ours)
    assert_valid(theirs)
    return ours, theirs, mover


@st.composite
def disjoint_struct_edits(draw: st.DrawFn, base: Entity) -> tuple[Entity, Entity, str | None]:
    """The same for a character, timeline or variable (a timeline's scene order as the list)."""
    sides = Sides(base)
    edit_fields(draw, sides, base, "", {"o": [], "t": []})
    mover = None
    if isinstance(base, Timeline):
        mover = draw(st.sampled_from([None, "o", "t"]))
        for side in SIDES:
            order = [s for s in read(sides.docs[side], "scene_order") if draw(st.integers(0, 4))]
            for i in range(draw(st.integers(0, 2))):
                order.insert(draw(st.integers(0, len(order))), f"{side}-s{i}")
            if side == mover:
                order = list(draw(st.permutations(order)))
            sides.put(side, "scene_order", order)
    return sides.docs["o"], sides.docs["t"], mover


def check_disjoint_order(
    base: list[str], ours: list[str], theirs: list[str], merged: list[str], mover: str | None
) -> None:
    """The item set is right; the reordering side's order holds; the other's insertions follow their anchors."""
    b, o, t = set(base), set(ours), set(theirs)
    assert sorted(merged) == sorted((b & o & t) | (o - b) | (t - b))
    for name, side, other_new in (("o", ours, t - b), ("t", theirs, o - b)):
        if mover in (name, None):
            mine = [x for x in merged if x not in other_new]
            assert mine == [x for x in side if x in set(mine)]
        else:
            new = {x for x in side if x not in b}
            for item in new:
                before = side[: side.index(item)]
                anchor = next((x for x in reversed(before) if x in set(merged) and x not in new), None)
                assert anchor is None or merged.index(anchor) < merged.index(item)


def check_disjoint(path: str, base: Entity, ours: Entity, theirs: Entity, mover: str | None) -> None:
    merged = merge_entity(path, base, ours, theirs)
    swapped = merge_entity(path, base, theirs, ours)
    assert merged.conflicts == [], merged.conflicts
    assert swapped.conflicts == [], swapped.conflicts
    assert same_doc(merged.entity, swapped.entity)
    assert_valid(merged.entity)
    # every edit of either side is in the result, and nothing else changed
    for locator in all_leaves(base, ours, theirs, merged.entity):
        if locator == "scene_order":  # an order: checked below
            continue
        was, mine, yours = (read_leaf(doc, locator) for doc in (base, ours, theirs))
        changed = [v for v in (mine, yours) if not same(v, was)]
        assert len(changed) <= 1 or same(*changed), (locator, was, mine, yours)  # the edits are disjoint
        assert same(read_leaf(merged.entity, locator), changed[0] if changed else was), locator
    # orders: nodes and each node's choices, or a timeline's scenes
    lists = ["scene_order"] if isinstance(base, Timeline) else []
    if isinstance(merged.entity, Scene):
        lists = ["nodes", *(at(at("nodes", n.id), "choices") for n in merged.entity.nodes)]
    for locator in lists:
        b, o, t = ([] if (v := read(doc, locator)) is ABSENT else v for doc in (base, ours, theirs))
        moves = mover if locator in ("nodes", "scene_order") else None
        check_disjoint_order(b, o, t, read(merged.entity, locator), moves)


@PROPERTY
@given(st.data())
def test_disjoint_scene_edits_merge_cleanly_both_ways_and_all_survive(data: st.DataObject) -> None:
    base = data.draw(scenes("intro", OTHERS))
    ours, theirs, mover = data.draw(disjoint_scene_edits(base))
    check_disjoint("scenes/intro", base, ours, theirs, mover)


@PROPERTY
@given(st.data())
def test_disjoint_edits_of_characters_timelines_and_variables_merge(data: st.DataObject) -> None:
    base = data.draw(st.one_of(characters, timelines(tuple(SCENE_IDS)), variables))
    ours, theirs, mover = data.draw(disjoint_struct_edits(base))
    check_disjoint(path_of(base), base, ours, theirs, mover)


def test_a_property_helper_sanity_check() -> None:
    """``leaves`` names every place a merge decides, so the properties above check all of them."""
    node = Node("n1", directives={"bg": "x"}, choices=[Choice("c1", "t", "n1")], meta={"k": 1})
    doc = Scene("intro", nodes=[node], meta={"m": True})
    assert list(leaves(doc)) == [
        "",
        "title",
        "nodes/n1",
        "nodes/n1/type",
        "nodes/n1/speaker",
        "nodes/n1/content",
        "nodes/n1/directives/bg",
        "nodes/n1/conditions",
        "nodes/n1/effects",
        "nodes/n1/next",
        "nodes/n1/choices/c1",
        "nodes/n1/choices/c1/text",
        "nodes/n1/choices/c1/target",
        "nodes/n1/choices/c1/condition",
        "nodes/n1/choices/c1/effects",
        "nodes/n1/choices/c1/weight",
        "nodes/n1/meta/k",
        "meta/m",
    ]
    assert msgspec.structs.fields(Character)[0].name == "id"
    assert read(doc, "nodes/zz/content") is ABSENT
