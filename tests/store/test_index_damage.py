"""A damaged or missing LMDB index is diagnosed by fsck (exit 1, naming it) and repaired by reindex.

The index caches the packs (objects, pack lengths, refs, so HEAD, branches and
the operation log) and history (the projections). Every test damages a real
LMDB file and checks what the real CLI says, then that ``reindex`` gives back
a vault every verb sees as the undamaged one.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import lmdb
import pytest

from comfyvn_vault.api import edit
from comfyvn_vault.errors import ConcurrentWork
from comfyvn_vault.projections.assets import DB_LINEAGE
from comfyvn_vault.projections.entities import DB_ENTITY
from comfyvn_vault.projections.events import DB_EVENTS
from comfyvn_vault.projections.search import DB_WORD
from comfyvn_vault.store.layout import DB_OBJECTS, DB_PACKS, DB_REFS, Entry
from comfyvn_vault.vault import Vault
from tests.conftest import REPO
from tests.store import index_damage
from tests.store.index_damage import build, data_file, observe, run

REINDEX = "run 'comfyvn reindex'"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One vault for the module (copied before each damage): its folder and an asset with lineage.

    Times and author are fixed, so the vault, and so which bytes the seeded flips hit, is the same every run.
    """
    tmp = tmp_path_factory.mktemp("built")
    root = tmp / "vault"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMFYVN_TIME_MS", "1767225600000")
        mp.setenv("COMFYVN_AUTHOR", "Index Damage <damage@example.invalid>")
        return root, build(root, tmp)


def copy(built: tuple[Path, str], tmp_path: Path) -> tuple[Path, str, dict[str, Any]]:
    """A fresh copy of the built vault, its asset and what every verb says about it undamaged."""
    root = tmp_path / "vault"
    shutil.copytree(built[0], root)
    return root, built[1], observe(root, built[1])


def assert_one_line_error(result: tuple[int, str, str], code: int = 3) -> None:
    assert result[0] == code, result
    assert result[2].count("\n") == 1 and "Traceback" not in result[2], result


def assert_problems_name(stdout: str, *prefixes: str, first_only: bool = False) -> None:
    """Every problem line fsck printed (or the first: objects read through a damaged index follow) has a prefix."""
    lines = stdout.splitlines()
    assert lines, "fsck exited 1 without naming a problem"
    assert all(line.startswith(prefixes) for line in lines[: 1 if first_only else None]), lines


# ------------------------------------------------------------------ bytes flipped in data.mdb


