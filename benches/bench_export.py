"""Exporting a large story, and playing one, each beside a peer from the same run.

**export**: a story of 1,000 scenes (ten lines each, a weighted choice of two
ways on, a background and a sound from the vault's 2,000 pictures and sounds;
a variable each way sets) is built in a fresh vault, then exported, in this
process, with ``exports.export`` (the story checks, planning, every script
and media file written):

* ``renpy``: the Ren'Py project; the peer is Ren'Py 8.0's own lint of the
  project it wrote (``renpy-lint``, a process: Ren'Py starting, parsing and
  compiling every script and linting it), which must pass;
* ``bundle`` (when the bundle exporter is there): the re-importable bundle,
  beside the same lint time.

**play**: a playthrough of 100,000 steps through ``api.play`` on a story of
200 scenes whose weighted choices loop for ever (conditions, effects and a
seeded pick at every menu). The peer is the floor for any Python runtime:
a bare loop over the same graph (a dict per node, ``random.choices`` for
the pick, no conditions or effects), timed in the same process.
"""

from __future__ import annotations

import os
import random
import statistics
import struct
import time
import wave
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Final

from benches.common import BenchError, BenchResult, Row, log, meets_max, meets_min, run_timed
from benches.context import Context

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

LINT: Final = Path(os.environ.get("RENPY_TOOLS", "/work/shared/tools")) / "renpy-lint"
SCENES: Final = 1_000
ASSETS: Final = 2_000
LINES: Final = 10
PLAY_SCENES: Final = 200
STEPS: Final = 100_000
WORDS: Final = ("the", "lamp", "harbour", "tide", "rope", "gull", "lantern", "keeper", "stair", "salt",
                 "night", "morning", "bell", "wind")  # fmt: skip


