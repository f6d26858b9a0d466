"""The content-addressed object store: ids, canonical codec, compression, packs and
blobs, the LMDB index, fsck and gc. It knows bytes, not stories."""

from comfyvn_vault.store.base import AddResult, Kind, ObjectInfo, ObjectStore, Writer, get_object
from comfyvn_vault.store.codec import StoredObject, decode, decode_as, encode, links, object_id
from comfyvn_vault.store.disk import DiskObjectStore
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.store.memory import MemoryObjectStore

__all__ = [
    "AddResult",
    "DiskObjectStore",
    "Kind",
    "MemoryObjectStore",
    "ObjectId",
    "ObjectInfo",
    "ObjectStore",
    "StoredObject",
    "Writer",
    "decode",
    "decode_as",
    "encode",
    "get_object",
    "hash_bytes",
    "links",
    "object_id",
]
