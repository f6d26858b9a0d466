"""Benchmarks 1 and 2: ingest a corpus into a fresh store, then ingest it again.

comfyvn: ``comfyvn asset add --json FILE…`` (one invocation, fresh ``comfyvn init`` vault).
git: ``git add -A`` + ``git commit`` in a fresh repository.
DVC: ``dvc add data`` (the folder as one tracked unit, DVC's usual form) in a fresh git+DVC repository.

Each tool gets its own folder whose ``data/`` holds hard links to the corpus
files, so all three read the same inodes, already in the page cache because
they were just written (caches cannot be dropped without root-only knobs; this
keeps the playing field level instead).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benches.common import BenchError, BenchResult, Row, Timed, disk_usage, log, mb_per_s, meets_min, run_timed
from benches.context import Context
from benches.corpus import Corpus, link_files, make_media, make_text
from benches.peers import comfyvn_bin, dvc_init, git_add_commit, git_init

MEDIA_MIN_MBPS = 150.0
MEDIA_MIN_VS_GIT = 3.0
REINGEST_MIN_MBPS = 500.0


@dataclass
class CorpusRun:
    """One corpus ingested twice by every tool; the stores stay for fsck."""

    kind: str
    corpus: Corpus
    vault: Path
    git_repo: Path
    dvc_repo: Path | None
    first: dict[str, float | None] = field(default_factory=dict)
    second: dict[str, float | None] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def _comfyvn_add(ctx: Context, vault: Path, names: list[str], expect_new: bool) -> Timed:
    timed = run_timed(
        [comfyvn_bin(), "asset", "add", "--json", *(f"data/{n}" for n in names)], vault, ctx.env.comfyvn()
    )
    doc = json.loads(timed.stdout)
    news = sum(1 for a in doc["assets"] if a["new"])
    want = len(names) if expect_new else 0
    if len(doc["assets"]) != len(names) or news != want:
        raise BenchError(f"comfyvn asset add reported {news} new of {len(doc['assets'])}, expected {want}")
    return timed


def _ingest_corpus(ctx: Context, kind: str, corpus: Corpus) -> CorpusRun:
    base = ctx.folder(kind)
    vault, git_repo = base / "comfyvn", base / "git"
    vault.mkdir()
    run_timed([comfyvn_bin(), "init", "."], vault, ctx.env.comfyvn())
    names = link_files(corpus.files, vault / "data")
    git_init(git_repo, ctx.env.git())
    link_files(corpus.files, git_repo / "data")
    dvc_repo: Path | None = None
    if ctx.dvc.bin is not None:
        dvc_repo = base / "dvc"
        dvc_init(ctx.dvc.bin, dvc_repo, ctx.env.dvc())
        link_files(corpus.files, dvc_repo / "data")
    run = CorpusRun(kind, corpus, vault, git_repo, dvc_repo)

    for rnd, target in (("first", run.first), ("second", run.second)):
        first = rnd == "first"
        log(f"ingest {kind}: {rnd} comfyvn asset add of {len(names)} files")
        timed = _comfyvn_add(ctx, vault, names, expect_new=first)
        target["comfyvn"] = timed.seconds
        run.details[f"comfyvn_{rnd}_cpu_s"] = timed.cpu_seconds
        log(f"ingest {kind}: {rnd} git add + commit")
        add, commit = git_add_commit(git_repo, ctx.env.git(), f"ingest {kind} ({rnd})")
        target["git"] = add.seconds + commit.seconds
        run.details[f"git_{rnd}_add_s"], run.details[f"git_{rnd}_commit_s"] = add.seconds, commit.seconds
        run.details[f"git_{rnd}_cpu_s"] = add.cpu_seconds + commit.cpu_seconds
        if ctx.dvc.bin is not None and dvc_repo is not None:
            log(f"ingest {kind}: {rnd} dvc add data")
            timed = run_timed([ctx.dvc.bin, "add", "-q", "data"], dvc_repo, ctx.env.dvc())
            target["dvc"] = timed.seconds
            run.details[f"dvc_{rnd}_cpu_s"] = timed.cpu_seconds
        else:
            target["dvc"] = None
    run.details["store_disk_usage"] = {
        "comfyvn .comfyvn": disk_usage(vault / ".comfyvn").to_json(),
        "git .git": disk_usage(git_repo / ".git").to_json(),
        "dvc .dvc/cache": disk_usage(dvc_repo / ".dvc" / "cache").to_json() if dvc_repo else None,
    }
    return run


def ensure_ingested(ctx: Context) -> dict[str, CorpusRun]:
    """Generate both corpora and ingest them (once per run; fsck reuses the stores)."""
    runs: dict[str, CorpusRun] | None = ctx.shared.get("ingest")
    if runs is not None:
        return runs
    if "ingest_error" in ctx.shared:
        raise BenchError(f"needs the ingest stores, which could not be built: {ctx.shared['ingest_error']}")
    try:
        runs = _build(ctx)
    except Exception as exc:
        ctx.shared["ingest_error"] = f"{exc.__class__.__name__}: {exc}"
        raise
    ctx.shared["ingest"] = runs
    return runs


def _build(ctx: Context) -> dict[str, CorpusRun]:
    s = ctx.sizes
    log(f"corpus: writing {s.media_bytes / 1e6:.0f} MB of media files")
    media = make_media(ctx.folder("corpus", "media"), s.media_bytes, s.media_min, s.media_max)
    log(f"corpus: writing {s.text_bytes / 1e6:.0f} MB of JSON scenes and scripts")
    text = make_text(ctx.folder("corpus", "text"), s.text_bytes, s.text_min, s.text_max)
    return {"media": _ingest_corpus(ctx, "media", media), "text": _ingest_corpus(ctx, "text", text)}


def _rows(run: CorpusRun, rnd: str) -> list[Row]:
    times = run.first if rnd == "first" else run.second
    total = run.corpus.total_bytes
    speed = {tool: (mb_per_s(total, t) if t is not None else None) for tool, t in times.items()}
    c = speed["comfyvn"]
    label = f"{'ingest' if rnd == 'first' else 're-ingest'} {run.kind} ({total / 1e6:.0f} MB)"
    rows: list[Row] = []
    for peer in ("git", "dvc"):
        row = Row(label, "MB/s", c, peer, speed[peer], target="(reported)", met=None)
        if speed[peer] is None:
            row.note = "DVC unavailable"
        if rnd == "first" and run.kind == "media" and peer == "git":
            row.target = f">= {MEDIA_MIN_MBPS:.0f} MB/s and >= {MEDIA_MIN_VS_GIT:.0f}x git"
            ratio = row.ratio
            row.met = None if c is None or ratio is None else c >= MEDIA_MIN_MBPS and ratio >= MEDIA_MIN_VS_GIT
        elif rnd == "second" and peer == "git":
            row.target = f">= {REINGEST_MIN_MBPS:.0f} MB/s"
            row.met = meets_min(c, REINGEST_MIN_MBPS)
        rows.append(row)
    return rows


def _details(run: CorpusRun) -> dict[str, Any]:
    return {
        "files": len(run.corpus.files),
        "bytes": run.corpus.total_bytes,
        "first_s": run.first,
        "second_s": run.second,
        **run.details,
    }


def run_ingest(ctx: Context) -> BenchResult:
    runs = ensure_ingested(ctx)
    result = BenchResult("ingest")
    for run in runs.values():
        result.rows += _rows(run, "first")
        result.details[run.kind] = _details(run)
    return result


def run_reingest(ctx: Context) -> BenchResult:
    runs = ensure_ingested(ctx)
    result = BenchResult("reingest")
    for run in runs.values():
        result.rows += _rows(run, "second")
        result.details[run.kind] = {"files": len(run.corpus.files), "bytes": run.corpus.total_bytes, **run.second}
    return result
