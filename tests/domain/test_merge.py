"""``merge_entity`` by example: what merges, what conflicts, and how conflicts are stored."""

from __future__ import annotations

import msgspec
import pytest

from comfyvn_vault.domain import Character, Choice, Entity, Node, Rejected, Scene, Timeline, Variable, check_id
from comfyvn_vault.domain.conflicts import (
    ABSENT,
    Conflict,
    conflict_id,
    conflict_json,
    describe,
    make_conflict,
    unpack,
)
from comfyvn_vault.domain.merge import Merged, merge_entity
from comfyvn_vault.domain.resolve import check_alone, value_at
from comfyvn_vault.store.codec import decode, encode, is_canonical, to_plain

PATH = "scenes/intro"


def scene(*nodes: Node, title: str = "Intro", meta: dict[str, object] | None = None) -> Scene:
    return Scene("intro", title, nodes=list(nodes), meta=dict(meta or {}))  # type: ignore[arg-type]


def merge(base: Entity | None, ours: Entity | None, theirs: Entity | None, path: str = PATH) -> Merged:
    merged = merge_entity(path, base, ours, theirs)
    if merged.entity is not None:
        check_alone(merged.entity)
    return merged


def locators(merged: Merged) -> dict[str, str]:
    return {c.locator: c.kind for c in merged.conflicts}


def node_ids(doc: Entity | None) -> list[str]:
    assert isinstance(doc, Scene)
    return [n.id for n in doc.nodes]


BASE = scene(
    Node("n1", speaker="alice", content="The lamp is dark tonight", next=["n2"]),
    Node("n2", type="choice", content="Go?", choices=[Choice("c1", "Yes", "n3"), Choice("c2", "No", "n1")]),
    Node("n3", content="The end."),
)


def edit(node_id: str, **fields: object) -> Scene:
    """BASE with fields of one node replaced."""
    return msgspec.structs.replace(
        BASE,
        nodes=[msgspec.structs.replace(n, **fields) if n.id == node_id else n for n in BASE.nodes],
    )


# --- what merges cleanly ---------------------------------------------------------


def test_edits_to_different_nodes_merge() -> None:
    ours, theirs = edit("n1", content="Hello"), edit("n3", content="Bye")
    merged = merge(BASE, ours, theirs)
    assert merged.clean
    assert value_at(merged.entity, "nodes/n1/content") == "Hello"  # type: ignore[arg-type]
    assert value_at(merged.entity, "nodes/n3/content") == "Bye"  # type: ignore[arg-type]


def test_edits_to_different_fields_of_one_node_merge() -> None:
    merged = merge(BASE, edit("n1", speaker="bob"), edit("n1", directives={"bg": "night"}))
    assert merged.clean
    assert isinstance(merged.entity, Scene)
    n1 = merged.entity.nodes[0]
    assert (n1.speaker, n1.directives, n1.content) == ("bob", {"bg": "night"}, "The lamp is dark tonight")


def test_word_level_edits_inside_one_line_merge() -> None:
    ours, theirs = edit("n1", content="The old lamp is dark tonight"), edit("n1", content="The lamp is dark this night")
    merged = merge(BASE, ours, theirs)
    assert merged.clean
    assert value_at(merged.entity, "nodes/n1/content") == "The old lamp is dark this night"  # type: ignore[arg-type]


def test_a_retitle_and_an_edit_both_survive() -> None:
    ours = msgspec.structs.replace(BASE, title="Prologue")
    merged = merge(BASE, ours, edit("n3", content="Fin."))
    assert merged.clean
    assert isinstance(merged.entity, Scene)
    assert merged.entity.title == "Prologue"
    assert merged.entity.nodes[2].content == "Fin."


def test_both_sides_adding_choices_keep_both() -> None:
    n2 = BASE.nodes[1]
    ours = edit("n2", choices=[*n2.choices, Choice("c3", "Maybe", "n2")])
    theirs = edit("n2", choices=[Choice("c0", "Run", "n3"), *n2.choices])
    merged = merge(BASE, ours, theirs)
    assert merged.clean
    assert value_at(merged.entity, "nodes/n2/choices") == ["c0", "c1", "c2", "c3"]  # type: ignore[arg-type]


def test_choices_merge_by_id_and_field() -> None:
    n2 = BASE.nodes[1]
    ours = edit("n2", choices=[msgspec.structs.replace(n2.choices[0], text="Sure"), n2.choices[1]])
    theirs = edit("n2", choices=[msgspec.structs.replace(n2.choices[0], target="n1", weight=2), n2.choices[1]])
    merged = merge(BASE, ours, theirs)
    assert merged.clean
    assert value_at(merged.entity, "nodes/n2/choices/c1") == Choice("c1", "Sure", "n1", weight=2)  # type: ignore[arg-type]


