"""Imports into a real vault: one commit through the vault's write path, or nothing at all."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from comfyvn_vault.adapters import (
    AdapterInfo,
    Plan,
    PlanBuilder,
    Source,
    apply_import,
    plan_import,
    story_view,
    write_export,
)
from comfyvn_vault.adapters.plaintext import TextExporter, TextExportOptions, TextImporter, TextOptions
from comfyvn_vault.domain.entities import Character, Scene
from comfyvn_vault.domain.validate import Lookup
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.ids import hash_bytes
from comfyvn_vault.vault import Vault

SCRIPT = b"# The Lighthouse\nMira: The lamp is out.\n> Wind rattles the glass.\nOld Tom: Again?\n"


def _head_doc(vault: Vault, path: str) -> object:
    return story_view(vault.history).lookup(path)


def test_an_import_is_one_commit_with_its_blob(vault: Vault) -> None:
    before = vault.history.head()
    result = apply_import(vault, TextImporter(), Source(SCRIPT, "light.txt"), TextOptions())  # type: ignore[arg-type]
    head = vault.history.head()
    assert result.commit is not None
    assert head is not None
    assert result.commit == head.hex()
    commit = vault.history.commit(head)
    assert commit.parents == ([before] if before is not None else [])
    assert commit.message == "Import light.txt with text@1: 1 scene, 2 characters, 1 asset"
    events = [e for _, e in vault.history.events_of(commit)]
    assert len(events) == result.events == 4
    assert {e.cause.ref for e in events} == {"text@1"}
    assert vault.store.has(hash_bytes(SCRIPT))
    assert result.blobs == 1
    scene = _head_doc(vault, "scenes/the-lighthouse")
    assert isinstance(scene, Scene)
    assert [n.speaker for n in scene.nodes] == ["Mira", None, "Old Tom"]
    assert _head_doc(vault, "characters/old-tom") == Character(id="old-tom", name="Old Tom")
    assert (vault.root / "scenes" / "the-lighthouse.toml").is_file()


def test_the_result_is_json_for_the_cli(vault: Vault) -> None:
    result = apply_import(vault, TextImporter(), Source(SCRIPT, "light.txt"), TextOptions())  # type: ignore[arg-type]
    doc = msgspec.json.decode(msgspec.json.encode(result))
    assert doc["importer"] == "text@1"
    assert doc["summary"]["scenes"] == ["the-lighthouse"]
    assert doc["summary"]["characters"] == ["mira", "old-tom"]


def test_importing_again_adds_a_scene_and_reuses_cast_and_asset(vault: Vault) -> None:
    apply_import(vault, TextImporter(), Source(SCRIPT, "light.txt"), TextOptions())  # type: ignore[arg-type]
    again = apply_import(vault, TextImporter(), Source(SCRIPT, "light.txt"), TextOptions())  # type: ignore[arg-type]
    assert again.summary.scenes == ["the-lighthouse-2"]
    assert again.summary.characters == []
    assert again.blobs == 0
    assert again.events == 1


def test_a_message_can_be_given(vault: Vault) -> None:
    result = apply_import(vault, TextImporter(), Source(SCRIPT), TextOptions(), message="Night one")  # type: ignore[arg-type]
    assert result.commit is not None
    assert vault.history.commit(vault.history.head()).message == "Night one"  # type: ignore[arg-type]


class _Clashing:
    """An importer whose plan creates a character the vault already has, and stores a blob."""

    info = AdapterInfo("clash", "1")
    options_type = TextOptions

    def plan(self, source: Source, options: TextOptions, lookup: Lookup) -> Plan:
        b = PlanBuilder(self.info, lambda path: None)  # blind to the story on purpose
        b.add_asset(b"clash bytes", kind="other", mime="application/octet-stream")
        b.save(Character(id="mira", name="Mira"))
        return b.build()


def test_a_plan_that_does_not_apply_changes_nothing(vault: Vault) -> None:
    apply_import(vault, TextImporter(), Source(SCRIPT), TextOptions())  # type: ignore[arg-type]
    head = vault.history.head()
    with pytest.raises(InputRejected, match="already exists"):
        apply_import(vault, _Clashing(), Source(b""), TextOptions())  # type: ignore[arg-type]
    assert vault.history.head() == head
    assert not vault.store.has(hash_bytes(b"clash bytes"))


def test_a_dry_run_plans_against_head_and_writes_nothing(vault: Vault) -> None:
    head = vault.history.head()
    plan = plan_import(vault, TextImporter(), Source(SCRIPT, "light.txt"), TextOptions())  # type: ignore[arg-type]
    assert plan.summary.scenes == ["the-lighthouse"]
    assert vault.history.head() == head
    assert not vault.store.has(hash_bytes(SCRIPT))
    with pytest.raises(InputRejected, match="no lines"):
        plan_import(vault, TextImporter(), Source(b"// nothing\n"), TextOptions())  # type: ignore[arg-type]


def test_an_imported_script_exports_from_head(vault: Vault, tmp_path: Path) -> None:
    apply_import(vault, TextImporter(), Source(SCRIPT, "light.txt"), TextOptions())  # type: ignore[arg-type]
    plan = TextExporter().plan(story_view(vault.history), TextExportOptions())
    assert write_export(plan, tmp_path / "out") == ["scenes/the-lighthouse.txt"]
    assert (tmp_path / "out/scenes/the-lighthouse.txt").read_bytes() == SCRIPT
