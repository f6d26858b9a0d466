"""A file whose extension names another known type than its bytes hold is taken for what it holds.

Real asset folders are like that (character cards, generator outputs,
downloads). The bytes decide the recorded MIME type, ``asset add`` warns in one
line, and ``--strict`` refuses (exit 3). Truncated files, bombs and files named
as media that hold no known media stay refused either way.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.assets.probe import probe_file
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.vault import Vault
from tests.assets import media
from tests.assets.conftest import state
from tests.conftest import assert_refused

#: Each recognised kind this machine can make: its MIME type, an extension, and a maker.
MAKERS: dict[str, tuple[str, str, Callable[[Path], Path]]] = {
    "png": ("image/png", ".png", lambda p: media.image(p, "PNG")),
    "jpeg": ("image/jpeg", ".jpg", lambda p: media.image(p, "JPEG")),
    "gif": ("image/gif", ".gif", lambda p: media.image(p, "GIF")),
    "webp": ("image/webp", ".webp", lambda p: media.image(p, "WEBP")),
    "bmp": ("image/bmp", ".bmp", lambda p: media.image(p, "BMP")),
    "tiff": ("image/tiff", ".tif", lambda p: media.image(p, "TIFF")),
    "wav": ("audio/wav", ".wav", media.wav),
    "flac": ("audio/flac", ".flac", media.flac),
}
PAIRS = [(named, real) for named, real in itertools.product(MAKERS, MAKERS) if named != real]


def _mislabelled(tmp_path: Path, named: str, real: str) -> Path:
    made = MAKERS[real][2](tmp_path / f"real{MAKERS[real][1]}")
    path = tmp_path / f"{real}-named-{named}{MAKERS[named][1]}"
    made.rename(path)
    return path


@pytest.mark.parametrize(("named", "real"), PAIRS)
def test_every_mislabelled_pair_is_taken_for_its_bytes(tmp_path: Path, named: str, real: str) -> None:
    path = _mislabelled(tmp_path, named, real)
    probe = probe_file(path)
    assert probe.mime == MAKERS[real][0]
    assert probe.warning is not None and len(probe.warning.splitlines()) == 1
    assert MAKERS[named][1] in probe.warning and MAKERS[real][0] in probe.warning
    if probe.kind == "image":
        assert (probe.width, probe.height) == (48, 32)
    else:
        assert probe.duration_ms == 500
    with pytest.raises(InputRejected, match="wrong extension"):
        probe_file(path, strict=True)


@pytest.mark.parametrize("kind", list(MAKERS))
def test_a_correctly_named_file_gives_no_warning(tmp_path: Path, kind: str) -> None:
    mime, suffix, make = MAKERS[kind]
    probe = probe_file(make(tmp_path / f"ok{suffix}"), strict=True)
    assert (probe.mime, probe.warning) == (mime, None)


def test_add_records_the_real_type_and_warns_once(vault_dir: Path, tmp_path: Path, cli: Any) -> None:
    card = _mislabelled(tmp_path, "png", "jpeg")
    before = state(vault_dir)
    assert_refused(cli("asset", "add", card, "--strict", cwd=vault_dir), 3, "wrong extension")
    assert state(vault_dir) == before
    result = cli("asset", "add", card, "--license", "MIT", "--json", cwd=vault_dir)
    assert result.code == 0, result.err
    (row,) = result.json()["assets"]
    assert row["mime"] == "image/jpeg" and row["kind"] == "image" and "image/jpeg" in row["warning"]
    warnings = [line for line in result.err.splitlines() if "named .png" in line]
    assert len(warnings) == 1 and "image/jpeg" in warnings[0]
    shown = cli("asset", "show", row["id"], "--json", cwd=vault_dir).json()
    assert shown["mime"] == "image/jpeg" and shown["width"] == 48
    again = cli("asset", "add", card, cwd=vault_dir)  # already registered: nothing to warn about
    assert again.code == 0 and "named .png" not in again.err


def test_truncated_and_bombs_and_non_media_stay_refused_when_mislabelled(vault: Vault, tmp_path: Path) -> None:
    cut = media.truncated(media.jpeg(tmp_path / "big.jpg", (400, 300)), tmp_path / "cut.png")
    bomb = media.bomb_png(tmp_path / "bomb.png").rename(tmp_path / "bomb.jpg")
    text = tmp_path / "voice.wav"
    text.write_text("not audio at all\n")
    for bad, word in ((cut, "cut.png"), (bomb, "decompression bomb"), (text, "wrong extension")):
        with pytest.raises(InputRejected, match=word):
            add_assets(vault, [bad], license="MIT")
