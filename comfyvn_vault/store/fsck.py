"""Verify every object, pointer and pack of a disk store.

Problems (exit 1) are states a correct program never produces: bytes that do
not hash to their id, truncated or missing files, links or refs to objects that
are not there. Notes are harmless leftovers of a crash (an uncommitted pack
tail, a blob file nothing points at yet) that the next write or ``gc`` clears.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from comfyvn_vault.errors import IndexDamaged, VaultError
from comfyvn_vault.store import codec, compression
from comfyvn_vault.store.base import CHUNK
from comfyvn_vault.store.codec import MAX_STRUCTURED
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.store.fsck_index import packs_note, store_damage
from comfyvn_vault.store.ids import ObjectId, hash_bytes, hash_file
from comfyvn_vault.store.journal import journal_refs
from comfyvn_vault.store.layout import FLAG_OBJECT, FLAG_ZSTD, LOC_PACK, PACK_MAGIC, RECORD, Entry, pack_number


class Problem(msgspec.Struct, frozen=True):
    id: str
    kind: str  # corrupt | truncated | missing | dangling | bad-ref | misfiled
    detail: str


class FsckReport(msgspec.Struct):
    objects: int = 0
    bytes: int = 0
    problems: list[Problem] = msgspec.field(default_factory=list)
    notes: list[str] = msgspec.field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


Progress = Callable[[int], None]


def fsck(store: DiskObjectStore, progress: Progress | None = None) -> FsckReport:
    """Walk the whole store; ``progress(n_bytes)`` is called as bytes are verified."""
    report = FsckReport()
    structural, content = store_damage(
        store.paths, store.env, (store.objects_db, store.packs_db, store.refs_db), store.journal, refs_too=False
    )
    report.problems += [Problem("index", "damaged", IndexDamaged.of(d).message) for d in structural + content]
    if structural:  # the rest reads through the index: what a rebuild would use is checked instead
        report.notes.append(packs_note(store.paths))
        return report
    _check_packs(store, report)
    entries = sorted(store.entries(), key=lambda item: (item[1].location, item[1].pack, item[1].offset))
    with store.env.begin(db=store.objects_db) as txn:

        def has(oid: ObjectId) -> bool:
            return txn.get(oid) is not None

        for oid, e in entries:
            report.objects += 1
            report.bytes += e.size
            if e.location == LOC_PACK:
                data = _verify_pack_entry(store, oid, e, report)
                if data is not None and e.flags & FLAG_OBJECT:
                    _check_links(oid, data, has, report)
                elif data is not None:
                    _check_blob_kind(store, oid, e, data, report)
            elif _verify_loose(store, oid, e, report):
                if e.flags & FLAG_OBJECT:
                    _check_links(oid, store.get(oid), has, report)
                else:
                    _check_blob_kind(store, oid, e, None, report)
            if progress is not None:
                progress(e.size)
    for name, target in store.refs().items():
        if not store.has(target):
            report.problems.append(Problem(name, "bad-ref", f"ref {name} points at missing object {target.hex()}"))
    if store.journal:
        _check_journal(store, report)
    _note_strays(store, report)
    return report


def _check_journal(store: DiskObjectStore, report: FsckReport) -> None:
    """The refs in the index must be what the packs' commit records say (store/journal.py)."""
    with store.env.begin() as txn:
        committed = {int.from_bytes(k, "big"): int.from_bytes(v, "big") for k, v in txn.cursor(db=store.packs_db)}
        indexed = {bytes(k).decode(): ObjectId(bytes(v)) for k, v in txn.cursor(db=store.refs_db)}
    journaled = journal_refs(store.paths, committed)
    if journaled is None:
        report.problems.append(Problem("journal", "corrupt", "a commit record in the packs is damaged"))
        return
    for name in sorted(indexed.keys() | journaled.keys()):
        if indexed.get(name) != journaled.get(name):
            was = indexed.get(name)
            says = journaled.get(name)
            report.problems.append(
                Problem(
                    name,
                    "bad-ref",
                    f"ref {name} is {was.hex() if was else 'absent'} in the index but "
                    f"{says.hex() if says else 'absent'} in the packs' commit records",
                )
            )


def _check_packs(store: DiskObjectStore, report: FsckReport) -> None:
    committed = store.packs()
    for number, length in sorted(committed.items()):
        path = store.paths.pack(number)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            report.problems.append(Problem(path.name, "missing", f"pack {path.name} is missing"))
            continue
        if size < length:
            report.problems.append(
                Problem(path.name, "truncated", f"pack {path.name} has {size} bytes, {length} committed")
            )
        elif size > length and not _preallocated(path, length):
            report.notes.append(
                f"{path.name}: {size - length} uncommitted bytes after a crash; the next write drops them"
            )
    for path in sorted(store.paths.packs.glob("*.pack")):
        n = pack_number(path)
        if n is None or n not in committed:
            report.notes.append(f"{path.name}: pack file nothing points at; gc removes it")


def _preallocated(path: Path, committed: int) -> bool:
    """True when every byte after the committed length is a zero written ahead (store/packs.py)."""
    try:
        with open(path, "rb") as f:
            f.seek(committed)
            while chunk := f.read(CHUNK):
                if chunk.count(0) != len(chunk):
                    return False
    except OSError:
        return False
    return True


