"""An in-memory object store with the disk store's interface, for tests and
for layers above that want a store without a folder."""

from __future__ import annotations

import bisect
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

from comfyvn_vault.errors import CorruptObject, InputRejected, ObjectNotFound
from comfyvn_vault.store.base import (
    CHUNK,
    AddResult,
    ByteStream,
    CommitHook,
    Kind,
    ObjectInfo,
    ObjectStore,
    Writer,
    check_ref_name,
)
from comfyvn_vault.store.codec import StoredObject, encode
from comfyvn_vault.store.fsutil import os_error
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.store.prefix import resolve_prefix
from comfyvn_vault.store.refs import expect_ref

if TYPE_CHECKING:
    import lmdb


class _ListCursor:
    def __init__(self, keys: list[bytes]) -> None:
        self.keys, self.i = keys, 0

    def set_range(self, key: bytes) -> bool:
        self.i = bisect.bisect_left(self.keys, key)
        return self.i < len(self.keys)

    def key(self) -> bytes:
        return self.keys[self.i]

    def next(self) -> bool:
        self.i += 1
        return self.i < len(self.keys)


class _NoIndex:
    """What the memory store's commit hooks are handed for a transaction: it has no index to use."""

    def __getattr__(self, name: str) -> Callable[..., NoReturn]:
        raise RuntimeError(f"the in-memory store has no index (a commit hook used txn.{name})")


class MemoryObjectStore(ObjectStore):
    """Objects and refs in dicts; transactions are atomic (all or nothing) and serialised."""

    def __init__(self) -> None:
        self.objects: dict[ObjectId, tuple[Kind, bytes]] = {}
        self._refs: dict[str, ObjectId] = {}
        self._lock = threading.Lock()

    def has(self, oid: ObjectId) -> bool:
        return oid in self.objects

    def _raw(self, oid: ObjectId) -> tuple[Kind, bytes]:
        try:
            return self.objects[oid]
        except KeyError:
            raise ObjectNotFound(f"no object {oid.hex()}") from None

    def info(self, oid: ObjectId) -> ObjectInfo:
        kind, data = self._raw(oid)
        return ObjectInfo(oid, kind, len(data), len(data), "none", "memory")

    def get(self, oid: ObjectId) -> bytes:
        _, data = self._raw(oid)
        if hash_bytes(data) != oid:
            raise CorruptObject(f"object {oid.hex()}: bytes do not match the id")
        return data

    def iter_chunks(self, oid: ObjectId) -> Iterator[bytes]:
        data = self.get(oid)
        for i in range(0, max(len(data), 1), CHUNK):
            yield data[i : i + CHUNK]

    def resolve(self, text: str) -> ObjectId:
        return resolve_prefix(text, _ListCursor(sorted(self.objects)))

    def ids(self) -> Iterator[ObjectId]:
        yield from sorted(self.objects)

    def count(self) -> int:
        return len(self.objects)

    def ref(self, name: str) -> ObjectId | None:
        return self._refs.get(name)

    def refs(self, prefix: str = "") -> dict[str, ObjectId]:
        return {k: v for k, v in sorted(self._refs.items()) if k.startswith(prefix)}

    @contextmanager
    def transaction(self) -> Iterator[MemoryWriter]:
        with self._lock:
            writer = MemoryWriter(self)
            yield writer
            writer.commit()

    def close(self) -> None:
        """Nothing to release: the objects live as long as the store."""


class MemoryWriter(Writer):
    """The write side of one memory-store transaction: everything lands at commit, or nothing."""

    def __init__(self, store: MemoryObjectStore) -> None:
        self.store = store
        self.pending: dict[ObjectId, tuple[Kind, bytes]] = {}
        self.ref_updates: dict[str, ObjectId | None] = {}
        self.hooks: list[CommitHook] = []

    def has(self, oid: ObjectId) -> bool:
        return oid in self.pending or self.store.has(oid)

    def put_bytes(self, data: bytes, kind: Kind = Kind.BLOB) -> AddResult:
        oid = hash_bytes(data)
        new = not self.has(oid)
        if new:
            self.pending[oid] = (kind, bytes(data))
        return AddResult(oid, len(data), new)

    def put_object(self, obj: StoredObject) -> ObjectId:
        return self.put_bytes(encode(obj), Kind.OBJECT).id

    def put_objects(self, objs: Sequence[StoredObject]) -> list[ObjectId]:
        return [self.put_object(obj) for obj in objs]

    def put_stream(self, src: ByteStream) -> AddResult:
        return self.put_bytes(src.read())

    def put_file(self, path: str | os.PathLike[str]) -> AddResult:
        p = Path(path)
        if p.is_dir():
            raise InputRejected(f"{p}: is a directory")
        try:
            return self.put_bytes(p.read_bytes())
        except OSError as exc:
            raise os_error(exc, "read") from None

    def ref(self, name: str) -> ObjectId | None:
        return self.ref_updates[name] if name in self.ref_updates else self.store.ref(name)

    def set_ref(self, name: str, new: ObjectId | None, expected: ObjectId | None) -> None:
        check_ref_name(name)
        expect_ref(name, self.ref(name), expected)
        self.ref_updates[name] = new

    def on_commit(self, hook: CommitHook) -> None:
        self.hooks.append(hook)

    def commit(self) -> None:
        self.store.objects.update(self.pending)
        for name, value in self.ref_updates.items():
            if value is None:
                self.store._refs.pop(name, None)
            else:
                self.store._refs[name] = value
        for hook in self.hooks:
            # No index here: the hooks that write one run on a disk store only.
            hook(cast("lmdb.Transaction[bytes]", _NoIndex()))
