"""``comfyvn import`` as a user types it: what it prints, its exit codes, its --json document."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_import_prints_what_it_made_and_a_repeat_says_nothing_new(vault_dir: Path, cli: Any) -> None:
    (vault_dir / "chat.txt").write_text("# Night\nMira: Hello.\nTom: Hi.\n")
    r = cli("import", "text", "chat.txt", cwd=vault_dir)
    assert r.code == 0, r.err
    assert "imported chat.txt with text@1: 1 scene, 2 characters, 1 asset (commit " in r.err
    assert r.out.strip() == "scenes/night"
    again = cli("import", "text", "chat.txt", "--json", cwd=vault_dir)
    assert again.code == 0
    doc = again.json()
    assert set(doc) >= {"schema", "job", "scenes", "characters", "assets", "findings", "commit"}
    assert doc["schema"] == "comfyvn.import/1" and doc["already"] is True and doc["commit"] is None
    assert cli("import", "text", "chat.txt", cwd=vault_dir).err.count("nothing new") == 1
    undo = cli("undo", cwd=vault_dir)
    assert undo.code == 0 and cli("import", "text", "chat.txt", "--dry-run", cwd=vault_dir).err.startswith(
        "would import chat.txt with text@1: 1 scene, 2 characters"
    )


def test_bad_input_is_one_line_and_exit_3(vault_dir: Path, cli: Any) -> None:
    (vault_dir / "binary.txt").write_bytes(b"\x00\xff\xfe garbage")
    status = cli("status", "--json", cwd=vault_dir).out
    for argv, message in (
        (("import", "txt", "binary.txt"), "did you mean 'text'"),
        (("import", "text", "binary.txt"), "binary.txt"),
        (("import", "text", "nowhere.txt"), "no such file or folder"),
        (("import", "text", "binary.txt", "-o", "nonsense"), "KEY=VALUE"),
    ):
        r = cli(*argv, cwd=vault_dir)
        assert r.code == 3, (argv, r.err)
        assert r.err.count("\n") == 1 and message in r.err and "Traceback" not in r.err
    assert cli("status", "--json", cwd=vault_dir).out == status
