"""``check`` on real vaults: findings with the file and line on disk, exit codes, ``--json`` and ``--strict``."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from comfyvn_vault.api import check, edit, merge
from comfyvn_vault.domain.entities import Choice, Scene
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.vault import Vault
from tests.conftest import assert_refused, cli_ok, fork_story, run_cli

ASSET = "ab" * 32


def _line(lines: list[str], item_id: str) -> int:
    """The 1-based line of ``id = "ITEM_ID"`` in a file's lines."""
    return lines.index(f'id = "{item_id}"') + 1


@pytest.fixture
def story(vault: Vault) -> Vault:
    """A clean story: a harbour scene with a menu, a dock scene, a timeline, a character and a variable."""
    edit.character_new(vault, "Mina", character_id="mina")
    edit.var_set(vault, "trust", "1")
    edit.scene_new(vault, "Harbour", "harbour")
    edit.node_add(vault, "harbour", speaker="Mina", content="The lamp is out.")
    edit.node_add(vault, "harbour", type="choice", content="What now?", node_id="ask")
    edit.node_add(vault, "harbour", content="Up we go.", node_id="up")
    edit.scene_new(vault, "Dock", "dock")
    edit.node_add(vault, "dock", content="We wait by the water.")
    edit.choice_add(vault, "harbour", "ask", text="Climb", target="up", effects="trust += 2", choice_id="climb")
    edit.choice_add(vault, "harbour", "ask", text="Wait", target="dock:", condition="trust < 5", choice_id="wait")
    edit.timeline_new(vault, "Main", ["harbour"])
    return vault


def test_a_clean_story_has_no_findings(story: Vault, vault_dir: Path) -> None:
    result = check.check(story)
    assert result == check.StoryChecked(findings=[], errors=0, warnings=0)
    story.close()
    r = cli_ok(vault_dir, "check")
    assert r.out == "" and r.err.strip() == "no problems found"
    assert cli_ok(vault_dir, "check", "--strict").err.strip() == "no problems found"


def test_findings_point_at_the_line_in_the_file_on_disk(story: Vault, vault_dir: Path) -> None:
    # node_set writes what it is given, so a condition that does not read can get in (as from an editor)
    ask = next(n for n in edit.need(story, "scenes", "harbour", Scene).nodes if n.id == "ask")
    bad = Choice(id="odd", text="Odd", target="up", condition="x >>= (")
    edit.node_set(story, "harbour", "ask", {"choices": [*ask.choices, bad]})
    edit.node_add(story, "harbour", speaker="Bob", content="Hello?", node_id="bob")  # after up: never reached
    story.close()
    r = run_cli("-C", vault_dir, "check")
    assert r.code == 1, r.err
    lines = (vault_dir / "scenes" / "harbour.toml").read_text().splitlines()
    assert r.out.splitlines() == [
        f"scenes/harbour.toml:{_line(lines, 'odd')}: error: choice odd of ask: "
        "condition \"x >>= (\": column 4: expected an expression after '>', found '>='",
        f"scenes/harbour.toml:{_line(lines, 'bob')}: warning: the speaker \"Bob\" is no character's "
        "id or name (1 node in this scene, the first here)",
    ]  # fmt: skip
    assert r.err.strip() == "1 error, 1 warning"


def test_a_file_written_by_hand_and_committed(story: Vault, vault_dir: Path) -> None:
    story.close()
    path = vault_dir / "scenes" / "dock.toml"
    text = path.read_text()
    assert 'content = "We wait by the water."' in text
    path.write_text(text.replace('content = "We wait by the water."', 'content = "We wait."\neffects = "luck += 1"'))
    cli_ok(vault_dir, "commit", "-m", "luck")
    r = run_cli("-C", vault_dir, "check")
    lines = path.read_text().splitlines()
    assert r.code == 1, r.err
    assert r.out.splitlines() == [
        f"scenes/dock.toml:{_line(lines, 'n1')}: error: node n1: the effects reads and sets luck, "
        "which no variable defines"
    ]  # fmt: skip


def test_warnings_alone_pass_unless_strict(story: Vault, vault_dir: Path) -> None:
    edit.scene_new(story, "Attic", "attic")
    edit.node_add(story, "attic", content="Dust.")
    edit.node_set(story, "dock", "n1", {"directives": {"bg": ASSET}})  # no such asset: an error
    result = check.check(story)
    dock = (vault_dir / "scenes" / "dock.toml").read_text().splitlines()
    assert [(f.kind, f.file, f.line, f.locator) for f in result.findings] == [
        ("unreachable-scene", "scenes/attic.toml", 1, ""),
        ("missing-asset", "scenes/dock.toml", _line(dock, "n1"), "n1"),
    ]
    assert (result.errors, result.warnings) == (1, 1)
    edit.node_set(story, "dock", "n1", {"directives": {}})
    story.close()
    r = run_cli("-C", vault_dir, "check")
    assert r.code == 0 and r.out == "scenes/attic.toml:1: warning: scene attic can never be reached: no timeline "\
        "lists it and nothing played leads to it\n"  # fmt: skip
    assert r.err.strip() == "0 errors, 1 warning"
    r = run_cli("-C", vault_dir, "check", "--strict")
    assert r.code == 1 and r.err.strip() == "0 errors, 1 warning"


def test_the_json_document(story: Vault, vault_dir: Path) -> None:
    edit.node_set(story, "dock", "n1", {"speaker": "Eve", "conditions": ["trust >"]})
    story.close()
    r = run_cli("-C", vault_dir, "check", "--json")
    assert r.code == 1, r.err
    doc = r.json()
    assert list(doc) == ["schema", "findings", "errors", "warnings"]
    assert doc["schema"] == "comfyvn.check/1" and doc["errors"] == 1 and doc["warnings"] == 1
    assert [list(f) for f in doc["findings"]] == [
        ["severity", "kind", "path", "locator", "file", "line", "message"]
    ] * 2
    assert [(f["severity"], f["kind"], f["path"], f["locator"], f["file"]) for f in doc["findings"]] == [
        ("error", "bad-condition", "scenes/dock", "n1", "scenes/dock.toml"),
        ("warning", "unknown-speaker", "scenes/dock", "n1", "scenes/dock.toml"),
    ]
    assert run_cli("-C", vault_dir, "check", "--json", "--strict").code == 1
    dock = (vault_dir / "scenes" / "dock.toml").read_text().splitlines()
    assert msgspec.json.decode(r.stdout_bytes, type=check.StoryChecked).findings[0].line == _line(dock, "n1")


def test_check_refuses_while_merge_conflicts_remain(vault: Vault, vault_dir: Path) -> None:
    forked = fork_story(vault)
    edit.node_edit(forked, "intro", "n1", content="Ours.")
    forked.switch("alt")
    edit.node_edit(forked, "intro", "n1", content="Theirs.")
    forked.switch("main")
    merge.merge(forked, "alt")
    with pytest.raises(InputRejected, match="cannot check: 1 unresolved merge conflict"):
        check.check(forked)
    forked.close()
    assert_refused(run_cli("-C", vault_dir, "check"), 3, "cannot check")


def test_result_type_names_are_unique() -> None:
    """Each result's schema file is named after its type, so two types of one name would overwrite each other."""
    from comfyvn_vault.schema_gen import result_types

    names = [t.__name__ for t in result_types()]
    assert len(set(names)) == len(names)
