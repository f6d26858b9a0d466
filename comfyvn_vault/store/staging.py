"""Large blobs in files of their own: staged in ``objects/tmp``, then placed in ``objects/loose``.

A blob of :data:`LOOSE_THRESHOLD` bytes or more is streamed, never held whole:
copied into ``objects/tmp`` (zstd-compressed when a sample shows it pays),
hashed as it goes and fsynced, outside any transaction and without the writer
lock (:func:`stage_stream`, :func:`stage_file`). The transaction that adds the
:class:`Staged` file renames it into ``objects/loose/ab/`` when it commits and
fsyncs the folders (:func:`place`), before the pack and the index name it.
Until then nothing points at it: a crash leaves a file that gc removes.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO, Final

import zstandard

from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store import compression
from comfyvn_vault.store.base import CHUNK, AddResult, Readable
from comfyvn_vault.store.fsutil import fsync_dir, os_error
from comfyvn_vault.store.ids import ObjectId, hash_file, new_hasher
from comfyvn_vault.store.layout import FLAG_ZSTD, LOC_LOOSE, Entry, Paths

#: Blobs this large or larger get a file of their own and are streamed.
LOOSE_THRESHOLD: Final = 1 << 20


class Staged:
    """A large blob written to ``objects/tmp`` and fsynced, not yet pointed at."""

    __slots__ = ("id", "size", "stored", "tmp", "zstd")

    def __init__(self, oid: ObjectId, tmp: Path, size: int, stored: int, zstd: bool) -> None:
        self.id, self.tmp, self.size, self.stored, self.zstd = oid, tmp, size, stored, zstd

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def stage_stream(tmp_dir: Path, src: Readable, first: bytes) -> Staged:
    """Copy ``first`` and then the rest of ``src`` into a new file of ``tmp_dir``, hashing as it goes."""
    zstd = compression.sample_pays(first)
    tmp = tmp_dir / f"{uuid.uuid4().hex}.tmp"
    h = new_hasher()
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    try:
        with open(tmp, "wb", buffering=0) as raw_out:
            packer = compression.stream_compressor().stream_writer(raw_out, closefd=False) if zstd else None
            sink: BinaryIO = raw_out if packer is None else packer
            h.update(first)
            sink.write(first)
            size += len(first)
            while n := src.readinto(buf):
                h.update(view[:n])
                sink.write(view[:n])
                size += n
            if packer is not None:
                packer.flush(zstandard.FLUSH_FRAME)
                packer.close()  # type: ignore[no-untyped-call]  # zstandard leaves close() untyped
            os.fsync(raw_out.fileno())
            stored = os.fstat(raw_out.fileno()).st_size
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_error(exc, "store a blob") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Staged(ObjectId(h.digest()), tmp, size, stored, zstd)


def stage_file(
    path: str | os.PathLike[str], tmp_dir: Path, loose_threshold: int, has: Callable[[ObjectId], bool]
) -> Staged | AddResult | bytes:
    """Stage a file of any size, outside any transaction.

    Returns an :class:`AddResult` when it is already stored (``has``), the
    bytes themselves when the file is smaller than ``loose_threshold`` (it goes
    into a pack), else a :class:`Staged` in ``tmp_dir``.

    Large files are hashed first (8 MiB reads, every core) so re-adding
    stored content costs one read and no write.
    """
    p = Path(path)
    try:
        f = open(p, "rb")
    except IsADirectoryError:
        raise InputRejected(f"{p}: is a directory") from None
    except OSError as exc:
        raise os_error(exc, "read") from None
    with f:
        try:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise InputRejected(f"{p}: not a regular file")
            if st.st_size >= loose_threshold:
                oid, _ = hash_file(f)
                if has(oid):
                    return AddResult(oid, st.st_size, new=False)
                f.seek(0)
            first = f.read(loose_threshold)
            if len(first) < loose_threshold:
                return first
            return stage_stream(tmp_dir, f, first)
        except OSError as exc:
            raise os_error(exc, f"read {p}") from None


def place(paths: Paths, staged: Mapping[ObjectId, Staged], placed: list[Path]) -> dict[ObjectId, Entry]:
    """Rename staged blobs into ``objects/loose`` and fsync the folders that changed; their index entries.

    Each file that was not there before goes into ``placed`` as soon as it is
    renamed, so that undoing the transaction, even after a failure half way,
    removes exactly those.
    """
    entries: dict[ObjectId, Entry] = {}
    dirs: set[Path] = set()
    for oid, st in staged.items():
        final = paths.loose_file(oid, st.zstd)
        if not final.parent.is_dir():
            final.parent.mkdir(parents=True, exist_ok=True)
            dirs.add(paths.loose)
        existed = final.exists()
        os.replace(st.tmp, final)
        if not existed:
            placed.append(final)
        dirs.add(final.parent)
        entries[oid] = Entry(LOC_LOOSE, FLAG_ZSTD if st.zstd else 0, 0, 0, st.stored, st.size)
    for d in sorted(dirs):
        fsync_dir(d)
    return entries
