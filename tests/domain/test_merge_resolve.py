"""``resolve``: ours, theirs, both or an explicit value at a conflict's locator; bad values are rejected."""

from __future__ import annotations

import msgspec
import pytest

from comfyvn_vault.domain import Character, Choice, Entity, Node, Rejected, Scene, Timeline, Variable
from comfyvn_vault.domain.conflicts import ABSENT, Conflict, make_conflict
from comfyvn_vault.domain.merge import merge_entity
from comfyvn_vault.domain.resolve import Resolution, resolve, value_at

PATH = "scenes/intro"
N1 = Node("n1", speaker="alice", content="Hello", conditions=["a"], next=["n2"])
N2 = Node("n2", content="Go?", choices=[Choice("c1", "Yes", "n3"), Choice("c2", "No", "n1")])
N3 = Node("n3", content="The end.")
BASE = Scene("intro", "Intro", nodes=[N1, N2, N3])


def scene(*nodes: Node, **fields: object) -> Scene:
    return msgspec.structs.replace(BASE, nodes=list(nodes), **fields)


def merged_with(
    ours: Entity | None, theirs: Entity | None, base: Entity | None = BASE
) -> tuple[Entity | None, Conflict]:
    doc = next(d for d in (ours, theirs, base) if d is not None)
    path = f"{type(doc).__name__.lower()}s/{doc.id}"
    merged = merge_entity(path, base, ours, theirs)
    assert len(merged.conflicts) == 1, merged.conflicts
    return merged.entity, merged.conflicts[0]


def content_conflict() -> tuple[Entity | None, Conflict]:
    n1 = msgspec.structs.replace
    return merged_with(scene(n1(N1, content="Hi there"), N2, N3), scene(n1(N1, content="Good evening"), N2, N3))


def test_ours_keeps_the_merged_entity() -> None:
    entity, conflict = content_conflict()
    assert resolve(entity, conflict, "ours") == entity


def test_theirs_puts_their_value_at_the_locator() -> None:
    entity, conflict = content_conflict()
    got = resolve(entity, conflict, "theirs")
    assert isinstance(got, Scene)
    assert value_at(got, "nodes/n1/content") == "Good evening"
    assert got.nodes[1:] == [N2, N3]


def test_both_joins_texts_with_a_newline() -> None:
    entity, conflict = content_conflict()
    assert value_at(resolve(entity, conflict, "both"), "nodes/n1/content") == "Hi there\nGood evening"  # type: ignore[arg-type]


def test_both_on_lists_is_ours_then_their_extra_items() -> None:
    r = msgspec.structs.replace
    entity, conflict = merged_with(
        scene(r(N1, conditions=["a", "b"]), N2, N3), scene(r(N1, conditions=["c", "a"]), N2, N3)
    )
    assert conflict.locator == "nodes/n1/conditions"
    assert value_at(resolve(entity, conflict, "both"), "nodes/n1/conditions") == ["a", "b", "c"]  # type: ignore[arg-type]


def test_both_on_values_that_do_not_join_is_rejected() -> None:
    r = msgspec.structs.replace
    entity, conflict = merged_with(scene(r(N1, speaker="bob"), N2, N3), scene(r(N1, speaker=None), N2, N3))
    with pytest.raises(Rejected, match="'both' joins texts or lists"):
        resolve(entity, conflict, "both")
    entity, conflict = merged_with(scene(r(N1, type="action"), N2, N3), scene(r(N1, type="choice"), N2, N3))
    with pytest.raises(Rejected, match="nodes/n1/type: Invalid enum value"):
        resolve(entity, conflict, "both")  # "action\nchoice" is no node type


