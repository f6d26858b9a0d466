"""The packs are the journal, the index their cache: after a crash of the machine
(simulated by another boot id in ``index.dirty`` plus a lost or stale index) the
vault rebuilds its index from the packs and nothing acknowledged is lost."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.api import edit, history, merge
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store import journal
from comfyvn_vault.store.layout import Paths, pack_number
from comfyvn_vault.vault import Vault

MiB = 1 << 20


def state(root: Path) -> dict[str, Any]:
    """Everything a user can observe that the index holds."""
    with Vault.open(root) as v:
        return {
            "refs": {k: v2.hex() for k, v2 in v.store.refs().items()},
            "objects": sorted(o.hex() for o in v.store.ids()),
            "log": history.log(v, every=True),
            "search": history.search(v, "lamp"),
            "scenes": edit.scene_list(v),
            "status": msgspec.to_builtins(history.status(v)),
            "ops": [op.description for _, op in v.history.op_log()],
        }


def crash_machine(root: Path, index_copy: Path | None = None) -> None:
    """The OS went down: unsynced index writes are gone (all of them, or back to ``index_copy``)."""
    meta = Paths(root / ".comfyvn")
    shutil.rmtree(meta.index)
    if index_copy is not None:
        shutil.copytree(index_copy, meta.index)
    journal.dirty_path(meta).write_text("a-boot-before-the-crash\n")


def build(root: Path, tmp: Path) -> None:
    """A vault that used every kind of write: edits, branches, a merge, undo, loose and packed blobs, gc."""
    v, _ = Vault.init(root)
    with v:
        edit.scene_new(v, "The Lighthouse", scene_id="intro")
        edit.node_add(v, "intro", speaker="Alice", content="The lamp turned tonight.")
        v.branch_create("darker")
        edit.node_add(v, "intro", speaker="Bob", content="Who lit the lamp?")
        v.switch("darker")
        edit.node_edit(v, "intro", "n1", content="The lamp did not turn tonight.")
        v.switch("main")
        merge.merge(v, "darker")
        edit.scene_new(v, "Scratch", scene_id="scratch")
        v.undo()
        big, small = tmp / "big.bin", tmp / "small.txt"
        big.write_bytes(bytes(range(256)) * (5 * MiB // 256))
        small.write_text("a small asset\n")
        add_assets(v, [big, small])
        v.gc()


def test_a_lost_index_is_rebuilt_from_the_packs(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    build(root, tmp_path)
    before = state(root)
    assert not journal.dirty_path(Paths(root / ".comfyvn")).exists()  # a clean close synced the index
    crash_machine(root)
    after = state(root)
    assert after == before
    with Vault.open(root) as v:
        assert v.reindex(verify=True)["identical"]
        assert not v.fsck().problems
        assert not v.store.projections_stale()


def test_index_writes_lost_since_the_last_sync_are_replayed(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    v, _ = Vault.init(root)
    with v:
        edit.scene_new(v, "The Lighthouse", scene_id="intro")
    stale = tmp_path / "index-then"
    shutil.copytree(root / ".comfyvn" / "index", stale)
    with Vault.open(root) as v:
        for i in range(5):
            edit.node_add(v, "intro", speaker="Alice", content=f"The lamp turned {i} times.")
        v.branch_create("later")
    before = state(root)
    crash_machine(root, index_copy=stale)
    assert state(root) == before


def test_a_torn_transaction_is_dropped(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    v, _ = Vault.init(root)
    with v:
        edit.scene_new(v, "The Lighthouse", scene_id="intro")
    before = state(root)
    meta = Paths(root / ".comfyvn")
    pack = max(meta.packs.glob("*.pack"))
    with Vault.open(root) as v:
        length = v.store.packs()[pack_number(pack) or 0]
    # A power cut in the middle of the next transaction's fsync: its object's bytes
    # never reached the disk but its commit record did.
    with Vault.open(root) as v:
        edit.node_add(v, "intro", speaker="Alice", content="Never acknowledged.")
    data = bytearray(pack.read_bytes())
    data[length + 60 : length + 80] = b"\0" * 20  # inside the first new object's bytes
    pack.write_bytes(bytes(data))
    crash_machine(root)
    after = state(root)
    # The commit is gone; the edit itself is not: the working-copy file still has it.
    assert after.pop("status")["changes"][0]["events"] == ["NodeAdded scenes/intro#n1"]
    before.pop("status")
    assert after == before
    assert pack.stat().st_size == length
    with Vault.open(root) as v:
        assert not v.fsck().problems


def test_an_open_writer_keeps_the_dirty_marker_with_this_boot(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    v, _ = Vault.init(root)
    marker = journal.dirty_path(Paths(root / ".comfyvn"))
    with v:
        edit.scene_new(v, "The Lighthouse", scene_id="intro")
        assert marker.read_text().strip() == (journal.boot_id() or "unknown")
        assert not journal.index_untrusted(Paths(root / ".comfyvn"))
    assert not marker.exists()


def test_format_1_vaults_keep_a_synced_index_and_no_commit_records(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    v, _ = Vault.init(root)
    v.close()
    (root / ".comfyvn" / "format").write_text("1\n")
    with Vault.open(root) as v:
        assert not v.store.journal
        edit.scene_new(v, "The Lighthouse", scene_id="intro")
        assert not journal.dirty_path(Paths(root / ".comfyvn")).exists()
        assert edit.scene_list(v).scenes[0].id == "intro"


_OPS = st.lists(
    st.sampled_from(["edit", "scene", "branch", "switch", "undo", "redo", "gc", "sync", "crash"]),
    min_size=1,
    max_size=14,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_rebuilding_after_any_sequence_of_writes_gives_the_same_vault(tmp_path_factory: Any, ops: list[str]) -> None:
    root = tmp_path_factory.mktemp("journal") / "vault"
    v, _ = Vault.init(root)
    with v:
        edit.scene_new(v, "Start", scene_id="start")
    synced: Path | None = None
    for i, op in enumerate(ops):
        if op == "crash":
            before = state(root)
            crash_machine(root, index_copy=synced)
            assert state(root) == before
            continue
        if op == "sync":
            synced = root.parent / f"index-{i}"
            shutil.copytree(root / ".comfyvn" / "index", synced)
            continue
        with Vault.open(root) as v:
            try:
                if op == "edit":
                    edit.node_add(v, "start", speaker="Alice", content=f"Line {i}: the lamp turned.")
                elif op == "scene":
                    edit.scene_new(v, f"Scene {i}", scene_id=f"s{i}")
                elif op == "branch":
                    v.branch_create(f"b{i}")
                elif op == "switch":
                    names = sorted(v.history.branches())
                    v.switch(names[i % len(names)])
                elif op == "undo":
                    v.undo()
                elif op == "redo":
                    v.redo()
                elif op == "gc":
                    v.gc()
            except InputRejected as exc:  # nothing to undo/redo, or the scene was undone: refused, unchanged
                assert "nothing to" in str(exc) or "no scene" in str(exc), exc
    before = state(root)
    crash_machine(root)
    assert state(root) == before


def test_fsck_finds_an_index_ref_the_journal_does_not_say(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    v, _ = Vault.init(root)
    with v:
        edit.scene_new(v, "The Lighthouse", scene_id="intro")
        assert not v.fsck().problems
        head = v.store.ref("heads/main")
        assert head is not None
        with v.store.env.begin(write=True) as txn:  # a write that bypassed the journal
            txn.put(b"heads/stray", bytes(head), db=v.store.refs_db)
        problems = v.fsck().problems
        assert [(p.id, p.kind) for p in problems] == [("heads/stray", "bad-ref")]