def test_both_sides_adding_different_nodes_keep_both_near_their_anchors() -> None:
    ours = scene(*BASE.nodes[:1], Node("o1", content="ours"), *BASE.nodes[1:])
    theirs = scene(*BASE.nodes, Node("t1", content="theirs"))
    merged = merge(BASE, ours, theirs)
    assert merged.clean
    assert node_ids(merged.entity) == ["n1", "o1", "n2", "n3", "t1"]


def test_a_reorder_and_an_insertion_both_survive() -> None:
    n1, n2, n3 = BASE.nodes
    ours = scene(n3, n1, n2)
    theirs = scene(n1, n2, Node("t1"), n3)
    merged = merge(BASE, ours, theirs)
    assert merged.clean
    assert node_ids(merged.entity) == ["n3", "n1", "n2", "t1"]


def test_a_node_deleted_on_one_side_and_untouched_on_the_other_is_gone() -> None:
    ours = scene(BASE.nodes[0], msgspec.structs.replace(BASE.nodes[1], choices=BASE.nodes[1].choices[1:]))
    merged = merge(BASE, ours, edit("n1", content="Hi"))
    assert merged.clean
    assert node_ids(merged.entity) == ["n1", "n2"]


def test_maps_merge_key_by_key() -> None:
    base = scene(meta={"tag": "a", "gone": 1})
    ours = scene(meta={"tag": "a", "mood": "sad"})
    theirs = scene(meta={"tag": "b", "gone": 1, "x": True})
    merged = merge(base, ours, theirs)
    assert merged.clean
    assert isinstance(merged.entity, Scene)
    assert merged.entity.meta == {"tag": "b", "mood": "sad", "x": True}


def test_characters_timelines_and_variables_merge_field_by_field() -> None:
    base = Character("alice", "Alice", traits={"mood": "calm"}, expressions={"happy": "a1"})
    ours = Character("alice", "Alicia", traits={"mood": "calm", "voice": "low"}, expressions={"happy": "a1"})
    theirs = Character("alice", "Alice", traits={"mood": "tense"}, expressions={"happy": "a1", "sad": "a2"})
    merged = merge(base, ours, theirs, "characters/alice")
    assert merged == Merged(
        Character(
            "alice", "Alicia", traits={"mood": "tense", "voice": "low"}, expressions={"happy": "a1", "sad": "a2"}
        ),
        [],
    )
    line = Timeline("main", "Main", scene_order=["s1", "s2", "s3"])
    ours_t = Timeline("main", "Main route", scene_order=["s3", "s1", "s2"])
    theirs_t = Timeline("main", "Main", scene_order=["s1", "s2", "s4", "s3"], meta={"k": 1})
    assert merge(line, ours_t, theirs_t, "timelines/main") == Merged(
        Timeline("main", "Main route", scene_order=["s3", "s1", "s2", "s4"], meta={"k": 1}), []
    )
    hp = Variable("hp", "HP", 3)
    assert merge(hp, Variable("hp", "Health", 3), Variable("hp", "HP", 5, scope="session"), "variables/hp") == Merged(
        Variable("hp", "Health", 5, scope="session"), []
    )


# --- what conflicts --------------------------------------------------------------


def test_overlapping_edits_of_one_field_conflict_and_keep_ours() -> None:
    merged = merge(BASE, edit("n1", content="Ours"), edit("n1", content="Theirs"))
    assert locators(merged) == {"nodes/n1/content": "edit-edit"}
    assert value_at(merged.entity, "nodes/n1/content") == "Ours"  # type: ignore[arg-type]
    (conflict,) = merged.conflicts
    assert conflict_json(conflict) == {
        "id": conflict_id(PATH, "nodes/n1/content"),
        "path": PATH,
        "locator": "nodes/n1/content",
        "kind": "edit-edit",
        "base": "The lamp is dark tonight",
        "ours": "Ours",
        "theirs": "Theirs",
        "absent": [],
    }
    assert describe(conflict) == "scenes/intro nodes/n1/content: edited on both sides"


def test_overlapping_word_edits_conflict() -> None:
    ours, theirs = edit("n1", content="The lamp is bright tonight"), edit("n1", content="The lamp is dim tonight")
    assert locators(merge(BASE, ours, theirs)) == {"nodes/n1/content": "edit-edit"}