def test_delete_vs_edit_of_a_node() -> None:
    r = msgspec.structs.replace
    ours = scene(N1, r(N2, choices=[N2.choices[1]]))  # n3 deleted
    edited = r(N3, content="The real end.")
    entity, conflict = merged_with(ours, scene(N1, N2, edited))
    assert [n.id for n in entity.nodes] == ["n1", "n2"]  # type: ignore[union-attr]
    hows: tuple[Resolution, ...] = ("theirs", "both")
    for how in hows:
        back = resolve(entity, conflict, how)
        assert isinstance(back, Scene)
        assert back.nodes == [N1, r(N2, choices=[N2.choices[1]]), edited]  # back after n2, where theirs had it
    assert resolve(entity, conflict, "ours") == entity
    # the other way round: ours kept the edit, theirs removes it again
    entity, conflict = merged_with(scene(N1, N2, edited), ours)
    assert value_at(entity, "nodes/n3") == edited  # type: ignore[arg-type]
    assert resolve(entity, conflict, "theirs") == ours  # c1, which led there, went cleanly
    assert resolve(entity, conflict, "both") == entity
    # a node something still links to cannot be removed
    entity, conflict = merged_with(scene(r(N1, next=["n2", "n3"]), N2, edited), ours)
    with pytest.raises(Rejected, match=r"next of node 'n1' of scene 'intro' points at 'n3', but .* has no node 'n3'"):
        resolve(entity, conflict, "theirs")


def test_delete_vs_edit_of_a_choice_and_an_explicit_choice() -> None:
    r = msgspec.structs.replace
    ours = scene(N1, r(N2, choices=[N2.choices[0]]), N3)
    theirs = scene(N1, r(N2, choices=[N2.choices[0], r(N2.choices[1], text="Never")]), N3)
    entity, conflict = merged_with(ours, theirs)
    got = resolve(entity, conflict, "theirs")
    assert value_at(got, "nodes/n2/choices") == ["c1", "c2"]  # type: ignore[arg-type]
    got = resolve(entity, conflict, None, {"id": "c2", "text": "Later", "target": "n3"})
    assert value_at(got, "nodes/n2/choices/c2") == Choice("c2", "Later", "n3")  # type: ignore[arg-type]
    with pytest.raises(Rejected, match="the value is choice 'c9', not 'c2'"):
        resolve(entity, conflict, None, {"id": "c9", "text": "Later", "target": "n3"})
    with pytest.raises(Rejected, match="scene 'intro' has no node 'zz'"):
        resolve(entity, conflict, None, {"id": "c2", "text": "Later", "target": "zz"})


def test_delete_vs_edit_of_a_whole_entity() -> None:
    edited = Character("alice", "Alicia")
    entity, conflict = merged_with(None, edited, base=Character("alice", "Alice"))
    assert entity is None
    assert conflict.locator == ""
    assert resolve(None, conflict, "theirs") == edited
    assert resolve(None, conflict, "both") == edited
    assert resolve(None, conflict, "ours") is None
    assert resolve(None, conflict, None, {"id": "alice", "name": "Al"}) == Character("alice", "Al")
    assert resolve(edited, conflict, None, None) is None
    with pytest.raises(Rejected, match="the value is character 'bob', not 'alice'"):
        resolve(edited, conflict, None, {"id": "bob"})


def test_an_explicit_value_is_converted_to_the_field_type() -> None:
    entity, conflict = content_conflict()
    assert value_at(resolve(entity, conflict, None, "Evening"), "nodes/n1/content") == "Evening"  # type: ignore[arg-type]
    with pytest.raises(Rejected, match=r"^nodes/n1/content: Expected `str`, got `int`$"):
        resolve(entity, conflict, None, 5)
    with pytest.raises(Rejected, match="Expected `str`, got `null`"):
        resolve(entity, conflict, None, None)


def test_explicit_values_for_map_keys_numbers_and_floats() -> None:
    base = scene(N1, N2, N3, meta={"k": "a"})
    entity, conflict = merged_with(scene(N1, N2, N3, meta={"k": "b"}), scene(N1, N2, N3, meta={"k": 3}), base=base)
    assert conflict.locator == "meta/k"
    assert resolve(entity, conflict, None, ["x", "y"]).meta == {"k": ["x", "y"]}  # type: ignore[union-attr]
    assert resolve(entity, conflict, None, None).meta == {}  # type: ignore[union-attr]
    with pytest.raises(Rejected, match="got `float`"):
        resolve(entity, conflict, None, 1.5)
    with pytest.raises(Rejected, match="cannot be stored"):
        resolve(entity, conflict, None, 2**70)
    hp = Variable("hp", "HP", 3)
    entity, conflict = merged_with(Variable("hp", "HP", 4), Variable("hp", "HP", 5), base=hp)
    assert resolve(entity, conflict, None, 9) == Variable("hp", "HP", 9)
    assert resolve(entity, conflict, None, "nine") == Variable("hp", "HP", "nine")
    with pytest.raises(Rejected, match="got `float`"):
        resolve(entity, conflict, None, 9.5)


