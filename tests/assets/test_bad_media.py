"""Bad media: bombs, truncated files, non-media named as media and unknown ids give exit 3 and change nothing.

A file named as one media type holding another is accepted with a warning: see test_mislabelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.vault import Vault
from tests.assets import media
from tests.assets.conftest import state
from tests.conftest import assert_refused


@pytest.fixture
def seeded(vault_dir: Path, tmp_path: Path) -> Path:
    with Vault.open(vault_dir) as v:
        add_assets(v, [media.png(tmp_path / "seed.png"), media.wav(tmp_path / "seed.wav")])
    return vault_dir


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = media.png(tmp_path / "src.png", (300, 200))
    good_wav = media.wav(tmp_path / "src.wav", seconds=1.0)
    text_wav = tmp_path / "voice.wav"
    text_wav.write_text("not audio at all\n")
    return {
        "bomb": (media.bomb_png(tmp_path / "bomb.png"), "decompression bomb"),
        "truncated-png": (media.truncated(good, tmp_path / "cut.png"), "cut.png"),
        "truncated-jpeg": (media.truncated(media.jpeg(tmp_path / "j2.jpg", (400, 300)), tmp_path / "cut.jpg"), "cut"),
        "truncated-wav": (media.truncated(good_wav, tmp_path / "cut.wav"), "truncated"),
        "text-named-wav": (text_wav, "wrong extension"),
    }


@pytest.mark.parametrize("which", ["bomb", "truncated-png", "truncated-jpeg", "truncated-wav", "text-named-wav"])
def test_bad_file_with_a_good_one_is_refused_whole(seeded: Path, tmp_path: Path, which: str) -> None:
    bad, word = _bad_files(tmp_path)[which]
    good = media.png(tmp_path / "fresh.png", color=(1, 2, 3))
    before = state(seeded)
    with Vault.open(seeded) as v, pytest.raises(InputRejected, match=word):
        add_assets(v, [good, bad])
    assert state(seeded) == before


def test_cli_refusals_exit_3_and_change_nothing(seeded: Path, tmp_path: Path, cli: Any) -> None:
    files = _bad_files(tmp_path)
    before = state(seeded)
    for bad, word in files.values():
        assert_refused(cli("-C", seeded, "asset", "add", bad), 3, word)
    for args in (
        ["asset", "show", "deadbeef"],
        ["asset", "show", "zz"],
        ["asset", "export", "deadbeef", tmp_path / "o.png"],
        ["lineage", "deadbeef"],
        ["lineage", "deadbeef", "--used-by"],
        ["advisory", "resolve", "nope", "--waive"],
    ):
        assert_refused(cli("-C", seeded, *args), 3)
    assert state(seeded) == before
