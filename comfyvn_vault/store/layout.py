"""On-disk layout of ``.comfyvn/`` and the binary formats of packs and index entries.

::

    .comfyvn/
      format              format version, written once at init
      lock                writers hold an flock on it for a whole transaction
      index/              the one LMDB environment (objects, packs, refs, later the
                          operation log and projections)
      objects/packs/      append-only pack files of small objects
      objects/loose/ab/   one file per large blob: <hex> raw, or <hex>.zst
      objects/tmp/        blobs being staged; never pointed at

A pack record is a 56-byte header (magic, flags, raw length, stored length, id)
followed by the stored bytes, so a pack can be re-indexed from its own contents;
each transaction's records end with a commit record (its ref updates and loose
blobs), so the whole index can be rebuilt from the packs (store/journal.py). The pack
being appended to may go on past its committed length with zeros written ahead
(store/packs.py); readers never look past the committed length.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Final, NamedTuple

from comfyvn_vault.errors import IndexDamaged
from comfyvn_vault.store.ids import ObjectId

#: 2: packs end each transaction with a commit record and the index is their cache (store/journal.py).
#: The folder of a vault that holds its store, index, config and hooks.
STORE_DIR: Final = ".comfyvn"
FORMAT_VERSION: Final = 2
#: Formats this version opens (1: no commit records; its index is synced on every commit).
READABLE_FORMATS: Final = (1, 2)
PACK_MAGIC: Final = b"CVO1"
RECORD = struct.Struct("<4sBxxxQQ32s")
ENTRY = struct.Struct("<BBIQQQ")

FLAG_ZSTD: Final = 1
FLAG_OBJECT: Final = 2  # structured (canonical msgpack); otherwise a blob
FLAG_COMMIT: Final = 4  # not an object: the commit record ending a transaction (store/journal.py)

LOC_PACK: Final = 0
LOC_LOOSE: Final = 1

DB_OBJECTS: Final = b"objects"
DB_PACKS: Final = b"packs"
DB_REFS: Final = b"refs"

#: Start a new pack file once the current one passes this size.
PACK_ROLL: Final = 1 << 30


class Entry(NamedTuple):
    """An index entry: where an object's bytes are and how they are stored."""

    location: int
    flags: int
    pack: int
    offset: int  # of the stored bytes (after the record header) in a pack
    stored: int
    size: int

    def pack_value(self) -> bytes:
        return ENTRY.pack(*self)

    @classmethod
    def unpack(cls, raw: bytes) -> Entry:
        try:
            return cls(*ENTRY.unpack(raw))
        except struct.error:
            raise IndexDamaged.of(f"an object entry of {len(raw)} bytes") from None


class Paths:
    """Every path inside one ``.comfyvn/`` directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.format = root / "format"
        self.lock = root / "lock"
        self.index = root / "index"
        self.objects = root / "objects"
        self.packs = self.objects / "packs"
        self.loose = self.objects / "loose"
        self.tmp = self.objects / "tmp"

    def pack(self, number: int) -> Path:
        return self.packs / f"pack-{number:06d}.pack"

    def loose_file(self, oid: ObjectId, zstd: bool) -> Path:
        h = oid.hex()
        return self.loose / h[:2] / (h + (".zst" if zstd else ""))

    def all_dirs(self) -> tuple[Path, ...]:
        return (self.root, self.index, self.objects, self.packs, self.loose, self.tmp)


def pack_number(path: Path) -> int | None:
    name = path.name
    if name.startswith("pack-") and name.endswith(".pack"):
        digits = name[5:-5]
        if digits.isdigit():
            return int(digits)
    return None
