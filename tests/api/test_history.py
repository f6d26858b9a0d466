"""The history verbs in-process: typed results, their ``--json`` encoding, and refusals of bad input."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from comfyvn_vault.api import ObjectId, Vault, history
from comfyvn_vault.api.documents import encode_json
from comfyvn_vault.domain.entities import Character, Node, Scene
from comfyvn_vault.errors import InputRejected, ObjectNotFound, UsageError
from comfyvn_vault.schema_gen import result_types
from tests.api.conftest import write

INTRO = Scene(
    id="intro",
    title="The Lighthouse",
    nodes=[Node(id="n1", speaker="Alice", content="The lamp is out."), Node(id="n2", content="Wind.")],
)


@pytest.fixture
def told(vault: Vault) -> Vault:
    """A vault with two commits: the intro scene and Alice, then an edit of the intro."""
    write(vault, INTRO, Character(id="alice", name="Alice"))
    assert history.commit(vault, "Begin").commit is not None
    edited = Scene(id="intro", title=INTRO.title, nodes=[INTRO.nodes[0], Node(id="n2", content="Wind howls.")])
    write(vault, edited)
    assert history.commit(vault, "Wind").events == 1
    return vault


def plain(result: msgspec.Struct) -> dict[str, Any]:
    """A result as the CLI's ``--json`` prints it."""
    doc = json.loads(encode_json(result))
    assert isinstance(doc, dict)
    return doc


def test_commit_and_status_see_the_working_copy(vault: Vault) -> None:
    assert history.commit(vault, "nothing").commit is None
    write(vault, INTRO)
    status = history.status(vault)
    assert [(c.path, c.kind) for c in status.changes] == [("scenes/intro", "added")]
    assert status.changes[0].events and status.head is not None  # the vault's first commit
    doc = plain(status)
    assert doc["schema"] == "comfyvn.status/1"
    assert "error" not in doc["changes"][0] and "line" not in doc["changes"][0]  # only for unreadable files
    done = history.commit(vault, "Add the intro")
    assert done.commit is not None and done.branch == "main" and done.events == 1  # SceneCreated, nodes and all
    assert history.status(vault).changes == []


def test_status_says_why_a_file_cannot_be_read(vault: Vault) -> None:
    (vault.root / "scenes").mkdir()
    (vault.root / "scenes" / "bad.toml").write_text("title = [unclosed\n")
    change = history.status(vault).changes[0]
    assert change.kind == "broken" and change.events == [] and change.error
    with pytest.raises(InputRejected):
        history.commit(vault, "broken")


def test_log_with_entity_all_and_remote_marks(told: Vault) -> None:
    log = history.log(told)
    assert [c.message for c in log.commits[:2]] == ["Wind", "Begin"]
    entity = history.log(told, entity="intro")
    assert entity.entity == "scenes/intro" and [c.message for c in entity.commits] == ["Wind", "Begin"]
    assert entity.commits[0].touching == [0]
    every = history.log(told, every=True)
    assert every.commits[0].branches == ["main"]
    doc = plain(log)
    assert "entity" not in doc and "remotes" not in doc["commits"][0]
    assert history.log(told, limit=1).commits[0].message == "Wind"
    graph = history.graph(log.commits)
    assert [row[1] for row in graph] == ["*"] * len(log.commits)


def test_log_refuses_bad_input(told: Vault) -> None:
    with pytest.raises(InputRejected, match="count"):
        history.log(told, limit=-1)
    with pytest.raises(InputRejected, match="do not combine"):
        history.log(told, entity="intro", every=True)
    with pytest.raises(ObjectNotFound):
        history.log(told, entity="nobody")


def test_show_a_commit_a_document_a_node_a_tree_and_an_object(told: Vault) -> None:
    head = history.show(told, "HEAD")
    assert isinstance(head, history.ShownCommit) and head.message == "Wind"
    assert [e.type for e in head.event_list] == ["NodeEdited"]
    doc = plain(head)
    assert doc["schema"] == "comfyvn.commit/1" and doc["events"] == 1
    scene = history.show(told, "The Lighthouse")
    assert isinstance(scene, history.ShownDocument) and scene.path == "scenes/intro"
    assert scene.document["nodes"][1]["content"] == "Wind howls." and "commit" not in plain(scene)
    node = history.show(told, "HEAD~1:scenes/intro#n2")
    assert isinstance(node, history.ShownDocument) and node.document["content"] == "Wind."
    assert node.commit == head.parents[0]
    tree = history.show(told, "HEAD:scenes/")
    assert isinstance(tree, history.ShownTree) and [e.path for e in tree.entries] == ["scenes/intro"]
    event = history.show(told, head.event_list[0].id)
    assert isinstance(event, history.ShownObject) and event.schema == "comfyvn.event/1"
    assert event.type == "NodeEdited" and event.summary