def test_delete_vs_edit_of_a_node_conflicts() -> None:
    n1, n2, _ = BASE.nodes
    ours = scene(n1, msgspec.structs.replace(n2, choices=[n2.choices[1]]))  # n3 deleted (and its link)
    theirs = edit("n3", content="The real end.")
    merged = merge(BASE, ours, theirs)
    assert locators(merged) == {"nodes/n3": "delete-edit"}
    assert node_ids(merged.entity) == ["n1", "n2"]  # ours: deleted
    (conflict,) = merged.conflicts
    assert unpack(conflict.ours, Node) is ABSENT
    assert unpack(conflict.theirs, Node) == theirs.nodes[2]
    assert conflict.after == "n2"
    assert conflict_json(conflict)["absent"] == ["ours"]
    # the other way round the edit is kept
    swapped = merge(BASE, theirs, ours)
    assert locators(swapped) == {"nodes/n3": "delete-edit"}
    assert node_ids(swapped.entity) == ["n1", "n2", "n3"]


def test_a_deleted_node_the_other_side_links_to_is_kept_and_reported() -> None:
    n1, n2, _ = BASE.nodes
    ours = scene(n1, msgspec.structs.replace(n2, choices=[n2.choices[1]]))  # n3 deleted
    theirs = edit("n1", next=["n3"])  # theirs now links n1 to n3
    merged = merge(BASE, ours, theirs)
    assert locators(merged) == {"nodes/n3": "delete-edit"}
    assert node_ids(merged.entity) == ["n1", "n2", "n3"]
    assert value_at(merged.entity, "nodes/n1/next") == ["n3"]  # type: ignore[arg-type]


def test_delete_vs_edit_of_a_choice_conflicts() -> None:
    n2 = BASE.nodes[1]
    ours = edit("n2", choices=[n2.choices[0]])
    theirs = edit("n2", choices=[n2.choices[0], msgspec.structs.replace(n2.choices[1], text="Never")])
    merged = merge(BASE, ours, theirs)
    assert locators(merged) == {"nodes/n2/choices/c2": "delete-edit"}
    assert merged.conflicts[0].after == "c1"


def test_delete_vs_edit_of_a_whole_entity_conflicts() -> None:
    theirs = edit("n1", content="Changed")
    merged = merge(BASE, None, theirs)
    assert merged.entity is None
    assert locators(merged) == {"": "delete-edit"}
    assert describe(merged.conflicts[0]) == "scenes/intro: deleted on one side, changed or used on the other"
    assert merge(BASE, theirs, None).entity == theirs
    assert merge(BASE, None, BASE) == Merged(None, [])


def test_add_add_of_one_id_with_different_content_conflicts_field_by_field() -> None:
    ours = scene(*BASE.nodes, Node("x", speaker="alice", content="Hi"))
    theirs = scene(*BASE.nodes, Node("x", speaker="bob", content="Hi", meta={"k": 1}))
    merged = merge(BASE, ours, theirs)
    assert locators(merged) == {"nodes/x/speaker": "add-add"}
    assert value_at(merged.entity, "nodes/x") == Node("x", speaker="alice", content="Hi", meta={"k": 1})  # type: ignore[arg-type]
    # whole entities added on both sides
    created = merge(None, Character("bob", "Bob", traits={"a": "1"}), Character("bob", "Robert"), "characters/bob")
    assert created.entity == Character("bob", "Bob", traits={"a": "1"})
    assert locators(created) == {"name": "add-add"}
    assert merge(None, ours, ours) == Merged(ours, [])


def test_add_add_of_map_keys_and_delete_vs_edit_of_map_keys_conflict() -> None:
    base = scene(meta={"gone": "x"})
    merged = merge(base, scene(meta={"new": 1}), scene(meta={"gone": "y", "new": 2}))
    assert locators(merged) == {"meta/gone": "delete-edit", "meta/new": "add-add"}
    assert isinstance(merged.entity, Scene)
    assert merged.entity.meta == {"new": 1}


def test_a_node_moved_to_two_places_conflicts_on_the_order() -> None:
    n1, n2, n3 = BASE.nodes
    merged = merge(BASE, scene(n2, n3, n1), scene(n2, n1, n3))  # n1 to the end / n1 after n2
    assert node_ids(merged.entity) == ["n2", "n3", "n1"]
    assert locators(merged) == {"nodes": "edit-edit"}
    assert unpack(merged.conflicts[0].theirs, list[str]) == ["n2", "n1", "n3"]
    merged = merge(BASE, scene(n2, n1, n3), scene(n1, n3, n2))
    assert merged.clean  # n1 after n2 on ours, n2 to the end on theirs: both moves fit
    line = Timeline("main", scene_order=["a", "b", "c", "d"])
    contested = merge(
        line,
        Timeline("main", scene_order=["b", "c", "a", "d"]),
        Timeline("main", scene_order=["b", "c", "d", "a"]),
        "timelines/main",
    )
    assert locators(contested) == {"scene_order": "edit-edit"}
    assert contested.entity == Timeline("main", scene_order=["b", "c", "a", "d"])