def test_flipped_bytes_in_index_pages_are_found_and_repaired(built: tuple[Path, str], tmp_path: Path) -> None:
    """Bytes of LMDB pages flipped one at a time: fsck exits 0 only when no verb can tell, else 1 naming the
    index or a projection (never 70); every verb exits 0 or 3 with one line; reindex restores everything."""
    original, asset = built
    work = tmp_path / "work"
    shutil.copytree(original, work)
    baseline = observe(work, asset)
    data = data_file(original).read_bytes()
    rng = random.Random(8)
    offsets = sorted(rng.sample(index_damage.live_offsets(data), 60))
    # Meta pages: magic, the two databases' roots and entry counts, the last page and transaction id.
    offsets += [page * 4096 + at for page in (0, 1) for at in (16, 72, 80, 120, 128, 136, 144)[page::2]]
    child = subprocess.run(
        [sys.executable, "-m", "tests.store.index_damage", str(original), str(work), asset, *map(str, offsets)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    results = [json.loads(line) for line in child.stdout.splitlines()]
    assert child.returncode == 0 and len(results) == len(offsets), (child.returncode, child.stderr[-3000:])
    found = harmful = 0
    for r in results:
        where = f"offset {r['offset']}"
        code, stdout, _ = r["fsck"]
        assert code in (0, 1), (where, r["fsck"])
        changed = [verb for verb, said in r["verbs"].items() if said != list(baseline[verb])]
        for verb in changed:
            vcode = r["verbs"][verb][0]
            assert vcode in (0, 3), (where, verb, r["verbs"][verb])
            if vcode == 3:
                assert_one_line_error(r["verbs"][verb])
        if code == 0:
            assert not changed, (where, "fsck was clean but these verbs changed", changed)
        else:
            found += 1
            harmful += bool(changed)
            assert_problems_name(stdout, "damaged: index: ", "projection: ", "bad-ref: ", first_only=True)
        assert r["reindex"][0] == 0, (where, r["reindex"])
        assert r["repaired"] == {k: list(v) for k, v in baseline.items()}, where
        assert r["fsck_after"][0] == 0, (where, r["fsck_after"])
    # The check has teeth: much of this damage is found, and some of it changed what verbs said. About a
    # fifth of random live bytes matter; the rest are bytes no read depends on, and the loop above proved
    # that flipping those changed nothing any verb says. Which fifth depends on the page layout.
    assert found >= len(offsets) // 6 and harmful >= 2, (found, harmful)


# ------------------------------------------------------------------ damage LMDB cannot see


def _edit_index(root: Path, edit: Any) -> None:
    """Change the index behind the vault's back, as a flipped bit in a value would."""
    env = lmdb.open(str(data_file(root).parent), max_dbs=64, map_size=1 << 30)
    try:
        with env.begin(write=True) as txn:
            edit(env, txn)
    finally:
        env.close()


def _first(env: Any, txn: Any, name: bytes) -> tuple[bytes, bytes]:
    cur = txn.cursor(db=env.open_db(name, txn=txn))
    assert cur.first()
    return bytes(cur.key()), bytes(cur.value())


def _entry_moved(env: Any, txn: Any) -> None:
    key, value = _first(env, txn, DB_OBJECTS)
    e = Entry.unpack(value)
    txn.put(key, e._replace(offset=e.offset + 1).pack_value(), db=env.open_db(DB_OBJECTS, txn=txn))


def _entry_lost(env: Any, txn: Any) -> None:
    txn.delete(_first(env, txn, DB_OBJECTS)[0], db=env.open_db(DB_OBJECTS, txn=txn))


def _entry_short(env: Any, txn: Any) -> None:
    key, value = _first(env, txn, DB_OBJECTS)
    txn.put(key, value[:-3], db=env.open_db(DB_OBJECTS, txn=txn))


def _pack_length(env: Any, txn: Any) -> None:
    key, value = _first(env, txn, DB_PACKS)
    txn.put(key, (int.from_bytes(value, "big") - 5).to_bytes(8, "big"), db=env.open_db(DB_PACKS, txn=txn))


def _head_moved(env: Any, txn: Any) -> None:
    refs = env.open_db(DB_REFS, txn=txn)
    txn.put(b"heads/main", txn.get(b"heads/darker", db=refs), db=refs)


def _op_log_lost(env: Any, txn: Any) -> None:
    txn.delete(b"ops/head", db=env.open_db(DB_REFS, txn=txn))


@pytest.mark.parametrize(
    "edit",
    [_entry_moved, _entry_lost, _entry_short, _pack_length, _head_moved, _op_log_lost],
    ids=["entry-offset", "entry-lost", "entry-size", "pack-length", "head-moved", "op-log-lost"],
)
def test_store_entries_that_differ_from_the_packs_are_found_and_repaired(
    built: tuple[Path, str], tmp_path: Path, edit: Any
) -> None:
    root, asset, baseline = copy(built, tmp_path)
    with Vault.open(root) as v:
        assert "ops/head" in v.store.refs()  # the operation log's head is a ref: journaled like the rest
    _edit_index(root, edit)
    code, stdout, _ = run(root, "fsck")
    assert code == 1
    if edit in (_head_moved, _op_log_lost):  # each ref fsck compares with the packs' commit records
        assert_problems_name(stdout, "bad-ref: ")
    else:
        assert_problems_name(stdout, "damaged: index: ", first_only=True)
        assert REINDEX in stdout
    for verb, said in observe(root, asset).items():
        assert said[0] in (0, 3), (verb, said)
    assert run(root, "reindex")[0] == 0
    assert observe(root, asset) == baseline
    assert run(root, "fsck")[0] == 0


# ------------------------------------------------------------------ projections


def _delete_keys(name: bytes) -> Any:
    def edit(env: Any, txn: Any) -> None:
        db = env.open_db(name, txn=txn)
        keys = [bytes(k) for k in txn.cursor(db=db).iternext(values=False)]
        assert keys
        for key in keys:
            txn.delete(key, db=db)

    return edit


@pytest.mark.parametrize(
    ("db", "verb", "symptom"),
    [
        (DB_ENTITY, ["scene", "show", "intro"], "no scene"),
        (DB_LINEAGE, ["lineage", "SOURCE", "--used-by", "--json"], None),
        (DB_EVENTS, ["lineage", "ASSET", "--json"], None),
        (DB_WORD, ["search", "lamp"], None),
    ],
    ids=["entity", "lineage", "events", "words"],
)
def test_deleted_projection_entries_are_named_by_fsck_and_rebuilt(
    built: tuple[Path, str], tmp_path: Path, db: bytes, verb: list[str], symptom: str | None
) -> None:
    root, asset, baseline = copy(built, tmp_path)
    source = json.loads(baseline[f"lineage {asset} --json"][1])["sources"][0]
    verb = [{"ASSET": asset, "SOURCE": source}.get(arg, arg) for arg in verb]
    with Vault.open(root) as v, v.store.transaction() as w:  # the word log folded: searches read what is deleted
        w.on_commit(v.projections.fold_words)
    before = run(root, *verb)
    _edit_index(root, _delete_keys(db))
    damaged = run(root, *verb)
    assert damaged != before  # the defect: a verb silently says less
    if symptom:
        assert symptom in damaged[2]
    code, stdout, _ = run(root, "fsck")
    assert code == 1
    assert_problems_name(stdout, f"projection: {db.decode()}: ")
    assert REINDEX in stdout
    verify = run(root, "reindex", "--verify")
    assert verify[0] == 1 and db.decode() in verify[2]
    assert run(root, "reindex")[0] == 0
    assert run(root, *verb) == before
    assert observe(root, asset) == baseline
    assert run(root, "fsck")[0] == 0


def test_a_damaged_word_log_is_named_and_rebuilt(built: tuple[Path, str], tmp_path: Path) -> None:
    root, asset, baseline = copy(built, tmp_path)

    def damage(env: Any, txn: Any) -> None:
        txn.put(b"meta", b"\x01\x02", db=env.open_db(b"p.wordlog.meta", txn=txn))

    _edit_index(root, damage)
    code, stdout, _ = run(root, "fsck")
    assert code == 1 and stdout.startswith("projection: p.wordlog: "), stdout
    assert run(root, "reindex")[0] == 0
    assert observe(root, asset) == baseline


# ------------------------------------------------------------------ a missing index


def test_a_removed_index_is_rebuilt_by_reindex_with_history_intact(built: tuple[Path, str], tmp_path: Path) -> None:
    root, asset, baseline = copy(built, tmp_path)
    twin = tmp_path / "twin"  # the same vault, never damaged: undo must do the same on both
    shutil.copytree(built[0], twin)
    shutil.rmtree(root / ".comfyvn" / "index")
    for argv in (["log"], ["status"], ["scene", "show", "intro"], ["op", "log"], ["undo"], ["commit", "-m", "x"]):
        said = run(root, *argv)
        assert_one_line_error(said)
        assert "index" in said[2] and REINDEX in said[2], said
    code, stdout, err = run(root, "fsck")
    assert code == 1 and stdout.startswith("damaged: index: ") and "missing" in stdout
    assert "the packs hold" in err
    code, _, err = run(root, "reindex")
    assert code == 0 and "rebuilt the index from the packs" in err
    assert observe(root, asset) == baseline
    assert run(root, "fsck")[0] == 0
    assert run(root, "reindex", "--verify")[0] == 0
    # HEAD, branches and the operation log came back: undo and redo behave as on the twin.
    for argv in (["undo"], ["redo"], ["undo"]):
        assert run(root, *argv) == run(twin, *argv), argv
    assert observe(root, asset)["log --all"] == observe(twin, asset)["log --all"]


def test_reindex_of_a_sound_index_only_rebuilds_the_projections(built: tuple[Path, str], tmp_path: Path) -> None:
    root, asset, baseline = copy(built, tmp_path)
    before = os.stat(data_file(root)).st_ino
    code, _, err = run(root, "reindex")
    assert code == 0 and "from the packs" not in err
    assert os.stat(data_file(root)).st_ino == before
    assert observe(root, asset) == baseline


def test_a_writer_refuses_an_index_replaced_under_it(built: tuple[Path, str], tmp_path: Path) -> None:
    """A long-lived process (the TUI, watch) must not commit into an index reindex replaced: its
    commit would be lost, and the next writer would cut it off the pack."""
    root = copy(built, tmp_path)[0]
    with Vault.open(root) as v:
        shutil.rmtree(root / ".comfyvn" / "index")
        assert run(root, "reindex")[0] == 0
        with pytest.raises(ConcurrentWork, match="rebuilt by another process"):
            edit.node_add(v, "intro", speaker="Bob", content="Lost, were it written.")
    assert run(root, "fsck")[0] == 0
    with Vault.open(root) as v:  # opened afresh, the new index takes writes
        edit.node_add(v, "intro", speaker="Bob", content="Kept.")
    assert "Kept." in run(root, "scene", "show", "intro")[1]
    assert run(root, "fsck")[0] == 0


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize("value", ["abc", "nan", "-1", "1e999"])
def test_a_bad_lock_timeout_is_a_usage_error(vault_dir: Path, cli: Any, value: str) -> None:
    r = cli("-C", vault_dir, "log", env={"COMFYVN_LOCK_TIMEOUT": value})
    assert r.code == 2, r
    assert r.err.count("\n") == 1 and "COMFYVN_LOCK_TIMEOUT" in r.err and repr(value) in r.err


def test_a_bad_map_size_is_a_usage_error(vault_dir: Path, cli: Any) -> None:
    r = cli("-C", vault_dir, "status", env={"COMFYVN_MAP_SIZE": "64G"})
    assert r.code == 2 and r.err.count("\n") == 1 and "COMFYVN_MAP_SIZE" in r.err, r
    assert cli("-C", vault_dir, "status", env={"COMFYVN_LOCK_TIMEOUT": "", "COMFYVN_MAP_SIZE": ""}).code == 0