def test_show_refuses_what_names_nothing(told: Vault) -> None:
    with pytest.raises(InputRejected):
        history.show(told, " ")
    with pytest.raises(ObjectNotFound):
        history.show(told, "no-such-thing")
    with pytest.raises(InputRejected, match="folder"):
        history.show(told, "HEAD:nowhere/")


def test_diff_of_the_working_copy_and_of_two_revisions(told: Vault) -> None:
    assert history.diff(told).entities == []
    between = history.diff(told, "HEAD~1", "HEAD")
    assert (between.from_, between.to) == ("HEAD~1", "HEAD")
    [entity] = between.entities
    assert (entity.path, entity.kind, entity.type) == ("scenes/intro", "modified", "Scene")
    [change] = entity.changes
    assert change.event == "NodeEdited" and change.fields is not msgspec.UNSET
    assert change.fields["content"].after == "Wind howls."
    doc = plain(between)
    assert doc["from"] == "HEAD~1" and doc["entities"][0]["changes"][0]["node_id"] == "n2"


def test_blame_search_and_the_operation_log(told: Vault) -> None:
    blame = history.blame(told, "intro")
    assert [(n.node, n.message) for n in blame.nodes] == [("n1", "Begin"), ("n2", "Wind")]
    hits = history.search(told, "lamp")
    assert [(h.scene, h.node) for h in hits.hits] == [("intro", "n1")]
    ops = history.op_log(told, 2)
    assert [op.description for op in ops.operations] == ["commit: Wind", "commit: Begin"]
    assert history.operation(told) == ops.operations[0]
    assert history.operation_id(told) == ObjectId.from_hex(ops.operations[0].id)
    with pytest.raises(InputRejected):
        history.op_log(told, -1)
    with pytest.raises(ObjectNotFound):
        history.blame(told, "nowhere")


def test_branches_switch_undo_redo(told: Vault) -> None:
    created = history.branch_create(told, "dark")
    assert created.head == history.log(told).commits[0].id
    listed = history.branches(told)
    assert listed.current == "main" and [b.name for b in listed.branches] == ["dark", "main"]
    assert "remotes" not in plain(listed) and history.branches(told, remotes=True).remotes == []
    assert history.is_merged(told, "dark")
    assert history.switch(told, "main").already
    moved = history.switch(told, "dark")
    assert (moved.branch, moved.already) == ("dark", False) and history.head_branch(told) == "dark"
    undone = history.undo(told)
    assert undone.branch == "main" and undone.operation.startswith("undo")
    assert history.redo(told).branch == "dark"
    history.switch(told, "main")
    deleted = history.branch_delete(told, "dark")
    assert deleted.head == created.head
    with pytest.raises(InputRejected, match="no branch"):
        history.branch_delete(told, "dark")
    with pytest.raises(InputRejected, match="already exists"):
        history.branch_create(told, "main")
    with pytest.raises(InputRejected, match="no branch"):
        history.switch(told, "nowhere")


def test_restore_throws_edits_away_and_refuses_other_files(told: Vault) -> None:
    path = told.root / "scenes" / "intro.toml"
    before = path.read_text()
    path.write_text(before.replace("Wind howls.", "Calm."))
    assert history.restore(told).restored == ["scenes/intro"]
    assert path.read_text() == before and history.status(told).changes == []
    assert history.restore(told, ["./scenes/intro.toml"]).restored == []
    with pytest.raises(UsageError, match="not an entity file"):
        history.restore(told, ["notes.txt"])


def test_find_indexes_entities_and_nodes(told: Vault) -> None:
    index = history.entity_index(told)
    assert {(f.folder, f.id) for f in index} == {("scenes", "intro"), ("characters", "alice")}
    assert [f.id for f in history.find(index, "lghths")] == ["intro"]
    nodes = history.find_nodes(told, index, "intr#n2")
    assert [(f.id, f.node) for f in nodes] == [("intro", "n1"), ("intro", "n2")]
    assert nodes[1].label == "intro#n2 Wind howls." and nodes[1].words == "n2 Wind howls."


def test_story_at_any_commit_reads_its_tree(told: Vault) -> None:
    first = history.log(told).commits[-1]
    assert history.story_at(told, ObjectId.from_hex(first.id)) == []
    assert [p for p, _ in history.story_at(told, "HEAD", "scenes")] == ["scenes/intro"]


def test_watch_refuses_bad_timings(vault: Vault) -> None:
    with pytest.raises(UsageError, match="settle"):
        history.watch(vault, lambda r: None, settle_ms=0)
    with pytest.raises(UsageError, match="hook-timeout"):
        history.watch(vault, lambda r: None, hook_timeout=0)


def test_every_result_is_listed_once_with_a_schema_default() -> None:
    names = [t.__name__ for t in result_types()]
    assert len(names) == len(set(names))
    for kind in history.RESULTS:
        schema = next(f for f in msgspec.structs.fields(kind) if f.name == "schema")
        assert str(schema.default).startswith("comfyvn."), kind
