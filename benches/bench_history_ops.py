"""Benchmarks 8-10: reindex, switch and undo, and log, on the histories ``bench_history`` built.

* ``reindex``: ``vault.reindex()`` of the batched vault (the story plus ten
  commits of 100k events: 1M events), then ``reindex(verify=True)``. Also the
  reindex of the 100k-commit history against ``git commit-graph write
  --reachable`` (git's closest rebuild of a derived index over every commit).
* ``switch`` and ``undo`` at history depth 100k and depth 10: ``vault.switch``
  between two branches that differ in a few scenes, and ``vault.undo()`` of an
  edit just committed, through the API (one open vault) and through the CLI
  (``comfyvn switch``, ``comfyvn undo``: start-up included). Git: ``git
  checkout`` and ``git reset --hard HEAD@{1}`` after a commit, on repositories of
  the same depth and content.
* ``log -n 50`` on the 100k-commit history: ``api.history.log`` on a freshly opened
  vault, ``comfyvn log -n 50 --json``, and ``git log -n 50``.
"""

from __future__ import annotations

import cProfile
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from benches.bench_history import (
    RACY_WAIT_S,
    Linear,
    ensure_batched,
    ensure_linear,
    profile_top,
    sizes_of,
)
from benches.common import BenchError, BenchResult, Row, log, median_ms, meets_max, meets_min, run_timed
from benches.context import Context
from benches.peers import comfyvn_bin
from benches.story_corpus import node_id, scene_file, scene_id

REINDEX_MIN_EVENTS_PER_S = 100_000.0
DEPTH_MAX_RATIO = 1.5
UNDO_MAX_MS = 50.0
LOG_MAX_MS = 100.0
LOG_N = 50
#: switches and undos run under cProfile after the timed ones, for the details
PROFILED = 4


def _s(samples: list[float]) -> list[float]:
    return [round(s * 1000, 3) for s in samples]


# ------------------------------------------------------------------ reindex


def run_history_reindex(ctx: Context) -> BenchResult:
    from comfyvn_vault.vault import Vault

    result = BenchResult("history-reindex")
    batched = ensure_batched(ctx)
    with Vault.open(batched.vault) as vault:
        log(f"history-reindex: reindex of {batched.events:,} events")
        t, cpu = time.perf_counter(), time.process_time()
        first = vault.reindex()
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        log("history-reindex: reindex --verify")
        t = time.perf_counter()
        verified = vault.reindex(verify=True)
        verify_s = time.perf_counter() - t
    if first["events"] != batched.events:
        raise BenchError(f"reindex indexed {first['events']} events, the history holds {batched.events}")
    if not verified.get("identical"):
        raise BenchError("reindex --verify: the rebuilt projections differ")
    eps = batched.events / seconds
    result.rows.append(
        Row(
            f"reindex of {batched.events:,} events ({len(batched.comfyvn_s) + 2} commits)",
            "events/s",
            eps,
            "git",
            None,
            target=f">= {REINDEX_MIN_EVENTS_PER_S:,.0f} events/s",
            met=meets_min(eps, REINDEX_MIN_EVENTS_PER_S),
            note="no equivalent",
        )
    )
    result.rows.append(
        Row(
            f"reindex --verify of {batched.events:,} events",
            "s",
            verify_s,
            "git",
            None,
            target="(reported)",
            met=None,
            higher_is_better=False,
            note="no equivalent",
        )
    )

    deep = ensure_linear(ctx, "deep")
    with Vault.open(deep.vault) as vault:
        log(f"history-reindex: reindex of the {deep.commits:,}-commit history")
        t = time.perf_counter()
        deep_doc = vault.reindex()
        deep_s = time.perf_counter() - t
    graph = run_timed(["git", "commit-graph", "write", "--reachable", "--no-progress"], deep.git, ctx.env.git())
    # Leave the repository as the other benchmarks expect it: without a commit-graph.
    for leftover in (deep.git / ".git" / "objects" / "info").glob("commit-graph*"):
        if leftover.is_dir():
            for f in leftover.iterdir():
                f.unlink()
            leftover.rmdir()
        else:
            leftover.unlink()
    result.rows.append(
        Row(
            f"reindex of a {deep.commits:,}-commit history ({deep_doc['events']:,} events)",
            "ms",
            deep_s * 1000,
            "git commit-graph write --reachable",
            graph.seconds * 1000,
            target="(reported)",
            met=None,
            higher_is_better=False,
            note=f"{deep_doc['events'] / deep_s:,.0f} events/s",
        )
    )
    result.details = {
        "batched": {
            "events": batched.events,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "events_per_s": eps,
            "verify_seconds": verify_s,
        },
        "deep": {
            "commits": deep.commits,
            "events": deep_doc["events"],
            "seconds": deep_s,
            "events_per_s": deep_doc["events"] / deep_s,
            "commits_per_s": deep.commits / deep_s,
            "git_commit_graph_s": graph.seconds,
        },
    }
    return result


