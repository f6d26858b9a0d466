"""Shared fixtures and helpers: real LMDB vaults in temp dirs, a runner for the real CLI, a forked story."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.api import edit
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.store.memory import MemoryObjectStore
from comfyvn_vault.vault import Vault

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str
    stdout_bytes: bytes

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    input: bytes | None = None,
) -> Result:
    """Run the real ``comfyvn`` in a subprocess, as a user or a script would."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "comfyvn_vault", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        timeout=timeout,
        input=input,
    )
    return Result(
        proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"), proc.stdout
    )


def cli_ok(root: Path, *args: str | os.PathLike[str]) -> Result:
    """``comfyvn -C ROOT ARGS…``, which must succeed: a step on the way to what a test checks."""
    r = run_cli("-C", root, *args)
    assert r.code == 0, (args, r.err)
    return r


def assert_refused(r: Result, code: int, *words: str) -> None:
    """Exit ``code``, exactly one ``comfyvn: …`` line on stderr, nothing on stdout."""
    assert r.code == code, (r.code, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("comfyvn: "), r.err
    assert "Traceback" not in r.err and "internal error" not in r.err, r.err
    assert r.out == "", r.out
    for word in words:
        assert word in lines[0], (word, lines[0])


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        check=True,
        text=True,
    )
    return set(out.stdout.split())


@pytest.fixture
def cli() -> Any:
    return run_cli


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    """An initialised, empty vault folder."""
    root = tmp_path / "vault"
    vault, _ = Vault.init(root)
    vault.close()
    return root


@pytest.fixture
def vault(vault_dir: Path) -> Iterator[Vault]:
    v = Vault.open(vault_dir)
    yield v
    v.close()


def fork_story(vault: Vault) -> Vault:
    """main and alt, forked after a two-line scene (the merge tests' starting point)."""
    edit.scene_new(vault, "Intro", "intro")
    edit.node_add(vault, "intro", speaker="Alice", content="The lamp is dark tonight")
    edit.node_add(vault, "intro", speaker="Bob", content="Who lit it?")
    vault.branch_create("alt")
    return vault


@pytest.fixture
def disk_store(tmp_path: Path) -> Iterator[DiskObjectStore]:
    store = DiskObjectStore.create(tmp_path / "store", lock_timeout=5)
    yield store
    store.close()


@pytest.fixture(params=["disk", "memory"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Each store implementation, for tests of the shared interface."""
    if request.param == "memory":
        yield MemoryObjectStore()
        return
    store = DiskObjectStore.create(tmp_path / "store", lock_timeout=5)
    yield store
    store.close()
