"""Two processes committing to one branch never lose an update, and SIGKILL during
commit loops leaves a vault that fsck calls clean with every acknowledged commit."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from comfyvn_vault import story
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.vault import Vault

WRITER = r"""
import sys
from pathlib import Path
from comfyvn_vault import story
from comfyvn_vault.errors import ConcurrentWork
from comfyvn_vault.vault import Vault

root, scene, node, rounds = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
with Vault.open(root) as v:
    for i in range(rounds):
        while True:
            try:
                saved = story.node_edit(v, scene, node, content=f"{node} v{i}")
                break
            except ConcurrentWork:
                continue
        print(saved.commit, flush=True)
"""


def _story(root: Path) -> None:
    v, _ = Vault.init(root)
    with v:
        story.scene_new(v, "Race", scene_id="race")
        for nid in ("a", "b"):
            story.node_add(v, "race", content=f"{nid} v-", node_id=nid)


def test_concurrent_writers_on_disjoint_nodes_both_land(tmp_path: Path) -> None:
    root = tmp_path / "v"
    _story(root)
    rounds = 15
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), "race", nid, str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for nid in ("a", "b")
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    acknowledged = [line for out, _ in outs for line in out.split()]
    assert len(acknowledged) == 2 * rounds
    with Vault.open(root) as v:
        head = v.history.head()
        assert head is not None
        log = {oid.hex() for oid, _ in v.history.log(head)}
        assert set(acknowledged) <= log  # no lost update: every acknowledged commit is in history
        scene = v.history.entity(v.checkout_tree(), "scenes/race")  # type: ignore[arg-type]
        assert isinstance(scene, Scene)
        assert {n.id: n.content for n in scene.nodes} == {"a": f"a v{rounds - 1}", "b": f"b v{rounds - 1}"}
        assert v.reindex(verify=True)["identical"]
        assert v.changes() == []
        assert v.fsck().clean


OVERLAP = r"""
import sys, time
from pathlib import Path
from comfyvn_vault import story
from comfyvn_vault.errors import VaultError
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.vault import Vault

root, text = Path(sys.argv[1]), sys.argv[2]
with Vault.open(root) as v:
    # Both processes compute their edit against the same tip, then race to commit it.
    scene = story.need(v, "scenes", "race", story.Scene)
    import msgspec
    first = msgspec.structs.replace(scene.nodes[0], content=text)
    new = msgspec.structs.replace(scene, nodes=[first, *scene.nodes[1:]])
    from comfyvn_vault.domain.diffing import diff_entities
    from comfyvn_vault.domain.events import Cause
    events = diff_entities("scenes/race", scene, new, cause=Cause(kind="user"))
    base = v.history.head()
    time.sleep(float(sys.argv[3]))
    try:
        with v.store.transaction() as w:
            rec = v.history.record(w, events, text, base=base)
        print("ok", rec.commit_id.hex())
    except VaultError as exc:
        print("refused", exc.exit_code)
"""


def test_overlapping_edits_one_wins_the_other_gets_exit_4(tmp_path: Path) -> None:
    root = tmp_path / "v"
    _story(root)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OVERLAP, str(root), text, "0.8"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for text in ("first", "second")
    ]
    outs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert [o.split()[0] for o in outs] == ["ok", "refused"], outs
    assert outs[1] == "refused 4", outs
    with Vault.open(root) as v:
        scene = v.history.entity(v.checkout_tree(), "scenes/race")  # type: ignore[arg-type]
        assert isinstance(scene, Scene) and scene.nodes[0].content in ("first", "second")


LOOP = r"""
import sys
from pathlib import Path
from comfyvn_vault import story
from comfyvn_vault.vault import Vault

root = Path(sys.argv[1])
with Vault.open(root) as v:
    i = 0
    while True:
        saved = story.node_add(v, "race", content=f"line {i}", node_id=f"k{sys.argv[2]}x{i}")
        print(saved.commit, flush=True)
        i += 1
"""


def test_sigkill_during_commit_loops(tmp_path: Path) -> None:
    root = tmp_path / "v"
    _story(root)
    rng = random.Random(7)
    acknowledged: list[str] = []
    for round_ in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", LOOP, str(root), str(round_)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        time.sleep(0.4 + rng.random() * 0.5)
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        acknowledged += out.split()
        with Vault.open(root) as v:
            report = v.fsck()
            assert report.clean, report.problems
            head = v.history.head()
            assert head is not None
            history = {oid.hex() for oid, _ in v.history.log(head)}
            missing = [c for c in acknowledged if c not in history]
            assert not missing, f"round {round_}: acknowledged commits lost: {missing[:3]}"
            assert v.reindex(verify=True)["identical"], f"round {round_}: projections differ from history"
            # Files are written only after the commit (and finished on open if the kill came
            # between): the working copy is never ahead of HEAD nor behind it.
            assert v.changes() == [], f"round {round_}: the working copy does not match HEAD"
    assert len(acknowledged) > 20
