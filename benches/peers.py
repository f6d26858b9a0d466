"""The tools under test: comfyvn (the venv's console script), git, and DVC in a venv of its own.

Every tool runs with an environment that keeps it off the user's configuration
and off the network: git reads a config file in the work folder only, DVC's
analytics and update check are off and its global/site folders are in the work folder.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from benches.common import BenchError, Timed, log, run_timed

REPO = Path(__file__).resolve().parent.parent
COMFYVN = REPO / ".venv" / "bin" / "comfyvn"
RESULTS = REPO / "benches" / "results"
#: Kept between runs (gitignored): DVC's venv is built here once.
PERSISTENT_WORK = RESULTS / "work"
DVC_VENV = PERSISTENT_WORK / "dvc-venv"
DVC_SPEC = "dvc>=3.50"


def comfyvn_bin() -> Path:
    if not os.access(COMFYVN, os.X_OK):
        raise BenchError(f"{COMFYVN} is missing: run 'make setup' first")
    return COMFYVN


@dataclass(frozen=True)
class ToolEnv:
    """Environments for the child processes, rooted in one scratch folder."""

    scratch: Path

    def _base(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        # A user's Python caches bytecode; a shell with this set recompiles every module on every start.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["LC_ALL"] = "C"
        return env

    def comfyvn(self) -> dict[str, str]:
        """comfyvn's bytecode is cached in the scratch folder, so the repository gains no files."""
        env = self._base()
        env["PYTHONPYCACHEPREFIX"] = str(self.scratch / "pycache")
        return env

    def comfyvn_uncached(self) -> dict[str, str]:
        """As in a shell with ``PYTHONDONTWRITEBYTECODE=1``: the installed packages' bytecode is used,
        but comfyvn_vault (an editable install with no ``__pycache__``) is compiled on every start."""
        env = self._base()
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def git(self) -> dict[str, str]:
        config = self.scratch / "gitconfig"
        if not config.exists():
            config.write_text(
                "[user]\n\tname = Bench\n\temail = bench@example.invalid\n"
                "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
            )
        env = self._base()
        env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(config), GIT_TERMINAL_PROMPT="0")
        return env

    def dvc(self) -> dict[str, str]:
        folder = self.scratch / "dvc-global"
        (folder / "global").mkdir(parents=True, exist_ok=True)
        (folder / "system").mkdir(parents=True, exist_ok=True)
        config = folder / "global" / "config"
        if not config.exists():
            config.write_text("[core]\n    analytics = false\n    check_update = false\n")
        env = self.git()
        env.update(
            DVC_NO_ANALYTICS="1",
            DVC_GLOBAL_CONFIG_DIR=str(folder / "global"),
            DVC_SYSTEM_CONFIG_DIR=str(folder / "system"),
            DVC_SITE_CACHE_DIR=str(folder / "site-cache"),
        )
        return env


# ------------------------------------------------------------------ git


def git_init(repo: Path, env: dict[str, str]) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    run_timed(["git", "init", "-q"], repo, env)


def git_add_commit(repo: Path, env: dict[str, str], message: str) -> tuple[Timed, Timed]:
    """``git add -A`` then ``git commit``, each timed. "Nothing to commit" (exit 1) is fine."""
    add = run_timed(["git", "add", "-A"], repo, env)
    commit = run_timed(["git", "commit", "-q", "-m", message], repo, env, ok=(0, 1))
    return add, commit


# ------------------------------------------------------------------ dvc


@dataclass(frozen=True)
class Dvc:
    """DVC if it could be installed, else why not."""

    bin: Path | None
    version: str | None
    error: str | None

    @property
    def available(self) -> bool:
        return self.bin is not None

    def to_json(self) -> dict[str, Any]:
        return {"available": self.available, "version": self.version, "error": self.error, "venv": str(DVC_VENV)}


def ensure_dvc() -> Dvc:
    """DVC from its own venv, created with ``python3 -m venv`` and ``pip install dvc`` on first use."""
    dvc = DVC_VENV / "bin" / "dvc"
    if not dvc.exists():
        log(f"installing {DVC_SPEC} into {DVC_VENV} (first use; needs PyPI)")
        python = shutil.which("python3") or sys.executable
        shutil.rmtree(DVC_VENV, ignore_errors=True)
        DVC_VENV.parent.mkdir(parents=True, exist_ok=True)
        steps = [
            [python, "-m", "venv", str(DVC_VENV)],
            [str(DVC_VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", DVC_SPEC],
        ]
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                shutil.rmtree(DVC_VENV, ignore_errors=True)
                lines = [ln for ln in proc.stderr.splitlines() if not ln.startswith("WARNING: Location")]
                error = f"{' '.join(step[:3])}… exited {proc.returncode}: {' / '.join(lines[-5:])}"
                log(f"DVC unavailable: {error}")
                return Dvc(None, None, error)
    proc = subprocess.run([str(dvc), "--version"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return Dvc(None, None, f"dvc --version exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return Dvc(dvc, proc.stdout.strip(), None)


def dvc_init(dvc: Path, repo: Path, env: dict[str, str]) -> None:
    """A git repository with DVC initialised in it (the usual set-up), analytics and updates off."""
    git_init(repo, env)
    run_timed([dvc, "init", "-q"], repo, env)
    run_timed([dvc, "config", "core.analytics", "false"], repo, env)
    run_timed([dvc, "config", "core.check_update", "false"], repo, env)


def warm_up(env: ToolEnv, dvc: Dvc) -> None:
    """Use every tool once on a tiny input so bytecode and the tools' own files are cached before timing."""
    base = env.scratch / "warm-up"
    vault = base / "comfyvn"
    vault.mkdir(parents=True)
    (vault / "a.txt").write_text("warm-up\n" * 100)
    for cmd in (["init", "."], ["asset", "add", "a.txt"], ["status"], ["fsck"], ["--help"]):
        run_timed([comfyvn_bin(), *cmd], vault, env.comfyvn())
    repo = base / "git"
    git_init(repo, env.git())
    (repo / "a.txt").write_text("warm-up\n")
    git_add_commit(repo, env.git(), "warm-up")
    if dvc.bin is not None:
        repo = base / "dvc"
        dvc_init(dvc.bin, repo, env.dvc())
        (repo / "a.txt").write_text("warm-up\n")
        run_timed([dvc.bin, "add", "-q", "a.txt"], repo, env.dvc())
    shutil.rmtree(base)


# ------------------------------------------------------------------ machine


def _first_line(cmd: list[str]) -> str | None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return proc.stdout.strip().splitlines()[0] if proc.returncode == 0 and proc.stdout.strip() else None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def source_state() -> dict[str, Any]:
    """The commit the package was measured at, and whether its sources differed from it."""
    head = _first_line(["git", "-C", str(REPO), "rev-parse", "HEAD"])
    proc = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "comfyvn_vault"],
        capture_output=True,
        text=True,
        check=False,
    )
    changed = [line[3:] for line in proc.stdout.splitlines()] if proc.returncode == 0 else None
    return {"commit": head, "uncommitted_package_files": changed}


def machine_info(dvc: Dvc | None) -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_bytes": memory_total(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "git": _first_line(["git", "--version"]),
        "dvc": dvc.version if dvc and dvc.available else None,
        "comfyvn": _package_version("comfyvn-vault"),
        "comfyvn_source": source_state(),
        "filesystem": _first_line(["stat", "-f", "-c", "%T", str(RESULTS)]),
    }
