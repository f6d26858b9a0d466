"""Run the benchmarks: ``python -m benches.run_all [--quick] [--only NAME]…``.

Writes ``benches/results/latest.json`` and ``latest.md``. Scratch files live in
``benches/results/work/run-*`` (gitignored) and are removed at the end; DVC's
venv in ``benches/results/work/dvc-venv`` is kept for the next run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from benches import report
from benches.bench_assets import run_assets
from benches.bench_export import run_export, run_play
from benches.bench_fsck import run_fsck
from benches.bench_history import run_history_commits
from benches.bench_history_ops import run_history_log, run_history_reindex, run_history_switch
from benches.bench_import_chat import run_import_chat
from benches.bench_import_renpy import run_import_renpy
from benches.bench_ingest import run_ingest, run_reingest
from benches.bench_merge import run_merge
from benches.bench_packs import run_packs
from benches.bench_rss import run_rss
from benches.bench_startup import run_startup
from benches.bench_sync import run_sync
from benches.bench_tui import run_tui
from benches.common import BenchError, BenchResult, Sizes, log
from benches.context import Context
from benches.peers import PERSISTENT_WORK, RESULTS, Dvc, ensure_dvc, machine_info, warm_up

Bench = Callable[[Context], BenchResult]

BENCHMARKS: dict[str, Bench] = {
    "ingest": run_ingest,
    "reingest": run_reingest,
    "fsck": run_fsck,
    "rss": run_rss,
    "startup": run_startup,
    "packs": run_packs,
    "history-commit": run_history_commits,
    "history-reindex": run_history_reindex,
    "history-switch": run_history_switch,
    "history-log": run_history_log,
    "merge": run_merge,
    "tui": run_tui,
    "assets": run_assets,
    "sync": run_sync,
    "import-chat": run_import_chat,
    "import-renpy": run_import_renpy,
    "export": run_export,
    "play": run_play,
}
NEEDS_DVC = {"ingest", "reingest", "fsck", "rss", "sync"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benches.run_all", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes (200 MB big file): a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only these: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.json and latest.md go")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (for debugging)")
    return parser.parse_args(argv)


def run_one(name: str, bench: Bench, ctx: Context) -> BenchResult:
    log(f"== {name} (load average {os.getloadavg()[0]:.2f})")
    start = time.perf_counter()
    load = os.getloadavg()
    try:
        result = bench(ctx)
    except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the others' figures
        where = traceback.extract_tb(exc.__traceback__)[-1]
        at = f" (at {Path(where.filename).name}:{where.lineno})"
        result = BenchResult(name, error=f"{exc.__class__.__name__}: {exc}{'' if isinstance(exc, BenchError) else at}")
        log(f"{name} FAILED: {result.error}")
    result.seconds = time.perf_counter() - start
    result.load_average = (load, os.getloadavg())
    for row in result.rows:
        met = {True: "met", False: "NOT met", None: "-"}[row.met]
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "n/a"
        log(f"   {row.benchmark}: comfyvn {row.comfyvn} vs {row.peer_name} {row.peer} {row.unit} ({ratio}; {met})")
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n for n in BENCHMARKS if not args.only or n in args.only]
    sizes = Sizes.quick() if args.quick else Sizes.full()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    PERSISTENT_WORK.mkdir(parents=True, exist_ok=True)
    scratch = PERSISTENT_WORK / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    scratch.mkdir()
    dvc = ensure_dvc() if NEEDS_DVC.intersection(names) else Dvc(None, None, "not needed by the selected benchmarks")
    ctx = Context(sizes=sizes, quick=args.quick, scratch=scratch, dvc=dvc)
    results: list[BenchResult] = []
    load_before = os.getloadavg()
    try:
        if set(names) - {"packs"}:
            log("warming up: each tool once on a tiny input")
            try:
                warm_up(ctx.env, dvc)
            except Exception as exc:  # noqa: BLE001 - the benchmarks report the failure each in its own words
                log(f"warm-up failed: {exc}")
        for name in names:
            results.append(run_one(name, BENCHMARKS[name], ctx))
    finally:
        if args.keep:
            log(f"scratch kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    doc = {
        "schema": "comfyvn.bench/1",
        "started": started,
        "seconds": time.perf_counter() - t0,
        "quick": args.quick,
        "only": args.only,
        "sizes": asdict(sizes),
        "machine": machine_info(dvc),
        "dvc": dvc.to_json(),
        "load_average": {"start": load_before, "end": os.getloadavg()},
        "notes": list(report.NOTES),
        "benchmarks": {r.name: r.to_json() for r in results},
    }
    json_path, md_path = report.write(args.out, doc, results)
    log(f"wrote {json_path} and {md_path}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
