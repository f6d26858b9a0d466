"""The maintenance verbs in-process: init, fsck, gc and reindex on real vaults, damaged ones included."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec
import pytest

from comfyvn_vault.api import Vault, history, maintenance
from comfyvn_vault.errors import InputRejected, NotAVault


def test_init_makes_a_vault_once(tmp_path: Path) -> None:
    made = maintenance.init(tmp_path / "new")
    assert made.created and made.path == str((tmp_path / "new").resolve())
    again = maintenance.init(tmp_path / "new")
    assert not again.created
    assert msgspec.to_builtins(again) == {"schema": "comfyvn.init/1", "path": made.path, "created": False}
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(InputRejected, match="not a folder"):
        maintenance.init(tmp_path / "file")


def test_fsck_gc_and_reindex_of_a_sound_vault(vault_dir: Path) -> None:
    checked = maintenance.fsck(vault_dir)
    assert checked.clean and checked.objects > 0 and checked.problems == []
    with Vault.open(vault_dir) as vault:
        assert maintenance.total_bytes(vault) > 0
        collected = maintenance.gc(vault)
        assert collected.removed == 0 and collected.kept > 0
        verified = maintenance.reindex_check(vault)
        assert verified.identical and verified.differ == []
    rebuilt = maintenance.reindex(vault_dir)
    assert not rebuilt.index_rebuilt and rebuilt.events >= 0
    assert msgspec.to_builtins(rebuilt)["schema"] == "comfyvn.reindex/1"


def test_fsck_reports_a_missing_index_and_reindex_rebuilds_it(vault_dir: Path) -> None:
    with Vault.open(vault_dir) as vault:
        head = history.log(vault).commits[0].id
    shutil.rmtree(vault_dir / ".comfyvn" / "index")
    checked = maintenance.fsck(vault_dir)
    assert not checked.clean and [p.kind for p in checked.problems] == ["damaged"]
    rebuilt = maintenance.reindex(vault_dir)
    assert rebuilt.index_rebuilt
    assert maintenance.fsck(vault_dir).clean
    with Vault.open(vault_dir) as vault:
        assert history.log(vault).commits[0].id == head


def test_fsck_and_reindex_outside_a_vault_say_so(tmp_path: Path) -> None:
    with pytest.raises(NotAVault):
        maintenance.fsck(tmp_path)
    with pytest.raises(NotAVault):
        maintenance.reindex(tmp_path)


def test_fsck_progress_is_told_the_bytes_to_check(vault_dir: Path) -> None:
    from collections.abc import Callable, Iterator
    from contextlib import contextmanager

    told: list[tuple[str, int]] = []
    ticks: list[int] = []

    @contextmanager
    def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
        told.append((label, total))
        yield ticks.append

    assert maintenance.fsck(vault_dir, progress).clean
    assert told and told[0][0] == "fsck" and told[0][1] > 0 and sum(ticks) > 0
