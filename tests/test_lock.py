"""The environment is what ``uv.lock`` pins, and the lock agrees with ``pyproject.toml``."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "uv.lock"
# The project itself, and what ``python -m venv`` puts in every venv before the set-up runs
# (setuptools is locked only for the bench extra, which the set-up does not install).
VENV_OWN = {"comfyvn-vault", "pip", "setuptools"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, set[str]]:
    """Each locked package's versions (one per platform where wheels differ)."""
    data = tomllib.loads(LOCK.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {}
    for package in data["package"]:
        if "version" in package:
            out.setdefault(_canonical(package["name"]), set()).add(package["version"])
    return out


def _direct() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [_canonical(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0]) for r in reqs]


def test_lock_matches_pyproject() -> None:
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        pytest.skip("uv is not installed in this environment (the set-up installs it)")
    proc = subprocess.run(
        [str(uv), "lock", "--check", "--offline"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def test_every_direct_dependency_is_installed_at_its_locked_version() -> None:
    locked = _locked()
    for name in _direct():
        assert name in locked, f"{name} is not in uv.lock: run `uv lock`"
        installed = metadata.version(name)
        assert installed in locked[name], f"{name}: installed {installed}, locked {sorted(locked[name])}"


def test_every_locked_package_that_is_installed_has_the_locked_version() -> None:
    locked = _locked()
    wrong = {
        dist.metadata["Name"]: (dist.version, locked[key])
        for dist in metadata.distributions()
        if (key := _canonical(dist.metadata["Name"])) in locked
        and dist.version not in locked[key]
        and key not in VENV_OWN
    }
    assert not wrong, f"installed versions differ from uv.lock (run the set-up): {wrong}"
