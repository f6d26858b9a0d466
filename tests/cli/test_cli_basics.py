"""The real ``comfyvn`` binary: verbs, --json shapes and exit codes from docs/cli.md."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from comfyvn_vault.store.ids import hash_bytes


def test_init_add_show_fsck_gc(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "v"
    r = cli("init", root, "--json")
    assert r.code == 0 and r.json() == {"schema": "comfyvn.init/1", "path": str(root.resolve()), "created": True}
    assert cli("init", root, "--json").json()["created"] is False

    big = os.urandom(1_500_000)
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "line.txt").write_text("Alice: hello\n")
    r = cli("-C", root, "asset", "add", tmp_path / "big.bin", tmp_path / "line.txt", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["schema"] == "comfyvn.asset-add/1"
    assert [a["new"] for a in doc["assets"]] == [True, True]
    assert doc["assets"][0]["id"] == hash_bytes(big).hex()
    assert doc["assets"][0]["bytes"] == len(big)
    again = cli("-C", root, "asset", "add", tmp_path / "big.bin", "--json").json()
    assert again["assets"][0]["new"] is False

    # show: the bytes themselves, or metadata with --json; prefixes resolve
    r = cli("-C", root, "show", doc["assets"][0]["id"][:10])
    assert r.code == 0 and r.stdout_bytes == big
    meta = cli("-C", root, "show", doc["assets"][1]["id"], "--json").json()
    assert meta["kind"] == "blob" and meta["bytes"] == len("Alice: hello\n")

    status = cli("-C", root, "status", "--json").json()
    assert {"schema", "branch", "head", "changes", "conflicts"} <= status.keys()
    assert status["branch"] == "main"
    objects = status["objects"]

    fsck = cli("-C", root, "fsck", "--json")
    assert fsck.code == 0
    assert fsck.json()["problems"] == [] and fsck.json()["objects"] == objects

    gc = cli("-C", root, "gc", "--json").json()
    assert gc["removed"] == 0 and gc["kept"] == objects


def test_outside_a_vault_is_a_usage_error(tmp_path: Path, cli: Any) -> None:
    r = cli("-C", tmp_path, "status")
    assert r.code == 2
    assert "not inside a vault" in r.err and "Traceback" not in r.err


def test_unknown_verb_is_usage_error(cli: Any) -> None:
    assert cli("frobnicate").code == 2


def test_help_lists_verbs(cli: Any) -> None:
    r = cli("--help")
    assert r.code == 0
    for verb in ("init", "status", "show", "fsck", "gc", "asset"):
        assert verb in r.out
