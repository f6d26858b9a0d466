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
    run("status", cwd=target)
    run("fsck", cwd=target)
    print("\nThe demo vault is in ./demo; try: comfyvn -C demo show <id>, comfyvn -C demo fsck --json")
    if sys.stdin.isatty() and sys.stdout.isatty():
        print("(The terminal UI arrives with the TUI issue; nothing to open yet.)")


if __name__ == "__main__":
    main()
