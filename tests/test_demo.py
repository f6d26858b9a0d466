"""`make demo` end to end: the bundled samples through the real CLI, every step must succeed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_demo_builds_a_clean_vault_through_every_verb_it_shows(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "comfyvn_vault.demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert "c2pa Trusted" in out  # the exported image's signed manifest verified against the vault's root
    assert "pre-commit hook vetoed the commit" in out
    assert "Written on the laptop." in (tmp_path / "demo" / "scenes" / "morning.toml").read_text()  # pushed back
    assert ": clean" in out and "projections match history" in out
    assert "renpy-lint: clean" in out  # the story exported as a Ren'Py game, read by Ren'Py's own lint
    assert (tmp_path / "demo" / "renpy-export" / "game" / "story.rpy").is_file()
    assert "both vaults hold state tree" in out  # the bundle restored into a fresh vault, the same state
    assert "nothing new" in out  # and restored again: nothing changes
    assert "Opening the terminal UI" not in out  # not a terminal: no TUI
