"""Benchmark 3: ``comfyvn fsck`` against ``git fsck --full`` on the stores the ingest benchmark built.

Throughput is corpus bytes (the content each tool verifies) per second; the
stores were just written, so their data is in the page cache for both tools.
Each figure is the median of a few runs.
"""

from __future__ import annotations

import json
import statistics

from benches.bench_ingest import ensure_ingested
from benches.common import BenchError, BenchResult, Row, log, mb_per_s, meets_min, run_timed
from benches.context import Context
from benches.peers import comfyvn_bin

FSCK_MIN_MBPS = 500.0
REPEATS = 3


def run_fsck(ctx: Context) -> BenchResult:
    result = BenchResult("fsck")
    for kind, run in ensure_ingested(ctx).items():
        total = run.corpus.total_bytes
        comfy: list[float] = []
        git: list[float] = []
        doc: dict[str, object] = {}
        for i in range(REPEATS):
            log(f"fsck {kind}: run {i + 1}/{REPEATS}")
            timed = run_timed([comfyvn_bin(), "fsck", "--json"], run.vault, ctx.env.comfyvn(), ok=(0, 1))
            doc = json.loads(timed.stdout)
            if timed.returncode != 0 or not doc.get("clean", not doc.get("problems")):
                raise BenchError(f"comfyvn fsck found problems in the {kind} vault: {timed.stdout[:500]}")
            comfy.append(timed.seconds)
            git.append(run_timed(["git", "fsck", "--full", "--no-progress"], run.git_repo, ctx.env.git()).seconds)
        c_s, g_s = statistics.median(comfy), statistics.median(git)
        c, g = mb_per_s(total, c_s), mb_per_s(total, g_s)
        result.rows.append(
            Row(
                f"fsck {kind} ({total / 1e6:.0f} MB)",
                "MB/s",
                c,
                "git fsck --full",
                g,
                target=f">= {FSCK_MIN_MBPS:.0f} MB/s",
                met=meets_min(c, FSCK_MIN_MBPS),
            )
        )
        result.details[kind] = {
            "bytes": total,
            "comfyvn_s": comfy,
            "git_s": git,
            "comfyvn_objects": doc.get("objects"),
            "comfyvn_bytes_checked": doc.get("bytes"),
        }
    return result
