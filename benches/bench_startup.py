"""Benchmark 5: CLI start-up, as a user meets it.

Median wall time of ``comfyvn --help`` and ``comfyvn status`` (the venv's
console script, in a small vault) against ``git status`` in a small repository
holding the same files. The interpreter's own floor (``python -c pass``) and
the slowest imports of ``comfyvn status`` (``-X importtime``) go in the details.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from benches.common import BenchResult, Row, Timed, log, median_ms, meets_max, run_timed
from benches.context import Context
from benches.peers import comfyvn_bin, git_add_commit, git_init

STARTUP_MAX_MS = 100.0
LIBRARIES = "import comfyvn_vault.cli, argparse, pathlib, lmdb, blake3, zstandard"
#: ``comfyvn status`` may take at most this many times a bare ``python -c pass`` of the same venv.
FLOOR_RATIO_MAX = 4.0
WARMUP = 2
_IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def _samples(cmd: list[str | os.PathLike[str]], cwd: Path, env: dict[str, str], runs: int) -> list[Timed]:
    for _ in range(WARMUP):
        run_timed(cmd, cwd, env)
    return [run_timed(cmd, cwd, env) for _ in range(runs)]


def _wall(samples: list[Timed]) -> list[float]:
    return [t.seconds for t in samples]


def _cpu(samples: list[Timed]) -> list[float]:
    return [t.cpu_seconds for t in samples]


def slowest_imports(python: Path, cwd: Path, env: dict[str, str], top: int = 15) -> list[dict[str, Any]]:
    """The imports that cost ``comfyvn status`` the most (cumulative µs, any depth; ``-X importtime`` inflates them)."""
    timed = run_timed([python, "-X", "importtime", "-m", "comfyvn_vault", "status"], cwd, env)
    rows: list[dict[str, Any]] = []
    for line in timed.stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            depth = (len(m.group(3)) - 1) // 2
            rows.append(
                {"module": m.group(4), "self_us": int(m.group(1)), "cumulative_us": int(m.group(2)), "depth": depth}
            )
    return sorted(rows, key=lambda r: r["cumulative_us"], reverse=True)[:top]


def run_startup(ctx: Context) -> BenchResult:
    runs = ctx.sizes.startup_runs
    vault = ctx.folder("startup", "comfyvn")
    repo = ctx.folder("startup", "git")
    for folder in (vault, repo):
        for i in range(3):
            (folder / f"line_{i}.txt").write_text(f"a small file {i}\n" * 20)
    env = ctx.env.comfyvn()
    run_timed([comfyvn_bin(), "init", "."], vault, env)
    run_timed([comfyvn_bin(), "asset", "add", "line_0.txt", "line_1.txt", "line_2.txt"], vault, env)
    git_init(repo, ctx.env.git())
    git_add_commit(repo, ctx.env.git(), "small repo")

    log(f"startup: {runs} runs each of comfyvn --help, comfyvn status, git status")
    help_s = _samples([comfyvn_bin(), "--help"], vault, env, runs)
    status_s = _samples([comfyvn_bin(), "status"], vault, env, runs)
    git_s = _samples(["git", "status"], repo, ctx.env.git(), runs)
    uncached_s = _samples([comfyvn_bin(), "--help"], vault, ctx.env.comfyvn_uncached(), runs)
    python = comfyvn_bin().with_name("python")
    floor_s = _samples([python, "-c", "pass"], vault, env, runs)
    # What no comfyvn verb can start without: msgspec (loaded as the CLI loads it), argparse, pathlib, lmdb.
    libs_s = _samples([python, "-c", LIBRARIES], vault, env, runs)
    git_ms = median_ms(_wall(git_s))

    result = BenchResult("startup")
    for label, samples in (("comfyvn --help", help_s), ("comfyvn status", status_s)):
        ms = median_ms(_wall(samples))
        result.rows.append(
            Row(
                f"start-up: {label} (median of {runs})",
                "ms",
                ms,
                "git status",
                git_ms,
                target=f"< {STARTUP_MAX_MS:.0f} ms",
                met=meets_max(ms, STARTUP_MAX_MS),
                higher_is_better=False,
                note=f"CPU {median_ms(_cpu(samples)):.0f} vs {median_ms(_cpu(git_s)):.0f} ms",
            )
        )
    floor_ms = median_ms(_wall(floor_s))
    status_ms = median_ms(_wall(status_s))
    ratio = status_ms / floor_ms if floor_ms else None
    result.rows.append(
        Row(
            f"start-up: comfyvn status against the bare interpreter (median of {runs})",
            "ms",
            status_ms,
            "python -c pass",
            floor_ms,
            target=f"<= {FLOOR_RATIO_MAX:.0f}x python -c pass",
            met=None if ratio is None else ratio <= FLOOR_RATIO_MAX,
            higher_is_better=False,
            note=""
            if ratio is None
            else f"{ratio:.1f}x; the libraries alone ({LIBRARIES[7:]}) "
            f"{median_ms(_wall(libs_s)):.0f} ms, {median_ms(_wall(libs_s)) / floor_ms:.1f}x",
        )
    )
    measured = {
        "comfyvn --help": help_s,
        "comfyvn status": status_s,
        "git status": git_s,
        "python -c pass": floor_s,
        "the libraries every verb needs": libs_s,
        "comfyvn --help, PYTHONDONTWRITEBYTECODE=1": uncached_s,
    }
    result.details = {
        "runs": runs,
        "wall_ms": {k: [s * 1000 for s in _wall(v)] for k, v in measured.items()},
        "cpu_ms": {k: [s * 1000 for s in _cpu(v)] for k, v in measured.items()},
        "median_wall_ms": {k: median_ms(_wall(v)) for k, v in measured.items()},
        "median_cpu_ms": {k: median_ms(_cpu(v)) for k, v in measured.items()},
        "python_floor_median_ms": median_ms(_wall(floor_s)),
        "help_without_bytecode_cache_median_ms": median_ms(_wall(uncached_s)),
        "slowest_imports_of_status": slowest_imports(python, vault, env),
    }
    return result
