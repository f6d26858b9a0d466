"""``make demo``: build ./demo from the bundled samples with the real ``comfyvn``
command line, print each step, verify the result, and open the TUI when a
person is at the terminal."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"


def run(*args: str, cwd: Path) -> str:
    print(f"$ comfyvn {' '.join(shlex.quote(a) for a in args)}", flush=True)
    proc = subprocess.run([sys.executable, "-m", "comfyvn_vault", *args], cwd=cwd, text=True, capture_output=True)
    for stream in (proc.stdout, proc.stderr):
        if stream.strip():
            print("  " + stream.strip().replace("\n", "\n  "), flush=True)
    if proc.returncode != 0:
        sys.exit(f"demo: 'comfyvn {args[0]}' failed with exit code {proc.returncode}")
    return proc.stdout


def write_story(target: Path) -> None:
    """A small branching story, written with the edit verbs, then varied on a branch."""
    print("\n# A branching story, one verb at a time (each verb is a commit)")
    run("character", "new", "Alice", "--trait", "role=lighthouse keeper's niece", cwd=target)
    run("character", "new", "Bob", "--trait", "role=fisherman", cwd=target)
    run("var", "set", "courage", "0", cwd=target)
    run("scene", "new", "The Lighthouse", "--id", "intro", cwd=target)
    lines = [
        ("Alice", "The lamp hasn't turned in forty years. Tonight it did."),
        ("Bob", "Maybe the keeper came back?"),
        ("Alice", "The keeper drowned, Bob. I was there."),
    ]
    for speaker, text in lines:
        run("scene", "node", "add", "intro", "--speaker", speaker, "--content", text, cwd=target)
    run("scene", "node", "add", "intro", "--type", "choice", "--content", "Who is up there?", "--id", "ask", cwd=target)
    run("scene", "new", "The Stairs", "--id", "stairs", cwd=target)
    run(
        "scene",
        "node",
        "add",
        "stairs",
        "--speaker",
        "Alice",
        "--content",
        "Stay close. The steps are rotten.",
        cwd=target,
    )
    run("scene", "new", "Morning", "--id", "morning", cwd=target)
    run(
        "scene",
        "node",
        "add",
        "morning",
        "--speaker",
        "Bob",
        "--content",
        "By daylight, the lamp is dark again.",
        cwd=target,
    )
    run(
        "scene",
        "choice",
        "add",
        "intro",
        "ask",
        "--text",
        "Climb the stairs",
        "--target",
        "stairs:",
        "--condition",
        "courage >= 0",
        cwd=target,
    )
    run("scene", "choice", "add", "intro", "ask", "--text", "Wait for morning", "--target", "morning:", cwd=target)
    run("timeline", "new", "Main route", "intro", "stairs", "morning", cwd=target)
    print("\n# A variant on a branch, then back")
    run("switch", "-c", "darker", cwd=target)
    run("scene", "node", "edit", "intro", "n3", "--content", "The keeper drowned, Bob. I pushed him.", cwd=target)
    run("switch", "main", cwd=target)
    run("diff", "main", "darker", cwd=target)
    print("\n# Hand edits become fine-grained events")
    intro = target / "scenes" / "intro.toml"
    intro.write_text(intro.read_text().replace("forty years", "fifty years"))
    run("status", cwd=target)
    run("commit", "-m", "Fifty years, not forty", cwd=target)
    run("log", "-n", "5", cwd=target)
    run("blame", "intro", cwd=target)
    run("search", "lamp", cwd=target)
    print("\n# Every operation can be undone")
    run("undo", cwd=target)
    run("redo", cwd=target)
    run("op", "log", "-n", "4", cwd=target)


def main() -> None:
    target = Path.cwd() / "demo"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir()
    print(f"Building a demo vault in {target} from {len(list(SAMPLES.iterdir()))} sample files.\n")
    run("init", cwd=target)
    sources = target / "sources"
    shutil.copytree(SAMPLES, sources)
    samples = sorted(str(p.relative_to(target)) for p in sources.iterdir())
    run("asset", "add", *samples, cwd=target)
    run("asset", "add", *samples[:2], cwd=target)  # second time: already stored, nothing written
    write_story(target)
    run("fsck", cwd=target)
    run("reindex", "--verify", cwd=target)
    print("\nThe demo vault is in ./demo. Try: cd demo && ../.venv/bin/comfyvn log, status, blame intro,")
    print("or edit demo/scenes/intro.toml in your editor and run `comfyvn status` to see the events it becomes.")
    if sys.stdin.isatty() and sys.stdout.isatty():
        print("\nOpening the terminal UI on the demo vault (q quits, ? lists the keys)…")
        subprocess.run([sys.executable, "-m", "comfyvn_vault", "-C", str(target), "tui"], check=False)


if __name__ == "__main__":
    main()