def _png(i: int) -> bytes:
    """A small, distinct PNG (16×9, one colour from ``i``)."""
    raw = b"".join(b"\x00" + bytes((i % 251, i // 251 % 251, 7)) * 16 for _ in range(9))
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", 16, 9, 8, 2, 0, 0, 0)), (b"IDAT", zlib.compress(raw)), (b"IEND", b"")]
    out = b"\x89PNG\r\n\x1a\n"
    for kind, data in chunks:
        out += struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return out


def _wav(path: Path, i: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000 + i)  # every sound its own bytes
        w.writeframes(bytes((128 + (i + k) % 64) for k in range(800)))


def _media(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(ASSETS):
        path = folder / (f"bg_{i:04d}.png" if i % 2 == 0 else f"sound_{i:04d}.wav")
        if i % 2 == 0:
            path.write_bytes(_png(i))
        else:
            _wav(path, i)
        paths.append(path)
    return paths


def _build(vault: Vault, media: list[Path], scenes: int, *, weighted: bool, loop: bool) -> None:
    """``scenes`` scenes, each with lines and a choice of two ways on (the last ones end, unless ``loop``)."""
    from comfyvn_vault.api import assets, edit
    from comfyvn_vault.domain.entities import Choice, Node, Scene, Variable
    from comfyvn_vault.domain.paths import entity_path

    rng = random.Random(f"export-{scenes}")
    ids: list[str] = []
    if media:
        ids = [a.id for a in assets.add(vault, media, license="CC0-1.0").assets]
    edit.character_new(vault, "Mina", character_id="mina")
    edit.character_new(vault, "Bob", character_id="bob")
    vault_vars = {entity_path("variables", "trust"): Variable(id="trust", name="trust", value=0)}
    edit.save(vault, vault_vars, "A variable")
    docs = {}
    for i in reversed(range(scenes)):  # the scenes a choice leads to exist before it
        sid = f"s{i:04d}"
        nodes = []
        if ids:
            nodes.append(Node(id="set", type="action", directives={"scene": ids[2 * i % len(ids)],
                                                                    "music": ids[(2 * i + 1) % len(ids)]}))  # fmt: skip
        for j in range(LINES):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))).capitalize() + "."
            nodes.append(Node(id=f"n{j}", speaker=("mina", "bob", None)[j % 3], content=text))
        ways = [(i + 1) % scenes, (i + 2) % scenes] if loop else [k for k in (i + 1, i + 2) if k < scenes]
        if ways:
            choices = [
                Choice(
                    id=f"c{k}",
                    text=f"Go to {w}",
                    target=f"s{w:04d}:",
                    effects="trust += 1" if k else "trust -= 1",
                    weight=(k + 1) if weighted else None,
                    condition="trust > -1000000" if k else None,
                )
                for k, w in enumerate(ways)
            ]
            nodes.append(Node(id="ask", type="choice", content="Where now?", choices=choices))
        docs[entity_path("scenes", sid)] = Scene(id=sid, title=f"Scene {i}", nodes=nodes)
    if loop:  # a loop needs every scene before any link: save them without links, then with them
        bare = {p: Scene(id=s.id, title=s.title, nodes=[n for n in s.nodes if n.type != "choice"]) for p, s in
                docs.items()}  # fmt: skip
        edit.save(vault, bare, "The scenes")
    edit.save(vault, docs, "The story")
    edit.timeline_new(vault, "Main", [f"s{i:04d}" for i in range(min(scenes, 50))])


def _export_once(vault: Vault, kind: str, out: Path) -> tuple[float, int]:
    from comfyvn_vault.api import exports

    start = time.perf_counter()
    done = exports.export(vault, kind, out)
    return time.perf_counter() - start, len(done.files)


def run_export(ctx: Context) -> BenchResult:
    from comfyvn_vault.adapters.registry import EXPORTERS
    from comfyvn_vault.vault import Vault

    result = BenchResult("export")
    if not LINT.is_file():
        raise BenchError(f"renpy-lint is missing ({LINT}; set RENPY_TOOLS)")
    media = _media(ctx.folder("export", "media"))
    vault, _ = Vault.init(ctx.folder("export", "vault"))
    runs = 2 if ctx.quick else 3
    with vault:
        started = time.perf_counter()
        _build(vault, media, SCENES, weighted=True, loop=False)
        log(f"   built {SCENES} scenes and {ASSETS} assets in {time.perf_counter() - started:.1f} s")
        kinds = [k for k in ("renpy", "bundle") if k in EXPORTERS.kinds()]
        times: dict[str, list[float]] = {k: [] for k in kinds}
        files: dict[str, int] = {}
        for kind in kinds:
            for i in range(runs):
                out = ctx.folder("export", f"{kind}-{i}") / ("story.zip" if kind == "bundle" else "game")
                seconds, files[kind] = _export_once(vault, kind, out)
                times[kind].append(seconds)
                log(f"   export {kind} {i + 1}/{runs}: {seconds:.2f} s, {files[kind]} files")
    project = ctx.folder("export", "renpy-0") / "game"
    cwd = ctx.folder("export", "lint")
    run_timed([LINT, project], cwd)  # untimed: the first run may set renpy-lint's copy of Ren'Py up
    lints = []
    for i in range(2):
        timed = run_timed([LINT, project], cwd)
        if "renpy-lint: clean" not in timed.stdout:
            raise BenchError(f"renpy-lint did not pass the exported story: {timed.stdout[-600:]}")
        lints.append(timed.seconds)
        log(f"   renpy-lint {i + 1}/2: {timed.seconds:.2f} s")
    lint = statistics.median(lints)
    for kind in kinds:
        comfy = statistics.median(times[kind])
        what = "a Ren'Py project" if kind == "renpy" else "a bundle"
        result.rows.append(
            Row(
                f"export {SCENES:,} scenes and {ASSETS:,} assets as {what} (exports.export; median of {runs})",
                "s",
                comfy,
                "Ren'Py 8.0's own lint of the exported project (renpy-lint; median of 2)",
                lint,
                target="< Ren'Py's lint" if kind == "renpy" else "(reported)",
                met=meets_max(comfy, lint) if kind == "renpy" else None,
                higher_is_better=False,
                note=f"{files[kind]:,} files written, story checks included"
                + ("; the lint passes" if kind == "renpy" else "; every picture and sound signed with C2PA"),
            )
        )
    result.details = {"export_s": times, "renpy_lint_s": lints, "files": files}
    return result


# --------------------------------------------------------------------------- playing


def _bare_walk(vault: Vault, steps: int, seed: int) -> float:
    """Seconds for ``steps`` steps of a bare Python loop over the story's graph: the floor, not a runtime."""
    from comfyvn_vault.adapters import story_view

    story = story_view(vault.history)
    graph: dict[tuple[str, int], tuple[list[tuple[str, int]], list[int]]] = {}
    for scene in story.scenes():
        for j, node in enumerate(scene.nodes):
            if node.choices:
                graph[(scene.id, j)] = ([(c.target.rstrip(":"), 0) for c in node.choices],
                                        [c.weight or 1 for c in node.choices])  # fmt: skip
            else:
                graph[(scene.id, j)] = ([(scene.id, j + 1)], [1])
    rng = random.Random(seed)
    place = ("s0000", 0)
    transcript = []
    start = time.perf_counter()
    for _ in range(steps):
        ways, weights = graph[place]
        transcript.append(place)
        place = ways[0] if len(ways) == 1 else rng.choices(ways, weights)[0]
    return time.perf_counter() - start


def run_play(ctx: Context) -> BenchResult:
    from comfyvn_vault.api import play
    from comfyvn_vault.vault import Vault

    result = BenchResult("play")
    vault, _ = Vault.init(ctx.folder("play", "vault"))
    runs = 2 if ctx.quick else 3
    ours: list[float] = []
    floor: list[float] = []
    with vault:
        _build(vault, [], PLAY_SCENES, weighted=True, loop=True)
        for i in range(runs):
            start = time.perf_counter()
            p = play.play(vault, seed=i, max_steps=STEPS)
            ours.append(time.perf_counter() - start)
            if p.stopped != "limit" or len(p.path) < STEPS // 2:
                raise BenchError(f"the playthrough stopped early ({p.stopped}, {len(p.path)} steps)")
            floor.append(_bare_walk(vault, STEPS, i))
            log(f"   play {i + 1}/{runs}: {ours[-1]:.2f} s; bare loop {floor[-1]:.3f} s")
    comfy, peer = STEPS / statistics.median(ours), STEPS / statistics.median(floor)
    result.rows.append(
        Row(
            f"playthrough of {STEPS:,} seeded steps through api.play (median of {runs})",
            "steps/s",
            comfy,
            "a bare Python loop over the same graph (random.choices, no conditions or effects)",
            peer,
            target=">= 100,000 steps/s",
            met=meets_min(comfy, 100_000),
            note=f"{PLAY_SCENES} scenes looping for ever; every menu a condition, effects and a weighted pick",
        )
    )
    result.details = {"play_s": ours, "bare_loop_s": floor, "steps": STEPS}
    return result
