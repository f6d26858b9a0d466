"""The sync wire format: what ``comfyvn serve`` and its clients say to each other.

Both sides import this module, and it knows bytes, ids and ref names, never a
vault: the routes, the headers, how each request and answer is framed, the
limits, the object stream's records, and how errors travel. The server
(:mod:`~comfyvn_vault.sync.server`) and the HTTP client
(:mod:`~comfyvn_vault.sync.http_client`) only move these bytes.

Routes (ids travel as raw 32-byte strings, concatenated)::

    GET  /v1/health             "ok" (no token: lets scripts wait for start-up)
    GET  /v1/info               {"heads": {branch: hex}, "head"}
    POST /v1/has                ids            -> one byte per id (1 = present)
    POST /v1/offer              {"wants","haves"} (hex) -> (id, size u64) records
    POST /v1/objects            ids            -> object stream (below)
    POST /v1/push               object stream  -> {"objects": n}            (read-write)
    POST /v1/ref                {"branch","old","new","force"} -> {}        (read-write)

Every route but ``/v1/health`` needs ``Authorization: Bearer <token>``. An error
is answered with a status and ``{"error": kind, "message": one line}``
(:func:`status_of` for the server, :func:`read_error` for the client).

The object stream every transport carries (HTTP bodies, bucket packs, local
pushes), before compression::

    b"CVS1"
    record*:  flags u8 | size u64 LE | id 32 bytes | size raw bytes
    end:      0xFF     | count u64   | 32 zero bytes

``flags`` is :data:`FLAG_OBJECT` for a structured object and 0 for a blob. The
whole stream is one zstd stream; a bucket pack may hold several such streams
one after another. :mod:`~comfyvn_vault.sync.packstream` writes and verifies it.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from comfyvn_vault.errors import ConcurrentWork, InputRejected, RemoteFailed, VaultError
from comfyvn_vault.history.repo import check_branch_name
from comfyvn_vault.store.ids import ID_BYTES, ObjectId
from comfyvn_vault.sync.walk import Offer

# ----------------------------------------------------------------- routes and headers

HEALTH: Final = "/v1/health"
INFO: Final = "/v1/info"
HAS: Final = "/v1/has"
OFFER: Final = "/v1/offer"
OBJECTS: Final = "/v1/objects"
PUSH: Final = "/v1/push"
REF: Final = "/v1/ref"

AUTHORIZATION: Final = "authorization"
USER_AGENT: Final = "comfyvn-vault"
STREAM_TYPE: Final = "application/x-comfyvn-objects"
"""The content type of an object stream answer; anything else is not one."""
BYTES_TYPE: Final = "application/octet-stream"
JSON_TYPE: Final = "application/json"

MAX_BODY: Final = 64 << 20
"""The largest request body a server reads (an id list); pushed streams have their own limit."""
MAX_JSON: Final = 1 << 20
"""The largest JSON request body a server reads."""
ID_BATCH: Final = 100_000
"""How many ids a client sends in one request (32 bytes each, well within :data:`MAX_BODY`)."""


def bearer(token: str) -> str:
    """The ``Authorization`` header value carrying ``token``."""
    return f"Bearer {token}"


def bearer_token(header: str) -> str | None:
    """The token an ``Authorization`` header value carries, or None when it carries none."""
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return None
    return given.strip()


# ----------------------------------------------------------------- errors


class NonFastForward(ConcurrentWork):
    """A push would drop commits the remote has; pull first, or push with ``--force``."""


UNAUTHORIZED: Final = "unauthorized"
FORBIDDEN: Final = "forbidden"
NOT_FOUND: Final = "not-found"
NON_FAST_FORWARD: Final = "non-fast-forward"
REF_MOVED: Final = "ref-moved"
REJECTED: Final = "rejected"
INTERRUPTED: Final = "interrupted"
DISCONNECTED: Final = "disconnected"


def status_of(exc: VaultError) -> tuple[int, str]:
    """The status and error kind a server answers a failed request with."""
    if isinstance(exc, NonFastForward):
        return 409, NON_FAST_FORWARD
    if isinstance(exc, ConcurrentWork):
        return 409, REF_MOVED
    if isinstance(exc, RemoteFailed):
        return 400, INTERRUPTED
    return 400, REJECTED


def error_body(kind: str, message: str) -> dict[str, str]:
    """The JSON body of an error answer."""
    return {"error": kind, "message": message}


def read_error(raw: bytes) -> tuple[str, str] | None:
    """``(kind, message)`` of an error answer's body; None when the body is not one."""
    try:
        doc = json.loads(raw)
        return str(doc.get("error", "")), str(doc.get("message", ""))
    except (ValueError, AttributeError):
        return None


# ----------------------------------------------------------------- requests and answers


