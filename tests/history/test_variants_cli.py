"""Branch, merge, pick and resolve through the real CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import cli_ok
from tests.history.conftest import scene


def test_disjoint_edits_merge_cleanly_with_word_level_text(forked: Path, cli: Any) -> None:
    cli_ok(forked, "scene", "node", "edit", "intro", "n1", "--content", "The old lamp is dark tonight")
    cli_ok(forked, "switch", "alt")
    cli_ok(forked, "scene", "node", "edit", "intro", "n1", "--content", "The lamp is dark this night")
    cli_ok(forked, "scene", "node", "add", "intro", "--content", "Alt ending", "--id", "end")
    cli_ok(forked, "switch", "main")
    r = cli("-C", forked, "merge", "alt", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["kind"] == "merge" and doc["conflicts"] == []
    nodes = scene(forked)["nodes"]
    assert [n["id"] for n in nodes] == ["n1", "n2", "end"]
    assert nodes[0]["content"] == "The old lamp is dark this night"
    head = cli_ok(forked, "log", "-n", "1", "--json").json()["commits"][0]
    assert len(head["parents"]) == 2
    assert cli_ok(forked, "status", "--json").json()["changes"] == []
    assert cli("-C", forked, "reindex", "--verify").code == 0


def test_conflicts_are_first_class_and_resolved_later(forked: Path, cli: Any) -> None:
    cli_ok(forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Carol")
    cli_ok(forked, "switch", "alt")
    cli_ok(forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Dave")
    cli_ok(forked, "scene", "node", "edit", "intro", "n1", "--content", "The lamp burns")
    cli_ok(forked, "switch", "main")
    r = cli("-C", forked, "merge", "alt", "--json")
    assert r.code == 1, r.err  # the merge completed but left a conflict
    (conflict,) = r.json()["conflicts"]
    assert (conflict["locator"], conflict["ours"], conflict["theirs"], conflict["base"]) == (
        "nodes/n2/speaker",
        "Carol",
        "Dave",
        "Bob",
    )
    status = cli_ok(forked, "status", "--json").json()
    assert [(c["id"], c["entity"], c["field"]) for c in status["conflicts"]] == [
        (conflict["id"], "scenes/intro", "nodes/n2/speaker")
    ]
    nodes = scene(forked)["nodes"]
    assert nodes[0]["content"] == "The lamp burns"  # the clean part landed
    assert nodes[1]["speaker"] == "Carol"  # ours holds the conflicted place until resolved
    # another real merge is refused while conflicts remain
    cli_ok(forked, "switch", "alt")
    cli_ok(forked, "scene", "node", "add", "intro", "--content", "Later on alt")
    cli_ok(forked, "switch", "main")
    refused = cli("-C", forked, "merge", "alt")
    assert refused.code == 3 and "resolve the conflicts" in refused.err
    r = cli("-C", forked, "resolve", conflict["id"][:6], "--value", '"Carol and Dave"', "--json")
    assert r.code == 0, r.err
    assert scene(forked)["nodes"][1]["speaker"] == "Carol and Dave"
    assert cli_ok(forked, "status", "--json").json()["conflicts"] == []
    assert cli("-C", forked, "resolve", conflict["id"], "--ours").code == 3  # already settled
    assert cli("-C", forked, "fsck").code == 0


def test_resolve_both(forked: Path, cli: Any) -> None:
    # Each way of resolving is tested in process (tests/api/test_merge.py); this is the one
    # place --both is carried out through the CLI (--ours and --theirs are, in other tests).
    cli_ok(forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Carol")
    cli_ok(forked, "switch", "alt")
    cli_ok(forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Dave")
    cli_ok(forked, "switch", "main")
    cid = cli("-C", forked, "merge", "alt", "--json").json()["conflicts"][0]["id"]
    cli_ok(forked, "resolve", cid, "--both")
    assert scene(forked)["nodes"][1]["speaker"] == "Carol\nDave"


def test_bad_resolution_value_is_rejected(forked: Path, cli: Any) -> None:
    cli_ok(forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Carol")
    cli_ok(forked, "switch", "alt")
    cli_ok(forked, "scene", "node", "edit", "intro", "n2", "--speaker", "Dave")
    cli_ok(forked, "switch", "main")
    cid = cli("-C", forked, "merge", "alt", "--json").json()["conflicts"][0]["id"]
    before = cli_ok(forked, "log", "--json").json()
    for bad in ("42", "{not json", "", '{"id": "n9"}'):
        r = cli("-C", forked, "resolve", cid[:12] + "0", "--value", bad)  # no such conflict
        assert r.code == 3 and "status" in r.err and "Traceback" not in r.err, r.err
    assert cli_ok(forked, "log", "--json").json() == before


def test_value_is_plain_text_for_text_places_and_json_elsewhere(forked: Path, cli: Any) -> None:
    cli_ok(forked, "scene", "node", "rm", "intro", "n2")
    cli_ok(forked, "switch", "alt")
    cli_ok(forked, "scene", "node", "edit", "intro", "n2", "--content", "Who lit it? Tell me.")
    cli_ok(forked, "switch", "main")
    cid = cli("-C", forked, "merge", "alt", "--json").json()["conflicts"][0]["id"]
    before = cli_ok(forked, "log", "--json").json()
    for bad in ("42", "{not json", "cold and dark", '{"id": "n9"}'):
        r = cli("-C", forked, "resolve", cid, "--value", bad)
        assert r.code == 3 and "Traceback" not in r.err, r.err
        assert "Expecting" not in r.err and ("--value must be" in r.err or "not 'n2'" in r.err), r.err
    assert cli_ok(forked, "log", "--json").json() == before
    cli_ok(forked, "resolve", cid, "--value", '{"id": "n2", "content": "Back again"}')
    assert [n["content"] for n in scene(forked)["nodes"]][-1] == "Back again"


def test_delete_versus_edit_is_a_conflict(forked: Path, cli: Any) -> None:
    cli_ok(forked, "scene", "node", "rm", "intro", "n2")
    cli_ok(forked, "switch", "alt")
    cli_ok(forked, "scene", "node", "edit", "intro", "n2", "--content", "Who lit it? Tell me.")
    cli_ok(forked, "switch", "main")
    r = cli("-C", forked, "merge", "alt", "--json")
    assert r.code == 1
    (conflict,) = r.json()["conflicts"]
    assert conflict["kind"] == "delete-edit" and conflict["locator"] == "nodes/n2"
    cli_ok(forked, "resolve", conflict["id"], "--theirs")
    assert [n["content"] for n in scene(forked)["nodes"]][-1] == "Who lit it? Tell me."


def test_merge_abort_and_pick(forked: Path) -> None:
    cli_ok(forked, "scene", "node", "edit", "intro", "n1", "--content", "Main line")
    cli_ok(forked, "switch", "alt")
    cli_ok(forked, "scene", "node", "edit", "intro", "n2", "--content", "Alt line")
    alt_edit = cli_ok(forked, "log", "-n", "1", "--json").json()["commits"][0]["id"]
    cli_ok(forked, "scene", "node", "add", "intro", "--content", "Alt only")
    cli_ok(forked, "switch", "main")
    head = cli_ok(forked, "status", "--json").json()["head"]
    cli_ok(forked, "merge", "alt")
    cli_ok(forked, "merge", "--abort")
    assert cli_ok(forked, "status", "--json").json()["head"] == head
    assert len(scene(forked)["nodes"]) == 2
    r = cli_ok(forked, "pick", alt_edit[:12], "--json")
    assert r.json()["kind"] == "pick"
    nodes = scene(forked)["nodes"]
    assert [n["content"] for n in nodes] == ["Main line", "Alt line"]  # only that commit's change
    log = cli_ok(forked, "log", "-n", "1", "--json").json()["commits"][0]
    assert len(log["parents"]) == 1


def test_merge_refuses_with_uncommitted_edits(forked: Path, cli: Any) -> None:
    cli_ok(forked, "switch", "alt")
    cli_ok(forked, "scene", "node", "edit", "intro", "n1", "--content", "Alt")
    cli_ok(forked, "switch", "main")
    f = forked / "scenes" / "intro.toml"
    f.write_text(f.read_text().replace("Who lit it?", "Who?"))
    r = cli("-C", forked, "merge", "alt")
    assert r.code == 3 and "uncommitted" in r.err
    assert "Who?" in f.read_text()  # the hand edit is untouched
