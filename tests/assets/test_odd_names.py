"""File names that are not UTF-8 (POSIX names are bytes) are added, stored and shown, never a crash."""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.assets.detect import safe_name
from tests.assets import media

NAMES = [b"bad\xffname.txt", b"caf\xe9.png", b"back\\slash\xfe.wav", b"ok-\xe3\x81\x82.txt"]


def _unescape(shown: str) -> bytes:
    """The bytes an escaped name stands for (the inverse of ``safe_name`` for a non-UTF-8 name)."""
    return codecs.escape_decode(shown.encode("utf-8"))[0]


@pytest.mark.parametrize("raw", NAMES)
def test_safe_name_keeps_every_byte(raw: bytes) -> None:
    name = os.fsdecode(raw)
    shown = safe_name(name)
    shown.encode("utf-8")  # always encodable
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        assert _unescape(shown) == raw
    else:
        assert shown == name


def test_asset_add_takes_names_that_are_not_utf8(vault_dir: Path, tmp_path: Path, cli: Any) -> None:
    makers = {".txt": lambda p: p.write_bytes(os.fsencode(p.name) + b"\n"), ".png": media.png, ".wav": media.wav}
    paths = []
    for raw in NAMES:
        path = Path(os.fsdecode(bytes(tmp_path) + b"/" + raw))
        makers[path.suffix](path)
        paths.append(path)
    result = cli("asset", "add", *paths, "--license", "MIT", "--json", cwd=vault_dir)
    assert result.code == 0, result.err
    rows = result.json()["assets"]
    assert [safe_name(str(p)) for p in paths] == [r["path"] for r in rows]
    listed = cli("asset", "list", "--json", cwd=vault_dir)
    assert listed.code == 0, listed.err
    names = {a["name"] for a in listed.json()["assets"]}
    assert names == {safe_name(p.name) for p in paths}
    assert "bad\\xffname.txt" in names and "ok-\u3042.txt" in names
    shown = cli("asset", "list", cwd=vault_dir)
    assert shown.code == 0 and "bad\\xffname.txt" in shown.out
    human = cli("asset", "add", paths[0], cwd=vault_dir)  # the human output prints the name too
    assert human.code == 0 and "bad\\xffname.txt" in human.out, human.err
