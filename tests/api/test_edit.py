"""The edit verbs and reads, in process, on real vaults."""

from __future__ import annotations

import msgspec
import pytest

from comfyvn_vault.api import edit
from comfyvn_vault.api.entities import find_id, fresh_id, parse_value, slug
from comfyvn_vault.domain.entities import Character, Scene, Timeline, Variable
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.vault import Vault


@pytest.fixture
def story(vault: Vault) -> Vault:
    """A scene of three nodes (one a choice), a character who speaks in it, a timeline and a variable."""
    edit.scene_new(vault, "The Lighthouse", "intro")
    edit.node_add(vault, "intro", speaker="Alice", content="The lamp is dark.")
    edit.node_add(vault, "intro", speaker="Alice", content="Stay close.")
    edit.node_add(vault, "intro", content="Up or down?", node_id="ask")
    edit.choice_add(vault, "intro", "ask", text="Climb", target="intro:")
    edit.character_new(vault, "Alice", {"role": "keeper"})
    edit.timeline_new(vault, "Main Line", ["intro"])
    edit.var_set(vault, "courage", "3")
    return vault


def _doc(result: msgspec.Struct) -> object:
    return msgspec.json.decode(msgspec.json.encode(result))


def test_each_verb_names_itself_in_its_result(vault: Vault) -> None:
    saved = edit.scene_new(vault, "The Lighthouse!")
    assert saved.id == "the-lighthouse" and saved.events == 1
    assert saved.commit == vault.history.head().hex()  # type: ignore[union-attr]
    assert list(msgspec.to_builtins(saved)) == ["schema", "id", "commit", "events"]
    assert saved.schema == "comfyvn.scene-new/1"
    assert edit.node_add(vault, "The Lighthouse!", content="Hello").schema == "comfyvn.node-add/1"
    # node_edit runs node_set, yet its result is its own
    edited = edit.node_edit(vault, "the-lighthouse", "n1", content="Hello there")
    assert (edited.schema, edited.id, edited.events) == ("comfyvn.node-edit/1", "n1", 1)
    assert edit.node_set(vault, "the-lighthouse", "n1", {"speaker": "Bo"}).schema == "comfyvn.node-set/1"
    assert edit.node_rm(vault, "the-lighthouse", "n1").schema == "comfyvn.node-rm/1"
    assert edit.scene_rm(vault, "the-lighthouse").schema == "comfyvn.scene-rm/1"


def test_an_edit_that_changes_nothing_commits_nothing(story: Vault) -> None:
    head = story.history.head()
    saved = edit.var_set(story, "courage", "3")
    assert (saved.schema, saved.commit, saved.events) == ("comfyvn.var-set/1", None, 0)
    assert story.history.head() == head


def test_no_commit_writes_only_the_working_copy(story: Vault) -> None:
    head = story.history.head()
    saved = edit.node_edit(story, "intro", "n1", content="The lamp is lit.", commit=False)
    assert saved.commit is None and saved.events == 1
    assert story.history.head() == head
    assert 'content = "The lamp is lit."' in (story.root / "scenes" / "intro.toml").read_text()
    assert edit.need(story, "scenes", "intro", Scene, worktree=True).nodes[0].content == "The lamp is lit."
    assert edit.need(story, "scenes", "intro", Scene).nodes[0].content == "The lamp is dark."


def test_bad_edits_are_rejected(story: Vault) -> None:
    head = story.history.head()
    with pytest.raises(InputRejected, match="already exists"):
        edit.scene_new(story, "Again", "intro")
    with pytest.raises(InputRejected, match="nothing to change"):
        edit.node_edit(story, "intro", "n1")
    with pytest.raises(InputRejected, match="cannot be cleared"):
        edit.node_edit(story, "intro", "n1", clear=["content"])
    with pytest.raises(InputRejected, match="cannot be cleared"):
        edit.choice_edit(story, "intro", "ask", "c1", clear=["text"])
    with pytest.raises(ObjectNotFound, match="has no node 'n9'"):
        edit.node_rm(story, "intro", "n9")
    with pytest.raises(ObjectNotFound, match="has no choice 'c9'"):
        edit.choice_rm(story, "intro", "ask", "c9")
    with pytest.raises(InputRejected, match="already has a node 'ask'"):
        edit.node_add(story, "intro", node_id="ask")
    with pytest.raises(InputRejected, match="holds a int"):
        edit.var_set(story, "courage", "brave")
    with pytest.raises(ObjectNotFound, match="no scene with id or name 'nowhere'"):
        edit.timeline_edit(story, "main-line", add=["nowhere"])
    assert story.history.head() == head
    assert all(exc.exit_code == 3 for exc in (InputRejected("x"), ObjectNotFound("x")))


