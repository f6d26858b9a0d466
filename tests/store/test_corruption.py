"""Damage to every stored form is detected, never served, and never spread by gc.

Forms: a packed raw blob, a packed zstd blob, a loose raw blob, a loose zstd
blob and a structured object (an ``AssetRoll`` linking a blob). Damage: one flipped byte, a
truncation, a deleted file (for packed objects: the pack). Each must show up in
``fsck`` (API and ``comfyvn fsck --json``, exit 1) under the object's id with a
fitting kind, make reads raise :class:`CorruptObject` and ``comfyvn show`` exit 3.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.api import history
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.errors import CorruptObject
from comfyvn_vault.store.gc import reachable
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.store.layout import LOC_PACK, RECORD
from comfyvn_vault.vault import Vault
from tests.conftest import Result, run_cli
from tests.store.objects import ROLL_REF, AssetRoll

pytestmark = pytest.mark.timeout(120)

MiB = 1 << 20

CONTENT: dict[str, Callable[[], bytes]] = {
    "packed-raw": lambda: os.urandom(50_000),
    "packed-zstd": lambda: b"Alice: are you coming to the festival tonight?\n" * 1000,
    "loose-raw": lambda: os.urandom(MiB + 300_000),
    "loose-zstd": lambda: b"Bob: I would not miss it for the world, see you at eight.\n" * 25_000,
    "structured": lambda: b"a blob for the roll to link to\n" * 3,
}
EXPECTED_FORM = {
    "packed-raw": ("pack", "none"),
    "packed-zstd": ("pack", "zstd"),
    "loose-raw": ("loose", "none"),
    "loose-zstd": ("loose", "zstd"),
}
DAMAGE_KIND = {"flip": "corrupt", "truncate": "truncated", "delete": "missing"}


def make_vault(tmp_path: Path, form: str) -> tuple[Path, ObjectId, bytes]:
    """A vault holding one object of ``form``; returns the vault, its id and raw bytes."""
    root = tmp_path / "vault"
    src = tmp_path / "src.bin"
    data = CONTENT[form]()
    src.write_bytes(data)
    vault, _ = Vault.init(root)
    with vault:
        (added,) = add_assets(vault, [src]).assets
        if form == "structured":
            with vault.store.transaction() as w:
                oid = w.put_object(AssetRoll(parent=None, blobs=[added.blob], names=[src.name]))
                w.set_ref(ROLL_REF, oid, None)
            info = vault.info(oid)
            assert info.kind.name == "OBJECT" and info.location == "pack"
            data = vault.store.get(oid)
        else:
            oid = added.blob
            info = vault.info(oid)
            assert (info.location, info.compression) == EXPECTED_FORM[form], info
    return root, oid, data


def damage(root: Path, oid: ObjectId, how: str) -> None:
    """Damage the bytes of ``oid`` on disk, behind the store's back."""
    with Vault.open(root) as vault:
        e = vault.store.entry(oid)
        assert e is not None
        paths = vault.store.paths
        if e.location == LOC_PACK:
            path, start, length = paths.pack(e.pack), e.offset, e.stored
        else:
            path = paths.loose_file(oid, bool(vault.info(oid).compression == "zstd"))
            start, length = 0, e.stored
    assert path.stat().st_size >= start + length
    if how == "flip":
        with open(path, "r+b") as f:
            f.seek(start + length // 2)
            byte = f.read(1)
            f.seek(start + length // 2)
            f.write(bytes([byte[0] ^ 0x40]))
    elif how == "truncate":
        os.truncate(path, start + length // 2)
    else:
        path.unlink()


def read(vault: Vault, oid: ObjectId) -> bytes:
    return b"".join(vault.iter_object(oid))


def fsck_cli(root: Path) -> tuple[int, dict[str, Any]]:
    r = run_cli("-C", root, "fsck", "--json")
    assert "Traceback" not in r.err, r.err
    doc = r.json()
    assert doc["schema"] == "comfyvn.fsck/1"
    return r.code, doc


def assert_show_refused(root: Path, oid: ObjectId) -> Result:
    r = run_cli("-C", root, "show", oid.hex())
    assert r.code == 3, (r.code, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("comfyvn: "), r.err
    assert "Traceback" not in r.err and oid.hex() in r.err
    return r


# ----------------------------------------------------------------- damage to each form


@pytest.mark.parametrize("how", ["flip", "truncate", "delete"])
@pytest.mark.parametrize("form", list(CONTENT))
def test_damage_is_detected(tmp_path: Path, form: str, how: str) -> None:
    root, oid, data = make_vault(tmp_path, form)
    with Vault.open(root) as vault:
        assert read(vault, oid) == data
        assert vault.fsck().clean
    damage(root, oid, how)

    with Vault.open(root) as vault:
        report = vault.fsck()
        mine = [p for p in report.problems if p.id == oid.hex()]
        assert mine, report.problems
        assert {p.kind for p in mine} == {DAMAGE_KIND[how]}, mine
        with pytest.raises(CorruptObject):
            read(vault, oid)
        with pytest.raises(CorruptObject):
            vault.store.get(oid)
        if form == "structured":
            with pytest.raises(CorruptObject):
                history.object_show(vault, oid.hex())

    code, doc = fsck_cli(root)
    assert code == 1 and doc["clean"] is False
    assert {"id": oid.hex(), "kind": DAMAGE_KIND[how]} in [{"id": p["id"], "kind": p["kind"]} for p in doc["problems"]]
    assert_show_refused(root, oid)


@pytest.mark.parametrize("how", ["truncate", "delete"])
def test_damaged_pack_is_reported_itself(tmp_path: Path, how: str) -> None:
    root, oid, _ = make_vault(tmp_path, "packed-raw")
    with Vault.open(root) as vault:
        e = vault.store.entry(oid)
        assert e is not None
        pack = vault.store.paths.pack(e.pack)
        neighbours = [i for i, en in vault.store.entries() if en.location == LOC_PACK and en.pack == e.pack]
        committed = vault.store.packs()[e.pack]  # the file goes on with zeros written ahead
    assert oid in neighbours and len(neighbours) >= 2  # the blob, the asset record and commit of its add, …
    if how == "truncate":
        os.truncate(pack, committed // 3)
    else:
        pack.unlink()
    with Vault.open(root) as vault:
        report = vault.fsck()
    kinds = {p.id: p.kind for p in report.problems}
    assert kinds[pack.name] == ("truncated" if how == "truncate" else "missing")
    if how == "delete":  # every object in it is gone
        assert all(kinds[i.hex()] == "missing" for i in neighbours)
    code, doc = fsck_cli(root)
    assert code == 1 and pack.name in {p["id"] for p in doc["problems"]}


def test_flipped_pack_record_header_is_reported(tmp_path: Path) -> None:
    root, oid, _ = make_vault(tmp_path, "packed-raw")
    with Vault.open(root) as vault:
        e = vault.store.entry(oid)
        assert e is not None
        pack = vault.store.paths.pack(e.pack)
    with open(pack, "r+b") as f:
        f.seek(e.offset - RECORD.size)  # the magic of the record
        f.write(b"XXXX")
    with Vault.open(root) as vault:
        report = vault.fsck()
    assert [(p.id, p.kind) for p in report.problems] == [(oid.hex(), "corrupt")]


def test_every_form_at_once(tmp_path: Path) -> None:
    """Damage in one object is reported against it alone; its neighbours stay good."""
    root = tmp_path / "vault"
    files = {}
    for form in EXPECTED_FORM:
        files[form] = tmp_path / f"{form}.bin"
        files[form].write_bytes(CONTENT[form]())
    with Vault.init(root)[0] as vault:
        added = {form: a.blob for form, a in zip(files, add_assets(vault, list(files.values())).assets, strict=True)}
    for form in ("packed-zstd", "loose-raw"):
        damage(root, added[form], "flip")
    with Vault.open(root) as vault:
        report = vault.fsck()
        assert sorted((p.id, p.kind) for p in report.problems) == sorted(
            (added[f].hex(), "corrupt") for f in ("packed-zstd", "loose-raw")
        )
        for form in ("packed-raw", "loose-zstd"):
            assert read(vault, added[form]) == files[form].read_bytes()


# ----------------------------------------------------------------- links and refs


def test_link_to_a_never_stored_object_is_dangling(vault: Vault, cli: Any) -> None:
    ghost = hash_bytes(b"never stored")
    with vault.store.transaction() as w:
        roll = w.put_object(AssetRoll(parent=None, blobs=[ghost], names=["ghost.png"]))
        w.set_ref(ROLL_REF, roll, None)
    report = vault.fsck()
    assert [(p.id, p.kind) for p in report.problems] == [(roll.hex(), "dangling")]
    assert ghost.hex() in report.problems[0].detail
    r = cli("-C", vault.root, "fsck", "--json")
    assert r.code == 1 and [(p["id"], p["kind"]) for p in r.json()["problems"]] == [(roll.hex(), "dangling")]


@pytest.mark.parametrize("form", ["packed-raw", "loose-raw"])
def test_link_to_a_deleted_object_is_dangling(tmp_path: Path, form: str) -> None:
    root, blob, _ = make_vault(tmp_path, form)
    with Vault.open(root) as vault:
        e = vault.store.entry(blob)
        assert e is not None
        # Lose the blob entirely: its index entry and, when loose, its file.
        with vault.store.env.begin(write=True) as txn:
            assert txn.delete(bytes(blob), db=vault.store.objects_db)
        if e.location != LOC_PACK:
            vault.store.paths.loose_file(blob, False).unlink()
    with Vault.open(root) as vault:
        report = vault.fsck()
        # The asset record and its AssetImported event each link the lost blob.
        path = f"assets/{blob.hex()}"
        asset_doc = vault.history.trees.get(vault.checkout_tree(), path)  # type: ignore[arg-type]
        import_event = vault.projections.events_for(path)[0][3]  # AssetImported comes first
    linking = sorted([(asset_doc.hex(), "dangling"), (import_event.hex(), "dangling")])
    if form == "packed-raw":  # its record is still in the pack: the index lost it (reindex restores it)
        linking = sorted([*linking, ("index", "damaged")])
    assert sorted((p.id, p.kind) for p in report.problems) == linking
    code, doc = fsck_cli(root)
    assert code == 1 and sorted((p["id"], p["kind"]) for p in doc["problems"]) == linking


def test_ref_to_a_missing_object_is_bad_ref(vault: Vault, cli: Any) -> None:
    missing = hash_bytes(b"no such object")
    with vault.store.transaction() as w:
        w.set_ref("test/broken", missing, None)
    report = vault.fsck()
    assert [(p.id, p.kind) for p in report.problems] == [("test/broken", "bad-ref")]
    assert missing.hex() in report.problems[0].detail
    r = cli("-C", vault.root, "fsck", "--json")
    assert r.code == 1 and [(p["id"], p["kind"]) for p in r.json()["problems"]] == [("test/broken", "bad-ref")]
    human = cli("-C", vault.root, "fsck")
    assert human.code == 1 and "bad-ref" in human.out


# ----------------------------------------------------------------- gc


def _files(tmp_path: Path, tag: str) -> list[Path]:
    contents = [
        os.urandom(20_000),
        f"{tag}: packed text\n".encode() * 200,
        os.urandom(MiB + 100),
        f"{tag}: loose text line\n".encode() * 80_000,
    ]
    paths = []
    for i, data in enumerate(contents):
        paths.append(tmp_path / f"{tag}{i}.bin")
        paths[-1].write_bytes(data)
    return paths


def test_gc_keeps_reachable_and_removes_unreachable(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "vault"
    first, second = _files(tmp_path, "first"), _files(tmp_path, "second")
    with Vault.init(root)[0] as vault:
        initial = reachable(vault.store, vault.store.refs().values())  # whatever a new vault holds
        kept = {a.blob: p.read_bytes() for p, a in zip(first, add_assets(vault, first).assets, strict=True)}
        kept |= {a.blob: p.read_bytes() for p, a in zip(second, add_assets(vault, second).assets, strict=True)}
        # Reachable only through another ref, and only through a link of a structured object.
        with vault.store.transaction() as w:
            only_ref = w.put_bytes(b"kept by its own ref").id
            linked = w.put_bytes(os.urandom(MiB + 1)).id
            holder = w.put_object(AssetRoll(parent=None, blobs=[only_ref, linked], names=["a", "b"]))
            w.set_ref("keep/this", holder, None)
        kept[only_ref] = b"kept by its own ref"
        kept[linked] = vault.store.get(linked)
        # Garbage: committed without any ref, in every form, plus an object that
        # links to reachable blobs (removing it must not take them along).
        with vault.store.transaction() as w:
            garbage = {
                w.put_bytes(os.urandom(3000)).id,
                w.put_bytes(b"garbage text " * 500).id,
                w.put_bytes(os.urandom(MiB + 2)).id,
                w.put_bytes(b"garbage loose text line\n" * 60_000).id,
            }
            garbage.add(w.put_object(AssetRoll(parent=None, blobs=list(kept)[:3], names=["x", "y", "z"])))
        loose_garbage = [
            vault.store.paths.loose_file(g, vault.info(g).compression == "zstd")
            for g in garbage
            if vault.info(g).location == "loose"
        ]
        assert len(loose_garbage) == 2 and all(p.exists() for p in loose_garbage)
        live = reachable(vault.store, vault.store.refs().values())
        # The adds' commits (asset records, events) keep the added blobs reachable through history.
        refs = vault.store.refs()
        history = reachable(vault.store, [oid for name, oid in refs.items() if name != "keep/this"])
        assert set(kept) - {only_ref, linked} <= history
        assert live == initial | history | set(kept) | {holder}
        old_packs = set(vault.store.packs())

    r = cli("-C", root, "gc", "--json")
    assert r.code == 0, r.err
    assert r.json()["removed"] == len(garbage) and r.json()["kept"] == len(live)

    with Vault.open(root) as vault:
        assert set(vault.store.ids()) == live
        for oid, data in kept.items():
            assert read(vault, oid) == data
        for g in garbage:
            assert not vault.store.has(g)
        assert not any(p.exists() for p in loose_garbage)
        assert not old_packs & set(vault.store.packs())  # the dirty pack was rewritten...
        assert not [p for p in vault.store.paths.packs.iterdir() if int(p.stem[5:]) in old_packs]  # ...and removed
        report = vault.fsck()
        assert report.clean and report.notes == [], (report.problems, report.notes)
        assert vault.gc().removed == 0  # nothing left to collect
    code, doc = fsck_cli(root)
    assert code == 0 and doc["objects"] == len(live)


def test_reader_opened_before_gc_reads_moved_objects(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "vault"
    files = _files(tmp_path, "r")
    with Vault.init(root)[0] as vault:
        ids = [a.blob for a in add_assets(vault, files).assets]
        with vault.store.transaction() as w:
            w.put_bytes(b"garbage in the same pack " * 10)
    with Vault.open(root) as reader:
        assert read(reader, ids[0]) == files[0].read_bytes()  # caches the old pack's fd
        assert cli("-C", root, "gc").code == 0  # another process moves the live records
        for oid, path in zip(ids, files, strict=True):
            assert read(reader, oid) == path.read_bytes()


def test_gc_refuses_to_walk_a_damaged_structured_object(tmp_path: Path, cli: Any) -> None:
    """gc must not treat the children of an unreadable object as garbage."""
    root, roll, _ = make_vault(tmp_path, "structured")
    with Vault.open(root) as vault:
        before = set(vault.store.ids())
    damage(root, roll, "flip")
    r = cli("-C", root, "gc")
    assert r.code == 3 and "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1, r.err
    with Vault.open(root) as vault:
        assert set(vault.store.ids()) == before


def test_adding_an_already_stored_unreachable_blob_protects_it_from_gc(tmp_path: Path, cli: Any) -> None:
    """``asset add`` of content some other writer stored without a ref: the add's asset record
    must link it (a store-level roll once recorded only new blobs, so gc deleted an asset the
    user had just added)."""
    root = tmp_path / "vault"
    data = os.urandom(5000)
    (tmp_path / "pic.bin").write_bytes(data)
    with Vault.init(root)[0] as vault, vault.store.transaction() as w:
        w.put_bytes(data)  # stored by some earlier writer that never referenced it
    r = cli("-C", root, "asset", "add", tmp_path / "pic.bin", "--json")
    assert r.code == 0, r.err
    oid = r.json()["assets"][0]["id"]
    assert cli("-C", root, "gc").code == 0
    show = cli("-C", root, "show", oid)
    assert show.code == 0 and show.stdout_bytes == data, show.err