class RemoteInfo(msgspec.Struct, frozen=True):
    """What a remote advertises (``/v1/info``): its branches and the branch its HEAD names."""

    heads: dict[str, str]
    head: str | None = None

    def tips(self) -> dict[str, ObjectId]:
        """Branch tips, every name and id checked: a hostile remote's ``../x`` stops here."""
        out: dict[str, ObjectId] = {}
        for name, hex_id in self.heads.items():
            check_branch_name(name)
            out[name] = ObjectId.from_hex(hex_id)
        return out


def encode_info(info: RemoteInfo) -> bytes:
    return msgspec.json.encode(info)


def decode_info(raw: bytes) -> RemoteInfo:
    try:
        return msgspec.json.decode(raw, type=RemoteInfo)
    except msgspec.DecodeError:
        raise InputRejected(f"not a comfyvn server (bad {INFO})") from None


def join_ids(ids: Iterable[ObjectId]) -> bytes:
    """An id list body: the raw ids, concatenated."""
    return b"".join(ids)


def split_ids(body: bytes) -> list[ObjectId]:
    """The ids of an id list body."""
    if len(body) % ID_BYTES:
        raise InputRejected("an id list must be a multiple of 32 bytes")
    return [ObjectId(body[i : i + ID_BYTES]) for i in range(0, len(body), ID_BYTES)]


def encode_flags(answers: Iterable[bool]) -> bytes:
    """The ``/v1/has`` answer: one byte per id asked about, 1 when present."""
    return bytes(1 if a else 0 for a in answers)


def decode_flags(raw: bytes, asked: int) -> list[bool]:
    if len(raw) != asked:
        raise InputRejected(f"answered {len(raw)} flags for {asked} ids")
    return [b == 1 for b in raw]


OFFER_RECORD: Final = struct.Struct("<32sQ")
"""One offered object: its id and its size."""


def offer_request(wants: Iterable[ObjectId], haves: Iterable[ObjectId]) -> dict[str, list[str]]:
    """The JSON body of ``/v1/offer``: the commits wanted and the commits the asker has (hex)."""
    return {"wants": [w.hex() for w in wants], "haves": [h.hex() for h in haves]}


def read_offer_request(doc: Mapping[str, Any]) -> tuple[list[ObjectId], list[ObjectId]]:
    return _hex_ids(doc, "wants"), _hex_ids(doc, "haves")


def encode_offers(offers: Iterable[Offer]) -> bytes:
    return b"".join(OFFER_RECORD.pack(oid, size) for oid, size in offers)


def decode_offers(raw: bytes) -> list[Offer]:
    if len(raw) % OFFER_RECORD.size:
        raise InputRejected("malformed offer")
    return [(ObjectId(oid), size) for oid, size in OFFER_RECORD.iter_unpack(raw)]


@dataclass(frozen=True)
class RefUpdate:
    """A ``/v1/ref`` request: move ``branch`` from ``old`` to ``new`` (``force``: even if not a fast-forward)."""

    branch: str
    old: ObjectId | None
    new: ObjectId
    force: bool = False


def ref_request(update: RefUpdate) -> dict[str, Any]:
    """The JSON body of ``/v1/ref``."""
    return {
        "branch": update.branch,
        "old": update.old.hex() if update.old else None,
        "new": update.new.hex(),
        "force": update.force,
    }


def read_ref_request(doc: Mapping[str, Any]) -> RefUpdate:
    branch, new = doc.get("branch"), _opt_id(doc, "new")
    if not isinstance(branch, str) or new is None:
        raise InputRejected("ref update needs a branch and a new id")
    return RefUpdate(branch, _opt_id(doc, "old"), new, bool(doc.get("force")))


def read_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON request body, which must be an object."""
    try:
        doc = json.loads(raw)
    except ValueError:
        raise InputRejected("request body is not JSON") from None
    if not isinstance(doc, dict):
        raise InputRejected("request body must be a JSON object")
    return doc


def _hex_ids(doc: Mapping[str, Any], key: str) -> list[ObjectId]:
    items = doc.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InputRejected(f"{key} must be a list of ids")
    return [ObjectId.from_hex(i) for i in items]


def _opt_id(doc: Mapping[str, Any], key: str) -> ObjectId | None:
    value = doc.get(key)
    return ObjectId.from_hex(value) if isinstance(value, str) else None


# ----------------------------------------------------------------- the object stream

MAGIC: Final = b"CVS1"
HEADER: Final = struct.Struct("<BQ32s")
"""A record's header: flags, size, id (the end record: :data:`FLAG_END`, count, zeros)."""
FLAG_OBJECT: Final = 1
FLAG_END: Final = 0xFF


def record_header(flags: int, size: int, oid: ObjectId) -> bytes:
    return HEADER.pack(flags, size, oid)


def end_record(count: int) -> bytes:
    """The record that ends a stream of ``count`` objects."""
    return HEADER.pack(FLAG_END, count, bytes(ID_BYTES))
