"""The packs as the vault's journal; the LMDB index as a cache of it.

A journaled store (every vault made since format 2) ends each write
transaction's records in a pack with a **commit record**: the ref updates and
the loose blobs of that transaction. Only the pack is fsynced per transaction;
the LMDB index (objects, packs, refs, projections) is committed without a sync
of its own. That is safe because everything in the index can be rebuilt from
what was fsynced:

* object entries and pack lengths from the pack records themselves;
* refs by replaying the commit records in order (pack number, then offset);
* loose blobs from the commit records (their files were renamed into place and
  their folders fsynced before the pack);
* projections and the stat cache from history (``reindex``).

LMDB written without syncs stays consistent across a *process* crash (the
kernel's page cache holds its writes), but not across an *OS* crash or power
cut. So before the first unsynced index commit a writer records the current
boot id in ``index.dirty`` (durably); a clean close syncs the index and removes
the marker under the writer lock. A store opened under a different boot id with
the marker present cannot trust its index and rebuilds it from the packs
(:func:`rebuild`), then leaves ``index.rebuilt`` for the vault to rebuild the
projections. A transaction's objects and commit record share one fsync, so a
power cut during it can leave the record without some object bytes: the
rebuild re-hashes every object of every transaction and keeps a pack only up
to its last transaction that is whole.

Vaults of format 1 have no commit records; they keep an index synced on every
commit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Final

import lmdb
import msgspec

from comfyvn_vault.store import compression
from comfyvn_vault.store.fsutil import fsync_dir, write_durably
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.store.layout import (
    FLAG_COMMIT,
    FLAG_ZSTD,
    LOC_LOOSE,
    LOC_PACK,
    PACK_MAGIC,
    RECORD,
    Entry,
    Paths,
    pack_number,
)

_BOOT_ID: Final = Path("/proc/sys/kernel/random/boot_id")
#: The id field of a commit record's header: commit records are not objects.
COMMIT_MARK: Final = b"\0" * 32


class CommitRecord(msgspec.Struct, array_like=True, frozen=True):
    """What one write transaction did besides appending objects."""

    refs: list[tuple[str, bytes | None]]
    loose: list[tuple[bytes, int, int, int]]  # id, flags, stored, size
    snapshot: bool = False  # refs is every ref (written by gc), not updates
    check: bytes = b""  # BLAKE3 of the record encoded with check=b""


_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder(CommitRecord)


def encode_commit(
    refs: dict[str, ObjectId | None], loose: list[tuple[ObjectId, Entry]], snapshot: bool = False
) -> bytes:
    """The pack record (header + payload) ending one transaction."""
    body = CommitRecord(
        refs=sorted((name, bytes(v) if v is not None else None) for name, v in refs.items()),
        loose=[(bytes(oid), e.flags, e.stored, e.size) for oid, e in loose],
        snapshot=snapshot,
    )
    payload = _enc.encode(msgspec.structs.replace(body, check=bytes(hash_bytes(_enc.encode(body)))))
    return RECORD.pack(PACK_MAGIC, FLAG_COMMIT, len(payload), len(payload), COMMIT_MARK) + payload


def decode_commit(payload: bytes) -> CommitRecord | None:
    """The record, or None when its bytes are torn or damaged."""
    try:
        rec = _dec.decode(payload)
    except msgspec.DecodeError:
        return None
    if bytes(hash_bytes(_enc.encode(msgspec.structs.replace(rec, check=b"")))) != rec.check:
        return None
    return rec


def apply_refs(refs: dict[str, ObjectId], rec: CommitRecord) -> None:
    """Move ``refs`` as commit record ``rec`` says (a snapshot replaces them all)."""
    if rec.snapshot:
        refs.clear()
    for name, value in rec.refs:
        if value is None:
            refs.pop(name, None)
        else:
            refs[name] = ObjectId(value)


# ------------------------------------------------------------------ the dirty marker


def boot_id() -> str | None:
    """This boot of the machine (Linux), or None where the system does not say."""
    try:
        return _BOOT_ID.read_text().strip() or None
    except OSError:
        return None


def dirty_path(paths: Paths) -> Path:
    return paths.root / "index.dirty"


def rebuilt_path(paths: Paths) -> Path:
    return paths.root / "index.rebuilt"


def mark_dirty(paths: Paths) -> None:
    """Durably note that the index has writes not yet synced, in this boot."""
    marker = dirty_path(paths)
    if os.path.exists(marker):  # per commit: os.path is several times cheaper than Path.exists
        # Only this boot's writers make it: a marker of another boot was dealt with at open.
        return
    write_durably(marker, f"{boot_id() or 'unknown'}\n".encode())


def index_untrusted(paths: Paths) -> bool:
    """True when unsynced index writes of another boot may have been lost."""
    try:
        written = dirty_path(paths).read_text().strip()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    here = boot_id()
    return here is None or written != here


# ------------------------------------------------------------------ replaying the packs


class Replay:
    """The index a store's packs describe: entries, pack lengths, refs, loose blobs."""

    def __init__(self) -> None:
        self.entries: dict[ObjectId, Entry] = {}
        self.packs: dict[int, int] = {}
        self.refs: dict[str, ObjectId] = {}
        self.truncated: list[tuple[int, int, int]] = []  # pack, committed length, file length
        self.ends: dict[int, int] = {}  # pack → where its readable records end


