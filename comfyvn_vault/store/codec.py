"""The canonical codec for structured objects.

Structured objects (commits, trees, events, entity documents, operations) are
frozen, tagged msgspec Structs encoded as msgpack with:

* fields in declaration order and defaults omitted (so adding a field with a
  default later leaves every existing id unchanged);
* map keys and sets in sorted order (``order="deterministic"``);
* the type tag (``_type``) inside the hashed bytes, so two kinds never share an id;
* links to other objects as msgpack extension type 1 carrying the 32 raw id
  bytes. Because links are self-describing, the store can find every pointer in
  any object without knowing its type (as IPLD does with CID tags): ``fsck``
  checks them and ``gc`` walks them.

Equal values give equal bytes and therefore equal ids.
"""

from __future__ import annotations

import functools
from typing import Any, Final, TypeVar

import msgspec

from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.ids import ID_BYTES, ObjectId, hash_bytes

LINK_EXT: Final = 1
TAG_FIELD: Final = "_type"
#: Structured objects are small (a tree node, a commit, one scene); a larger one is hostile.
MAX_STRUCTURED: Final = 64 << 20


class StoredObject(
    msgspec.Struct, frozen=True, tag=True, tag_field=TAG_FIELD, omit_defaults=True, forbid_unknown_fields=True
):
    """Base of every structured object kind; subclasses are registered by being defined."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _all_kinds.cache_clear()


T = TypeVar("T", bound=StoredObject)


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, ObjectId):
        return msgspec.msgpack.Ext(LINK_EXT, bytes(obj))
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


def _ext_hook(code: int, data: memoryview) -> Any:
    if code == LINK_EXT and len(data) == ID_BYTES:
        return ObjectId(bytes(data))
    raise ValueError(f"unknown msgpack extension {code}")


def _dec_hook(typ: type, obj: Any) -> Any:
    if typ is ObjectId and isinstance(obj, ObjectId):
        return obj
    raise NotImplementedError(f"cannot decode {typ!r}")


_encoder: Final = msgspec.msgpack.Encoder(enc_hook=_enc_hook, order="deterministic")


def encode(obj: StoredObject) -> bytes:
    """Canonical bytes of a structured object."""
    return _encoder.encode(obj)


def object_id(obj: StoredObject) -> ObjectId:
    """The id an object gets when stored."""
    return hash_bytes(encode(obj))


@functools.cache
def _all_kinds() -> tuple[type[StoredObject], ...]:
    seen: list[type[StoredObject]] = []
    todo = list(StoredObject.__subclasses__())
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return tuple(sorted(seen, key=lambda c: c.__struct_config__.tag or ""))


@functools.cache
def _decoder_for(kinds: tuple[type[StoredObject], ...]) -> msgspec.msgpack.Decoder[Any]:
    target: Any = kinds[0]
    for kind in kinds[1:]:
        target = target | kind
    return msgspec.msgpack.Decoder(target, ext_hook=_ext_hook, dec_hook=_dec_hook)


def decode(data: bytes | memoryview) -> StoredObject:
    """Decode bytes of any registered kind; raise :class:`InputRejected` if they are not one."""
    kinds = _all_kinds()
    if not kinds:
        raise InputRejected("no structured object kinds are registered")
    try:
        obj: StoredObject = _decoder_for(kinds).decode(data)
    except (msgspec.DecodeError, ValueError) as exc:
        raise InputRejected(f"not a structured object: {exc}") from None
    return obj


def decode_as(data: bytes | memoryview, kind: type[T]) -> T:
    """Decode bytes that must be of one kind."""
    try:
        obj: T = _decoder_for((kind,)).decode(data)
    except (msgspec.DecodeError, ValueError) as exc:
        raise InputRejected(f"not a {kind.__name__}: {exc}") from None
    return obj


def links(data: bytes | memoryview) -> list[ObjectId]:
    """Every object id that structured bytes point at, in encoding order.

    Works on any kind, registered or not: the links are found by their
    extension tag, not by the type's fields.
    """
    found: list[ObjectId] = []

    def hook(code: int, raw: memoryview) -> None:
        if code == LINK_EXT and len(raw) == ID_BYTES:
            found.append(ObjectId(bytes(raw)))
        return None

    try:
        msgspec.msgpack.decode(data, ext_hook=hook)
    except (msgspec.DecodeError, ValueError) as exc:
        raise InputRejected(f"not a structured object: {exc}") from None
    return found


_TAG_KEY: Final = b"\xa5" + TAG_FIELD.encode()  # msgpack fixstr "_type"
#: Bytes a map header takes before its first key: fixmap, map16, map32.
_MAP_HEADER: Final = {**{b: 1 for b in range(0x80, 0x90)}, 0xDE: 3, 0xDF: 5}
#: How much of an object :func:`looks_structured` needs to see.
SNIFF_BYTES: Final = 5 + len(_TAG_KEY)


def looks_structured(head: bytes | memoryview) -> bool:
    """True when bytes start as every structured object does: a map whose first key is ``_type``.

    ``head`` may be just the first :data:`SNIFF_BYTES` bytes, so a large blob
    is classified without reading it whole.
    """
    skip = _MAP_HEADER.get(head[0]) if len(head) else None
    return skip is not None and bytes(head[skip : skip + len(_TAG_KEY)]) == _TAG_KEY


def structured_tag(data: bytes | memoryview) -> str | None:
    """The kind (``_type``) of structured object bytes, or ``None`` when they are a blob's bytes.

    What an object *is* depends only on its bytes: one msgpack map, first key
    ``_type`` naming its kind. A transfer decides with this whatever the sender
    claimed, and ``fsck`` uses it to find structured objects filed as blobs.
    """
    if not looks_structured(data):
        return None
    try:
        doc = msgspec.msgpack.decode(data, ext_hook=lambda code, raw: None)
    except (msgspec.DecodeError, ValueError):
        return None
    tag = doc.get(TAG_FIELD) if isinstance(doc, dict) else None
    return tag if isinstance(tag, str) else None


def to_plain(data: bytes | memoryview) -> Any:
    """Structured bytes as plain JSON-able values (links as hex strings), for display."""

    def hook(code: int, raw: memoryview) -> Any:
        if code == LINK_EXT and len(raw) == ID_BYTES:
            return bytes(raw).hex()
        return {"ext": code, "hex": bytes(raw).hex()}

    try:
        return msgspec.msgpack.decode(data, ext_hook=hook)
    except (msgspec.DecodeError, ValueError) as exc:
        raise InputRejected(f"not a structured object: {exc}") from None


def json_enc_hook(obj: Any) -> Any:
    """msgspec JSON hook: ids as hex strings."""
    if isinstance(obj, ObjectId):
        return obj.hex()
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


def is_canonical(data: bytes | memoryview) -> bool:
    """True when ``data`` decodes to a registered kind and re-encodes to the same bytes."""
    try:
        return encode(decode(data)) == bytes(data)
    except InputRejected:
        return False
