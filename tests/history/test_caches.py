"""History's caches of decoded objects stay bounded, and closing a vault empties them."""

from __future__ import annotations

from pathlib import Path

import pytest

from comfyvn_vault.api import edit
from comfyvn_vault.history import reads
from comfyvn_vault.vault import Vault


def test_decoded_documents_and_commits_stay_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "DOC_CACHE", 4)
    monkeypatch.setattr(reads, "COMMIT_CACHE", 5)
    v, _ = Vault.init(tmp_path / "v")
    with v:
        for i in range(12):
            edit.scene_new(v, f"Scene {i}", f"s{i}")
            assert len(v.history._docs) <= 4
            assert len(v.history._commits) <= 5
        # what was dropped is read back from the store
        assert [s.id for s in edit.entity_list(v, "scenes")] == sorted(f"s{i}" for i in range(12))
        assert len(list(v.history.log(v.history.head(), None))) == 13


def test_closing_a_vault_drops_its_caches(tmp_path: Path) -> None:
    v, _ = Vault.init(tmp_path / "v")
    edit.scene_new(v, "Harbour", "harbour")
    edit.node_add(v, "harbour", content="The lamp turned.")
    assert v.history._docs and v.history._commits and v.history.trees.cache
    v.close()
    assert not v.history._docs and not v.history._commits and not v.history.trees.cache
