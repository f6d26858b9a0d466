"""SIGKILL an edit verb around its commit: the working copy never runs ahead of HEAD.

Each case runs a real ``comfyvn`` verb in a child process with one function
patched to SIGKILL the process at a chosen moment: inside the index transaction
that commits (after every commit hook ran), at the first or second working-copy
file write, or after the files were written but before their stats were cached.
Afterwards the working copy must match HEAD (``status`` lists nothing), every
later edit verb must work, and ``fsck`` must be clean. A kill before the commit
lands leaves HEAD where it was; a kill after it leaves the commit and its files.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.api import edit
from comfyvn_vault.vault import Vault
from tests.worktree.conftest import two_scenes

# Runs the real CLI with one kill point armed (argv: point, then the verb's arguments).
KILLER = r"""
import os, runpy, signal, sys
point, sys.argv = sys.argv[1], ["comfyvn", *sys.argv[2:]]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

from comfyvn_vault.store import disk
from comfyvn_vault.worktree import checkout

if point == "in-index-commit":
    commit = disk.DiskWriter.commit
    def armed(self):
        if self.ref_updates:  # the verb's commit, not a read verb's housekeeping
            self.hooks.append(die)
        commit(self)
    disk.DiskWriter.commit = armed
elif point.startswith("file"):
    # Every file write (one or many) starts in _begin_file.
    nth, calls, begin_file = int(point[4:]), [], checkout.WorkingCopy._begin_file
    def armed(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == nth:
            die()
        return begin_file(self, *args, **kwargs)
    checkout.WorkingCopy._begin_file = armed
elif point == "after-files":
    checkout.WorkingCopy.remember = die
    checkout.WorkingCopy.forget = die
runpy.run_module("comfyvn_vault", run_name="__main__")
"""

POINTS = ("in-index-commit", "file1", "file2", "after-files")
#: verb → its arguments and how many files it rewrites
VERBS: dict[str, tuple[tuple[str, ...], int]] = {
    "node-edit": (("scene", "node", "edit", "intro", "n1", "--content", "Killed mid-edit."), 1),
    "scene-rm": (("scene", "rm", "other"), 1),
    "switch": (("switch", "alt"), 2),
    "undo": (("undo",), 1),
}


def _story(root: Path) -> None:
    with two_scenes(root) as v:
        v.switch("alt", create=True)
        edit.node_edit(v, "intro", "n1", content="Alt intro.")
        edit.node_edit(v, "other", "o1", content="Alt other.")
        v.switch("main")
        edit.node_add(v, "intro", content="Second line.", node_id="n2")


def _head(cli: Any, root: Path) -> str:
    doc = cli("-C", root, "status", "--json").json()
    return f"{doc['branch']}@{doc['head']}"


def _check_after_kill(cli: Any, root: Path) -> None:
    status = cli("-C", root, "status", "--json")
    assert status.code == 0, status.err
    assert status.json()["changes"] == [], "the working copy does not match HEAD after the kill"
    fsck = cli("-C", root, "fsck")
    assert fsck.code == 0, fsck.out + fsck.err
    for verb in (
        ("scene", "node", "edit", "intro", "n1", "--content", "Edited after the crash."),
        ("scene", "new", "After"),
        ("undo",),
    ):
        r = cli("-C", root, *verb)
        assert r.code == 0, f"{' '.join(verb)}: {r.err}"
    assert cli("-C", root, "status", "--json").json()["changes"] == []


@pytest.mark.parametrize("verb", sorted(VERBS))
@pytest.mark.parametrize("point", POINTS)
def test_sigkill_at_each_point_leaves_the_working_copy_at_head(tmp_path: Path, cli: Any, verb: str, point: str) -> None:
    args, files = VERBS[verb]
    if point == "file2" and files < 2:
        pytest.skip("the verb writes one file")
    root = tmp_path / "v"
    _story(root)
    before = _head(cli, root)
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, point, "-C", str(root), *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr)
    after = _head(cli, root)  # opening the vault finishes the files of a commit that landed
    if point == "in-index-commit":
        assert after == before, "a commit killed before its index commit must not land"
    else:
        assert after != before, "the commit landed before its files were written"
    _check_after_kill(cli, root)


LOOP = r"""
import random, sys
from pathlib import Path
from comfyvn_vault.api import edit
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.vault import Vault

root, seed = Path(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
with Vault.open(root) as v:
    i = 0
    while True:
        i += 1
        verb = rng.choice(("edit", "edit", "add", "switch", "undo", "redo"))
        try:
            if verb == "edit":
                edit.node_edit(v, rng.choice(("intro", "other")), rng.choice(("n1", "o1")), content=f"v{seed}.{i}")
            elif verb == "add":
                edit.node_add(v, "intro", content=f"line {i}")
            elif verb == "switch":
                v.switch("alt" if v.history.view().head == "main" else "main")
            elif verb == "undo":
                v.undo()
            else:
                v.redo()
        except InputRejected:
            pass  # a node that is not on this branch, nothing to redo, …
"""


def test_sigkill_at_random_moments_of_mixed_verbs(tmp_path: Path) -> None:
    root = tmp_path / "v"
    _story(root)
    rng = random.Random(13)
    for round_ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", LOOP, str(root), str(round_)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(0.5 + rng.random() * 0.6)
        os.kill(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
        with Vault.open(root) as v:
            assert [c.file for c in v.worktree.scan(v.checkout_tree())] == [], f"round {round_}"
            assert v.fsck().clean, f"round {round_}"
            edit.node_edit(v, "intro", "n1", content=f"after round {round_}")
            assert v.changes() == []
