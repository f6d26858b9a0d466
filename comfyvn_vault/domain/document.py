"""What a state tree holds at a path: a document.

A document is a story entity (scene, character, timeline, variable), a merge
conflict waiting at ``conflicts/<id>``, or a record kept beside the story
(asset, finding, policy). ``apply`` reads and returns documents, history
stores them in trees, and projections index the change from one to the next;
all of them name this one type.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

import msgspec

from comfyvn_vault.domain.assets import RECORD_TYPES, Record
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.entities import ENTITY_TYPES, Entity
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.store.codec import json_enc_hook, object_id
from comfyvn_vault.store.ids import ObjectId

Document: TypeAlias = Entity | Conflict | Record
DOCUMENT_TYPES: Final[tuple[type[Document], ...]] = (*ENTITY_TYPES, Conflict, *RECORD_TYPES)
_JSON: Final = msgspec.json.Encoder(enc_hook=json_enc_hook, order="deterministic")
_ANY_DOCUMENT: Final[Any] = Document


def document_id(doc: Document) -> ObjectId:
    """The id a document is stored under: the BLAKE3 of its canonical bytes."""
    return object_id(doc)


def document_json(doc: Document) -> bytes:
    """A document as JSON: its fields, its ``_type``, links as hex ids (what a bundle carries)."""
    return _JSON.encode(doc)


def document_from_json(value: Any) -> Document:
    """The document a decoded :func:`document_json` value holds; :class:`Rejected` when it holds none.

    Decoded and canonically encoded again, it has the id the original had: a
    reader compares :func:`document_id` with the id it was promised.
    """
    try:
        doc: Document = msgspec.convert(value, _ANY_DOCUMENT, dec_hook=_from_hex)
    except (msgspec.ValidationError, ValueError) as exc:
        raise Rejected(f"not a document ({str(exc)[:160]})") from None
    return doc


def _from_hex(kind: type, value: Any) -> Any:
    if kind is ObjectId and isinstance(value, str):
        return ObjectId.from_hex(value)
    # msgspec's dec_hook contract: NotImplementedError means "no such type here", which msgspec
    # reports as a ValidationError (caught above); documents hold no other custom type
    raise NotImplementedError(f"cannot decode {kind!r}")


__all__ = ["DOCUMENT_TYPES", "Document", "document_from_json", "document_id", "document_json"]
