"""Sync: clone, no-op fetch and one-commit fetch, against git in the same run.

* clone of a vault with many commits and a large asset set: ``comfyvn clone`` from
  a path and over ``comfyvn serve`` (HTTP) against ``git clone --no-local``
  (file://, which packs and sends objects as a remote clone does) of a git
  repository with the same commits and the same asset bytes;
* a no-op fetch of that (~100k-object) vault: CLI and API, path and HTTP,
  against ``git fetch`` (target < 300 ms);
* fetch of one new commit over HTTP: bytes on the wire (every request and
  response body counted) against the new objects' stored size (target
  <= 1.05x plus a small constant), and the time against ``git fetch``;
* the asset-heavy case against DVC: the same asset files pushed to a local
  target (``comfyvn push`` from a clone of an empty vault to that vault, against
  ``dvc add`` + ``dvc push`` to a ``dvc remote add -d`` folder), then a fresh
  checkout pulling them (``comfyvn clone`` of that vault, against ``git clone``
  of the DVC repository + ``dvc pull``). Without DVC these rows say why.

Sizes: ``COMFYVN_BENCH_SYNC_COMMITS`` / ``COMFYVN_BENCH_SYNC_ASSET_MB``
(defaults 12,500 commits and 500 MB; ``--quick`` a tenth).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benches.common import MB, BenchError, BenchResult, Row, disk_usage, log, mb_per_s, run_timed
from benches.context import Context
from benches.peers import comfyvn_bin, dvc_init

SCENES = 100
TOKEN = "bench-token"


def _sizes(quick: bool) -> tuple[int, int]:
    commits = int(os.environ.get("COMFYVN_BENCH_SYNC_COMMITS", "12500"))
    asset_mb = int(os.environ.get("COMFYVN_BENCH_SYNC_ASSET_MB", "500"))
    return (commits // 10, asset_mb // 10) if quick else (commits, asset_mb)


def _assets(folder: Path, total_mb: int) -> list[Path]:
    """Incompressible media-like files of 10 MB (the last one shorter)."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    left = total_mb * MB
    i = 0
    while left > 0:
        n = min(10 * MB, left)
        f = folder / f"take{i:03d}.bin"
        with open(f, "wb") as fh:
            fh.write(os.urandom(n))
        out.append(f)
        left -= n
        i += 1
    return out


def _build_vault(root: Path, commits: int, assets: list[Path], env: dict[str, str]) -> None:
    from comfyvn_vault.api import edit
    from comfyvn_vault.vault import Vault

    vault, _ = Vault.init(root)
    with vault:
        for s in range(SCENES):
            edit.scene_new(vault, f"Scene {s}", scene_id=f"s{s}")
        for i in range(commits - SCENES):
            edit.node_add(vault, f"s{i % SCENES}", speaker="Alice", content=f"Line {i} of the story, said aloud.")
            if i % 2000 == 0:
                log(f"sync: built {i + SCENES:,} commits")
    run_timed([comfyvn_bin(), "asset", "add", *assets], root, env)


def _build_git(root: Path, commits: int, assets: list[Path], env: dict[str, str]) -> None:
    """The same history for git: one file per scene, one line appended per commit, then the assets."""
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    lines: dict[int, list[str]] = {}
    stream: list[bytes] = []
    for i in range(commits):
        s = i % SCENES
        lines.setdefault(s, [f'title = "Scene {s}"'])
        if i >= SCENES:
            lines[s].append(f'Alice: "Line {i - SCENES} of the story, said aloud."')
        data = ("\n".join(lines[s]) + "\n").encode()
        msg = f"commit {i}".encode()
        # Consecutive commits to one ref in a fast-import stream chain on their own.
        head = b"commit refs/heads/main\ncommitter bench <b@b> %d +0000\ndata %d\n%s\n" % (
            1_700_000_000 + i,
            len(msg),
            msg,
        )
        stream.append(head + b"M 644 inline scenes/s%d.toml\ndata %d\n%s\n" % (s, len(data), data))
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(stream), cwd=root, check=True, env=env)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True, env=env)
    (root / "assets").mkdir()
    for a in assets:
        os.link(a, root / "assets" / a.name)
    subprocess.run(["git", "add", "assets"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "assets"], cwd=root, check=True, env=env)


