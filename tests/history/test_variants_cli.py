"""Branch, merge, pick and resolve through the real CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def forked(tmp_path: Path, cli: Any) -> Path:
    """main and alt, forked after a two-line scene."""
    root = tmp_path / "v"
    assert cli("init", root).code == 0

    def ok(*args: str) -> None:
        r = cli("-C", root, *args)
        assert r.code == 0, (args, r.err)

    ok("scene", "new", "Intro", "--id", "intro")
    ok("scene", "node", "add", "intro", "--speaker", "Alice", "--content", "The lamp is dark tonight")
    ok("scene", "node", "add", "intro", "--speaker", "Bob", "--content", "Who lit it?")
    ok("branch", "alt")
    return root


def ok(cli: Any, root: Path, *args: str) -> Any:
    r = cli("-C", root, *args)
    assert r.code == 0, (args, r.err)
    return r


def scene(cli: Any, root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = ok(cli, root, "scene", "show", "intro", "--json").json()
    return doc


def test_fast_forward_and_up_to_date(forked: Path, cli: Any) -> None:
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--content", "Who lit it, Bob?")
    ok(cli, forked, "switch", "main")
    r = ok(cli, forked, "merge", "alt", "--json")
    assert r.json()["kind"] == "fast-forward"
    assert scene(cli, forked)["nodes"][1]["content"] == "Who lit it, Bob?"
    assert "Who lit it, Bob?" in (forked / "scenes" / "intro.toml").read_text()
    assert ok(cli, forked, "merge", "alt", "--json").json()["kind"] == "up-to-date"


def test_disjoint_edits_merge_cleanly_with_word_level_text(forked: Path, cli: Any) -> None:
    ok(cli, forked, "scene", "node", "edit", "intro", "n1", "--content", "The old lamp is dark tonight")
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n1", "--content", "The lamp is dark this night")
    ok(cli, forked, "scene", "node", "add", "intro", "--content", "Alt ending", "--id", "end")
    ok(cli, forked, "switch", "main")
    r = cli("-C", forked, "merge", "alt", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["kind"] == "merge" and doc["conflicts"] == []
    nodes = scene(cli, forked)["nodes"]
    assert [n["id"] for n in nodes] == ["n1", "n2", "end"]
    assert nodes[0]["content"] == "The old lamp is dark this night"
    head = ok(cli, forked, "log", "-n", "1", "--json").json()["commits"][0]
    assert len(head["parents"]) == 2
    assert ok(cli, forked, "status", "--json").json()["changes"] == []
    assert cli("-C", forked, "reindex", "--verify").code == 0


def test_conflicts_are_first_class_and_resolved_later(forked: Path, cli: Any) -> None:
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Carol")
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Dave")
    ok(cli, forked, "scene", "node", "edit", "intro", "n1", "--content", "The lamp burns")
    ok(cli, forked, "switch", "main")
    r = cli("-C", forked, "merge", "alt", "--json")
    assert r.code == 1, r.err  # the merge completed but left a conflict
    (conflict,) = r.json()["conflicts"]
    assert (conflict["locator"], conflict["ours"], conflict["theirs"], conflict["base"]) == (
        "nodes/n2/speaker",
        "Carol",
        "Dave",
        "Bob",
    )
    status = ok(cli, forked, "status", "--json").json()
    assert [(c["id"], c["entity"], c["field"]) for c in status["conflicts"]] == [
        (conflict["id"], "scenes/intro", "nodes/n2/speaker")
    ]
    nodes = scene(cli, forked)["nodes"]
    assert nodes[0]["content"] == "The lamp burns"  # the clean part landed
    assert nodes[1]["speaker"] == "Carol"  # ours holds the conflicted place until resolved
    # another real merge is refused while conflicts remain
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "add", "intro", "--content", "Later on alt")
    ok(cli, forked, "switch", "main")
    refused = cli("-C", forked, "merge", "alt")
    assert refused.code == 3 and "resolve the conflicts" in refused.err
    r = cli("-C", forked, "resolve", conflict["id"][:6], "--value", '"Carol and Dave"', "--json")
    assert r.code == 0, r.err
    assert scene(cli, forked)["nodes"][1]["speaker"] == "Carol and Dave"
    assert ok(cli, forked, "status", "--json").json()["conflicts"] == []
    assert cli("-C", forked, "resolve", conflict["id"], "--ours").code == 3  # already settled
    assert cli("-C", forked, "fsck").code == 0


@pytest.mark.parametrize(("how", "expected"), [("--ours", "Carol"), ("--theirs", "Dave"), ("--both", "Carol\nDave")])
def test_resolve_each_way(forked: Path, cli: Any, how: str, expected: str) -> None:
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Carol")
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Dave")
    ok(cli, forked, "switch", "main")
    cid = cli("-C", forked, "merge", "alt", "--json").json()["conflicts"][0]["id"]
    ok(cli, forked, "resolve", cid, how)
    assert scene(cli, forked)["nodes"][1]["speaker"] == expected


def test_bad_resolution_value_is_rejected(forked: Path, cli: Any) -> None:
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Carol")
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Dave")
    ok(cli, forked, "switch", "main")
    cid = cli("-C", forked, "merge", "alt", "--json").json()["conflicts"][0]["id"]
    before = ok(cli, forked, "log", "--json").json()
    for bad in ("42", "{not json", "", '{"id": "n9"}'):
        r = cli("-C", forked, "resolve", cid[:12] + "0", "--value", bad)  # no such conflict
        assert r.code == 3 and "status" in r.err and "Traceback" not in r.err, r.err
    assert ok(cli, forked, "log", "--json").json() == before


def test_value_is_plain_text_for_text_places_and_json_elsewhere(forked: Path, cli: Any) -> None:
    ok(cli, forked, "scene", "node", "rm", "intro", "n2")
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--content", "Who lit it? Tell me.")
    ok(cli, forked, "switch", "main")
    cid = cli("-C", forked, "merge", "alt", "--json").json()["conflicts"][0]["id"]
    before = ok(cli, forked, "log", "--json").json()
    for bad in ("42", "{not json", "cold and dark", '{"id": "n9"}'):
        r = cli("-C", forked, "resolve", cid, "--value", bad)
        assert r.code == 3 and "Traceback" not in r.err, r.err
        assert "Expecting" not in r.err and ("--value must be" in r.err or "not 'n2'" in r.err), r.err
    assert ok(cli, forked, "log", "--json").json() == before
    ok(cli, forked, "resolve", cid, "--value", '{"id": "n2", "content": "Back again"}')
    assert [n["content"] for n in scene(cli, forked)["nodes"]][-1] == "Back again"


@pytest.mark.parametrize("typed", ["Dave and Carol", "42", "null", '"Dave and Carol"'])
def test_value_for_a_text_field_needs_no_json(forked: Path, cli: Any, typed: str) -> None:
    ok(cli, forked, "scene", "node", "edit", "intro", "n1", "--content", "The lamp is out")
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n1", "--content", "The lamp is lit")
    ok(cli, forked, "switch", "main")
    cid = cli("-C", forked, "merge", "alt", "--json").json()["conflicts"][0]["id"]
    ok(cli, forked, "resolve", cid, "--value", typed)
    assert scene(cli, forked)["nodes"][0]["content"] == typed.strip('"')


def test_delete_versus_edit_is_a_conflict(forked: Path, cli: Any) -> None:
    ok(cli, forked, "scene", "node", "rm", "intro", "n2")
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--content", "Who lit it? Tell me.")
    ok(cli, forked, "switch", "main")
    r = cli("-C", forked, "merge", "alt", "--json")
    assert r.code == 1
    (conflict,) = r.json()["conflicts"]
    assert conflict["kind"] == "delete-edit" and conflict["locator"] == "nodes/n2"
    ok(cli, forked, "resolve", conflict["id"], "--theirs")
    assert [n["content"] for n in scene(cli, forked)["nodes"]][-1] == "Who lit it? Tell me."


def test_merge_abort_and_pick(forked: Path, cli: Any) -> None:
    ok(cli, forked, "scene", "node", "edit", "intro", "n1", "--content", "Main line")
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n2", "--content", "Alt line")
    alt_edit = ok(cli, forked, "log", "-n", "1", "--json").json()["commits"][0]["id"]
    ok(cli, forked, "scene", "node", "add", "intro", "--content", "Alt only")
    ok(cli, forked, "switch", "main")
    head = ok(cli, forked, "status", "--json").json()["head"]
    ok(cli, forked, "merge", "alt")
    ok(cli, forked, "merge", "--abort")
    assert ok(cli, forked, "status", "--json").json()["head"] == head
    assert len(scene(cli, forked)["nodes"]) == 2
    r = ok(cli, forked, "pick", alt_edit[:12], "--json")
    assert r.json()["kind"] == "pick"
    nodes = scene(cli, forked)["nodes"]
    assert [n["content"] for n in nodes] == ["Main line", "Alt line"]  # only that commit's change
    log = ok(cli, forked, "log", "-n", "1", "--json").json()["commits"][0]
    assert len(log["parents"]) == 1


def test_merge_refuses_with_uncommitted_edits(forked: Path, cli: Any) -> None:
    ok(cli, forked, "switch", "alt")
    ok(cli, forked, "scene", "node", "edit", "intro", "n1", "--content", "Alt")
    ok(cli, forked, "switch", "main")
    f = forked / "scenes" / "intro.toml"
    f.write_text(f.read_text().replace("Who lit it?", "Who?"))
    r = cli("-C", forked, "merge", "alt")
    assert r.code == 3 and "uncommitted" in r.err
    assert "Who?" in f.read_text()  # the hand edit is untouched
