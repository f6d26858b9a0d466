"""Zeros written ahead at the end of the pack being appended to (store/packs.py).

Small transactions overwrite them and sync with ``fdatasync``; a tail a
crashed writer left is still told apart from them and dropped by the next
writer; fsck stays quiet about zeros and speaks about junk; a rebuild from the
packs reads past neither.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from comfyvn_vault.store import journal
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.store.fsck import fsck
from comfyvn_vault.store.layout import PACK_MAGIC, RECORD
from comfyvn_vault.store.packs import PREALLOC_MAX, PREALLOC_MIN, prealloc_size


def _store(tmp_path: Path) -> DiskObjectStore:
    return DiskObjectStore.create(tmp_path / "store")


def _pack_state(store: DiskObjectStore) -> tuple[Path, int, bytes]:
    """(pack path, committed length, the bytes after it) of the only pack."""
    (number, committed), *rest = store.packs().items()
    assert not rest
    path = store.paths.pack(number)
    return path, committed, path.read_bytes()[committed:]


def test_prealloc_size_grows_with_the_pack_and_skips_large_transactions() -> None:
    assert prealloc_size(1_000, 1_000) == PREALLOC_MIN
    assert prealloc_size(64 << 20, 2_000) == PREALLOC_MAX
    assert PREALLOC_MIN < prealloc_size(8 << 20, 2_000) < PREALLOC_MAX
    assert prealloc_size(100 << 20, PREALLOC_MAX) == 0


def test_small_commits_overwrite_zeros_written_ahead(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.transaction() as w:
        first = w.put_bytes(b"first object").id
    path, committed, tail = _pack_state(store)
    assert len(tail) == PREALLOC_MIN and tail.count(0) == len(tail)
    size = path.stat().st_size
    ids = []
    for i in range(20):
        with store.transaction() as w:
            ids.append(w.put_bytes(f"object {i}".encode()).id)
    # Twenty commits landed inside the zeros: the file did not grow.
    assert path.stat().st_size == size
    _, committed2, tail2 = _pack_state(store)
    assert committed2 > committed and tail2.count(0) == len(tail2)
    store.close()
    # Another process (a fresh open) keeps the zeros and goes on from the committed end.
    store = DiskObjectStore(tmp_path / "store")
    with store.transaction() as w:
        last = w.put_bytes(b"after reopening").id
    assert path.stat().st_size == size
    assert [store.get(i) for i in (first, *ids, last)][-1] == b"after reopening"
    report = fsck(store)
    assert report.problems == [] and report.notes == []
    store.close()


def test_a_crashed_writers_tail_is_dropped_and_zeros_are_not_its(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.transaction() as w:
        kept = w.put_bytes(b"committed").id
    path, committed, _ = _pack_state(store)
    size = path.stat().st_size
    store.close()
    # A writer killed after appending a record inside the zeros, before its commit.
    junk = RECORD.pack(PACK_MAGIC, 0, 5, 5, bytes(32)) + b"junk!"
    with open(path, "r+b") as f:
        f.seek(committed)
        f.write(junk)
    store = DiskObjectStore(tmp_path / "store")
    notes = fsck(store).notes
    assert any("uncommitted bytes" in n for n in notes), notes
    with store.transaction() as w:
        w.put_bytes(b"x")  # shorter than the junk: its leftovers must not survive
    _, committed2, tail = _pack_state(store)
    assert tail.count(0) == len(tail), "the junk tail was not dropped"
    assert path.stat().st_size > committed2
    assert store.get(kept) == b"committed"
    report = fsck(store)
    assert report.problems == [] and report.notes == []
    store.close()
    assert size > committed


def test_abort_leaves_the_pack_file_as_it_found_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.transaction() as w:
        w.put_bytes(b"committed")
    path, committed, _ = _pack_state(store)
    size = path.stat().st_size
    with pytest.raises(RuntimeError), store.transaction() as w:
        w.put_bytes(b"never committed")  # buffered only
        raise RuntimeError("rejected")
    assert path.stat().st_size == size
    big = os.urandom(2 << 20)  # drained to the file before the abort
    with pytest.raises(RuntimeError), store.transaction() as w:
        w.put_bytes(big[: (1 << 20) - 1])
        w.put_bytes(big[(1 << 20) :][: (1 << 20) - 1])
        raise RuntimeError("rejected")
    _, committed2, tail = _pack_state(store)
    assert path.stat().st_size == size and committed2 == committed
    assert tail.count(0) == len(tail), "the aborted records were not wiped"
    # Larger than the zeros: the file grows for it, and shrinks back.
    with pytest.raises(RuntimeError), store.transaction() as w:
        for i in range(3):
            w.put_bytes(big[i:][: (1 << 20) - 1])
        raise RuntimeError("rejected")
    assert path.stat().st_size == size
    with store.transaction() as w:
        oid = w.put_bytes(b"next").id
    assert store.get(oid) == b"next"
    assert fsck(store).problems == []
    store.close()


def test_rebuild_from_the_packs_stops_at_the_zeros(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ids = []
    for i in range(5):
        with store.transaction() as w:
            ids.append(w.put_bytes(f"object {i}".encode()).id)
            w.set_ref("heads/main", ids[-1], ids[-2] if i else None)
    committed = store.packs()
    store.close()
    found = journal.replay(store.paths)
    assert found.packs == committed
    assert set(found.entries) == set(ids)
    assert found.refs == {"heads/main": ids[-1]}


def test_a_full_pack_gives_back_its_zeros(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("comfyvn_vault.store.packs.PACK_ROLL", 4096)
    store = _store(tmp_path)
    with store.transaction() as w:
        first = w.put_bytes(os.urandom(5000)).id  # fills pack 1 past the roll size
    assert store.paths.pack(1).stat().st_size > store.packs()[1]  # zeros written ahead
    with store.transaction() as w:
        second = w.put_bytes(b"in the next pack").id
    assert sorted(store.packs()) == [1, 2]
    assert store.paths.pack(1).stat().st_size == store.packs()[1]
    assert store.get(first) and store.get(second) == b"in the next pack"
    report = fsck(store)
    assert report.problems == [] and report.notes == []
    store.close()