# ------------------------------------------------------------------ switch and undo


def _git(repo: Path, env: dict[str, str], *args: str) -> float:
    return run_timed(["git", *args], repo, env).seconds


def _prepare_branches(ctx: Context, lin: Linear) -> None:
    """Branch ``variant`` at main's tip with ``variant_scenes`` scenes edited (one commit each), in both tools."""
    from comfyvn_vault.api import edit
    from comfyvn_vault.vault import Vault

    sizes = sizes_of(ctx)
    env = ctx.env.git()
    with Vault.open(lin.vault) as vault:
        vault.branch_create("variant")
        vault.switch("variant")
        _git(lin.git, env, "checkout", "-q", "-b", "variant")
        for i in range(sizes.variant_scenes):
            edit.node_edit(vault, scene_id(i), node_id(0), content=f"A line only the variant has ({i}).")
            (lin.git / scene_file(i)).write_bytes((lin.vault / scene_file(i)).read_bytes())
            _git(lin.git, env, "commit", "-q", "-a", "-m", f"variant {i}")
        vault.switch("main")
        _git(lin.git, env, "checkout", "-q", "main")


def _check_branch(lin: Linear, branch: str) -> None:
    text = (lin.vault / scene_file(0)).read_text()
    git_text = (lin.git / scene_file(0)).read_text()
    want = branch == "variant"
    if ("only the variant has" in text) != want or ("only the variant has" in git_text) != want:
        raise BenchError(f"after switching to {branch} the files do not show it")


Samples = dict[str, dict[str, list[float]]]  # depth name -> measurement -> seconds


def _empty(lins: dict[str, Linear]) -> Samples:
    return {name: {"switch": [], "git_checkout": [], "undo": [], "git_reset": []} for name in lins}


def _api_samples(ctx: Context, lins: dict[str, Linear], profiles: dict[str, Any]) -> Samples:
    """switch and undo through one open Vault per depth, interleaved with git's checkout and reset --hard.

    Each sample measures every depth in turn, so a change of load on the (shared) machine hits all
    depths alike. Then a few more of each on the deepest history under cProfile, into ``profiles``.
    """
    from comfyvn_vault.api import edit
    from comfyvn_vault.vault import Vault

    sizes = sizes_of(ctx)
    env = ctx.env.git()
    out = _empty(lins)
    vaults = {name: Vault.open(lin.vault) for name, lin in lins.items()}
    try:
        log(f"history-switch: {sizes.samples} API switches and undos at each depth")
        for k in range(sizes.samples):
            branch = "variant" if k % 2 == 0 else "main"
            for name, lin in lins.items():
                t = time.perf_counter()
                vaults[name].switch(branch)
                out[name]["switch"].append(time.perf_counter() - t)
                out[name]["git_checkout"].append(_git(lin.git, env, "checkout", "-q", branch))
                _check_branch(lin, branch)
        for name, lin in lins.items():
            if vaults[name].history.head_branch() != "main":
                vaults[name].switch("main")
                _git(lin.git, env, "checkout", "-q", "main")
        for k in range(sizes.samples):
            i = sizes.variant_scenes + k
            for name, lin in lins.items():
                text = f"An edit to undo ({name} api {k})."
                edit.node_edit(vaults[name], scene_id(i), node_id(1), content=text)
                (lin.git / scene_file(i)).write_bytes((lin.vault / scene_file(i)).read_bytes())
                _git(lin.git, env, "commit", "-q", "-a", "-m", f"edit to undo {k}")
                t = time.perf_counter()
                vaults[name].undo()
                out[name]["undo"].append(time.perf_counter() - t)
                out[name]["git_reset"].append(_git(lin.git, env, "reset", "-q", "--hard", "HEAD@{1}"))
                if text in (lin.vault / scene_file(i)).read_text() or text in (lin.git / scene_file(i)).read_text():
                    raise BenchError(f"undo left the edit in {scene_file(i)}")
        deepest = list(lins)[-1]
        vault = vaults[deepest]
        switch_prof, undo_prof = cProfile.Profile(), cProfile.Profile()
        for k in range(PROFILED):
            switch_prof.enable()
            vault.switch("variant" if k % 2 == 0 else "main")
            switch_prof.disable()
            edit.node_edit(vault, scene_id(k), node_id(2), content=f"An edit to undo (profiled {k}).")
            undo_prof.enable()
            vault.undo()
            undo_prof.disable()
        profiles["depth"] = lins[deepest].edits
        profiles["switch"] = profile_top(switch_prof, PROFILED, top=10)
        profiles["undo"] = profile_top(undo_prof, PROFILED, top=10)
    finally:
        for v in vaults.values():
            v.close()
    return out


