"""The Vault facade: the one API the CLI, the TUI, hooks and scripts share.

A vault is a project folder (the working copy) holding ``.comfyvn/``. Every verb
is a method here; the CLI only parses arguments and prints what these return.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import msgspec

from comfyvn_vault.asset_roll import ROLL_REF, AssetRoll
from comfyvn_vault.errors import InputRejected, NotAVault
from comfyvn_vault.store import codec
from comfyvn_vault.store.base import AddResult, Kind, ObjectInfo
from comfyvn_vault.store.disk import DiskObjectStore, Staged
from comfyvn_vault.store.fsck import FsckReport, fsck
from comfyvn_vault.store.fsutil import os_error, write_durably
from comfyvn_vault.store.gc import GcReport, gc
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.store.layout import FORMAT_VERSION, Paths

STORE_DIR: Final = ".comfyvn"

Progress = Callable[[int], None]


class AddedFile(msgspec.Struct, frozen=True):
    path: str
    id: ObjectId
    bytes: int
    new: bool


def find_vault(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds ``.comfyvn/``."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / STORE_DIR / "format").is_file():
            return folder
    raise NotAVault(f"not inside a vault (no {STORE_DIR}/ at or above {start}); run 'comfyvn init'")


class Vault:
    """An open vault. Use :meth:`open` or :meth:`init`; close it (or use ``with``)."""

    def __init__(self, root: Path, store: DiskObjectStore) -> None:
        self.root = root
        self.store = store

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def init(cls, path: Path) -> tuple[Vault, bool]:
        """Create a vault in ``path`` (made if missing). Returns the vault and whether it is new."""
        path = path.resolve()
        meta = path / STORE_DIR
        if (meta / "format").is_file():
            return cls.open(path), False
        if path.exists() and not path.is_dir():
            raise InputRejected(f"{path}: exists and is not a folder")
        try:
            path.mkdir(parents=True, exist_ok=True)
            store = DiskObjectStore.create(meta)
            # The format file is written last: its presence is what makes this a vault.
            write_durably(Paths(meta).format, f"{FORMAT_VERSION}\n".encode())
        except OSError as exc:
            raise os_error(exc, f"create a vault in {path}") from None
        return cls(path, store), True

    @classmethod
    def open(cls, start: Path | None = None) -> Vault:
        root = find_vault(start or Path.cwd())
        meta = root / STORE_DIR
        version = (meta / "format").read_text().strip()
        if version != str(FORMAT_VERSION):
            raise InputRejected(f"vault format {version!r} is not supported (this comfyvn reads {FORMAT_VERSION})")
        return cls(root, DiskObjectStore(meta))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- objects

    def resolve(self, text: str) -> ObjectId:
        return self.store.resolve(text)

    def info(self, oid: ObjectId) -> ObjectInfo:
        return self.store.info(oid)

    def object_json(self, oid: ObjectId) -> dict[str, Any]:
        """Metadata (and, for structured objects, the decoded value) of one object."""
        info = self.store.info(oid)
        doc: dict[str, Any] = {
            "schema": "comfyvn.object/1",
            "id": oid.hex(),
            "kind": "object" if info.kind == Kind.OBJECT else "blob",
            "bytes": info.size,
            "stored": info.stored,
            "compression": info.compression,
            "location": info.location,
        }
        if info.kind == Kind.OBJECT:
            data = self.store.get(oid)
            doc["links"] = [t.hex() for t in codec.links(data)]
            doc["value"] = codec.to_plain(data)
        return doc

    def iter_object(self, oid: ObjectId) -> Iterator[bytes]:
        return self.store.iter_chunks(oid)

    # ----------------------------------------------------------------- assets

    def add_files(self, paths: Sequence[str | os.PathLike[str]], progress: Progress | None = None) -> list[AddedFile]:
        """Store files as blobs and record them in the asset roll, atomically.

        Every path is checked before anything is written, large files are staged
        outside the writer lock, and the roll and all blobs land in one
        transaction: on any error nothing is changed.
        """
        checked = [_check_input(Path(p)) for p in paths]
        threshold = self.store.loose_threshold
        staged: list[Staged | AddResult | bytes | None] = []
        try:
            for p, size in checked:
                if size >= threshold:
                    staged.append(self.store.stage_file(p))
                    if progress:
                        progress(size)
                else:
                    staged.append(None)
            added: list[AddedFile] = []
            with self.store.transaction() as w:
                for (p, size), st in zip(checked, staged, strict=True):
                    result = w.add(st) if st is not None else w.put_file(p)
                    if st is None and progress:
                        progress(size)
                    added.append(AddedFile(str(p), result.id, result.size, result.new))
                if any(a.new for a in added):
                    parent = w.ref(ROLL_REF)
                    roll = AssetRoll(
                        parent=parent,
                        blobs=[a.id for a in added if a.new],
                        names=[Path(a.path).name for a in added if a.new],
                    )
                    w.set_ref(ROLL_REF, w.put_object(roll), parent)
            return added
        except BaseException:
            for st in staged:
                if isinstance(st, Staged):
                    st.discard()
            raise

    # ----------------------------------------------------------------- maintenance

    def status(self) -> dict[str, Any]:
        return {
            "schema": "comfyvn.status/1",
            "vault": str(self.root),
            "branch": None,
            "head": None,
            "changes": [],
            "conflicts": [],
            "objects": self.store.count(),
        }

    def fsck(self, progress: Progress | None = None) -> FsckReport:
        return fsck(self.store, progress)

    def gc(self) -> GcReport:
        return gc(self.store)

    def total_bytes(self) -> int:
        return sum(e.size for _, e in self.store.entries())


def _check_input(path: Path) -> tuple[Path, int]:
    """Refuse a path that cannot be added, before anything is written."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputRejected(f"{path}: no such file") from None
    except OSError as exc:
        raise os_error(exc, "read") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputRejected(f"{path}: is a directory (give the files inside it)")
    if not stat.S_ISREG(st.st_mode):
        raise InputRejected(f"{path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise InputRejected(f"{path}: permission denied")
    return path, st.st_size
