"""Benchmark 4: peak resident memory while adding one big random file.

The file is written in 8 MiB pieces (the bench never holds it) and hard-linked
into a fresh vault, a fresh git repository and a fresh DVC repository. Each add
runs under ``benches/maxrss.py``, a fresh helper process whose
``RUSAGE_CHILDREN`` peak is that one command's; it also polls /proc to split
the peak into anonymous and file-backed pages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benches.common import MB, BenchError, BenchResult, Row, log, mb_per_s, meets_max, run_timed
from benches.context import Context
from benches.corpus import make_big_file
from benches.peers import comfyvn_bin, dvc_init, git_init

RSS_MAX_MB = 200.0
HELPER = Path(__file__).with_name("maxrss.py")


def measure(cmd: list[str | os.PathLike[str]], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Peak memory and wall time of ``cmd``, from the standalone helper."""
    argv = [os.fspath(c) for c in cmd]
    proc = subprocess.run([sys.executable, str(HELPER), *argv], cwd=cwd, env=env, capture_output=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"maxrss helper failed: {proc.stderr.decode(errors='replace')[-500:]}")
    report: dict[str, Any] = json.loads(proc.stdout)
    if report["returncode"] != 0:
        raise BenchError(f"{' '.join(argv)} exited {report['returncode']}: {report['stderr_tail']}")
    return report


def _peak_mb(report: dict[str, Any] | None) -> float | None:
    return None if report is None else report["ru_maxrss_kib"] * 1024 / MB


def _anon_mb(report: dict[str, Any] | None) -> float | None:
    return None if report is None else report["polled_peak_kib"]["rssanon"] * 1024 / MB


def run_rss(ctx: Context) -> BenchResult:
    size = ctx.sizes.big_bytes
    base = ctx.folder("rss")
    log(f"rss: writing a {size / 1e9:.1f} GB random file")
    big = make_big_file(base / "big.bin", size)

    vault = ctx.folder("rss", "comfyvn")
    run_timed([comfyvn_bin(), "init", "."], vault, ctx.env.comfyvn())
    os.link(big, vault / "big.bin")
    git_repo = base / "git"
    git_init(git_repo, ctx.env.git())
    os.link(big, git_repo / "big.bin")

    log("rss: comfyvn asset add big.bin")
    reports: dict[str, dict[str, Any] | None] = {
        "comfyvn": measure([comfyvn_bin(), "asset", "add", "big.bin"], vault, ctx.env.comfyvn())
    }
    log("rss: git add big.bin")
    reports["git"] = measure(["git", "add", "big.bin"], git_repo, ctx.env.git())
    reports["dvc"] = None
    if ctx.dvc.bin is not None:
        dvc_repo = base / "dvc"
        dvc_init(ctx.dvc.bin, dvc_repo, ctx.env.dvc())
        os.link(big, dvc_repo / "big.bin")
        log("rss: dvc add big.bin")
        reports["dvc"] = measure([ctx.dvc.bin, "add", "-q", "big.bin"], dvc_repo, ctx.env.dvc())

    c = _peak_mb(reports["comfyvn"])
    label = f"peak RSS adding {size / 1e9:.1f} GB file"
    result = BenchResult("rss")
    for peer in ("git", "dvc"):
        row = Row(label, "MB", c, f"{peer} add", _peak_mb(reports[peer]), "(reported)", None, higher_is_better=False)
        if peer == "git":
            row.target, row.met = f"< {RSS_MAX_MB:.0f} MB", meets_max(c, RSS_MAX_MB)
        elif reports[peer] is None:
            row.note = "DVC unavailable"
        result.rows.append(row)
    result.rows.append(
        Row(
            f"peak anonymous RSS adding {size / 1e9:.1f} GB file",
            "MB",
            _anon_mb(reports["comfyvn"]),
            "git add",
            _anon_mb(reports["git"]),
            "(context)",
            None,
            higher_is_better=False,
            note="polled every 10 ms; excludes file-backed pages such as an mmap of the input",
        )
    )
    result.details = {
        "bytes": size,
        "reports": reports,
        "add_mb_per_s": {k: (mb_per_s(size, r["wall_s"]) if r else None) for k, r in reports.items()},
    }
    return result
