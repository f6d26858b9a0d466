"""Issue 7 benchmark: register N images of 1-3 MB (with thumbnails) against ``git add`` of the same files.

comfyvn: ``comfyvn asset add --json data/*`` in a fresh vault: every image is
sniffed, decoded in full (truncation check), thumbnailed, hashed, stored and
registered by ``AssetImported`` events plus the license scan's findings, in
one commit. git: ``git add -A`` + ``git commit`` in a fresh repository. Both
read the same hard-linked files, just written (so in the page cache for both).

Full size is 5,000 images (~10 GB). ``COMFYVN_BENCH_ASSETS=N`` (or
``--count N`` when run alone: ``python -m benches.bench_assets --count 200``)
scales it; under ``run_all --quick`` the default is 200.

The images are PNGs of 1-3 MB made of random 8x8 tiles (noise that PNG cannot
squeeze, but cheap to make) and JPEGs at quality 95, two thirds PNG.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from benches.common import BenchError, BenchResult, Row, log, mb_per_s, run_timed
from benches.peers import comfyvn_bin, git_add_commit, git_init

FULL_COUNT = 5000
QUICK_COUNT = 200


def make_images(folder: Path, count: int, seed: int = 7) -> tuple[list[Path], int]:
    """``count`` images of 1-3 MB in ``folder``; returns the files and their total size."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files: list[Path] = []
    total = 0
    for i in range(count):
        target = rng.randint(1_000_000, 3_000_000)
        png = i % 3 != 2
        # random bytes in PNG stay ~1 byte/pixel-channel; JPEG q95 of noise is about 2 bytes/pixel
        pixels = target // (3 if png else 2)
        side = max(64, int(pixels**0.5))
        img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        path = folder / (f"img{i:05d}.png" if png else f"img{i:05d}.jpg")
        if png:
            img.save(path, "PNG", compress_level=1)
        else:
            img.save(path, "JPEG", quality=95)
        files.append(path)
        total += path.stat().st_size
        if (i + 1) % 500 == 0:
            log(f"assets: made {i + 1}/{count} images")
    return files, total


def _link(files: list[Path], into: Path) -> None:
    data = into / "data"
    data.mkdir(parents=True, exist_ok=True)
    for f in files:
        os.link(f, data / f.name)


def _env(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "COMFYVN_"))}
    env.update(
        HOME=str(scratch),
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        COMFYVN_AUTHOR="bench",
    )
    return env


def measure(scratch: Path, count: int) -> dict[str, Any]:
    """Make the corpus, add it with comfyvn and with git; the figures as a dict."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = _env(scratch)
    t0 = time.perf_counter()
    files, total = make_images(scratch / "corpus", count)
    log(f"assets: {count} images, {total / 1e6:.0f} MB made in {time.perf_counter() - t0:.0f} s")
    load_before = os.getloadavg()
    vault, repo = scratch / "comfyvn", scratch / "git"
    vault.mkdir()
    _link(files, vault)
    run_timed([str(comfyvn_bin()), "init", "."], vault, env)
    # One invocation per 1,000 files keeps argv under the kernel's limit; all timed together.
    names = sorted(p.name for p in (vault / "data").iterdir())
    comfy_s, new = 0.0, 0
    for start in range(0, len(names), 1000):
        batch = [f"data/{n}" for n in names[start : start + 1000]]
        timed = run_timed([str(comfyvn_bin()), "asset", "add", "--json", *batch], vault, env)
        comfy_s += timed.seconds
        new += sum(1 for a in json.loads(timed.stdout)["assets"] if a["new"])
    if new != count:
        raise BenchError(f"comfyvn registered {new} of {count} images")
    thumbs = sum(1 for _ in (vault / ".comfyvn" / "cache" / "thumbs").rglob("*.png"))
    if thumbs != count:
        raise BenchError(f"{thumbs} thumbnails for {count} images")
    shutil.rmtree(vault / ".comfyvn")  # free the disk before git's copy
    git_init(repo, env)
    _link(files, repo)
    add, commit = git_add_commit(repo, env, "add images")
    git_s = add.seconds + commit.seconds
    load_after = os.getloadavg()
    return {
        "count": count,
        "bytes": total,
        "comfyvn_seconds": round(comfy_s, 2),
        "git_seconds": round(git_s, 2),
        "comfyvn_mb_s": round(mb_per_s(total, comfy_s), 1),
        "git_mb_s": round(mb_per_s(total, git_s), 1),
        "comfyvn_files_s": round(count / comfy_s, 1),
        "git_files_s": round(count / git_s, 1),
        "ratio_vs_git": round(git_s / comfy_s, 2),
        "thumbnails": thumbs,
        "load_average": [load_before, load_after],
    }


def run_assets(ctx: Any) -> BenchResult:
    """The ``run_all`` entry: scaled by ``COMFYVN_BENCH_ASSETS`` (default 5,000; 200 with --quick)."""
    count = int(os.environ.get("COMFYVN_BENCH_ASSETS", QUICK_COUNT if ctx.quick else FULL_COUNT))
    figures = measure(ctx.folder("assets"), count)
    rows = [
        Row(f"asset add {count} images (1-3 MB, thumbnails)", "MB/s", figures["comfyvn_mb_s"], "git add+commit",
            figures["git_mb_s"], "-", None),
        Row(f"asset add {count} images (1-3 MB, thumbnails)", "files/s", figures["comfyvn_files_s"],
            "git add+commit", figures["git_files_s"], "-", None),
    ]  # fmt: skip
    return BenchResult("assets", rows=rows, details=figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.bench_assets", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=int(os.environ.get("COMFYVN_BENCH_ASSETS", QUICK_COUNT)))
    parser.add_argument("--scratch", type=Path, default=Path("benches/results/work/assets"))
    parser.add_argument("--out", type=Path, default=Path("benches/results/assets-latest.json"))
    args = parser.parse_args(argv)
    if args.scratch.exists():
        shutil.rmtree(args.scratch)
    try:
        figures = measure(args.scratch, args.count)
    finally:
        shutil.rmtree(args.scratch, ignore_errors=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
