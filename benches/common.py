"""What every benchmark shares: sizes, result rows, timed subprocesses, disk usage, progress."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Throughput is in MB/s with MB = 10**6 bytes.
MB = 1_000_000
MIB = 1 << 20


class BenchError(RuntimeError):
    """A benchmark could not measure what it set out to (a tool failed, a check did not hold)."""


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark's inputs are; ``quick`` is a tenth of the full run."""

    media_bytes: int
    media_min: int
    media_max: int
    text_bytes: int
    text_min: int
    text_max: int
    big_bytes: int
    small_objects: int
    small_txn_size: int
    startup_runs: int

    @classmethod
    def full(cls) -> Sizes:
        return cls(
            media_bytes=200 * MB,
            media_min=100 * 1000,
            media_max=20 * MB,
            text_bytes=50 * MB,
            text_min=2 * 1000,
            text_max=50 * 1000,
            big_bytes=2 * 1000 * MB,
            small_objects=20_000,
            small_txn_size=100,
            startup_runs=20,
        )

    @classmethod
    def quick(cls) -> Sizes:
        full = cls.full()
        return cls(
            media_bytes=full.media_bytes // 10,
            media_min=full.media_min,
            media_max=full.media_max // 10,
            text_bytes=full.text_bytes // 10,
            text_min=full.text_min,
            text_max=full.text_max,
            big_bytes=200 * MB,
            small_objects=full.small_objects // 10,
            small_txn_size=full.small_txn_size,
            startup_runs=5,
        )


@dataclass
class Row:
    """One line of the results table: comfyvn against a peer, with the target it must meet."""

    benchmark: str
    unit: str
    comfyvn: float | None
    peer_name: str
    peer: float | None
    target: str
    met: bool | None
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """comfyvn ÷ peer (for throughput above 1 is better; for time or memory below 1 is)."""
        if self.comfyvn is None or self.peer is None or self.peer == 0:
            return None
        return self.comfyvn / self.peer

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "unit": self.unit,
            "comfyvn": self.comfyvn,
            "peer_name": self.peer_name,
            "peer": self.peer,
            "ratio": self.ratio,
            "ratio_means": "comfyvn/peer, " + ("higher is better" if self.higher_is_better else "lower is better"),
            "target": self.target,
            "met": self.met,
            "note": self.note,
        }


@dataclass
class BenchResult:
    name: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    #: 1/5/15-minute load averages before and after: other work on the machine skews the figures.
    load_average: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": [r.to_json() for r in self.rows],
            "details": self.details,
            "error": self.error,
            "seconds": round(self.seconds, 2),
            "load_average": self.load_average,
        }


_T0 = time.perf_counter()


def log(message: str) -> None:
    """A progress line on stderr, stamped with the time since the run started."""
    print(f"[bench {time.perf_counter() - _T0:7.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Timed:
    seconds: float
    #: user + system CPU time of the child (and its children): less sensitive to a busy machine than wall time.
    cpu_seconds: float
    returncode: int
    stdout: str
    stderr: str


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(
    cmd: Sequence[str | os.PathLike[str]],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    ok: Sequence[int] = (0,),
) -> Timed:
    """Run ``cmd`` to completion and time it with ``perf_counter``; raise on an unexpected exit code."""
    argv = [os.fspath(c) for c in cmd]
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=dict(env) if env is not None else None, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    if proc.returncode not in ok:
        raise BenchError(f"{' '.join(argv[:4])}… exited {proc.returncode}: {err.strip()[-800:] or out.strip()[-800:]}")
    return Timed(seconds, cpu, proc.returncode, out, err)


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def mb_per_s(n_bytes: int, seconds: float) -> float:
    return n_bytes / MB / seconds if seconds > 0 else float("inf")


@dataclass(frozen=True)
class DiskUsage:
    files: int
    apparent_bytes: int
    allocated_bytes: int  # what ``du`` counts: blocks actually used

    def to_json(self) -> dict[str, int]:
        return {"files": self.files, "apparent_bytes": self.apparent_bytes, "allocated_bytes": self.allocated_bytes}


def disk_usage(root: Path) -> DiskUsage:
    """Like ``du -s --apparent-size`` and ``du -s`` plus a file count, without following links."""
    files = apparent = allocated = 0
    seen: set[tuple[int, int]] = set()
    for folder, _dirs, names in os.walk(root):
        for name in names:
            st = os.lstat(os.path.join(folder, name))
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            files += 1
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return DiskUsage(files, apparent, allocated)


def meets_min(value: float | None, minimum: float) -> bool | None:
    return None if value is None else value >= minimum


def meets_max(value: float | None, maximum: float) -> bool | None:
    return None if value is None else value < maximum
