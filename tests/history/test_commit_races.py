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

import pytest

from comfyvn_vault.api import edit
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.vault import Vault

WRITER = r"""
import sys
from pathlib import Path

import pytest
from comfyvn_vault.api import edit
from comfyvn_vault.errors import ConcurrentWork
from comfyvn_vault.vault import Vault

root, scene, node, rounds = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
with Vault.open(root) as v:
    for i in range(rounds):
        while True:
            try:
                saved = edit.node_edit(v, scene, node, content=f"{node} v{i}")
                break
            except ConcurrentWork:
                continue
        print(saved.commit, flush=True)
"""


def _story(root: Path) -> None:
    v, _ = Vault.init(root)
    with v:
        edit.scene_new(v, "Race", scene_id="race")
        for nid in ("a", "b"):
            edit.node_add(v, "race", content=f"{nid} v-", node_id=nid)


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

import pytest
from comfyvn_vault.api import edit
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.errors import VaultError
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.vault import Vault

root, text = Path(sys.argv[1]), sys.argv[2]
with Vault.open(root) as v:
    # Both processes compute their edit against the same tip, then race to commit it.
    scene = edit.need(v, "scenes", "race", Scene)
    import msgspec
    first = msgspec.structs.replace(scene.nodes[0], content=text)
    new = msgspec.structs.replace(scene, nodes=[first, *scene.nodes[1:]])
    from comfyvn_vault.domain.diffing import diff_entities
    from comfyvn_vault.domain.events import Cause
    events = diff_entities("scenes/race", scene, new, cause=Cause(kind="user"))
    base = v.history.head()
    time.sleep(float(sys.argv[3]))
    try:
        with v.change(text, base=base) as ch:
            ch.record(events)
        print("ok", ch.commit.commit_id.hex())
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

from comfyvn_vault.api import edit
from comfyvn_vault.vault import Vault

root = Path(sys.argv[1])
with Vault.open(root) as v:
    i = 0
    while True:
        saved = edit.node_add(v, "race", content=f"line {i}", node_id=f"k{sys.argv[2]}x{i}")
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


INTERLEAVED = r"""
import subprocess, sys
from comfyvn_vault.api import edit
from comfyvn_vault.cli.main import main
from comfyvn_vault.vault import Vault

root, where = sys.argv[1], sys.argv[2]
raced = []


def race(original):
    # Another writer commits the same generated node id between this verb's read and its commit:
    # before the verb turns its new scene into events (save) or before it records them (record).
    def wrapped(*args, **kwargs):
        if not raced:
            raced.append(1)
            verb = ["scene", "node", "add", "race", "--content", "theirs"]
            other = [sys.executable, "-m", "comfyvn_vault", "-C", root, *verb]
            assert subprocess.run(other).returncode == 0
        return original(*args, **kwargs)

    return wrapped


if where == "record":
    Vault.record = race(Vault.record)
else:
    edit.save = race(edit.save)
sys.exit(main(["-C", root, "scene", "node", "add", "race", "--content", "ours"]))
"""


@pytest.mark.parametrize("where", ["save", "record"])
def test_an_edit_verb_that_loses_a_race_derives_its_edit_again(tmp_path: Path, where: str) -> None:
    root = tmp_path / "v"
    _story(root)
    proc = subprocess.run(
        [sys.executable, "-c", INTERLEAVED, str(root), where], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr  # not exit 3 "already has a node n1"
    with Vault.open(root) as v:
        scene = edit.need(v, "scenes", "race", Scene)
        added = [(n.id, n.content) for n in scene.nodes[2:]]
        assert sorted(c for _, c in added) == ["ours", "theirs"] and len({i for i, _ in added}) == 2
        assert v.fsck().clean and v.changes() == []


ADDER = r"""
import sys
from comfyvn_vault.cli.main import main

root, tag, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(rounds):
    code = main(["-C", root, "scene", "node", "add", "race", "--content", f"{tag}-{i}"])
    print(code, f"{tag}-{i}", flush=True)
"""


def test_concurrent_node_adds_on_one_scene_never_exit_3(tmp_path: Path) -> None:
    root = tmp_path / "v"
    _story(root)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, str(root), f"w{k}", "12"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    results = [line.split() for out, _ in outs for line in out.splitlines()]
    assert len(results) == 36, [err for _, err in outs]
    codes = {int(code) for code, _ in results}
    assert codes <= {0, 4}, [err for _, err in outs]
    landed = sorted(content for code, content in results if code == "0")
    with Vault.open(root) as v:
        scene = edit.need(v, "scenes", "race", Scene)
        contents = sorted(n.content for n in scene.nodes[2:])
        assert contents == landed  # every acknowledged add is there, nothing else
        assert len({n.id for n in scene.nodes}) == len(scene.nodes)
        assert v.fsck().clean and v.changes() == []


def test_a_verb_that_keeps_losing_gives_up_with_exit_4(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    from comfyvn_vault.errors import RefMoved

    edit.scene_new(vault, "Race", scene_id="race")
    calls: list[int] = []

    def always_moved(*args: object, **kwargs: object) -> None:
        calls.append(1)
        raise RefMoved("branch main moved while you edited and the edits overlap; retry")

    monkeypatch.setattr(vault.history, "record", always_moved)
    with pytest.raises(RefMoved) as caught:
        edit.node_add(vault, "race", content="x")
    assert caught.value.exit_code == 4 and len(calls) == edit.ATTEMPTS