def _cli_samples(ctx: Context, lins: dict[str, Linear]) -> Samples:
    """``comfyvn switch`` and ``comfyvn undo`` (a process each), interleaved with git's and across depths."""
    sizes = sizes_of(ctx)
    cenv, genv = ctx.env.comfyvn(), ctx.env.git()
    comfyvn = comfyvn_bin()
    out = _empty(lins)
    log(f"history-switch: {sizes.samples} CLI switches and undos at each depth")
    for k in range(sizes.samples):
        branch = "variant" if k % 2 == 0 else "main"
        for name, lin in lins.items():
            out[name]["switch"].append(run_timed([comfyvn, "switch", branch], lin.vault, cenv).seconds)
            out[name]["git_checkout"].append(_git(lin.git, genv, "checkout", "-q", branch))
            _check_branch(lin, branch)
    for k in range(sizes.samples):
        i = sizes.variant_scenes + sizes.samples + k
        for name, lin in lins.items():
            text = f"An edit to undo ({name} cli {k})."
            edit: list[str | os.PathLike[str]] = [comfyvn, "scene", "node", "edit", scene_id(i), node_id(1)]
            edit += ["--content", text]
            run_timed(edit, lin.vault, cenv)
            (lin.git / scene_file(i)).write_bytes((lin.vault / scene_file(i)).read_bytes())
            _git(lin.git, genv, "commit", "-q", "-a", "-m", f"edit to undo {k}")
            out[name]["undo"].append(run_timed([comfyvn, "undo"], lin.vault, cenv).seconds)
            out[name]["git_reset"].append(_git(lin.git, genv, "reset", "-q", "--hard", "HEAD@{1}"))
            if text in (lin.vault / scene_file(i)).read_text():
                raise BenchError(f"comfyvn undo left the edit in {scene_file(i)}")
    return out


def run_history_switch(ctx: Context) -> BenchResult:
    sizes = sizes_of(ctx)
    result = BenchResult("history-switch")
    depths = {"shallow": ensure_linear(ctx, "shallow"), "deep": ensure_linear(ctx, "deep")}
    for lin in depths.values():
        _prepare_branches(ctx, lin)
    time.sleep(RACY_WAIT_S)
    profiles: dict[str, Any] = {}
    by_way = {"api": _api_samples(ctx, depths, profiles), "cli": _cli_samples(ctx, depths)}
    measured = {name: {way: by_way[way][name] for way in by_way} for name in depths}
    shallow, deep = depths["shallow"], depths["deep"]
    for way in ("api", "cli"):
        for op, git_op, git_label in (
            ("switch", "git_checkout", "git checkout"),
            ("undo", "git_reset", "git reset --hard HEAD@{1}"),
        ):
            base_ms = median_ms(measured["shallow"][way][op])
            deep_ms = median_ms(measured["deep"][way][op])
            ratio = deep_ms / base_ms
            how = "API, one open vault" if way == "api" else "CLI, start-up included"
            result.rows.append(
                Row(
                    f"{op} at depth {shallow.edits:,} ({how}; median of {sizes.samples})",
                    "ms",
                    base_ms,
                    git_label,
                    median_ms(measured["shallow"][way][git_op]),
                    target="(baseline)",
                    met=None,
                    higher_is_better=False,
                )
            )
            target = f"<= {DEPTH_MAX_RATIO}x depth {shallow.edits}"
            met = ratio <= DEPTH_MAX_RATIO
            if op == "undo" and way == "api":
                target = f"< {UNDO_MAX_MS:.0f} ms and {target}"
                met = met and bool(meets_max(deep_ms, UNDO_MAX_MS))
            result.rows.append(
                Row(
                    f"{op} at depth {deep.edits:,} ({how}; median of {sizes.samples})",
                    "ms",
                    deep_ms,
                    git_label,
                    median_ms(measured["deep"][way][git_op]),
                    target=target,
                    met=met,
                    higher_is_better=False,
                    note=f"{ratio:.2f}x depth {shallow.edits}",
                )
            )
    result.details = {
        "depths": {name: lin.edits for name, lin in depths.items()},
        "commits_on_main": {name: lin.commits for name, lin in depths.items()},
        "variant_scenes": sizes.variant_scenes,
        "samples_ms": {
            name: {way: {k: _s(v) for k, v in d.items()} for way, d in m.items()} for name, m in measured.items()
        },
        "api_profile_at_depth": profiles,
        "notes": [
            "API: one Vault kept open (warm caches), as a long-running UI holds it; the undone operation is a "
            "one-line edit committed just before with edit.node_edit.",
            "CLI: `comfyvn switch BRANCH` and `comfyvn undo` after `comfyvn scene node edit`; git: `git checkout` "
            "and `git reset --hard HEAD@{1}` after `git commit -a` of the same file.",
            f"Files were left {RACY_WAIT_S} s to age before sampling, so only the files the samples rewrite "
            "fall into the stat cache's racy window.",
        ],
    }
    return result


