"""Shared fixtures: real LMDB vaults in temp dirs and a runner for the real CLI."""

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
