"""``make demo``: build ./demo from the bundled samples with the real ``comfyvn``
command line, print each step, verify the result, and open the TUI when a
person is at the terminal."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, expect: int = 0, quiet: bool = False) -> str:
    if not quiet:
        print(f"$ comfyvn {' '.join(shlex.quote(a) for a in args)}", flush=True)
    proc = subprocess.run([sys.executable, "-m", "comfyvn_vault", *args], cwd=cwd, text=True, capture_output=True)
    for stream in (proc.stdout, proc.stderr) if not quiet else ():
        if stream.strip():
            print("  " + stream.strip().replace("\n", "\n  "), flush=True)
    if proc.returncode != expect:
        sys.exit(f"demo: 'comfyvn {args[0]}' exited {proc.returncode}, expected {expect}")
    return proc.stdout


def show_assets(target: Path) -> None:
    """Assets are records in history: list them, follow one's lineage, export it signed, verify it."""

    run("asset", "list", cwd=target)
    listing = json.loads(run("asset", "list", "--json", cwd=target, quiet=True))
    image = next(a for a in listing["assets"] if a["kind"] == "image")
    run("lineage", image["id"][:12], cwd=target)
    run("asset", "export", image["id"][:12], "exported.png", cwd=target)
    run("verify", "exported.png", cwd=target)
    run("policy", "status", cwd=target)


def show_hooks(target: Path) -> None:
    """A sample pre-commit hook vetoes a line that still says TODO; nothing is written."""
    hooks = target / ".comfyvn" / "hooks"
    hooks.mkdir(exist_ok=True)
    sample = Path(__file__).resolve().parents[2] / "hooks" / "pre-commit-no-todo"
    if not sample.exists():
        return
    shutil.copy2(sample, hooks / "pre-commit")
    run("scene", "node", "add", "morning", "--speaker", "Bob", "--content", "TODO: write this", cwd=target, expect=3)
    (hooks / "pre-commit").unlink()


def show_sync(target: Path) -> Path:
    """A second machine: clone the vault, edit there, push back, and pull here."""
    laptop = target.parent / "demo-laptop"
    if laptop.exists():
        shutil.rmtree(laptop)
    run("clone", str(target), str(laptop), cwd=target.parent)
    run("scene", "node", "add", "morning", "--speaker", "Bob", "--content", "Written on the laptop.", cwd=laptop)
    run("push", cwd=laptop)
    run("log", "-n", "2", cwd=target)
    return laptop


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
        "--effects",
        "courage += 1",
        cwd=target,
    )
    run("scene", "choice", "add", "intro", "ask", "--text", "Wait for morning", "--target", "morning:", cwd=target)
    run("timeline", "new", "Main route", "intro", "stairs", "morning", cwd=target)
    print("\n# Play it: the same seed and choices give the same transcript")
    run("play", "--seed", "7", cwd=target)
    run("play", "--seed", "7", "--choose", "1", "--json", cwd=target)
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


def import_sources(target: Path, sources: Path) -> None:
    """The sample chat and Ren'Py script imported as scenes; a second import of the chat changes nothing."""
    print("\n# Importing what writers already have: a SillyTavern chat and a Ren'Py game")
    chat = str((sources / "lighthouse_chat.jsonl").relative_to(target))
    run("import", "roleplay", chat, cwd=target)
    run("import", "roleplay", chat, cwd=target)  # the same source and options: already imported
    game = target / "renpy-game"
    (game / "game").mkdir(parents=True)
    shutil.copy(sources / "lighthouse.rpy", game / "game" / "script.rpy")
    run("import", "renpy", str(game.relative_to(target)), "--dry-run", cwd=target)
    run("import", "renpy", str(game.relative_to(target)), cwd=target)
    run("play", "start", "--choose", "2", cwd=target)


def ship(target: Path) -> None:
    """Check the story, export it as a Ren'Py project and let Ren'Py's own lint read it."""
    print("\n# Check the story like a compiler, then ship it as a Ren'Py game")
    run("check", cwd=target)
    run("export", "renpy", "renpy-export", cwd=target)
    places = [  # RENPY_TOOLS, beside the checkout (../shared/tools), the workplace's
        Path(folder) / "renpy-lint"
        for folder in (os.environ.get("RENPY_TOOLS") or ROOT.parent / "shared" / "tools", "/work/shared/tools")
    ]
    lint = next((p for p in places if p.is_file()), places[0])
    if not lint.is_file():
        print(f"(Ren'Py's lint is not at {lint}: set RENPY_TOOLS to the folder holding renpy-lint)")
        return
    print(f"$ {lint.name} renpy-export", flush=True)
    proc = subprocess.run([str(lint), str(target / "renpy-export")], text=True, capture_output=True, check=False)
    print(proc.stdout.rstrip())
    if proc.returncode != 0:
        sys.exit(f"demo: Ren'Py's lint found problems in the export:\n{proc.stderr[-2000:]}")


def bundle(target: Path) -> None:
    """Export the whole story as a bundle and restore it into a fresh vault: the same state, verified."""
    print("\n# The whole story as a bundle, restored into a fresh vault with the same state")
    run("export", "bundle", "story.zip", cwd=target)
    restored = target.parent / "demo-restored"
    if restored.exists():
        shutil.rmtree(restored)
    run("init", str(restored), cwd=target.parent)
    run("import", "bundle", str(target / "story.zip"), cwd=restored)
    run("import", "bundle", str(target / "story.zip"), cwd=restored)  # the second time: nothing new
    run("verify", "story.zip", cwd=target)
    logs = [json.loads(run("log", "-n", "1", "--json", cwd=v, quiet=True)) for v in (target, restored)]
    trees = [log["commits"][0]["tree"] for log in logs]
    if len(set(trees)) != 1:
        sys.exit(f"demo: the restored vault's state {trees[1][:12]} is not the original's {trees[0][:12]}")
    print(f"both vaults hold state tree {trees[0][:12]}")


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
    run("asset", "add", *samples, "--license", "CC0-1.0", "--tag", "demo", cwd=target)
    run("asset", "add", *samples[:2], cwd=target)  # second time: already stored, nothing written
    write_story(target)
    import_sources(target, sources)
    ship(target)
    bundle(target)
    show_assets(target)
    show_hooks(target)
    show_sync(target)
    run("fsck", cwd=target)
    run("reindex", "--verify", cwd=target)
    print("\nThe demo vault is in ./demo (a clone of it in ./demo-laptop, its bundle restored in ./demo-restored,")
    print("its Ren'Py export in ./demo/renpy-export). Try: cd demo &&")
    print("../.venv/bin/comfyvn log --all --graph, status, blame intro, lineage, watch,")
    print("or edit demo/scenes/intro.toml in your editor and run `comfyvn status` to see the events it becomes.")
    if sys.stdin.isatty() and sys.stdout.isatty():
        print("\nOpening the terminal UI on the demo vault (q quits, ? lists the keys)…")
        subprocess.run([sys.executable, "-m", "comfyvn_vault", "-C", str(target), "tui"], check=False)


if __name__ == "__main__":
    main()