# ------------------------------------------------------------------ log


def run_history_log(ctx: Context) -> BenchResult:
    from comfyvn_vault.api import history
    from comfyvn_vault.vault import Vault

    sizes = sizes_of(ctx)
    result = BenchResult("history-log")
    deep = ensure_linear(ctx, "deep")
    shallow = ensure_linear(ctx, "shallow")
    cenv, genv = ctx.env.comfyvn(), ctx.env.git()
    api: list[float] = []
    opens: list[float] = []
    log(f"history-log: {sizes.log_samples} x log -n {LOG_N} (API, CLI, git) on {deep.commits:,} commits")
    for _ in range(sizes.log_samples):
        t = time.perf_counter()
        vault = Vault.open(deep.vault)
        opened = time.perf_counter()
        try:
            doc = history.log(vault, "HEAD", LOG_N)
        finally:
            api.append(time.perf_counter() - opened)
            opens.append(opened - t)
            vault.close()
        if len(doc.commits) != LOG_N:
            raise BenchError(f"history.log returned {len(doc.commits)} commits, not {LOG_N}")

    # CLI and git, each depth in turn per sample: a change of load hits both tools and both depths alike.
    comfy_cmd: list[str | os.PathLike[str]] = [comfyvn_bin(), "log", "-n", str(LOG_N), "--json"]
    git_cmd = ["git", "log", "-n", str(LOG_N)]
    lins = {"deep": deep, "shallow": shallow}
    cli_s: dict[str, list[float]] = {name: [] for name in lins}
    git_s: dict[str, list[float]] = {name: [] for name in lins}
    for lin in lins.values():
        run_timed(comfy_cmd, lin.vault, cenv)
        run_timed(git_cmd, lin.git, genv)
    for _ in range(sizes.log_samples):
        for name, lin in lins.items():
            timed = run_timed(comfy_cmd, lin.vault, cenv)
            cli_s[name].append(timed.seconds)
            got = len(json.loads(timed.stdout)["commits"])
            if got != min(LOG_N, lin.commits):
                raise BenchError(f"comfyvn log -n {LOG_N} printed {got} commits")
            git_s[name].append(run_timed(git_cmd, lin.git, genv).seconds)
    cli_deep, git_deep = cli_s["deep"], git_s["deep"]
    cli_shallow, git_shallow = cli_s["shallow"], git_s["shallow"]
    runs = f"median of {sizes.log_samples}"
    for label, samples in (
        (f"log -n {LOG_N} on {deep.commits:,} commits (API: api.history.log, fresh vault; {runs})", api),
        (f"log -n {LOG_N} --json on {deep.commits:,} commits (CLI; {runs})", cli_deep),
    ):
        ms = median_ms(samples)
        result.rows.append(
            Row(
                label,
                "ms",
                ms,
                f"git log -n {LOG_N}",
                median_ms(git_deep),
                target=f"< {LOG_MAX_MS:.0f} ms",
                met=meets_max(ms, LOG_MAX_MS),
                higher_is_better=False,
            )
        )
    result.details = {
        "commits": deep.commits,
        "api_ms": _s(api),
        "api_open_ms": _s(opens),
        "cli_ms": _s(cli_deep),
        "git_ms": _s(git_deep),
        "at_depth": {
            "commits": shallow.commits,
            "cli_median_ms": median_ms(cli_shallow),
            "git_median_ms": median_ms(git_shallow),
        },
        "api_median_with_open_ms": statistics.median(a + o for a, o in zip(api, opens, strict=True)) * 1000,
    }
    return result
