"""Run one command and report its peak memory as JSON on stdout.

Usage: ``python benches/maxrss.py CMD [ARG…]`` (standalone: it imports nothing
from the package, so its own footprint does not matter). It is a fresh process
so ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the peak of this one command
alone; while the command runs it also polls ``/proc/PID/status`` to split the
resident set into anonymous memory (heap, buffers) and file-backed pages (mmap
of the input, shared libraries), which ``ru_maxrss`` lumps together.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLL_S = 0.01
FIELDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def status_kib(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in FIELDS:
            out[key] = int(rest.split()[0])
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: maxrss.py CMD [ARG…]", file=sys.stderr)
        return 2
    peaks = dict.fromkeys(FIELDS, 0)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        while proc.poll() is None:
            for key, value in status_kib(proc.pid).items():
                peaks[key] = max(peaks[key], value)
            time.sleep(POLL_S)
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = {
        "returncode": proc.returncode,
        "wall_s": wall,
        "ru_maxrss_kib": usage.ru_maxrss,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "polled_peak_kib": {k.lower(): v for k, v in peaks.items()},
        "stderr_tail": stderr[-800:],
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
