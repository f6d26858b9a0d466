"""Benchmark 7: recording history, against git on the same story.

A story of 1,000 scenes x 20 lines is created with one batched ``SceneCreated``
commit; then random single-line edits are recorded

* one durable commit per edit through the Python API (``with
  vault.store.transaction() as w: vault.history.record(w, [NodeEdited(...)],
  msg)``), 100,000 of them; git gets the same edits as one commit each through
  ``git fast-import`` (each commit rewrites one scene file, byte for byte what
  comfyvn's working copy holds);
* through the edit verb ``comfyvn_vault.api.edit.node_edit`` (what ``comfyvn scene
  node edit`` runs: it also checks and rewrites the working-copy file), 500 of
  them; git gets ``git commit -q -a -m`` after each file is rewritten;
* as a batched import: one ``record()`` of 100,000 ``NodeEdited`` events into
  the story, five times, each into a fresh copy of the story vault (the target's
  scenario); then ten imports in a row into one vault, which grows to a million
  events (it feeds the ``reindex`` benchmark). They run in a Python process of
  their own as git's side runs in ``git fast-import``'s; git gets one
  fast-import commit rewriting every scene the batch touched.

The vaults and repositories built here (the 100k-deep linear history, a
10-deep one, the batched one) are reused by ``bench_history_ops`` for reindex,
switch, undo and log. Where the time of a commit goes is in the details: a
split of every timed commit (``record()`` vs the durable commit), the fsync and
LMDB-commit floor of this disk, and a cProfile sample.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benches.common import BenchError, BenchResult, Row, log, meets_min, run_timed
from benches.context import Context
from benches.peers import git_init
from benches.story_corpus import (
    Edit,
    Story,
    node_edited,
    node_id,
    scene_created_events,
    scene_file,
    scene_id,
    write_batch_stream,
    write_edit_stream,
    write_story_stream,
)

if TYPE_CHECKING:
    from comfyvn_vault.domain.events import Cause
    from comfyvn_vault.vault import Vault

SINGLE_MIN_COMMITS_PER_S = 1_000.0
BATCH_MIN_EVENTS_PER_S = 50_000.0
#: Stop the single-commit loop past this (the rows then say how many were made): a guard for a busy machine.
SINGLE_CAP_S = 540.0
#: comfyvn re-reads working-copy files modified less than 2 s before they were cached (worktree.checkout.RACY_NS).
RACY_WAIT_S = 2.1


@dataclass(frozen=True)
class HistorySizes:
    scenes: int
    nodes: int
    #: single-edit commits in the deep history (the "100k")
    edits: int
    #: edits through the edit verb, and git porcelain commits
    verb_edits: int
    #: events per batched commit, and how many batched commits (batches x batch_events = the reindex input)
    batch_events: int
    batches: int
    #: imports of the same batch into fresh copies of the story vault (the scenario the target names)
    fresh_batches: int
    shallow_depth: int
    #: repeated measurements of switch and undo (each depth, API and CLI), and of log
    samples: int
    log_samples: int
    #: scenes that differ between the two branches of the switch benchmark
    variant_scenes: int
    #: commits run under cProfile for the breakdown (not part of the timed figures)
    profile_commits: int
    profile_verb_edits: int

    @classmethod
    def of(cls, quick: bool) -> HistorySizes:
        div = 10 if quick else 1
        return cls(
            scenes=1_000,
            nodes=20,
            edits=100_000 // div,
            verb_edits=500 // div,
            batch_events=100_000 // div,
            batches=10,
            fresh_batches=5,
            shallow_depth=10,
            samples=20,
            log_samples=10,
            variant_scenes=5,
            profile_commits=1_000 // div,
            profile_verb_edits=100 // div,
        )


def sizes_of(ctx: Context) -> HistorySizes:
    return HistorySizes.of(ctx.quick)


# ------------------------------------------------------------------ helpers


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def git_fast_import(repo: Path, env: dict[str, str], stream: Path) -> tuple[float, float]:
    """``git fast-import --quiet < stream``: (wall seconds, CPU seconds)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    with open(stream, "rb") as f:
        proc = subprocess.run(
            ["git", "fast-import", "--quiet"], cwd=repo, env=env, stdin=f, capture_output=True, check=False
        )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"git fast-import exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-800:]}")
    return seconds, _children_cpu() - cpu