def test_an_order_conflict_follows_the_chosen_side() -> None:
    line = Timeline("main", scene_order=["a", "b", "c", "d"])
    ours, theirs = (
        Timeline("main", scene_order=["b", "c", "a", "d", "o"]),
        Timeline("main", scene_order=["b", "c", "d", "a"]),
    )
    entity, conflict = merged_with(ours, theirs, base=line)
    assert conflict.locator == "scene_order"
    assert entity == ours
    assert resolve(entity, conflict, "theirs") == Timeline("main", scene_order=["b", "c", "d", "a", "o"])
    assert resolve(entity, conflict, "ours") == entity
    with pytest.raises(Rejected, match="is an order"):
        resolve(entity, conflict, "both")
    assert resolve(entity, conflict, None, ["d"]) == Timeline("main", scene_order=["d"])
    with pytest.raises(Rejected, match="lists scene 'd' twice"):
        resolve(entity, conflict, None, ["d", "d"])


def test_a_node_order_conflict_and_an_explicit_order() -> None:
    entity, conflict = merged_with(scene(N2, N3, N1), scene(N2, N1, N3))
    assert conflict.locator == "nodes"
    assert [n.id for n in resolve(entity, conflict, "theirs").nodes] == ["n2", "n1", "n3"]  # type: ignore[union-attr]
    assert [n.id for n in resolve(entity, conflict, None, ["n3", "n2"]).nodes] == ["n3", "n2", "n1"]  # type: ignore[union-attr]
    with pytest.raises(Rejected, match="there is no 'n9' to place"):
        resolve(entity, conflict, None, ["n9"])
    with pytest.raises(Rejected, match="names 'n1' twice"):
        resolve(entity, conflict, None, ["n1", "n1"])


@pytest.mark.parametrize(
    ("locator", "reason"),
    [
        ("nodes/n1/nope", "a node has no field 'nope'"),
        ("nodes/n9/content", "the scene has no node 'n9'"),
        ("id", "a scene has no field 'id'"),
        ("title/x", "field 'title' of a scene has no parts"),
    ],
)
def test_a_locator_that_names_nothing_is_rejected(locator: str, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        resolve(BASE, make_conflict(PATH, locator, "a", "b", "c"), "theirs")


def test_a_conflict_about_another_entity_is_rejected() -> None:
    with pytest.raises(Rejected, match="is about scenes/intro, not character 'alice'"):
        resolve(Character("alice"), make_conflict(PATH, "title", "a", "b", "c"), "theirs")
    with pytest.raises(Rejected, match="the scene is deleted"):
        resolve(None, make_conflict(PATH, "title", "a", "b", "c"), "theirs")
    with pytest.raises(Rejected, match="not 'maybe'"):
        resolve(BASE, make_conflict(PATH, "title", "a", "b", "c"), "maybe")  # type: ignore[arg-type]


def test_resolving_every_conflict_as_theirs_gives_theirs_where_they_overlapped() -> None:
    r = msgspec.structs.replace
    ours = scene(r(N1, content="A", speaker="x"), N2, N3, title="T1", meta={"k": 1})
    theirs = scene(r(N1, content="B", speaker="y"), N2, N3, title="T2", meta={"k": 2})
    merged = merge_entity(PATH, BASE, ours, theirs)
    entity: Entity | None = merged.entity
    for conflict in merged.conflicts:
        entity = resolve(entity, conflict, "theirs")
    assert entity == theirs
    assert value_at(theirs, "meta/none") is ABSENT


def test_map_keys_with_slashes_or_nothing_have_their_own_locators() -> None:
    r = msgspec.structs.replace
    base = scene(r(N1, directives={"a/b": "x", "": "y"}), N2, N3)
    ours = scene(r(N1, directives={"a/b": "o", "": "o"}), N2, N3)
    theirs = scene(r(N1, directives={"a/b": "t", "": "t"}), N2, N3)
    merged = merge_entity(PATH, base, ours, theirs)
    assert [c.locator for c in merged.conflicts] == ["nodes/n1/directives/", "nodes/n1/directives/a/b"]
    entity: Entity | None = merged.entity
    for conflict in merged.conflicts:
        entity = resolve(entity, conflict, "theirs")
    assert entity == theirs
