"""Conflicts in the working copy, resolutions that never overwrite newer values, word-merge review."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_ok
from tests.history.conftest import scene


def _merge_conflicted(cli: Any, root: Path, content: bool = True) -> dict[str, Any]:
    """main sets n2's speaker to Carol and (optionally) n1's line; alt to Dave and another line."""
    cli_ok(root, "scene", "node", "edit", "intro", "n2", "--speaker", "Carol")
    if content:
        cli_ok(root, "scene", "node", "edit", "intro", "n1", "--content", "The lamp is out")
    cli_ok(root, "switch", "alt")
    cli_ok(root, "scene", "node", "edit", "intro", "n2", "--speaker", "Dave")
    if content:
        cli_ok(root, "scene", "node", "edit", "intro", "n1", "--content", "The lamp is lit")
    cli_ok(root, "switch", "main")
    r = cli("-C", root, "merge", "alt", "--json")
    assert r.code == 1, r.err
    doc: dict[str, Any] = r.json()
    return doc


def _id(doc: dict[str, Any], locator: str) -> str:
    return next(c["id"] for c in doc["conflicts"] if c["locator"] == locator)


def test_conflicts_are_marked_in_the_file_and_listed_with_their_sides(forked: Path, cli: Any) -> None:
    doc = _merge_conflicted(cli, forked)
    f = forked / "scenes" / "intro.toml"
    data = tomllib.loads(f.read_text())  # still valid TOML
    speaker = data["nodes"][1]["speaker"]
    assert speaker == {"conflict": _id(doc, "nodes/n2/speaker"), "ours": "Carol", "theirs": "Dave", "base": "Bob"}
    assert data["nodes"][0]["content"]["theirs"] == "The lamp is lit"
    status = cli_ok(forked, "status", "--json").json()
    assert status["changes"] == []  # markers left as written are not edits
    assert {(c["field"], c["ours"], c["theirs"]) for c in status["conflicts"]} == {
        ("nodes/n2/speaker", "Carol", "Dave"),
        ("nodes/n1/content", "The lamp is out", "The lamp is lit"),
    }
    text = cli_ok(forked, "status").out
    assert "ours:" in text and '"Dave"' in text and '"Bob"' in text
    merged_text = cli("-C", forked, "merge", "alt").out  # up to date now; the conflicts stay listed in status
    assert "Traceback" not in merged_text
    # another edit in the same file, markers kept, commits and keeps the conflicts open
    f.write_text(f.read_text().replace('title = "Intro"', 'title = "The Intro"'))
    cli_ok(forked, "commit", "-m", "retitle")
    assert len(cli_ok(forked, "status", "--json").json()["conflicts"]) == 2
    assert scene(forked)["title"] == "The Intro"


def _drop_marker(text: str, header: str, key: str, value: str) -> str:
    """``text`` with the marker table ``header`` replaced by ``key = value`` in its node."""
    start = text.index(header)
    end = text.find("\n[", start + 1)
    body = text[:start] + (text[end + 1 :] if end != -1 else "")
    node = body.index('id = "n1"\n') if key == "content" else body.index('id = "n2"\n')
    line_end = body.index("\n", node) + 1
    return body[:line_end] + f"{key} = {value}\n" + body[line_end:]


def test_a_hand_fix_committed_resolves_and_resolve_cannot_overwrite_it(forked: Path, cli: Any) -> None:
    doc = _merge_conflicted(cli, forked)
    f = forked / "scenes" / "intro.toml"
    f.write_text(_drop_marker(f.read_text(), "[nodes.content]", "content", '"The lamp flickers"'))
    cli_ok(forked, "commit", "-m", "fix the line by hand")
    cid = _id(doc, "nodes/n1/content")
    assert [c["id"] for c in cli_ok(forked, "status", "--json").json()["conflicts"]] == [_id(doc, "nodes/n2/speaker")]
    before = cli_ok(forked, "log", "--json").json()
    r = cli("-C", forked, "resolve", cid, "--both")
    assert r.code == 3 and "Traceback" not in r.err
    assert scene(forked)["nodes"][0]["content"] == "The lamp flickers"
    assert cli_ok(forked, "log", "--json").json() == before
    assert "The lamp flickers" in f.read_text()


def test_writing_ours_over_the_marker_resolves_it_too(forked: Path, cli: Any) -> None:
    doc = _merge_conflicted(cli, forked, content=False)
    f = forked / "scenes" / "intro.toml"
    f.write_text(_drop_marker(f.read_text(), "[nodes.speaker]", "speaker", '"Carol"'))
    status = cli_ok(forked, "status", "--json").json()
    assert [c["kind"] for c in status["changes"]] == ["modified"]  # the marker is gone: a change
    cli_ok(forked, "commit", "-m", "keep Carol")
    assert cli_ok(forked, "status", "--json").json()["conflicts"] == []
    assert scene(forked)["nodes"][1]["speaker"] == "Carol"
    assert tomllib.loads(f.read_text())["nodes"][1]["speaker"] == "Carol"
    assert cli("-C", forked, "resolve", doc["conflicts"][0]["id"], "--theirs").code == 3


def test_an_edited_marker_is_refused_clearly(forked: Path, cli: Any) -> None:
    _merge_conflicted(cli, forked, content=False)
    f = forked / "scenes" / "intro.toml"
    f.write_text(f.read_text().replace('ours = "Carol"', 'ours = "Caroline"'))
    before = cli_ok(forked, "log", "--json").json()
    r = cli("-C", forked, "commit", "-m", "x")
    assert r.code == 3 and "conflict marker" in r.err and "restore" in r.err and "Traceback" not in r.err
    assert cli_ok(forked, "log", "--json").json() == before


def test_resolve_refuses_a_value_changed_since_the_merge(forked: Path, cli: Any) -> None:
    from msgspec.structs import replace

    from comfyvn_vault.domain.diffing import diff_entities
    from comfyvn_vault.domain.events import Cause
    from comfyvn_vault.vault import Vault

    doc = _merge_conflicted(cli, forked, content=False)
    cid = doc["conflicts"][0]["id"]
    # a commit that bypassed conflict bookkeeping (as older versions made): the conflict is stale
    with Vault.open(forked) as vault:
        old = vault.history.entity(vault.checkout_tree(), "scenes/intro")  # type: ignore[arg-type]
        assert old is not None
        nodes = [old.nodes[0], replace(old.nodes[1], speaker="Zed")]  # type: ignore[union-attr]
        edit = diff_entities("scenes/intro", old, replace(old, nodes=nodes), cause=Cause(kind="user"))
        with vault.change("older edit") as ch:
            ch.record(edit)  # not settle=True, which an edit verb asks for
    before = cli_ok(forked, "log", "--json").json()
    for how in ("--ours", "--theirs", "--both"):
        r = cli("-C", forked, "resolve", cid, how)
        assert r.code == 3 and "changed since the merge" in r.err and "Zed" in r.err, r.err
    r = cli("-C", forked, "resolve", cid, "--value", "Someone")
    assert r.code == 3 and "--accept" in r.err
    assert cli_ok(forked, "log", "--json").json() == before
    assert scene(forked)["nodes"][1]["speaker"] == "Zed"
    cli_ok(forked, "resolve", cid, "--accept")
    assert scene(forked)["nodes"][1]["speaker"] == "Zed"
    assert cli_ok(forked, "status", "--json").json()["conflicts"] == []


def test_undo_of_a_resolution_brings_the_marker_back(forked: Path, cli: Any) -> None:
    doc = _merge_conflicted(cli, forked, content=False)
    f = forked / "scenes" / "intro.toml"
    cid = doc["conflicts"][0]["id"]
    cli_ok(forked, "resolve", cid, "--ours")  # the value does not change; the marker must go
    assert cid not in f.read_text()
    assert cli_ok(forked, "status", "--json").json()["changes"] == []
    cli_ok(forked, "undo")
    assert cid in f.read_text()
    assert cli_ok(forked, "status", "--json").json()["changes"] == []
    cli_ok(forked, "undo")  # the merge itself
    assert "conflict" not in f.read_text().lower()


def _word_merge(cli: Any, root: Path) -> Any:
    cli_ok(root, "scene", "node", "edit", "intro", "n1", "--content", "The old lamp is dark tonight")
    cli_ok(root, "switch", "alt")
    cli_ok(root, "scene", "node", "edit", "intro", "n1", "--content", "The lamp is dark this night")
    cli_ok(root, "switch", "main")
    return cli("-C", root, "merge", "alt")


def test_word_merges_are_listed_for_review_until_accepted(forked: Path, cli: Any) -> None:
    r = _word_merge(cli, forked)
    assert r.code == 0, r.err
    assert "WORD-MERGED" in r.out and "The old lamp is dark this night" in r.out and "--accept" in r.err
    status = cli_ok(forked, "status", "--json").json()
    (review,) = status["word_merges"]
    assert status["conflicts"] == [] and review["merged"] == "The old lamp is dark this night"
    assert review["ours"] == "The old lamp is dark tonight" and review["theirs"] == "The lamp is dark this night"
    assert "word-merged" in cli_ok(forked, "status").out
    cli_ok(forked, "resolve", review["id"][:8], "--accept")
    assert cli_ok(forked, "status", "--json").json()["word_merges"] == []
    assert scene(forked)["nodes"][0]["content"] == "The old lamp is dark this night"
    assert cli_ok(forked, "log", "-n", "1", "--json").json()["commits"][0]["message"].startswith("Resolve")


def test_an_edit_of_a_word_merged_line_settles_its_review(forked: Path, cli: Any) -> None:
    _word_merge(cli, forked)
    cli_ok(forked, "scene", "node", "edit", "intro", "n1", "--content", "The lamp is dark")
    assert cli_ok(forked, "status", "--json").json()["word_merges"] == []


@pytest.mark.parametrize(("setting", "code"), [("false", 1), ("true", 0), ('"no"', 3)])
def test_the_vault_setting_turns_word_merging_off(forked: Path, cli: Any, setting: str, code: int) -> None:
    (forked / ".comfyvn" / "config.toml").write_text(f"[merge]\nword_level = {setting}\n")
    r = _word_merge(cli, forked)
    assert r.code == code, r.err
    if code == 3:
        assert "word_level" in r.err and "true or false" in r.err
    elif code == 1:
        status = cli_ok(forked, "status", "--json").json()
        assert [c["field"] for c in status["conflicts"]] == ["nodes/n1/content"] and status["word_merges"] == []
