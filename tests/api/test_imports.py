"""``comfyvn import`` in-process: one commit, recorded, idempotent, undoable, with lineage to its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from comfyvn_vault.api import imports, provenance
from comfyvn_vault.api.provenance import LineageEvent
from comfyvn_vault.domain.assets import ImportRecord
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.vault import Vault

SCRIPT = "# The Lighthouse\nMira: The lamp is out.\n> Wind rattles the glass.\nTom: Then we light it.\n"


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "lighthouse.txt"
    path.write_text(SCRIPT)
    return path


def test_an_import_is_one_recorded_commit_with_lineage_to_its_source(vault: Vault, script: Path) -> None:
    before = vault.history.head()
    result = imports.import_source(vault, "text", script)
    assert result.commit is not None and not result.already and result.job is not None
    assert result.scenes == ["the-lighthouse"] and sorted(result.characters) == ["mira", "tom"]
    head = vault.history.head()
    assert head is not None and head != before and vault.history.commit(head).parents == [before]
    tree = vault.history.tree_of(head)
    record = vault.history.lookup_in(tree)(f"imports/{result.job}")
    assert isinstance(record, ImportRecord)
    assert (record.importer, record.source_name, record.source_asset) == ("text", "lighthouse.txt", result.assets[0])
    assert "scenes/the-lighthouse" in record.created and record.options["strict"] == "false"
    graph = provenance.lineage(vault, result.assets[0])
    kinds = {n.type for n in graph.nodes if isinstance(n, LineageEvent)}
    assert {"AssetImported", "ImportRecorded"} <= kinds


def test_the_same_source_with_the_same_options_creates_nothing(vault: Vault, script: Path) -> None:
    first = imports.import_source(vault, "text", script)
    head = vault.history.head()
    again = imports.import_source(vault, "text", script, {"strict": "false"})  # the default, said out loud
    assert again.already and again.commit is None and again.job == first.job
    assert again.scenes == first.scenes and sorted(again.characters) == sorted(first.characters)
    assert vault.history.head() == head
    other = imports.import_source(vault, "text", script, {"scene_id": "copy"})
    assert not other.already and other.job != first.job and other.scenes == ["copy"]


def test_undo_removes_the_whole_import_and_it_can_be_made_again(vault: Vault, script: Path) -> None:
    first = imports.import_source(vault, "text", script)
    vault.undo()
    assert vault.history.lookup_in(vault.history.tree_of(vault.history.head()))(f"imports/{first.job}") is None
    again = imports.import_source(vault, "text", script)
    assert not again.already and again.commit is not None and again.job == first.job


def test_a_dry_run_writes_nothing(vault: Vault, script: Path) -> None:
    head, op = vault.history.head(), vault.history.op_head()
    plan = imports.import_source(vault, "text", script, dry_run=True)
    assert plan.dry_run and plan.commit is None and plan.scenes == ["the-lighthouse"] and plan.events > 3
    assert (vault.history.head(), vault.history.op_head()) == (head, op)
    imports.import_source(vault, "text", script)
    done = imports.import_source(vault, "text", script, dry_run=True)
    assert done.already and done.dry_run


@pytest.mark.parametrize(
    ("kind", "options", "name", "message"),
    [
        ("txet", {}, "lighthouse.txt", "did you mean 'text'"),
        ("text", {"loud": "yes"}, "lighthouse.txt", "no option 'loud'"),
        ("text", {"strict": "perhaps"}, "lighthouse.txt", "bad option"),
        ("text", {}, "missing.txt", "no such file or folder"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    vault: Vault, script: Path, kind: str, options: dict[str, str], name: str, message: str
) -> None:
    head, op = vault.history.head(), vault.history.op_head()
    with pytest.raises(InputRejected, match=message):
        imports.import_source(vault, kind, script.with_name(name), options)
    assert (vault.history.head(), vault.history.op_head()) == (head, op)


def test_an_unreadable_source_changes_nothing(vault: Vault, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Mira: caf\xe9\n")
    head, op = vault.history.head(), vault.history.op_head()
    with pytest.raises(InputRejected):
        imports.import_source(vault, "text", bad)
    assert (vault.history.head(), vault.history.op_head()) == (head, op)


def test_options_are_key_value_pairs() -> None:
    assert imports.parse_settings(["gap-minutes=30", "format=text", "title=a=b"]) == {
        "gap_minutes": "30",
        "format": "text",
        "title": "a=b",
    }
    with pytest.raises(InputRejected, match="KEY=VALUE"):
        imports.parse_settings(["oops"])
    assert "text" in imports.importer_kinds()


def test_the_imports_of_the_branch_are_listed(vault: Vault, script: Path) -> None:
    assert imports.list_imports(vault).imports == []
    done = imports.import_source(vault, "text", script)
    (row,) = imports.list_imports(vault).imports
    assert (row.id, row.importer, row.source, row.scenes) == (done.job, "text", "lighthouse.txt", ["the-lighthouse"])
    vault.undo()
    assert imports.list_imports(vault).imports == []