def _records(f: BinaryIO, size: int, read_objects: bool) -> Iterator[tuple[int, int, int, int, bytes, bytes]]:
    """(offset, flags, raw, stored, id, stored bytes) of each whole record of a pack file of ``size`` bytes.

    Without ``read_objects`` an object's bytes are stepped over (``b""``); commit records are always read.
    """
    offset = 0
    while offset + RECORD.size <= size:
        header = f.read(RECORD.size)
        if len(header) < RECORD.size:
            return
        magic, flags, raw, stored, oid = RECORD.unpack(header)
        end = offset + RECORD.size + stored
        if magic != PACK_MAGIC or stored > (1 << 31) or end > size:
            return
        if read_objects or flags & FLAG_COMMIT:
            data = f.read(stored)
            if len(data) < stored:
                return
        else:
            f.seek(stored, os.SEEK_CUR)
            data = b""
        yield offset, flags, raw, stored, oid, data
        offset = end


def replay(paths: Paths, verify: bool = True, upto: dict[int, int] | None = None) -> Replay:
    """Read every pack in order and keep what whole, verified transactions wrote.

    Without ``verify`` objects are not read, only their record headers. With
    ``upto`` (pack number → committed length, as the index has them) only
    those packs are read, each up to that length: what the index of an
    undamaged store holds (fsck's index check, which verifies the bytes
    through the index).
    """
    out = Replay()
    numbered = sorted((n, p) for p in paths.packs.glob("*.pack") if (n := pack_number(p)) is not None)
    for number, path in numbered:
        if upto is not None and number not in upto:
            continue
        pending: dict[ObjectId, Entry] = {}
        committed = 0
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if upto is not None:
                size = min(size, upto[number])
            out.ends[number] = 0
            for offset, flags, raw, stored, oid, data in _records(f, size, verify):
                out.ends[number] = offset + RECORD.size + stored
                if flags & FLAG_COMMIT:
                    rec = decode_commit(data)
                    if rec is None:
                        break
                    out.entries.update(pending)
                    pending.clear()
                    apply_refs(out.refs, rec)
                    for lid, lflags, lstored, lsize in rec.loose:
                        loose_id = ObjectId(lid)
                        if paths.loose_file(loose_id, bool(lflags & FLAG_ZSTD)).exists():
                            out.entries[loose_id] = Entry(LOC_LOOSE, lflags, 0, 0, lstored, lsize)
                    committed = offset + RECORD.size + stored
                    continue
                if verify and not _whole(flags, raw, oid, data):
                    break  # torn by a power cut: this transaction never finished
                pending[ObjectId(oid)] = Entry(LOC_PACK, flags, number, offset + RECORD.size, stored, raw)
        if committed:
            out.packs[number] = committed
        if committed != size:
            out.truncated.append((number, committed, size))
    return out


