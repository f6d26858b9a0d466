"""``comfyvn export`` as typed: a character card out and back in, and bad input refused in one line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "importers" / "fixtures" / "card"


def test_a_card_goes_out_and_comes_back_the_same(vault_dir: Path, tmp_path: Path, cli: Any) -> None:
    shutil.copy(FIXTURES / "v2.json", vault_dir / "card.json")
    made = cli("import", "card", "card.json", "--json", cwd=vault_dir)
    assert made.code == 0, made.err
    (character,) = made.json()["characters"]
    out = tmp_path / "out" / "hero.png"
    r = cli("export", "card", character, str(out), "--json", cwd=vault_dir)
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["schema"] == "comfyvn.export/1" and doc["files"] == ["hero.png"] and out.read_bytes()[:4] == b"\x89PNG"
    shown = cli("show", f"characters/{character}", "--json", cwd=vault_dir).json()
    other = tmp_path / "other"
    assert cli("init", str(other)).code == 0
    back = cli("import", "card", str(out), "--json", cwd=other)
    assert back.code == 0, back.err
    again = cli("show", f"characters/{back.json()['characters'][0]}", "--json", cwd=other).json()
    assert again["document"]["name"] == shown["document"]["name"]
    assert again["document"]["traits"] == shown["document"]["traits"]


def test_bad_exports_are_one_line_and_exit_3(vault_dir: Path, tmp_path: Path, cli: Any) -> None:
    for argv, message in (
        (("export", "crad", str(tmp_path / "x.png")), "did you mean 'card'"),
        (("export", "card", "nobody", str(tmp_path / "x.png")), "nobody"),
        (("export", "text", "someone", str(tmp_path / "out")), "whole story"),
    ):
        r = cli(*argv, cwd=vault_dir)
        assert r.code == 3, (argv, r.err)
        assert r.err.count("\n") == 1 and message in r.err, r.err
    assert not (tmp_path / "x.png").exists()


def test_a_ren_py_export_is_refused_with_file_and_line_while_the_story_has_errors(
    vault_dir: Path, tmp_path: Path, cli: Any
) -> None:
    assert cli("scene", "new", "Harbour", "--id", "harbour", cwd=vault_dir).code == 0
    assert cli("scene", "node", "add", "harbour", "--content", "Hi", cwd=vault_dir).code == 0
    scene = vault_dir / "scenes" / "harbour.toml"
    scene.write_text(scene.read_text().replace('content = "Hi"', 'content = "Hi"\nconditions = ["x >>= ("]'))
    assert cli("commit", "-m", "A condition that does not read", cwd=vault_dir).code == 0
    out = tmp_path / "game"
    r = cli("export", "renpy", str(out), cwd=vault_dir)
    assert r.code == 1, r.err
    assert "scenes/harbour.toml:" in r.err and "error:" in r.err and "--force" in r.err.splitlines()[-1]
    assert not out.exists()
    r = cli("export", "renpy", str(out), "--force", "--json", cwd=vault_dir)
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["exporter"] == "renpy@1" and "game/story.rpy" in doc["files"]
    assert [f["kind"] for f in doc["findings"]] == ["bad-condition"] and doc["notes"]
    assert (
        'label harbour:\n    # Harbour\n    if (False):\n        "Hi"\n        return\n    return\n'
        in (out / "game" / "story.rpy").read_text()
    )
    bad = cli("export", "renpy", str(out), "-o", "media=sometimes", cwd=vault_dir)
    assert bad.code == 3 and bad.err.count("\n") == 1, bad.err
