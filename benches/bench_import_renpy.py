"""Import of a Ren'Py game, beside Ren'Py's own lint of the same game.

The game is The Question, Ren'Py's demo (Debian's ``renpy-thequestion``: 4
scripts of 2,467 lines, 35 translation scripts, 60 images, a song; 8.9 MB).
Measured, each the median of a few runs in the same run of the benchmarks:

* ``apply_import`` of the game folder with the ``renpy`` importer, in this
  process, each run into a fresh vault: reading every file, planning (the
  scripts parsed, scenes, characters and assets planned) and the one commit
  that stores the blobs, records the events and writes the working copy;
  planning alone is in the details;
* ``renpy-lint`` on the same folder (``/work/shared/tools/renpy-lint``,
  Ren'Py 8.0 starting, parsing and compiling every script and linting it), a
  process each run: the peer, Ren'Py reading the same game for its own check.

The target: the import takes less time than Ren'Py's lint.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from benches.common import BenchError, BenchResult, Row, log, meets_max, run_timed
from benches.context import Context

if TYPE_CHECKING:
    from comfyvn_vault.adapters import Source

THE_QUESTION: Final = Path("/usr/share/games/renpy/the_question")
LINT: Final = Path(os.environ.get("RENPY_TOOLS", "/work/shared/tools")) / "renpy-lint"
RUNS: Final = 5
LINT_RUNS: Final = 3


def _source() -> Source:
    from comfyvn_vault.adapters import Source
    from comfyvn_vault.adapters.archive import FolderFiles

    return Source(b"", "the_question", FolderFiles(THE_QUESTION))


def _import_once(root: Path) -> tuple[float, float, int, int]:
    """Seconds for ``apply_import`` of The Question into a fresh vault at ``root``, seconds to plan, events, blobs."""
    from comfyvn_vault.adapters import apply_import, plan_import
    from comfyvn_vault.importers.renpy import RenpyImporter, RenpyOptions
    from comfyvn_vault.vault import Vault

    vault, _ = Vault.init(root)
    with vault:
        start = time.perf_counter()
        plan = plan_import(vault, RenpyImporter(), _source(), RenpyOptions())
        planned = time.perf_counter() - start
        start = time.perf_counter()
        result = apply_import(vault, RenpyImporter(), _source(), RenpyOptions())
        seconds = time.perf_counter() - start
    if result.commit is None or not plan.events:
        raise BenchError("the import of The Question recorded nothing")
    return seconds, planned, result.events, result.blobs


def run_import_renpy(ctx: Context) -> BenchResult:
    result = BenchResult("import-renpy")
    if not (THE_QUESTION / "game" / "script.rpy").is_file():
        raise BenchError(f"The Question is not installed ({THE_QUESTION}; apt-get install renpy-thequestion)")
    if not LINT.is_file():
        raise BenchError(f"renpy-lint is missing ({LINT}; set RENPY_TOOLS)")
    runs = 3 if ctx.quick else RUNS
    imports: list[float] = []
    plans: list[float] = []
    events = blobs = 0
    for i in range(runs):
        seconds, planned, events, blobs = _import_once(ctx.folder("import-renpy", f"vault-{i}"))
        imports.append(seconds)
        plans.append(planned)
        log(f"   import {i + 1}/{runs}: {seconds:.3f} s (plan {planned:.3f} s)")
    lints = []
    cwd = ctx.folder("import-renpy", "lint")
    run_timed([LINT, THE_QUESTION], cwd)  # untimed: the first run makes renpy-lint's patched copy of Ren'Py
    for i in range(LINT_RUNS):
        timed = run_timed([LINT, THE_QUESTION], cwd)
        if "renpy-lint: clean" not in timed.stdout:
            raise BenchError(f"renpy-lint did not pass The Question: {timed.stdout[-400:]}")
        lints.append(timed.seconds)
        log(f"   renpy-lint {i + 1}/{LINT_RUNS}: {timed.seconds:.2f} s")
    comfy, lint = statistics.median(imports), statistics.median(lints)
    result.rows.append(
        Row(
            f"import The Question with the renpy importer (apply_import, a fresh vault each; median of {runs})",
            "s",
            comfy,
            f"Ren'Py 8.0's own lint of the same game (renpy-lint; median of {LINT_RUNS})",
            lint,
            target="< Ren'Py's lint",
            met=meets_max(comfy, lint),
            higher_is_better=False,
            note=f"{events:,} events, {blobs} blobs; planning alone {statistics.median(plans):.3f} s; "
            "the first lint run, which sets renpy-lint up, is not timed",
        )
    )
    result.details = {
        "import_s": imports,
        "plan_s": plans,
        "renpy_lint_s": lints,
        "events": events,
        "blobs": blobs,
        "game": str(THE_QUESTION),
    }
    return result
