"""Writing a branching story with the real CLI: edit verbs, the working copy, history queries."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_ok


@pytest.fixture
def story(tmp_path: Path, cli: Any) -> Path:
    root = tmp_path / "story"
    assert cli("init", root).code == 0
    ok = partial(cli_ok, root)
    ok("scene", "new", "The Lighthouse", "--id", "intro")
    ok("scene", "node", "add", "intro", "--speaker", "Alice", "--content", "The lamp hasn't turned in forty years.")
    ok("scene", "node", "add", "intro", "--type", "choice", "--content", "What now?")
    ok("scene", "node", "add", "intro", "--speaker", "Alice", "--content", "Stay close.", "--id", "stairs")
    ok("scene", "choice", "add", "intro", "n2", "--text", "Climb the stairs", "--target", "stairs")
    ok("character", "new", "Alice", "--trait", "role=keeper")
    ok("var", "set", "courage", "3")
    return root


def test_edit_verbs_build_the_story(story: Path, cli: Any) -> None:
    scenes = cli("-C", story, "scene", "list", "--json").json()
    assert scenes["scenes"] == [{"id": "intro", "title": "The Lighthouse", "nodes": 3}]
    doc = cli("-C", story, "scene", "show", "intro", "--json").json()
    assert [n["id"] for n in doc["nodes"]] == ["n1", "n2", "stairs"]
    assert doc["nodes"][1]["choices"] == [{"id": "c1", "text": "Climb the stairs", "target": "stairs"}]
    chars = cli("-C", story, "character", "list", "--json").json()
    assert chars["characters"] == [{"id": "alice", "name": "Alice"}]
    log = cli("-C", story, "log", "--json").json()
    assert [c["message"] for c in log["commits"]][:2] == ["Set courage = 3", "New character: Alice"]
    assert all(c["events"] == 1 for c in log["commits"][:-1])
    assert log["commits"][-1]["parents"] == []
    # the working copy holds one readable file per entity
    text = (story / "scenes" / "intro.toml").read_text()
    assert 'content = "Stay close."' in text
    assert cli("-C", story, "status", "--json").json()["changes"] == []


def test_a_bad_reference_is_rejected_with_exit_3(story: Path, cli: Any) -> None:
    before = cli("-C", story, "log", "--json").json()
    r = cli("-C", story, "scene", "choice", "add", "intro", "n2", "--text", "Jump", "--target", "nowhere")
    assert r.code == 3 and "nowhere" in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert cli("-C", story, "log", "--json").json() == before
    r = cli("-C", story, "scene", "node", "rm", "intro", "stairs")
    assert r.code == 3 and "stairs" in r.err  # a choice still points at it


def test_hand_edits_become_fine_grained_events(story: Path, cli: Any) -> None:
    f = story / "scenes" / "intro.toml"
    f.write_text(f.read_text().replace("forty years", "fifty years").replace('"Stay close."', '"Stay very close."'))
    status = cli("-C", story, "status", "--json").json()
    assert [c["path"] for c in status["changes"]] == ["scenes/intro"]
    assert status["changes"][0]["events"] == [
        "NodeEdited scenes/intro#n1 (content)",
        "NodeEdited scenes/intro#stairs (content)",
    ]
    r = cli("-C", story, "commit", "-m", "Tighten the opening", "--json")
    assert r.code == 0 and r.json()["events"] == 2
    shown = cli("-C", story, "show", "HEAD", "--json").json()
    assert [e["type"] for e in shown["event_list"]] == ["NodeEdited", "NodeEdited"]
    assert cli("-C", story, "status", "--json").json()["changes"] == []
    diff = cli("-C", story, "diff", "HEAD~1", "HEAD", "--json").json()
    (entity,) = diff["entities"]
    fields = [ch["fields"]["content"] for ch in entity["changes"]]
    assert fields[0] == {
        "before": "The lamp hasn't turned in forty years.",
        "after": "The lamp hasn't turned in fifty years.",
    }
    assert cli("-C", story, "diff", "HEAD~1", "HEAD", "--exit-code").code == 1
    assert cli("-C", story, "diff", "HEAD", "HEAD", "--exit-code").code == 0


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('title = "x"\n\n[[nodes]]\nid = "n1"\ncontent = "unterminated\n', 5, ""),
        ('title = "x"\n\n[[nodes]]\nid = "n1"\n\n[[nodes]]\nid = "n2"\nspeaker = 7\n', 8, "speaker"),
        ('title = "x"\n\n[[nodes]]\nid = "n1"\nspeker = "Al"\n', 5, "speker"),
        ('id = "other"\ntitle = "x"\n', 1, "file name"),
    ],
)
def test_malformed_file_names_file_and_line(story: Path, cli: Any, text: str, line: int, fragment: str) -> None:
    (story / "scenes" / "broken.toml").write_text(text)
    before = cli("-C", story, "log", "--json").json()
    r = cli("-C", story, "commit", "-m", "x")
    assert r.code == 3, r.err
    assert f"scenes/broken.toml:{line}:" in r.err and fragment in r.err
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1
    # status reports the file (and would show the rest) instead of failing
    r = cli("-C", story, "status")
    assert r.code == 0 and "broken    scenes/broken.toml" in r.out, r.err
    assert f"scenes/broken.toml:{line}:" in r.out and fragment in r.out
    assert cli("-C", story, "log", "--json").json() == before


def test_new_and_deleted_files(story: Path, cli: Any) -> None:
    (story / "scenes" / "harbor.toml").write_text('title = "Harbor"\n\n[[nodes]]\nid = "h1"\ncontent = "Gulls."\n')
    (story / "characters" / "alice.toml").unlink()
    kinds = {c["path"]: c["kind"] for c in cli("-C", story, "status", "--json").json()["changes"]}
    assert kinds == {"scenes/harbor": "added", "characters/alice": "deleted"}
    assert cli("-C", story, "commit", "-m", "harbor, no alice").code == 0
    assert [s["id"] for s in cli("-C", story, "scene", "list", "--json").json()["scenes"]] == ["harbor", "intro"]
    assert cli("-C", story, "character", "list", "--json").json()["characters"] == []


def test_branch_switch_and_files_follow(story: Path, cli: Any) -> None:
    assert cli("-C", story, "switch", "-c", "dark").code == 0
    assert cli("-C", story, "scene", "node", "edit", "intro", "n1", "--content", "The lamp turned tonight.").code == 0
    assert "turned tonight" in (story / "scenes" / "intro.toml").read_text()
    assert cli("-C", story, "switch", "main").code == 0
    assert "forty years" in (story / "scenes" / "intro.toml").read_text()
    branches = cli("-C", story, "branch", "--json").json()
    assert branches["current"] == "main" and {b["name"] for b in branches["branches"]} == {"main", "dark"}
    assert cli("-C", story, "search", "tonight", "--json").json()["hits"] == []
    assert cli("-C", story, "switch", "dark").code == 0
    hits = cli("-C", story, "search", "tonight", "--json").json()["hits"]
    assert [(h["scene"], h["node"]) for h in hits] == [("intro", "n1")]
    # switching with uncommitted edits is refused and changes nothing
    f = story / "scenes" / "intro.toml"
    f.write_text(f.read_text().replace("Stay close.", "Run."))
    r = cli("-C", story, "switch", "main")
    assert r.code == 3 and "uncommitted" in r.err
    assert "Run." in f.read_text()


def test_undo_redo_restore_refs_and_files(story: Path, cli: Any) -> None:
    f = story / "scenes" / "intro.toml"
    head = cli("-C", story, "status", "--json").json()["head"]
    assert cli("-C", story, "scene", "node", "edit", "intro", "n1", "--content", "Changed.").code == 0
    assert "Changed." in f.read_text()
    r = cli("-C", story, "undo", "--json")
    assert r.code == 0 and r.json()["head"] == head
    assert "Changed." not in f.read_text() and cli("-C", story, "status", "--json").json()["head"] == head
    assert cli("-C", story, "search", "changed", "--json").json()["hits"] == []
    assert cli("-C", story, "undo").code == 0  # further back: the var set
    assert cli("-C", story, "var", "list", "--json").json()["variables"] == []
    assert cli("-C", story, "redo").code == 0
    assert cli("-C", story, "redo").code == 0
    assert "Changed." in f.read_text()
    assert cli("-C", story, "redo").code == 3  # nothing left to redo
    ops = cli("-C", story, "op", "log", "--json").json()["operations"]
    assert [o["kind"] for o in ops[:4]] == ["redo", "redo", "undo", "undo"]
    assert ops[0]["description"] == "redo 'commit: Edit node n1 of intro'"
    assert cli("-C", story, "reindex", "--verify").code == 0
    assert cli("-C", story, "fsck").code == 0


def test_blame_and_entity_log(story: Path, cli: Any) -> None:
    assert (
        cli("-C", story, "scene", "node", "edit", "intro", "stairs", "--speaker", "Bob", "-m", "Bob speaks").code == 0
    )
    blame = cli("-C", story, "blame", "intro", "--json").json()
    by_node = {n["node"]: n for n in blame["nodes"]}
    assert by_node["stairs"]["message"] == "Bob speaks" and by_node["stairs"]["event_type"] == "NodeEdited"
    assert by_node["n2"]["message"] == "Add a choice to intro#n2"
    assert by_node["n1"]["message"] == "Add node n1 to intro"
    log = cli("-C", story, "log", "--entity", "scenes/intro#stairs", "--json").json()
    assert [c["message"] for c in log["commits"]] == ["Bob speaks", "Add node stairs to intro"]
    whole = cli("-C", story, "log", "--entity", "intro", "--json").json()
    assert len(whole["commits"]) == 6


def test_no_commit_leaves_a_pending_change(story: Path, cli: Any) -> None:
    r = cli("-C", story, "scene", "node", "add", "intro", "--content", "Later.", "--no-commit", "--json")
    assert r.code == 0 and r.json()["commit"] is None
    changes = cli("-C", story, "status", "--json").json()["changes"]
    assert changes[0]["events"] == ["NodeAdded scenes/intro#n4"]
    assert cli("-C", story, "commit", "-m", "later").code == 0
    assert cli("-C", story, "scene", "show", "intro", "--json").json()["nodes"][-1]["content"] == "Later."