def user_cause() -> Cause:
    from comfyvn_vault.domain.events import Cause

    return Cause(kind="user")


def create_story(vault: Vault, story: Story) -> None:
    """The whole story as one batched commit of ``SceneCreated`` events (no working-copy files)."""
    with vault.store.transaction() as w:
        vault.history.record(w, scene_created_events(story, user_cause()), "Create the story")


def materialize(vault: Vault) -> int:
    """Write every scene file of the checkout (commits made with ``history.record`` write none)."""
    history = vault.history
    tree = vault.checkout_tree()
    if tree is None:
        raise BenchError("the vault has no checkout")
    docs = {path: (history.entity_doc(doc_id), doc_id) for path, doc_id in history.trees.items(tree, "scenes/")}
    with vault.store.transaction() as w:
        w.on_commit(lambda txn: vault.worktree.write(txn, docs))
    return len(docs)


def same_files(a: Path, b: Path, story: Story) -> None:
    """The vault's and the repository's scene files hold the same bytes (the same story)."""
    for i in range(story.n_scenes):
        if (a / scene_file(i)).read_bytes() != (b / scene_file(i)).read_bytes():
            raise BenchError(f"{scene_file(i)} differs between {a} and {b}")


def profile_top(profile: cProfile.Profile, per: int, top: int = 15) -> dict[str, Any]:
    """The functions with the most self time, and cumulative times of the usual suspects, per unit of work."""
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    for (filename, line, name), (_cc, calls, self_s, cum_s, _callers) in raw.items():
        where = filename.split("/comfyvn_vault/")[-1] if "/comfyvn_vault/" in filename else filename.rsplit("/", 1)[-1]
        rows.append(
            {
                "function": f"{where}:{line}({name})" if line else name,
                "calls_per_unit": calls / per,
                "self_ms_per_unit": self_s * 1000 / per,
                "cumulative_ms_per_unit": cum_s * 1000 / per,
                "self_share": self_s / total if total else None,
            }
        )
    by_self = sorted(rows, key=lambda r: r["self_ms_per_unit"], reverse=True)[:top]
    by_cum = sorted(rows, key=lambda r: r["cumulative_ms_per_unit"], reverse=True)[: top * 2]
    return {"units": per, "total_ms_per_unit": total * 1000 / per, "top_self": by_self, "top_cumulative": by_cum}


def io_floor(folder: Path, n: int = 300) -> dict[str, float]:
    """What one durable commit costs this disk at least: an fsync of an appended record plus a synced LMDB commit."""
    import lmdb

    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "floor.pack", os.O_RDWR | os.O_CREAT, 0o644)
    fsyncs = []
    try:
        for i in range(n):
            os.pwrite(fd, b"x" * 600, i * 600)
            t = time.perf_counter()
            os.fsync(fd)
            fsyncs.append(time.perf_counter() - t)
    finally:
        os.close(fd)
    env = lmdb.open(str(folder / "floor-index"), map_size=1 << 32, max_dbs=4, subdir=True, readahead=False)
    commits: list[float] = []
    scattered: list[float] = []
    try:
        for i in range(n):
            t = time.perf_counter()
            with env.begin(write=True) as txn:
                txn.put(i.to_bytes(8, "big"), b"y" * 80)
            commits.append(time.perf_counter() - t)
        # The same, but dirtying many pages: 30 random 32-byte keys into a table of 200k (as an object index is).
        with env.begin(write=True) as txn:
            for _ in range(200_000):
                txn.put(os.urandom(32), b"z" * 24)
        for _ in range(n):
            t = time.perf_counter()
            with env.begin(write=True) as txn:
                for _ in range(30):
                    txn.put(os.urandom(32), b"z" * 24)
            scattered.append(time.perf_counter() - t)
    finally:
        env.close()
    shutil.rmtree(folder, ignore_errors=True)
    fsync_ms, lmdb_ms = statistics.median(fsyncs) * 1000, statistics.median(commits) * 1000
    return {
        "fsync_median_ms": fsync_ms,
        "lmdb_commit_median_ms": lmdb_ms,
        "floor_ms_per_commit": fsync_ms + lmdb_ms,
        "max_commits_per_s_at_floor": 1000 / (fsync_ms + lmdb_ms),
        "lmdb_commit_30_random_puts_in_200k_keys_median_ms": statistics.median(scattered) * 1000,
    }


