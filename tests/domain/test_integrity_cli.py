"""Story integrity through the real CLI: removals that would leave a reference dangling exit 3, renames carry lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_ok


@pytest.fixture
def story(tmp_path: Path, cli: Any) -> Path:
    root = tmp_path / "story"
    assert cli("init", root).code == 0
    for args in (
        ("scene", "new", "Hub", "--id", "hub"),
        ("scene", "new", "Cave", "--id", "cave"),
        ("scene", "node", "add", "cave", "--speaker", "Alice", "--content", "Dark in here.", "--id", "entry"),
        ("scene", "node", "add", "cave", "--speaker", "alice", "--content", "Deeper.", "--id", "deep"),
        ("scene", "node", "add", "hub", "--speaker", "Bob", "--content", "Where to?", "--id", "ask"),
        ("scene", "choice", "add", "hub", "ask", "--text", "The cave", "--target", "cave:"),
        ("scene", "choice", "add", "hub", "ask", "--text", "Deep", "--target", "cave:deep"),
        ("character", "new", "Alice", "--id", "alice"),
        ("character", "new", "Bob", "--id", "bob"),
    ):
        cli_ok(root, *args)
    return root


def _refused(result: Any, *words: str) -> None:
    assert result.code == 3, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_scene_rm_refuses_while_a_choice_targets_it(story: Path, cli: Any) -> None:
    head = cli("-C", story, "log", "--json").out
    _refused(cli("-C", story, "scene", "rm", "cave"), "scene 'cave'", "choice 'c1' of node 'ask' of scene 'hub'")
    assert cli("-C", story, "log", "--json").out == head
    assert cli("-C", story, "scene", "show", "cave").code == 0
    _refused(cli("-C", story, "scene", "rm", "cave", "--no-commit"), "scene 'cave'")
    assert (story / "scenes" / "cave.json").exists() or any(story.glob("scenes/cave.*"))
    # once nothing points there, it goes
    for choice in ("c1", "c2"):
        assert cli("-C", story, "scene", "choice", "rm", "hub", "ask", choice).code == 0
    assert cli("-C", story, "scene", "rm", "cave").code == 0


def test_node_rm_refuses_while_another_scene_targets_it(story: Path, cli: Any) -> None:
    _refused(cli("-C", story, "scene", "node", "rm", "cave", "deep"), "node 'deep' of scene 'cave'", "choice 'c2'")
    assert cli("-C", story, "scene", "node", "rm", "cave", "entry").code == 0  # nothing targets it by id


def test_the_last_node_of_a_targeted_scene_stays(story: Path, cli: Any) -> None:
    assert cli("-C", story, "scene", "choice", "rm", "hub", "ask", "c2").code == 0
    assert cli("-C", story, "scene", "node", "rm", "cave", "deep").code == 0
    _refused(cli("-C", story, "scene", "node", "rm", "cave", "entry"), "the start of scene 'cave'", "choice 'c1'")


def test_a_choice_cannot_target_an_empty_scene(story: Path, cli: Any) -> None:
    assert cli("-C", story, "scene", "new", "Void", "--id", "void").code == 0
    _refused(
        cli("-C", story, "scene", "choice", "add", "hub", "ask", "--text", "Nothing", "--target", "void:"),
        "scene 'void' has no node to start at",
    )
    _refused(cli("-C", story, "scene", "choice", "edit", "hub", "ask", "c1", "--target", "void:"), "no node to start")


def test_scene_rm_refuses_while_a_timeline_lists_it(story: Path, cli: Any) -> None:
    assert cli("-C", story, "scene", "new", "Epilogue", "--id", "end").code == 0
    assert cli("-C", story, "timeline", "new", "Main", "hub", "end", "--id", "main").code == 0
    _refused(cli("-C", story, "scene", "rm", "end"), "scene 'end'", "timeline 'main'")
    assert cli("-C", story, "timeline", "edit", "main", "--remove", "end").code == 0
    assert cli("-C", story, "scene", "rm", "end").code == 0


def test_a_renamed_character_keeps_its_lines(story: Path, cli: Any) -> None:
    result = cli("-C", story, "character", "edit", "alice", "--name", "Alicia")
    assert result.code == 0, result.err
    cave = cli("-C", story, "scene", "show", "cave", "--json").json()
    assert [n["speaker"] for n in cave["nodes"]] == ["Alicia", "Alicia"]
    hub = cli("-C", story, "scene", "show", "hub", "--json").json()
    assert [n["speaker"] for n in hub["nodes"]] == ["Bob"]  # other speakers untouched
    log = cli("-C", story, "log", "--json").json()
    newest = log[0] if isinstance(log, list) else log["commits"][0]
    assert newest["message"] == "Edit character alice"  # one commit holds the rename and the lines
    assert cli("-C", story, "status").code == 0


def test_a_rename_leaves_lines_of_a_namesake_alone(story: Path, cli: Any) -> None:
    assert cli("-C", story, "character", "new", "Alice", "--id", "alice2").code == 0
    assert cli("-C", story, "character", "edit", "alice2", "--name", "Alys").code == 0
    cave = cli("-C", story, "scene", "show", "cave", "--json").json()
    assert [n["speaker"] for n in cave["nodes"]] == ["Alice", "alice"]


def test_a_merge_that_would_leave_a_dangling_target_is_refused(story: Path, cli: Any) -> None:
    """Their side deleted a scene our side still links to: the merge is refused, naming the link; nothing moves."""
    for args in (
        ("scene", "choice", "rm", "hub", "ask", "c1"),
        ("scene", "choice", "rm", "hub", "ask", "c2"),
        ("branch", "cut"),
        ("scene", "choice", "add", "hub", "ask", "--text", "Back", "--target", "cave:"),
        ("switch", "cut"),
        ("scene", "rm", "cave"),
        ("switch", "main"),
    ):
        result = cli("-C", story, *args)
        assert result.code == 0, (args, result.err)
    head = cli("-C", story, "log", "--json").out
    _refused(cli("-C", story, "merge", "cut"), "scene 'cave'", "node 'ask' of scene 'hub'")
    assert cli("-C", story, "log", "--json").out == head
    assert cli("-C", story, "scene", "show", "cave").code == 0
