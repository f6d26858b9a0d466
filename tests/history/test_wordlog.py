"""The word index's log: small commits append their word changes to one key,
searches merge the unfolded log, folds keep the index identical to a rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest

from comfyvn_vault.api import edit
from comfyvn_vault.projections import search
from comfyvn_vault.projections.search import DB_WORD, DB_WORDLOG
from comfyvn_vault.vault import Vault


def counts(v: Vault) -> tuple[int, int]:
    with v.store.env.begin() as txn:
        return (
            txn.stat(v.projections.dbs[DB_WORD])["entries"],
            txn.stat(v.projections.dbs[DB_WORDLOG])["entries"],
        )


def test_small_commits_log_words_and_search_sees_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "WORDLOG_FOLD", 40)
    v, _ = Vault.init(tmp_path / "vault")
    with v:
        edit.scene_new(v, "Harbour", scene_id="harbour")
        edit.node_add(v, "harbour", speaker="Alice", content="The lamp turned tonight.")
        assert counts(v)[1] > 0  # logged, not yet folded
        assert v.projections.search("lamp") == [("harbour", "n1")]
        edit.node_edit(v, "harbour", "n1", content="The ferry left at dawn.")
        assert v.projections.search("lamp") == []  # a logged delete hides the indexed key
        assert v.projections.search("ferr") == [("harbour", "n1")]  # prefix of the last word
        assert v.reindex(verify=True)["identical"]
        for i in range(12):  # past the fold threshold: the log empties into the index
            edit.node_add(v, "harbour", speaker="Bob", content=f"Gull number {i} circles the ferry.")
        in_index, in_log = counts(v)
        assert in_index > 0 and in_log < 12
        assert len(v.projections.search("gull ferry")) == 12
        assert v.reindex(verify=True)["identical"]


def test_a_bulk_commit_folds_the_log_before_writing_the_index(tmp_path: Path) -> None:
    from comfyvn_vault.domain.entities import Node, Scene
    from comfyvn_vault.domain.events import Cause, SceneCreated

    v, _ = Vault.init(tmp_path / "vault")
    with v:
        edit.scene_new(v, "Harbour", scene_id="harbour")
        edit.node_add(v, "harbour", content="A lamp in the fog.")
        assert counts(v)[1] > 0
        cause = Cause(kind="import", ref="test")
        scenes = [
            SceneCreated(
                scene=Scene(id=f"s{i}", title=f"S{i}", nodes=[Node(id="n1", content=f"lamp {i}")]), cause=cause
            )
            for i in range(20)
        ]
        v.record(scenes, "Import twenty scenes")  # more documents than a small commit: direct writes
        assert counts(v)[1] == 0
        assert len(v.projections.search("lamp")) == 21
        assert v.reindex(verify=True)["identical"]
    # Another process (a fresh open) sees the same, log or not.
    with Vault.open(tmp_path / "vault") as again:
        edit.node_edit(again, "harbour", "n1", content="Only fog now.")
    with Vault.open(tmp_path / "vault") as third:
        assert len(third.projections.search("lamp")) == 20
        assert third.projections.search("fog") == [("harbour", "n1")]
