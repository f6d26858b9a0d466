"""Behaviour both stores share: put, get, verify, resolve, refs, atomic transactions."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.errors import AmbiguousId, InputRejected, ObjectNotFound, RefMoved
from comfyvn_vault.store import codec
from comfyvn_vault.store.base import Kind
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.store.memory import MemoryObjectStore


class Note(codec.StoredObject, frozen=True, tag="test.Note"):
    text: str
    refs: list[ObjectId] = []


def test_put_get_round_trip(any_store: Any) -> None:
    with any_store.transaction() as w:
        small = w.put_bytes(b"hello")
        big = w.put_bytes(os.urandom(3 << 20))
        note = w.put_object(Note("n", [small.id]))
    assert any_store.get(small.id) == b"hello"
    assert hash_bytes(any_store.get(big.id)) == big.id
    assert codec.decode(any_store.get(note)) == Note("n", [small.id])
    assert any_store.info(note).kind == Kind.OBJECT
    assert any_store.info(small.id).kind == Kind.BLOB
    assert b"".join(any_store.iter_chunks(big.id)) == any_store.get(big.id)


def test_same_content_is_one_object(any_store: Any) -> None:
    with any_store.transaction() as w:
        a = w.put_bytes(b"same")
        b = w.put_bytes(b"same")
    with any_store.transaction() as w:
        c = w.put_bytes(b"same")
    assert a.id == b.id == c.id
    assert a.new and not b.new and not c.new
    assert sum(1 for _ in any_store.ids()) == 1


def test_put_objects_is_put_object_for_each(any_store: Any) -> None:
    with any_store.transaction() as w:
        known = w.put_object(Note("known"))
    notes = [Note("a"), Note("known"), Note("b", [known]), Note("a"), Note("x" * 2000)]
    with any_store.transaction() as w:
        ids = w.put_objects(notes)
        again = w.put_objects([Note("b", [known])])
    assert ids == [codec.object_id(n) for n in notes]
    assert again == [ids[2]]
    assert ids[0] == ids[3] and ids[1] == known
    for oid, note in zip(ids, notes, strict=True):
        assert codec.decode(any_store.get(oid)) == note
        assert any_store.info(oid).kind == Kind.OBJECT
    assert sum(1 for _ in any_store.ids()) == 4, "duplicates, in the batch or already stored, are stored once"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(st.sampled_from(["a", "b", "x" * 300, "y" * 2000, "z" * 250]) | st.text(max_size=600), max_size=12)
)
def test_put_objects_stores_each_as_put_object_does(tmp_path: Path, texts: list[str]) -> None:
    """The bulk path lays out every object (raw or zstd, size, stored size) as one put_object at a time would."""
    base = tmp_path / str(len(list(tmp_path.iterdir())))
    one, bulk = DiskObjectStore.create(base / "one"), DiskObjectStore.create(base / "bulk")
    notes = [Note(t) for t in texts]
    with one.transaction() as w:
        singly = [w.put_object(n) for n in notes]
    with bulk.transaction() as w:
        ids = w.put_objects(notes)
    assert ids == singly
    for oid in set(ids):
        assert bulk.info(oid) == one.info(oid)
        assert bulk.get(oid) == one.get(oid)
    assert bulk.count() == one.count() == len(set(ids))
    one.close()
    bulk.close()


def test_failed_transaction_changes_nothing(any_store: Any) -> None:
    with pytest.raises(RuntimeError), any_store.transaction() as w:
        oid = w.put_bytes(b"doomed").id
        w.set_ref("main", oid, None)
        raise RuntimeError("boom")
    assert not any_store.has(oid)
    assert any_store.ref("main") is None


def test_refs_compare_and_swap(any_store: Any) -> None:
    with any_store.transaction() as w:
        a = w.put_bytes(b"a").id
        b = w.put_bytes(b"b").id
        w.set_ref("heads/main", a, None)
    with pytest.raises(RefMoved), any_store.transaction() as w:
        w.set_ref("heads/main", b, None)
    assert any_store.ref("heads/main") == a
    with any_store.transaction() as w:
        w.set_ref("heads/main", b, a)
        w.set_ref("heads/side", a, None)
    assert any_store.refs("heads/") == {"heads/main": b, "heads/side": a}
    with any_store.transaction() as w:
        w.set_ref("heads/side", None, a)
    assert any_store.refs() == {"heads/main": b}


@pytest.mark.parametrize("name", ["", "../x", "a/../b", "a//b", "/abs", "x\x1b[31m", "a b", "end/", "x.lock"])
def test_hostile_ref_names_rejected(any_store: Any, name: str) -> None:
    with pytest.raises(InputRejected), any_store.transaction() as w:
        w.set_ref(name, hash_bytes(b""), None)


def test_resolve_prefixes(any_store: Any) -> None:
    # Add objects until two share a four-digit prefix (a few hundred, by the birthday bound).
    seen: dict[str, ObjectId] = {}
    shared = None
    i = 0
    while shared is None:
        with any_store.transaction() as w:
            for _ in range(100):
                oid = w.put_bytes(str(i).encode()).id
                i += 1
                if oid.hex()[:4] in seen:
                    shared = oid.hex()[:4]
                seen[oid.hex()[:4]] = oid
    target = next(iter(seen.values()))
    assert any_store.resolve(target.hex()) == target
    assert any_store.resolve(target.hex()[:12].upper()) == target
    with pytest.raises(AmbiguousId):
        any_store.resolve(shared)
    with pytest.raises(InputRejected):
        any_store.resolve("xyz!")
    with pytest.raises(InputRejected):
        any_store.resolve("abc")  # too short to be a prefix
    missing = next(h for h in ("0" * 64, "f" * 64) if not any_store.has(ObjectId.from_hex(h)))
    with pytest.raises(ObjectNotFound):
        any_store.resolve(missing)


def test_put_stream_and_file(any_store: Any, tmp_path: Path) -> None:
    data = os.urandom(2_500_000)
    f = tmp_path / "f.bin"
    f.write_bytes(data)
    with any_store.transaction() as w:
        r1 = w.put_stream(io.BytesIO(data))
        r2 = w.put_file(f)
    assert r1.id == r2.id == hash_bytes(data)
    assert r1.new and not r2.new
    with pytest.raises(InputRejected), any_store.transaction() as w:
        w.put_file(tmp_path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blobs=st.lists(st.binary(max_size=4096) | st.text(max_size=3000).map(str.encode), max_size=12))
def test_disk_and_memory_agree(tmp_path_factory: pytest.TempPathFactory, blobs: list[bytes]) -> None:
    disk = DiskObjectStore.create(tmp_path_factory.mktemp("agree") / "s")
    mem = MemoryObjectStore()
    try:
        for store in (disk, mem):
            with store.transaction() as w:
                for b in blobs:
                    w.put_bytes(b)
        assert sorted(disk.ids()) == sorted(mem.ids())
        for oid in mem.ids():
            assert disk.get(oid) == mem.get(oid)
    finally:
        disk.close()


def test_compression_where_it_pays(disk_store: DiskObjectStore) -> None:
    text = b"Alice: I told you the lighthouse was haunted.\n" * 400
    noise = os.urandom(20_000)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 20_000  # compressible, but a PNG: stored as is
    big_text = b"Bob: " + b"the tide is coming in. " * 200_000
    with disk_store.transaction() as w:
        t, n, p, bt = (w.put_bytes(x).id for x in (text, noise, png, big_text))
    assert disk_store.info(t).compression == "zstd"
    assert disk_store.info(t).stored < len(text) // 5
    assert disk_store.info(n).compression == "none"
    assert disk_store.info(p).compression == "none"
    assert disk_store.info(bt).location == "loose" and disk_store.info(bt).compression == "zstd"
    assert disk_store.get(bt) == big_text


def test_readers_see_only_committed_state(disk_store: DiskObjectStore) -> None:
    probe = (
        "import sys; from pathlib import Path; from comfyvn_vault.store.disk import DiskObjectStore; "
        "from comfyvn_vault.store.ids import ObjectId; "
        "s = DiskObjectStore(Path(sys.argv[1])); print(s.has(ObjectId.from_hex(sys.argv[2])))"
    )

    def other_process_sees(oid: ObjectId) -> bool:
        out = subprocess.run(
            [sys.executable, "-c", probe, str(disk_store.paths.root), oid.hex()], capture_output=True, check=True
        )
        return out.stdout.strip() == b"True"

    with disk_store.transaction() as w:
        oid = w.put_bytes(b"pending").id
        assert disk_store.has(oid)  # the writing process sees its own transaction
        assert disk_store.get(oid) == b"pending"
        assert not other_process_sees(oid)
    assert disk_store.has(oid)
    assert other_process_sees(oid)