def test_variables_set_differently_on_both_sides_conflict() -> None:
    merged = merge(Variable("hp", "HP", 3), Variable("hp", "HP", 4), Variable("hp", "HP", "four"), "variables/hp")
    assert merged.entity == Variable("hp", "HP", 4)
    assert locators(merged) == {"value": "edit-edit"}


def test_conflicts_come_in_a_stable_order_with_stable_ids() -> None:
    ours = msgspec.structs.replace(edit("n1", content="A", speaker="x"), title="T1")
    theirs = msgspec.structs.replace(edit("n1", content="B", speaker="y"), title="T2")
    first, again = merge(BASE, ours, theirs), merge(BASE, ours, theirs)
    assert first == again
    assert [c.locator for c in first.conflicts] == ["title", "nodes/n1/speaker", "nodes/n1/content"]
    assert len({c.id for c in first.conflicts}) == 3


# --- conflicts are stored objects ------------------------------------------------


def test_conflicts_encode_canonically_and_round_trip() -> None:
    merged = merge(
        BASE, None, edit("n1", content="x", meta={"n": None, "flag": True, "list": ["a"]})
    )  # a whole scene as a value
    scalar = merge(scene(meta={"k": None}), scene(meta={"k": 1}), scene(meta={"k": True}))
    for conflict in [*merged.conflicts, *scalar.conflicts]:
        data = encode(conflict)
        assert is_canonical(data)
        assert decode(data) == conflict
        assert check_id(conflict.id) == conflict.id
        assert len(conflict.id) == 16
        assert hash(conflict) == hash(decode(data))
    (meta,) = scalar.conflicts
    assert conflict_json(meta) == {
        "id": meta.id,
        "path": PATH,
        "locator": "meta/k",
        "kind": "edit-edit",
        "base": None,
        "ours": 1,
        "theirs": True,
        "absent": [],
    }
    assert repr(meta) == "Conflict(scenes/intro 'meta/k' edit-edit: base=null, ours=1, theirs=true)"


def test_an_absent_value_differs_from_a_null_one() -> None:
    conflict = make_conflict(PATH, "meta/k", ABSENT, None, "x")
    assert conflict.kind == "add-add"
    assert unpack(conflict.base, str | None) is ABSENT
    assert unpack(conflict.ours, str | None) is None
    assert conflict_json(conflict)["absent"] == ["base"]
    assert "base" not in conflict_json(conflict)
    assert conflict_json(conflict)["ours"] is None
    assert decode(encode(conflict)) == conflict


@pytest.mark.parametrize(
    ("path", "doc", "reason"),
    [
        ("scenes/intro", Scene("other"), "cannot hold scene 'other'"),
        ("characters/intro", Scene("intro"), "cannot hold scene 'intro'"),
        ("scenes/intro#n1", Scene("intro"), "not the path of"),
        ("assets/" + "a" * 64, None, "not the path of"),
        ("nowhere/x", None, "not an entity path"),
        ("scenes/intro", Scene("intro", nodes=[Node("a"), Node("a")]), "two nodes with id 'a'"),
    ],
)
def test_versions_that_do_not_belong_at_the_path_are_rejected(path: str, doc: Entity | None, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        merge_entity(path, doc, doc, doc)


def test_a_conflict_is_not_an_entity_kind_and_its_tag_is_conflict() -> None:
    data = msgspec.msgpack.decode(encode(make_conflict(PATH, "title", "a", "b", "c")))
    assert data["_type"] == "Conflict"
    assert isinstance(decode(encode(make_conflict(PATH, "", ABSENT, ABSENT, ABSENT))), Conflict)


def test_a_conflict_has_a_float_free_schema_and_dumps_as_plain_data() -> None:
    schema = msgspec.json.encode(msgspec.json.schema(Conflict)).decode()
    assert '"number"' not in schema
    conflict = make_conflict(PATH, "nodes/n1", Node("n1", content="x"), ABSENT, Node("n1", content="y"))
    assert to_plain(encode(conflict)) == {
        "_type": "Conflict",
        "id": conflict.id,
        "path": PATH,
        "locator": "nodes/n1",
        "kind": "delete-edit",
        "base": [{"id": "n1", "content": "x"}],
        "theirs": [{"id": "n1", "content": "y"}],
    }