def _verify_pack_entry(store: DiskObjectStore, oid: ObjectId, e: Entry, report: FsckReport) -> bytes | None:
    """The verified raw bytes of a packed object, or None after recording the problem."""
    hexid = oid.hex()
    try:
        fd = store.pack_files.reader(e.pack)
        # pread allocates what it is asked for: a damaged entry must not ask for gigabytes
        fits = e.offset + e.stored <= os.fstat(fd).st_size
        record = os.pread(fd, RECORD.size + e.stored, e.offset - RECORD.size) if fits else b""
    except FileNotFoundError:
        report.problems.append(Problem(hexid, "missing", f"pack {e.pack} is missing"))
        return None
    if len(record) < RECORD.size + e.stored:
        report.problems.append(Problem(hexid, "truncated", f"pack {e.pack} ends inside this object"))
        return None
    magic, _flags, size, stored_len, rid = RECORD.unpack_from(record)
    if magic != PACK_MAGIC or rid != oid or size != e.size or stored_len != e.stored:
        report.problems.append(Problem(hexid, "corrupt", "pack record header does not match the index"))
        return None
    data = record[RECORD.size :]
    if e.flags & FLAG_ZSTD:
        if e.size > max(MAX_STRUCTURED, store.loose_threshold):
            report.problems.append(Problem(hexid, "corrupt", f"the index claims an impossible size ({e.size})"))
            return None
        try:
            data = compression.decompress(data, e.size)
        except compression.DecompressError:
            report.problems.append(Problem(hexid, "corrupt", "compressed bytes do not decompress"))
            return None
    if len(data) != e.size:
        report.problems.append(Problem(hexid, "truncated", f"{len(data)} bytes, {e.size} expected"))
        return None
    if hash_bytes(data) != oid:
        report.problems.append(Problem(hexid, "corrupt", "bytes do not match the id"))
        return None
    return data


def _verify_loose(store: DiskObjectStore, oid: ObjectId, e: Entry, report: FsckReport) -> bool:
    hexid = oid.hex()
    zstd = bool(e.flags & FLAG_ZSTD)
    path = store.paths.loose_file(oid, zstd)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        report.problems.append(Problem(hexid, "missing", f"file {path.name} is missing"))
        return False
    if size != e.stored:
        kind = "truncated" if size < e.stored else "corrupt"
        report.problems.append(Problem(hexid, kind, f"file has {size} bytes, {e.stored} stored"))
        return False
    try:
        with open(path, "rb") as f:
            if zstd:
                with compression.stream_decompressor().stream_reader(f) as src:
                    digest, n = hash_file(src)
            else:
                digest, n = hash_file(f)
    except (compression.DecompressError, OSError):
        report.problems.append(Problem(hexid, "corrupt", "stored bytes do not decompress"))
        return False
    if n != e.size or digest != oid:
        report.problems.append(Problem(hexid, "corrupt", "bytes do not match the id"))
        return False
    return True


def _check_links(oid: ObjectId, data: bytes, has: Callable[[ObjectId], bool], report: FsckReport) -> None:
    try:
        targets = codec.links(data)
    except VaultError as exc:
        report.problems.append(Problem(oid.hex(), "corrupt", str(exc)))
        return
    for target in targets:
        if not has(target):
            report.problems.append(Problem(oid.hex(), "dangling", f"links to missing object {target.hex()}"))


def _check_blob_kind(store: DiskObjectStore, oid: ObjectId, e: Entry, data: bytes | None, report: FsckReport) -> None:
    """A blob must not hold a structured object (a commit or tree filed as a blob by a hostile peer).

    ``gc`` follows only structured objects' links, so what such a "blob" links
    to would be deleted. ``data`` is None for a loose blob: its head is looked
    at first, and the whole read only when it could be structured.
    """
    if e.size > codec.MAX_STRUCTURED:
        return
    if data is None:
        head = next(iter(store.iter_chunks(oid)), b"")  # the generator (and its file) closes here
        if not codec.looks_structured(head):
            return
        data = store.get(oid)
    tag = codec.structured_tag(data)
    if tag is not None:
        detail = f"a {tag[:40]!r} object stored as a blob: its links go unchecked and gc would drop what it links to"
        report.problems.append(Problem(oid.hex(), "misfiled", detail))


def _note_strays(store: DiskObjectStore, report: FsckReport) -> None:
    loose = store.paths.loose
    if loose.is_dir():
        for sub in sorted(loose.iterdir()):
            for f in sorted(sub.iterdir()) if sub.is_dir() else ():
                name = f.name.removesuffix(".zst")
                try:
                    oid = ObjectId.from_hex(name)
                except VaultError:
                    report.notes.append(f"objects/loose/{sub.name}/{f.name}: not an object file")
                    continue
                if not store.has(oid):
                    report.notes.append(f"{oid.short()}: blob file nothing points at (left by a crash); gc removes it")
    tmp = list(store.paths.tmp.glob("*.tmp")) if store.paths.tmp.is_dir() else []
    if tmp:
        report.notes.append(f"{len(tmp)} staging file(s) in objects/tmp; gc removes stale ones")


def report_json(report: FsckReport) -> dict[str, Any]:
    return {
        "schema": "comfyvn.fsck/1",
        "objects": report.objects,
        "bytes": report.bytes,
        "clean": report.clean,
        "problems": msgspec.to_builtins(report.problems),
        "notes": report.notes,
    }
