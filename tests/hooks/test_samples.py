"""The sample hooks in the top-level ``hooks/`` folder, installed in a real vault."""

from __future__ import annotations

import shutil
from pathlib import Path

from comfyvn_vault import hooks
from comfyvn_vault.vault import Vault
from tests.conftest import REPO, run_cli
from tests.hooks.conftest import head

SAMPLES = REPO / "hooks"


def install_sample(root: Path, sample: str, as_name: str) -> Path:
    target = root / ".comfyvn" / "hooks" / as_name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLES / sample, target)
    target.chmod(0o755)
    return target


def test_every_sample_is_executable_and_documented() -> None:
    readme = (SAMPLES / "README.md").read_text()
    samples = [p for p in SAMPLES.iterdir() if p.name != "README.md"]
    assert len(samples) >= 5
    for p in samples:
        assert p.stat().st_mode & 0o111, f"{p.name} is not executable"
        assert f"`{p.name}`" in readme, f"{p.name} is not in hooks/README.md"


def test_pre_commit_no_todo_vetoes_unfinished_dialogue(root: Path) -> None:
    install_sample(root, "pre-commit-no-todo", "pre-commit")
    before = head(root)
    r = run_cli("scene", "node", "add", "intro", "--speaker", "Alice", "--content", "TODO: the reveal", cwd=root)
    assert r.code == 3
    assert "pre-commit hook vetoed the commit: unfinished text (TODO/TBD/FIXME/XXX) in NodeAdded" in r.err
    assert head(root) == before
    r = run_cli("scene", "node", "add", "intro", "--speaker", "Alice", "--content", "The reveal.", cwd=root)
    assert r.code == 0, r.err


def test_post_commit_lint_reports_unknown_speakers_and_the_commit_stands(root: Path) -> None:
    install_sample(root, "post-commit-lint", "post-commit")
    assert run_cli("character", "new", "Alice", cwd=root).code == 0
    r = run_cli("scene", "node", "add", "intro", "--speaker", "Zed", "--content", "Who are you?", "--json", cwd=root)
    assert r.code == 0, r.err
    assert "lint: scenes/intro#n2: speaker 'Zed' is not a character" in r.err
    assert "post-commit hook failed: " in r.err and "lint problem(s)" in r.err
    assert head(root) == r.json()["commit"]
    r = run_cli("scene", "node", "edit", "intro", "n2", "--speaker", "Alice", cwd=root)
    assert r.code == 0 and "hook failed" not in r.err, r.err


def test_post_commit_voice_lists_or_generates_missing_lines(root: Path) -> None:
    install_sample(root, "post-commit-voice", "post-commit")
    r = run_cli("scene", "node", "add", "intro", "--speaker", "Alice", "--content", "Listen.", cwd=root)
    assert r.code == 0, r.err
    assert "voice:" in r.err and "hook failed" not in r.err


def test_post_import_advisory_runs_at_the_import_call_point(root: Path) -> None:
    install_sample(root, "post-import-advisory", "post-import")
    seen: list[hooks.HookResult] = []
    with Vault.open(root) as v:
        v.hook_reporter = seen.append
        hooks.post_import(v, {"schema": "comfyvn.import/1", "job": "test", "scenes": [], "assets": []})
    (result,) = seen
    assert result.ok, result.output
    assert "advisory:" in result.output


def test_run_parts_runs_each_part_with_the_same_input_and_a_failing_part_vetoes(root: Path) -> None:
    install_sample(root, "run-parts", "pre-commit")
    parts = root / ".comfyvn" / "hooks" / "pre-commit.d"
    parts.mkdir()
    shutil.copy(SAMPLES / "pre-commit-no-todo", parts / "10-no-todo")
    (parts / "20-count").write_text('#!/bin/sh\ngrep -o \'"hook":"pre-commit"\' && echo counted\n')
    for p in parts.iterdir():
        p.chmod(0o755)
    r = run_cli("scene", "node", "add", "intro", "--content", "Fine.", cwd=root)
    assert r.code == 0 and "counted" in r.err, r.err
    r = run_cli("scene", "node", "add", "intro", "--content", "XXX later", cwd=root)
    assert r.code == 3 and "vetoed the commit: unfinished text" in r.err and "counted" not in r.err
    assert r.err.count("unfinished text") == 1
