"""Write ``latest.json`` (everything) and ``latest.md`` (the table a person reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benches.common import BenchResult, Row

NOTES = (
    "MB = 10^6 bytes. Ratio = comfyvn / peer: above 1 is better for throughput (MB/s, obj/s), "
    "below 1 is better for time (ms) and memory (MB).",
    "Page caches cannot be dropped without root-only knobs; instead every input was written just before "
    "it was read and every tool reads the same inodes (hard links), so all tools start with it in cache.",
    "comfyvn fsyncs what it writes before it commits (durable); git by default does not fsync loose objects "
    "(core.fsync default) and DVC does not fsync its cache.",
    "DVC adds the corpus folder as one unit (`dvc add data`), its usual form for many files.",
    "Python tools run with bytecode caching on (PYTHONDONTWRITEBYTECODE removed from their environment, "
    "comfyvn's cache in the scratch folder) and every tool is used once on a tiny input before timing.",
    "The machine is shared: the load average before and after each benchmark is in latest.json.",
)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "obj/s":
        return f"{value:,.0f} {unit}"
    if value >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}"


def _one_line(text: str) -> str:
    """A multi-line error (a child's traceback) as its first and last lines; latest.json has it whole."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if len(lines) < 2 else f"{lines[0]} … {lines[-1]}"


def _met(row: Row) -> str:
    return {True: "yes", False: "**NO**", None: "—"}[row.met]


def _context(results: list[BenchResult]) -> list[str]:
    """A few figures from the details that explain the table."""
    out: list[str] = []
    by_name = {r.name: r for r in results if not r.error}
    if "ingest" in by_name:
        out += ["", "Disk used by each store after ingest (allocated, MB):", ""]
        out += ["| corpus | comfyvn | git | dvc |", "|---|---|---|---|"]
        for kind, d in by_name["ingest"].details.items():
            usage = d["store_disk_usage"]
            cells = [f"{u['allocated_bytes'] / 1e6:.1f}" if u else "n/a" for u in usage.values()]
            out.append(f"| {kind} ({d['files']} files) | {' | '.join(cells)} |")
    if "startup" in by_name:
        d = by_name["startup"].details
        floor, uncached = d["python_floor_median_ms"], d["help_without_bytecode_cache_median_ms"]
        out += [
            "",
            f"Start-up floor: `python -c pass` takes {floor:.1f} ms; `comfyvn --help` with "
            f"PYTHONDONTWRITEBYTECODE=1 and no bytecode cache takes {uncached:.1f} ms.",
        ]
    if "history-commit" in by_name:
        out += _history_context(by_name["history-commit"].details, by_name.get("history-switch"))
    return out


def _share(profile: dict[str, Any], function: str) -> float | None:
    """The share of a profiled unit of work spent in ``function`` (cumulative), from a bench's profile_top."""
    for row in profile.get("top_cumulative", []):
        if row["function"].endswith(f"({function})") and profile["total_ms_per_unit"]:
            share: float = row["cumulative_ms_per_unit"] / profile["total_ms_per_unit"]
            return share
    return None


def _history_context(d: dict[str, Any], switch: BenchResult | None) -> list[str]:
    """Where a single-edit commit's time goes, from the history-commit (and history-switch) details."""
    single, floor, verbs = d["single"]["comfyvn"], d["io_floor"], d["verbs"]
    split = single["split_ms_per_commit"]
    written = single.get("bytes_written_per_commit")
    lines = [
        "",
        f"Single-edit commit ({single['ms_per_commit']:.2f} ms, of which {single['cpu_ms_per_commit']:.2f} ms CPU): "
        f"lock + `record()` {split['lock_and_record']:.2f} ms, durable commit (pack sync, LMDB commit with the "
        f"projections) {split['durable_commit_and_projections']:.2f} ms"
        + (f", {written / 1000:.0f} KB written per commit" if written else "")
        + f". This disk's floor: fsync {floor['fsync_median_ms']:.2f} ms + synced one-key LMDB commit "
        f"{floor['lmdb_commit_median_ms']:.2f} ms (30 scattered keys: "
        f"{floor['lmdb_commit_30_random_puts_in_200k_keys_median_ms']:.2f} ms).",
    ]
    shares = [("the edit verb", _share(verbs.get("comfyvn_profile", {}), "require_clean"))]
    profiles = switch.details.get("api_profile_at_depth", {}) if switch is not None and not switch.error else {}
    shares += [(f"`{op}`", _share(profiles[op], "require_clean")) for op in ("switch", "undo") if op in profiles]
    known = [f"{who} {share:.0%}" for who, share in shares if share is not None]
    if known:
        lines.append(
            "Share of the time in `require_clean` (the check for uncommitted edits; switch and undo "
            f"scan the whole working copy), under cProfile: {', '.join(known)}."
        )
    return lines


def markdown(doc: dict[str, Any], results: list[BenchResult]) -> str:
    m = doc["machine"]
    lines = [
        "# comfyvn-vault benchmarks",
        "",
        f"Run {doc['started']} ({'quick' if doc['quick'] else 'full'} sizes, {doc['seconds']:.0f} s) on "
        f"{m['nproc']} × {m['cpu_model']}, Python {m['python']}, {m['git']}, DVC {m['dvc'] or 'unavailable'}; "
        f"load average {doc['load_average']['start'][0]:.2f} at the start. comfyvn-vault at "
        f"{(m['comfyvn_source']['commit'] or 'unknown')[:12]}"
        f"{' plus uncommitted changes' if m['comfyvn_source']['uncommitted_package_files'] else ''}.",
        "",
        "| benchmark | comfyvn | peer | ratio | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        for row in result.rows:
            ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "n/a"
            peer = f"{row.peer_name}: {_fmt(row.peer, row.unit)}"
            if row.note:
                peer += f" ({row.note})"
            lines.append(
                f"| {row.benchmark} | {_fmt(row.comfyvn, row.unit)} | {peer} | {ratio} | {row.target} | {_met(row)} |"
            )
    lines += _context(results)
    errors = [r for r in results if r.error]
    if errors:
        lines += ["", "## Errors", ""]
        lines += [f"- **{r.name}**: {_one_line(r.error or '')}" for r in errors]
    if doc["dvc"]["error"]:
        lines += ["", f"DVC was unavailable: {doc['dvc']['error']}"]
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in doc["notes"]]
    lines += ["", "Full figures (every sample, disk usage, memory split, slowest imports) are in `latest.json`.", ""]
    return "\n".join(lines)


def write(out_dir: Path, doc: dict[str, Any], results: list[BenchResult]) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "latest.json", out_dir / "latest.md"
    json_path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    md_path.write_text(markdown(doc, results))
    return json_path, md_path
