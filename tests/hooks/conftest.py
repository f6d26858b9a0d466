"""Vaults with hooks installed (real executables in ``.comfyvn/hooks/``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli


def install(root: Path, name: str, script: str) -> Path:
    folder = root / ".comfyvn" / "hooks"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(script)
    path.chmod(0o755)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "story"
    assert run_cli("init", root).code == 0
    assert run_cli("scene", "new", "The Lighthouse", "--id", "intro", cwd=root).code == 0
    assert run_cli("scene", "node", "add", "intro", "--speaker", "Alice", "--content", "Hello.", cwd=root).code == 0
    return root


def head(root: Path) -> str:
    doc = run_cli("log", "-n", "1", "--json", cwd=root).json()
    return str(doc["commits"][0]["id"])


def op_count(root: Path) -> int:
    return len(run_cli("op", "log", "--json", cwd=root).json()["operations"])