def io_written() -> int | None:
    """Bytes this process has passed to write syscalls so far (``wchar`` of /proc/self/io), if the kernel says."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def record_singles(vault: Vault, edits: list[Edit], label: str, cap_s: float | None = None) -> dict[str, Any]:
    """One durable commit per edit through ``history.record``; timed, with a record/commit split.

    Also what each commit writes: bytes sent to storage, and how much the LMDB index and the packs grow.
    """
    cause = user_cause()
    events = [node_edited(e, cause) for e in edits]
    messages = [f"Edit {node_id(e.node)} of {scene_id(e.scene)} ({k})" for k, e in enumerate(edits)]
    store, history = vault.store, vault.history
    clock = time.perf_counter
    in_record = in_commit = 0.0
    done = 0
    cpu = time.process_time()
    start = lap = clock()
    every = max(1, len(edits) // 10)
    written, pages, packs = io_written(), vault.store.env.info()["last_pgno"], sum(vault.store.packs().values())
    for event, message in zip(events, messages, strict=True):
        t0 = clock()
        with store.transaction() as w:
            history.record(w, [event], message)
            t1 = clock()
        t2 = clock()
        in_record += t1 - t0
        in_commit += t2 - t1
        done += 1
        if done % every == 0:
            now = clock()
            log(f"{label}: {done}/{len(edits)} commits, {every / (now - lap):,.0f} commits/s lately")
            lap = now
            if cap_s is not None and now - start > cap_s:
                log(f"{label}: stopping at {done} commits after {now - start:.0f} s (cap)")
                break
    seconds = clock() - start
    cpu = time.process_time() - cpu
    written_after = io_written()
    psize = vault.store.env.stat()["psize"]
    pages = vault.store.env.info()["last_pgno"] - pages
    packs = sum(vault.store.packs().values()) - packs
    return {
        "commits": done,
        "seconds": seconds,
        "commits_per_s": done / seconds,
        "ms_per_commit": seconds * 1000 / done,
        #: CPU of this process (user + system): what a busy machine does not inflate, unlike fsync waits
        "cpu_ms_per_commit": cpu * 1000 / done,
        "split_ms_per_commit": {
            "lock_and_record": in_record * 1000 / done,
            "durable_commit_and_projections": in_commit * 1000 / done,
            "loop_overhead": (seconds - in_record - in_commit) * 1000 / done,
        },
        "bytes_written_per_commit": (
            (written_after - written) / done if written is not None and written_after is not None else None
        ),
        "lmdb_file_growth_bytes_per_commit": pages * psize / done,
        "pack_growth_bytes_per_commit": packs / done,
    }


# ------------------------------------------------------------------ linear histories (deep and shallow)


@dataclass
class Linear:
    """A vault and a git repository with the same story after ``edits`` single-edit commits, files checked out."""

    vault: Path
    git: Path
    edits: int
    #: commits reachable from main: comfyvn's root commit + the story + the edits (git has no root commit)
    commits: int
    details: dict[str, Any] = field(default_factory=dict)


def build_linear(ctx: Context, name: str, edits_count: int, cap_s: float | None = None) -> Linear:
    from comfyvn_vault.vault import Vault

    sizes = sizes_of(ctx)
    base = ctx.folder("history", name)
    story = Story(sizes.scenes, sizes.nodes)
    initial, git_story = story.clone(), story.clone()
    edits = story.edits(edits_count)

    vault_dir = base / "comfyvn"
    vault, _ = Vault.init(vault_dir)
    try:
        create_story(vault, initial)
        log(f"history {name}: {edits_count} single-edit commits through history.record")
        comfy = record_singles(vault, edits, f"history {name}", cap_s)
        done = comfy["commits"]
        t = time.perf_counter()
        files = materialize(vault)
        comfy["materialize_s"] = time.perf_counter() - t
        comfy["files"] = files
    finally:
        vault.close()

    repo = base / "git"
    env = ctx.env.git()
    git_init(repo, env)
    write_story_stream(base / "story.fi", git_story)
    git_fast_import(repo, env, base / "story.fi")
    log(f"history {name}: writing the fast-import stream of {done} commits")
    write_edit_stream(base / "edits.fi", git_story, edits[:done], parent="refs/heads/main^0")
    stream_bytes = (base / "edits.fi").stat().st_size
    log(f"history {name}: git fast-import of {done} commits ({stream_bytes / 1e6:.0f} MB stream)")
    g_s, g_cpu = git_fast_import(repo, env, base / "edits.fi")
    (base / "edits.fi").unlink()
    run_timed(["git", "reset", "-q", "--hard"], repo, env)
    count = int(run_timed(["git", "rev-list", "--count", "HEAD"], repo, env).stdout.strip())
    if count != done + 1:
        raise BenchError(f"git has {count} commits, expected {done + 1}")
    if done == edits_count:
        same_files(vault_dir, repo, story)
    git = {"commits": done, "seconds": g_s, "cpu_seconds": g_cpu, "commits_per_s": done / g_s}
    git["stream_bytes"] = stream_bytes
    return Linear(vault_dir, repo, done, commits=done + 2, details={"comfyvn": comfy, "git_fast_import": git})


def ensure_linear(ctx: Context, name: str) -> Linear:
    """The deep (``edits`` commits) or shallow (``shallow_depth``) history, built once per run."""
    key = f"history.{name}"
    if key not in ctx.shared:
        sizes = sizes_of(ctx)
        if name == "deep":
            ctx.shared[key] = build_linear(ctx, name, sizes.edits, SINGLE_CAP_S)
        else:
            ctx.shared[key] = build_linear(ctx, name, sizes.shallow_depth)
    linear: Linear = ctx.shared[key]
    return linear


# ------------------------------------------------------------------ batched imports


@dataclass
class Batched:
    """A vault holding the story plus ``batches`` commits of ``batch_events`` events each; git the same as commits."""

    vault: Path
    git: Path
    events: int
    comfyvn_s: list[float]
    comfyvn_cpu_s: list[float]
    git_s: list[float]
    git_files: list[int]
    #: the same batch imported into fresh copies of the story vault, and by git onto the story commit
    fresh_s: list[float] = field(default_factory=list)
    fresh_cpu_s: list[float] = field(default_factory=list)
    fresh_git_s: list[float] = field(default_factory=list)
    fresh_git_files: int = 0


def ensure_batched(ctx: Context) -> Batched:
    """The batched-import vault and repository, built once per run, and the fresh-copy imports.

    Two measurements:

    * the scenario the target names, one import of 100k edits into the story:
      the same batch imported ``fresh_batches`` times, each time into a fresh
      copy of the story vault (git: the same batch as one fast-import commit on
      the story commit, as often);
    * ``batches`` successive imports into one vault, which grows to 1M events
      (it feeds the reindex benchmark): later imports land on a bigger index.

    comfyvn's imports run in a process of their own, started for them, as
    ``git fast-import`` does for git's (and as an importer would): measured in
    this process after the 100k-commit run, the same batches were ~10% slower
    from what that run leaves in the process, which says nothing about an import.
    Both sides draw the same edits from the same seed.
    """
    key = "history.batched"
    if key in ctx.shared:
        batched: Batched = ctx.shared[key]
        return batched
    sizes = sizes_of(ctx)
    base = ctx.folder("history", "batched")
    story = Story(sizes.scenes, sizes.nodes, seed="batched")
    git_story = story.clone()
    vault_dir, repo = base / "comfyvn", base / "git"
    log(f"history batched: {sizes.batches} record() of {sizes.batch_events} events each, in their own process")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benches.bench_history",
            "batched",
            str(vault_dir),
            str(sizes.scenes),
            str(sizes.nodes),
            str(sizes.batches),
            str(sizes.batch_events),
            str(sizes.fresh_batches),
        ],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,  # the timings; its progress lines go to our stderr as they come
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"the batched import exited {proc.returncode} (its error is above)")
    timings = json.loads(proc.stdout)
    env = ctx.env.git()
    git_init(repo, env)
    write_story_stream(base / "story.fi", git_story)
    git_fast_import(repo, env, base / "story.fi")
    fresh_edits = story.clone().edits(sizes.batch_events)
    fresh_files = write_batch_stream(base / "fresh.fi", git_story.clone(), fresh_edits, "refs/heads/main^0", "Import")
    fresh_git_s: list[float] = []
    for _ in range(sizes.fresh_batches):
        # A fresh repository each time: fast-import skips objects the repository already has.
        fresh_repo = base / "git-fresh"
        shutil.rmtree(fresh_repo, ignore_errors=True)
        git_init(fresh_repo, env)
        git_fast_import(fresh_repo, env, base / "story.fi")
        fresh_git_s.append(git_fast_import(fresh_repo, env, base / "fresh.fi")[0])
        shutil.rmtree(fresh_repo)
    git_s: list[float] = []
    git_files: list[int] = []
    for b in range(sizes.batches):
        edits = story.edits(sizes.batch_events)  # the same edits the batched process drew
        git_files.append(
            write_batch_stream(base / "batch.fi", git_story, edits, "refs/heads/main^0", f"Import batch {b}")
        )
        git_s.append(git_fast_import(repo, env, base / "batch.fi")[0])
    run_timed(["git", "reset", "-q", "--hard"], repo, env)
    same_files(vault_dir, repo, story)
    events_total = story.n_scenes + sizes.batches * sizes.batch_events
    batched = Batched(
        vault_dir,
        repo,
        events_total,
        timings["seconds"],
        timings["cpu_seconds"],
        git_s,
        git_files,
        timings["fresh_seconds"],
        timings["fresh_cpu_seconds"],
        fresh_git_s,
        fresh_files,
    )
    ctx.shared[key] = batched
    return batched


def _timed_record(vault: Vault, events: list[Any], message: str, seconds: list[float], cpu: list[float]) -> None:
    """One batched ``record()`` in its own transaction; its wall and CPU seconds appended."""
    t, c = time.perf_counter(), time.process_time()
    with vault.store.transaction() as w:
        vault.history.record(w, events, message)
    seconds.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)


def batched_import(
    vault_dir: Path, scenes: int, nodes: int, batches: int, batch_events: int, fresh: int
) -> dict[str, Any]:
    """The comfyvn side of :func:`ensure_batched`, run as ``python -m benches.bench_history batched …``."""
    from comfyvn_vault.vault import Vault

    story = Story(scenes, nodes, seed="batched")
    cause = user_cause()
    vault, _ = Vault.init(vault_dir)
    try:
        create_story(vault, story)
    finally:
        vault.close()
    # The story vault as the fresh imports start from it (closed: its index is synced).
    template = vault_dir.parent / "story-vault"
    shutil.rmtree(template, ignore_errors=True)
    shutil.copytree(vault_dir, template, symlinks=True)
    fresh_edits = story.clone().edits(batch_events)  # what ensure_batched hands git
    fresh_s: list[float] = []
    fresh_cpu: list[float] = []
    for k in range(fresh):
        copy = vault_dir.parent / "fresh-vault"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(template, copy, symlinks=True)
        events = [node_edited(e, cause) for e in fresh_edits]
        log(f"history batched: record() of {len(events)} events into a fresh story vault ({k + 1}/{fresh})")
        with Vault.open(copy) as fresh_vault:
            _timed_record(fresh_vault, events, f"Import {k}", fresh_s, fresh_cpu)
        del events
        shutil.rmtree(copy)
    shutil.rmtree(template)

    seconds: list[float] = []
    cpu_seconds: list[float] = []
    vault = Vault.open(vault_dir)
    try:
        for b in range(batches):
            events = [node_edited(e, cause) for e in story.edits(batch_events)]
            log(f"history batched: record() of {len(events)} events ({b + 1}/{batches})")
            _timed_record(vault, events, f"Import batch {b}", seconds, cpu_seconds)
            del events
        materialize(vault)
    finally:
        vault.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "fresh_seconds": fresh_s,
        "fresh_cpu_seconds": fresh_cpu,
    }


# ------------------------------------------------------------------ the edit verb and git porcelain


def verb_edits(ctx: Context) -> dict[str, Any]:
    """``edit.node_edit`` per edit on a vault with its files checked out; ``git commit -a`` per rewritten file."""
    from comfyvn_vault.api import edit
    from comfyvn_vault.vault import Vault

    sizes = sizes_of(ctx)
    base = ctx.folder("history", "verbs")
    story = Story(sizes.scenes, sizes.nodes, seed="verbs")
    initial, git_story = story.clone(), story.clone()
    edits = story.edits(sizes.verb_edits + sizes.profile_verb_edits)
    timed_edits, profiled_edits = edits[: sizes.verb_edits], edits[sizes.verb_edits :]

    vault_dir = base / "comfyvn"
    vault, _ = Vault.init(vault_dir)
    out: dict[str, Any] = {"edits": len(timed_edits)}
    try:
        vault.record(scene_created_events(initial, user_cause()), "Create the story")  # writes the scene files
        time.sleep(RACY_WAIT_S)  # start with every file older than the stat cache's racy window

        def run(batch: list[Edit]) -> None:
            for k, e in enumerate(batch):
                saved = edit.node_edit(vault, scene_id(e.scene), node_id(e.node), content=e.after, message=f"Edit {k}")
                if saved.commit is None or saved.events != 1:
                    raise BenchError(f"node_edit recorded {saved.events} events, commit {saved.commit}")

        log(f"history verbs: {len(timed_edits)} story.node_edit commits")
        t = time.perf_counter()
        run(timed_edits)
        seconds = time.perf_counter() - t
        out["comfyvn"] = {"seconds": seconds, "commits_per_s": len(timed_edits) / seconds}
        profile = cProfile.Profile()
        profile.enable()
        run(profiled_edits)
        profile.disable()
        prof = profile_top(profile, len(profiled_edits))
        out["comfyvn_profile"] = prof
        out["comfyvn_share_in_require_clean"] = _share(prof, "require_clean")
        out["comfyvn_share_parsing_toml"] = _share(prof, "parse", "worktree/format.py")
    finally:
        vault.close()

    repo = base / "git"
    env = ctx.env.git()
    git_init(repo, env)
    (repo / "scenes").mkdir()
    for i in range(story.n_scenes):
        (repo / scene_file(i)).write_bytes(git_story.render(i))
    run_timed(["git", "add", "-A"], repo, env)
    run_timed(["git", "commit", "-q", "-m", "Create the story"], repo, env)
    time.sleep(RACY_WAIT_S)
    log(f"history verbs: {len(timed_edits)} git commit -a commits")
    git_seconds = 0.0
    for k, e in enumerate(timed_edits):
        git_story.lines[e.scene][e.node] = e.after
        (repo / scene_file(e.scene)).write_bytes(git_story.render(e.scene))
        git_seconds += run_timed(["git", "commit", "-q", "-a", "-m", f"Edit {k}"], repo, env).seconds
    out["git_commit_a"] = {"seconds": git_seconds, "commits_per_s": len(timed_edits) / git_seconds}
    # Same content: the last scene comfyvn wrote is the file git committed.
    last = timed_edits[-1].scene
    for e in profiled_edits:
        git_story.lines[e.scene][e.node] = e.after
    if (vault_dir / scene_file(last)).read_bytes() != git_story.render(last):
        raise BenchError(f"{scene_file(last)}: comfyvn's working copy differs from the rendering git got")
    return out


def _share(prof: dict[str, Any], name: str, where: str = "") -> float | None:
    for row in prof["top_cumulative"]:
        if row["function"].endswith(f"({name})") and where in row["function"]:
            value: float = row["cumulative_ms_per_unit"] / prof["total_ms_per_unit"]
            return value
    return None


def profile_singles(ctx: Context) -> dict[str, Any]:
    """cProfile over a sample of single-edit commits on a fresh vault (not the timed run)."""
    from comfyvn_vault.vault import Vault

    sizes = sizes_of(ctx)
    base = ctx.folder("history", "profile")
    story = Story(sizes.scenes, sizes.nodes, seed="profile")
    initial = story.clone()
    edits = story.edits(sizes.profile_commits)
    vault, _ = Vault.init(base / "comfyvn")
    try:
        create_story(vault, initial)
        profile = cProfile.Profile()
        profile.enable()
        record_singles(vault, edits, "history profile")
        profile.disable()
    finally:
        vault.close()
    shutil.rmtree(base, ignore_errors=True)
    return profile_top(profile, len(edits))


# ------------------------------------------------------------------ the benchmark


def run_history_commits(ctx: Context) -> BenchResult:
    sizes = sizes_of(ctx)
    result = BenchResult("history-commit")
    deep = ensure_linear(ctx, "deep")
    comfy, git = deep.details["comfyvn"], deep.details["git_fast_import"]
    n = deep.edits
    result.rows.append(
        Row(
            f"single-line edits, one durable commit each (history.record), {n:,}",
            "commits/s",
            comfy["commits_per_s"],
            "git fast-import, one commit each",
            git["commits_per_s"],
            target=f">= {SINGLE_MIN_COMMITS_PER_S:,.0f} commits/s",
            met=meets_min(comfy["commits_per_s"], SINGLE_MIN_COMMITS_PER_S),
            note="git: one process, no fsync per commit",
        )
    )
    verbs = verb_edits(ctx)
    result.rows.append(
        Row(
            f"single-line edits through story.node_edit (edit verb, writes the file), {verbs['edits']:,}",
            "commits/s",
            verbs["comfyvn"]["commits_per_s"],
            "git commit -a per edit",
            verbs["git_commit_a"]["commits_per_s"],
            target="(reported)",
            met=None,
            note="git: a process per commit",
        )
    )
    batched = ensure_batched(ctx)
    f_eps = sizes.batch_events / statistics.median(batched.fresh_s)
    fg_eps = sizes.batch_events / statistics.median(batched.fresh_git_s)
    result.rows.append(
        Row(
            f"batched import: one record() of {sizes.batch_events:,} NodeEdited events into the story "
            f"(median of {sizes.fresh_batches}, each into a fresh copy of the story vault)",
            "events/s",
            f_eps,
            f"git fast-import, one commit of {batched.fresh_git_files:,} files on the story (a fresh repository each)",
            fg_eps,
            target=f">= {BATCH_MIN_EVENTS_PER_S:,.0f} events/s",
            met=meets_min(f_eps, BATCH_MIN_EVENTS_PER_S),
        )
    )
    c_med, g_med = statistics.median(batched.comfyvn_s), statistics.median(batched.git_s)
    c_eps, g_eps = sizes.batch_events / c_med, sizes.batch_events / g_med
    result.rows.append(
        Row(
            f"batched imports in a row: {sizes.batches} record() of {sizes.batch_events:,} events into one vault, "
            f"which grows to {batched.events:,} events (median)",
            "events/s",
            c_eps,
            f"git fast-import, one commit of ~{statistics.median(batched.git_files):,.0f} files each",
            g_eps,
            target="(reported)",
            met=None,
            note=f"last import {sizes.batch_events / batched.comfyvn_s[-1]:,.0f} events/s",
        )
    )
    log("history-commit: profiling a sample of single-edit commits and measuring the disk's fsync floor")
    result.details = {
        "story": {"scenes": sizes.scenes, "lines_per_scene": sizes.nodes},
        "single": deep.details,
        "single_commits_on_main": deep.commits,
        "verbs": verbs,
        "batched": {
            "events_per_batch": sizes.batch_events,
            "comfyvn_s": batched.comfyvn_s,
            "comfyvn_cpu_s": batched.comfyvn_cpu_s,
            "git_s": batched.git_s,
            "git_files_per_batch": batched.git_files,
            "comfyvn_first_batch_events_per_s": sizes.batch_events / batched.comfyvn_s[0],
            "fresh_comfyvn_s": batched.fresh_s,
            "fresh_comfyvn_cpu_s": batched.fresh_cpu_s,
            "fresh_git_s": batched.fresh_git_s,
            "fresh_git_files": batched.fresh_git_files,
        },
        "single_commit_profile": profile_singles(ctx),
        "io_floor": io_floor(ctx.scratch / "history" / "floor"),
    }
    return result


if __name__ == "__main__":
    if len(sys.argv) == 8 and sys.argv[1] == "batched":
        _, _, folder, n_scenes, n_nodes, n_batches, n_events, n_fresh = sys.argv
        result = batched_import(Path(folder), int(n_scenes), int(n_nodes), int(n_batches), int(n_events), int(n_fresh))
        print(json.dumps(result))
    else:
        raise SystemExit("usage: python -m benches.bench_history batched VAULT SCENES NODES BATCHES EVENTS FRESH")