@contextmanager
def _server(root: Path, env: dict[str, str]) -> Iterator[str]:
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [comfyvn_bin(), "-C", root, "serve", "--port", str(port)],
        env={**env, "COMFYVN_SERVE_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _median(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class _CountingHttp:
    """An HttpRemote whose request and response bodies are counted (the bytes a fetch moves)."""

    def __init__(self, url: str) -> None:
        from comfyvn_vault.sync.http_client import HttpRemote

        self.remote = HttpRemote(url, TOKEN)
        self.bytes = 0
        client = self.remote.client
        original = client.send

        def send(request: Any, **kwargs: Any) -> Any:
            self.bytes += len(request.content) if not kwargs.get("stream") else 0
            response = original(request, **kwargs)
            if not kwargs.get("stream"):
                self.bytes += len(response.content)
            return response

        client.send = send  # type: ignore[method-assign]
        original_stream = self.remote.stream

        def stream(ids: list[Any]) -> Iterator[bytes]:
            self.bytes += 32 * len(ids)
            for chunk in original_stream(ids):
                self.bytes += len(chunk)
                yield chunk

        self.remote.stream = stream  # type: ignore[method-assign]


def _link_assets(assets: list[Path], folder: Path) -> list[str]:
    """Hard links to the asset files in ``folder``: every tool reads the same inodes (already cached)."""
    folder.mkdir(parents=True, exist_ok=True)
    for a in assets:
        os.link(a, folder / a.name)
    return [f"{folder.name}/{a.name}" for a in assets]


def _dvc_rows(ctx: Context, work: Path, assets: list[Path], asset_mb: int) -> tuple[list[Row], dict[str, Any]]:
    """The asset-heavy case against DVC: push the assets to a local target, then a fresh checkout pulls them.

    comfyvn: ``comfyvn init`` an empty target vault, ``comfyvn clone`` it, ``comfyvn asset add`` the
    assets in the clone and ``comfyvn push`` them back (only the asset bytes and one commit are new to
    the target); the pull is ``comfyvn clone`` of the target from its path. DVC: a fresh git + DVC
    repository with ``dvc remote add -d store DIR`` (an empty folder), ``dvc add assets`` +
    ``dvc push``, the ``.dvc`` file committed; the pull is ``git clone`` of that repository +
    ``dvc pull`` (timed as ``dvc fetch`` into the cache, then ``dvc checkout`` into the workspace).
    """
    env = ctx.env.comfyvn()
    size = sum(a.stat().st_size for a in assets)
    details: dict[str, Any] = {"asset_bytes": size, "files": len(assets)}
    base = work / "vs-dvc"
    base.mkdir()

    log(f"sync vs DVC: comfyvn asset add + push of {asset_mb} MB to a path vault")
    target = base / "c-target"
    run_timed([comfyvn_bin(), "init", target], base, env)
    src = base / "c-src"
    run_timed([comfyvn_bin(), "clone", target, src], base, env)
    names = _link_assets(assets, src / "assets")
    c_add = run_timed([comfyvn_bin(), "asset", "add", *names], src, env).seconds
    c_push = run_timed([comfyvn_bin(), "push", "origin"], src, env).seconds
    log("sync vs DVC: comfyvn clone of the pushed vault")
    c_clone = run_timed([comfyvn_bin(), "clone", target, base / "c-pull"], base, env).seconds
    pulled = disk_usage(base / "c-pull" / ".comfyvn").apparent_bytes
    if pulled < size:
        raise BenchError(f"comfyvn clone of the pushed assets holds {pulled} B, fewer than the {size} B pushed")
    details["comfyvn_s"] = {"asset_add": c_add, "push": c_push, "clone": c_clone}
    details["comfyvn_target_store_bytes"] = disk_usage(target / ".comfyvn").apparent_bytes

    d_add = d_push = d_clone = d_fetch = d_checkout = None
    dvc = ctx.dvc.bin
    note = "" if dvc is not None else f"DVC unavailable: {ctx.dvc.error}"
    if dvc is not None:
        denv = ctx.env.dvc()
        repo = base / "dvc"
        dvc_init(dvc, repo, denv)
        store = base / "dvc-remote"
        store.mkdir()
        run_timed([dvc, "remote", "add", "-q", "-d", "store", store], repo, denv)
        _link_assets(assets, repo / "assets")
        log(f"sync vs DVC: dvc add + dvc push of {asset_mb} MB to a local remote")
        d_add = run_timed([dvc, "add", "-q", "assets"], repo, denv).seconds
        d_push = run_timed([dvc, "push", "-q"], repo, denv).seconds
        run_timed(["git", "add", "-A"], repo, denv)
        run_timed(["git", "commit", "-q", "-m", "assets"], repo, denv)
        log("sync vs DVC: git clone + dvc pull (fetch, checkout)")
        pull = base / "dvc-pull"
        d_clone = run_timed(["git", "clone", "-q", "--no-local", f"file://{repo}", pull], base, denv).seconds
        d_fetch = run_timed([dvc, "fetch", "-q"], pull, denv).seconds
        d_checkout = run_timed([dvc, "checkout", "-q"], pull, denv).seconds
        got = disk_usage(pull / "assets").apparent_bytes if (pull / "assets").is_dir() else 0
        if got != size:
            raise BenchError(f"dvc pull checked out {got} B of assets, not {size} B")
        details["dvc_s"] = {
            "add": d_add,
            "push": d_push,
            "git_clone": d_clone,
            "fetch": d_fetch,
            "checkout": d_checkout,
        }
        details["dvc_remote_bytes"] = disk_usage(store).apparent_bytes
        cache_type = run_timed([dvc, "config", "cache.type"], repo, denv, ok=(0, 1, 251)).stdout.strip()
        details["dvc_cache_type"] = cache_type or "unset (DVC's default: reflink, else copy)"

    def speed(*parts: float | None) -> float | None:
        return None if any(p is None for p in parts) else mb_per_s(size, sum(p for p in parts if p is not None))

    label = f"{asset_mb} MB of assets ({len(assets)} incompressible files)"
    specs = [
        (f"push {label} to a local path: push only", speed(c_push), "DVC push (local remote)", speed(d_push)),
        (
            f"add + push {label} to a local path (comfyvn asset add + push)",
            speed(c_add, c_push),
            "DVC add + push (local remote)",
            speed(d_add, d_push),
        ),
        (
            f"fresh checkout pulling {label} from a path: comfyvn clone (into the store)",
            speed(c_clone),
            "git clone + dvc pull (fetch + checkout; local remote)",
            speed(d_clone, d_fetch, d_checkout),
        ),
        (
            f"fresh checkout pulling {label} from a path: comfyvn clone vs cache only",
            speed(c_clone),
            "git clone + dvc fetch (cache only; local remote)",
            speed(d_clone, d_fetch),
        ),
    ]
    rows = [Row(b, "MB/s", c, peer_name, p, "(reported)", None, True, note) for b, c, peer_name, p in specs]
    return rows, details


def run_sync(ctx: Context) -> BenchResult:
    from comfyvn_vault import sync
    from comfyvn_vault.api import edit
    from comfyvn_vault.vault import Vault

    result = BenchResult("sync")
    commits, asset_mb = _sizes(ctx.quick)
    env = {**ctx.env.comfyvn(), "COMFYVN_TOKEN": TOKEN}
    genv = ctx.env.git()
    work = ctx.folder("sync")
    log(f"sync: building a vault of {commits:,} commits and {asset_mb} MB of assets, and the same for git")
    assets = _assets(work / "media", asset_mb)
    origin = work / "origin"
    _build_vault(origin, commits, assets, env)
    gorigin = work / "git-origin"
    _build_git(gorigin, commits, assets, genv)
    with Vault.open(origin) as v:
        objects = v.store.count()
    result.details.update({"commits": commits, "asset_mb": asset_mb, "objects": objects})

    log("sync: clone")
    t_path = run_timed([comfyvn_bin(), "clone", origin, work / "c-path"], work, env).seconds
    t_git = run_timed(["git", "clone", "-q", "--no-local", f"file://{gorigin}", work / "g-clone"], work, genv).seconds
    with _server(origin, ctx.env.comfyvn()) as url:
        t_http = run_timed([comfyvn_bin(), "clone", url, work / "c-http"], work, env).seconds
        label = f"clone, {commits:,} commits + {asset_mb} MB assets ({objects:,} objects)"
        result.rows.append(
            Row(label + ", path", "s", t_path, "git clone --no-local file://", t_git, "(baseline)", None, False)
        )
        result.rows.append(
            Row(
                label + ", comfyvn serve (HTTP)",
                "s",
                t_http,
                "git clone --no-local file://",
                t_git,
                "(baseline)",
                None,
                False,
            )
        )

        log("sync: no-op fetch")
        runs = 3 if ctx.quick else 7
        cli_path = [run_timed([comfyvn_bin(), "fetch"], work / "c-path", env).seconds for _ in range(runs)]
        cli_http = [run_timed([comfyvn_bin(), "fetch"], work / "c-http", env).seconds for _ in range(runs)]
        git_noop = [run_timed(["git", "fetch", "-q"], work / "g-clone", genv).seconds for _ in range(runs)]
        api_http: list[float] = []
        os.environ["COMFYVN_TOKEN"] = TOKEN  # the in-process client reads it as the CLI does
        with Vault.open(work / "c-http") as v:
            for _ in range(runs):
                t0 = time.perf_counter()
                sync.fetch(v, "origin")
                api_http.append(time.perf_counter() - t0)
        for name, samples in (("CLI, path", cli_path), ("CLI, HTTP", cli_http), ("API, HTTP", api_http)):
            ms = _median(samples)
            result.rows.append(
                Row(
                    f"no-op fetch of the {objects:,}-object vault ({name}; median of {runs})",
                    "ms",
                    ms,
                    "git fetch (file://)",
                    _median(git_noop),
                    "< 300 ms",
                    ms < 300,
                    False,
                )
            )

        log("sync: fetch of one new commit")
        with Vault.open(origin) as v:
            before = set(v.store.ids())
            edit.node_add(v, "s1", speaker="Bob", content="One more line, fetched over HTTP.")
        (gorigin / "scenes" / "s1.toml").open("a").write('Bob: "One more line, fetched over HTTP."\n')
        subprocess.run(["git", "commit", "-q", "-am", "one more"], cwd=gorigin, check=True, env=genv)
        with Vault.open(origin) as v:
            new_stored = sum(v.store.info(i).stored for i in set(v.store.ids()) - before)
        counting = _CountingHttp(url)
        with Vault.open(work / "c-http") as v:
            t0 = time.perf_counter()
            got = sync.fetch(v, "origin", remote=counting.remote)  # type: ignore[arg-type]
            t_one = time.perf_counter() - t0
        counting.remote.close()
        t_git_one = run_timed(["git", "fetch", "-q"], work / "g-clone", genv).seconds
        wire = counting.bytes
        result.details.update(
            {"one_commit": {"objects": got.objects, "new_stored_bytes": new_stored, "wire_bytes": wire}}
        )
        if got.objects == 0:
            raise BenchError("the one-commit fetch moved nothing")
        result.rows.append(
            Row(
                f"fetch of one new commit over HTTP: bytes on the wire"
                f" ({got.objects} new objects, {new_stored} B stored)",
                "B",
                float(wire),
                "1.05x stored + 4 KiB",
                1.05 * new_stored + 4096,
                "<= 1.05x stored + small constant",
                wire <= 1.05 * new_stored + 4096,
                False,
            )
        )
        result.rows.append(
            Row(
                "fetch of one new commit over HTTP (API)",
                "ms",
                t_one * 1000,
                "git fetch (file://)",
                t_git_one * 1000,
                "(baseline)",
                None,
                False,
            )
        )
    rows, details = _dvc_rows(ctx, work, assets, asset_mb)
    result.rows += rows
    result.details["vs_dvc"] = details
    return result


if __name__ == "__main__":
    import argparse
    import shutil

    from benches.peers import PERSISTENT_WORK, ensure_dvc

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from benches.common import Sizes

    scratch = PERSISTENT_WORK / "sync-standalone"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    c = Context(
        sizes=Sizes.quick() if args.quick else Sizes.full(),
        quick=args.quick,
        scratch=scratch,
        dvc=ensure_dvc(),
    )
    try:
        r = run_sync(c)
        for row in r.rows:
            print(
                f"{row.benchmark}: comfyvn {row.comfyvn:.1f} {row.unit} vs {row.peer_name} {row.peer} (met: {row.met})"
            )
        print(r.details)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0)