def _whole(flags: int, raw: int, oid: bytes, data: bytes) -> bool:
    """True when an object record's stored bytes are the object its header names."""
    body = data
    if flags & FLAG_ZSTD:
        try:
            body = compression.decompress(data, raw)
        except compression.DecompressError:
            return False
    return len(body) == raw and hash_bytes(body) == oid


def journal_refs(paths: Paths, committed: dict[int, int]) -> dict[str, ObjectId] | None:
    """The refs the commit records of the packs' committed parts say, reading record headers only.

    None when a commit record there is damaged (fsck reports it). ``committed``
    is pack number → committed length, read in the same snapshot as the refs
    they are compared with.
    """
    refs: dict[str, ObjectId] = {}
    for number, length in sorted(committed.items()):
        try:
            f = open(paths.pack(number), "rb")
        except FileNotFoundError:
            return None
        with f:
            offset = 0
            while offset < length:
                header = f.read(RECORD.size)
                if len(header) < RECORD.size:
                    return None
                # An object's damaged header is fsck's object check to report; its
                # length still steps over it. Commit records carry their own checksum.
                _, flags, _, stored, _ = RECORD.unpack(header)
                if flags & FLAG_COMMIT:
                    rec = decode_commit(f.read(stored))
                    if rec is None:
                        return None
                    apply_refs(refs, rec)
                else:
                    f.seek(stored, os.SEEK_CUR)
                offset += RECORD.size + stored
    return refs


def _keep_cut(f: BinaryIO, path: Path, committed: int) -> None:
    """Copy what a rebuild cuts off a pack to ``<pack>.cut`` unless it is zeros written ahead.

    A torn transaction is all a power cut leaves there; damage in the middle of a
    pack would cut whole transactions after it, which the copy keeps for recovery.
    """
    f.seek(committed)
    tail = f.read()
    f.seek(0)
    if tail.count(0) != len(tail):
        write_durably(path.with_name(path.name + ".cut"), tail)


def rebuild(
    paths: Paths, open_env: Callable[[Paths], lmdb.Environment], db_names: tuple[bytes, bytes, bytes]
) -> Replay:
    """Replace the index with one rebuilt from the packs; the caller holds the writer lock.

    The old index is moved aside first and removed only when the new one is
    synced, and ``index.rebuilt`` tells the vault its projections are empty.
    """
    import shutil  # here: opening a vault should not pay for it

    found = replay(paths)
    aside = paths.root / "index.old"
    if aside.exists():
        shutil.rmtree(aside)
    write_durably(rebuilt_path(paths), b"projections must be rebuilt from history\n")
    if paths.index.is_dir():
        os.replace(paths.index, aside)
    paths.index.mkdir()
    fsync_dir(paths.root)
    env = open_env(paths)
    try:
        objects_db, packs_db, refs_db = (env.open_db(n) for n in db_names)
        with env.begin(write=True) as txn:
            for oid, e in sorted(found.entries.items()):
                txn.put(bytes(oid), e.pack_value(), db=objects_db)
            for number, length in found.packs.items():
                txn.put(number.to_bytes(4, "big"), length.to_bytes(8, "big"), db=packs_db)
            for name, value in found.refs.items():
                txn.put(name.encode(), bytes(value), db=refs_db)
        env.sync(True)
    finally:
        env.close()
    for number, committed, _ in found.truncated:
        with open(paths.pack(number), "r+b") as f:
            _keep_cut(f, paths.pack(number), committed)
            f.truncate(committed)
            os.fsync(f.fileno())
    shutil.rmtree(aside, ignore_errors=True)
    dirty_path(paths).unlink(missing_ok=True)
    fsync_dir(paths.root)
    return found
