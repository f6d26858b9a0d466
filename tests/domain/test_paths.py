"""Ids, entity paths, link targets and what each event touches."""

from __future__ import annotations

import pytest
from hypothesis import given

from comfyvn_vault.domain import (
    Cause,
    Character,
    CharacterDeleted,
    Choice,
    ChoiceMoved,
    EntityPath,
    Node,
    NodeEdited,
    NodeFields,
    Rejected,
    Scene,
    SceneCreated,
    SceneRetitled,
    Variable,
    VariableSet,
    check_id,
    path_of,
    split_target,
    touched,
)
from comfyvn_vault.domain.paths import id_problem
from tests.domain.strategies import bad_ids, valid_ids

U = Cause(kind="user")


@given(valid_ids)
def test_valid_ids_pass(value: str) -> None:
    assert check_id(value) == value
    assert id_problem(value) is None


@given(bad_ids)
def test_invalid_ids_are_rejected_with_a_reason(value: str) -> None:
    with pytest.raises(Rejected) as info:
        check_id(value, "node id")
    assert info.value.message.startswith("node id ")
    assert id_problem(value) in info.value.message


def test_the_longest_id_is_a_hex_blob_id() -> None:
    assert check_id("f" * 64)
    with pytest.raises(Rejected, match="65 characters"):
        check_id("f" * 65)


@pytest.mark.parametrize("text", ["scenes/intro", "characters/alice", "variables/hp", "scenes/intro#n1", "assets/x"])
def test_entity_paths_round_trip(text: str) -> None:
    assert str(EntityPath.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("intro", "not an entity path"),
        ("stories/intro", "not an entity path"),
        ("scenes/", "is empty"),
        ("scenes/a/b", "contains '/'"),
        ("characters/alice#n", "only scenes have nodes"),
        ("scenes/intro#", "node id '' is empty"),
    ],
)
def test_bad_entity_paths_are_rejected(text: str, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        EntityPath.parse(text)


def test_targets() -> None:
    assert split_target("n1") == (None, "n1")
    assert split_target("end:fin") == ("end", "fin")
    assert split_target("end:") == ("end", None)
    for bad in [":n1", "a:b:c", "", "a b:"]:
        with pytest.raises(Rejected):
            split_target(bad)


def test_path_of() -> None:
    assert path_of(Scene("intro")) == "scenes/intro"
    assert path_of(Variable("hp", "HP", 1)) == "variables/hp"


def test_touched() -> None:
    scene = Scene("intro", nodes=[Node("a"), Node("b", choices=[Choice("c", "", "a")])])
    assert touched(SceneCreated(scene=scene, cause=U)) == ["scenes/intro", "scenes/intro#a", "scenes/intro#b"]
    assert touched(SceneRetitled(scene_id="intro", title="x", before="", cause=U)) == ["scenes/intro"]
    edit = NodeEdited(scene_id="intro", node_id="a", content="x", before=NodeFields(content=""), cause=U)
    assert touched(edit) == ["scenes/intro", "scenes/intro#a"]
    move = ChoiceMoved(scene_id="intro", node_id="b", choice_id="c", index=0, cause=U)
    assert touched(move) == ["scenes/intro", "scenes/intro#b"]
    assert touched(CharacterDeleted(character_id="al", before=Character("al"), cause=U)) == ["characters/al"]
    assert touched(VariableSet(variable=Variable("hp", "HP", 1), before=None, cause=U)) == ["variables/hp"]