def test_renaming_a_character_renames_their_lines(story: Vault) -> None:
    assert edit.appearances(story, edit.need(story, "characters", "alice", Character)) == [
        edit.Appearance("intro", "The Lighthouse", 2)
    ]
    saved = edit.character_edit(story, "Alice", name="Alicia", traits={"mood": "wary"}, unset=["role"])
    assert saved.schema == "comfyvn.character-edit/1" and saved.id == "alice"
    alice = edit.need(story, "characters", "alice", Character)
    assert (alice.name, alice.traits) == ("Alicia", {"mood": "wary"})
    speakers = [n.speaker for n in edit.need(story, "scenes", "intro", Scene).nodes]
    assert speakers == ["Alicia", "Alicia", None]
    assert edit.appearances(story, alice) == [edit.Appearance("intro", "The Lighthouse", 2)]


def test_lists_are_the_cli_documents(story: Vault) -> None:
    assert _doc(edit.scene_list(story)) == {
        "schema": "comfyvn.scenes/1",
        "scenes": [{"id": "intro", "title": "The Lighthouse", "nodes": 3}],
    }
    assert _doc(edit.character_list(story)) == {
        "schema": "comfyvn.characters/1",
        "characters": [{"id": "alice", "name": "Alice"}],
    }
    assert _doc(edit.timeline_list(story)) == {
        "schema": "comfyvn.timelines/1",
        "timelines": [{"id": "main-line", "name": "Main Line", "scene_order": ["intro"]}],
    }
    assert _doc(edit.var_list(story)) == {
        "schema": "comfyvn.variables/1",
        "variables": [{"id": "courage", "name": "courage", "value": 3, "scope": "global"}],
    }
    assert [e.id for e in edit.entity_list(story, "scenes")] == ["intro"]
    assert [p for p, _ in edit.entries(story, "characters")] == ["characters/alice"]
    assert edit.names(story, "scenes") == {"intro": "the lighthouse"}


def test_show_is_the_entity_after_its_schema_with_defaults_left_out(story: Vault) -> None:
    shown = edit.scene_show(story, "the LIGHTHOUSE")
    scene = edit.need(story, "scenes", "intro", Scene)
    entity = msgspec.to_builtins(scene)
    del entity["_type"]
    assert _doc(shown) == {"schema": "comfyvn.scene/1", **entity}
    assert list(msgspec.to_builtins(shown)) == ["schema", "id", "title", "nodes"]
    assert shown.nodes[2].choices[0].text == "Climb"
    assert _doc(edit.var_show(story, "courage")) == {
        "schema": "comfyvn.variable/1",
        "id": "courage",
        "name": "courage",
        "value": 3,
    }
    assert _doc(edit.character_show(story, "alice"))["traits"] == {"role": "keeper"}  # type: ignore[index]
    assert _doc(edit.timeline_show(story, "Main Line"))["scene_order"] == ["intro"]  # type: ignore[index]
    # the text is the working-copy file, shown or not
    text = edit.file_text(shown)
    assert text == edit.file_text(scene) == (story.root / "scenes" / "intro.toml").read_text()


def test_show_of_nothing_suggests_a_near_name(story: Vault) -> None:
    with pytest.raises(ObjectNotFound, match="did you mean"):
        edit.scene_show(story, "intor")
    with pytest.raises(ObjectNotFound, match="no character"):
        edit.character_show(story, "Nobody Here")


def test_shown_documents_mirror_their_entities() -> None:
    for shown, entity in edit.SHOWN.items():
        fields = [(f.name, f.type, f.default) for f in msgspec.structs.fields(shown)]
        assert fields[0][0] == "schema"
        assert fields[1:] == [(f.name, f.type, f.default) for f in msgspec.structs.fields(entity)], shown
    assert set(edit.SHOWN.values()) == {Scene, Character, Timeline, Variable}


def test_titles_name_missing_scenes_none(story: Vault) -> None:
    assert edit.titles(story, "scenes", ["intro", "gone"]) == {"intro": "The Lighthouse", "gone": None}


def test_names_find_ids(story: Vault) -> None:
    assert find_id(story, "scenes", "The Lighthouse") == "intro"
    edit.scene_new(story, "Twin", "a")
    edit.scene_new(story, "Twin", "b")
    with pytest.raises(InputRejected, match="2 scenes are named 'twin': give the id"):
        find_id(story, "scenes", "twin")
    assert slug("The Lighthouse!", "scene") == "the-lighthouse" and slug("!!", "scene") == "scene"
    assert fresh_id({"a", "a-2"}, "a") == "a-3"
    assert (parse_value("true"), parse_value("-4"), parse_value("4.5")) == (True, -4, "4.5")
