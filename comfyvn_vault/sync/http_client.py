"""The HTTP transport: a client of ``comfyvn serve`` (httpx, one keep-alive connection, streamed bodies)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NoReturn

import httpx
import msgspec

from comfyvn_vault.errors import InputRejected, RefMoved, RemoteFailed
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.sync import packstream
from comfyvn_vault.sync.endpoint import NonFastForward, RemoteInfo
from comfyvn_vault.sync.server import OFFER, STREAM_TYPE
from comfyvn_vault.sync.transport import Progress
from comfyvn_vault.sync.walk import Offer

#: Ask about this many ids per request (32 bytes each).
ID_BATCH = 100_000


class HttpRemote:
    skip_unasked = False

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        headers = {"user-agent": "comfyvn-vault"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        timeout = httpx.Timeout(60.0, connect=10.0)
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self.client.close()

    # ----------------------------------------------------------------- plumbing

    def _fail(self, response: httpx.Response) -> NoReturn:
        try:
            doc = json.loads(response.read())
            kind, message = doc.get("error", ""), doc.get("message", "")
        except (ValueError, AttributeError, httpx.HTTPError):
            kind, message = "", response.reason_phrase
        if response.status_code == 401:
            raise RemoteFailed(f"{self.url}: the server refused the token (401); set COMFYVN_TOKEN or --token-file")
        if response.status_code == 403:
            raise RemoteFailed(f"{self.url}: {message or 'forbidden'} (403)")
        if response.status_code == 409 and kind == "non-fast-forward":
            raise NonFastForward(message)
        if response.status_code == 409:
            raise RefMoved(message)
        if response.status_code == 400 and kind == "rejected":
            raise InputRejected(f"{self.url}: the server refused: {message}")
        raise RemoteFailed(f"{self.url}: the server answered {response.status_code}: {message}")

    def _request(self, method: str, path: str, **kwargs: Any) -> bytes:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteFailed(f"{self.url}: {_why(exc)}") from None
        if response.status_code != 200:
            self._fail(response)
        return response.content

    # ----------------------------------------------------------------- Remote

    def info(self) -> RemoteInfo:
        raw = self._request("GET", "/v1/info")
        try:
            return msgspec.json.decode(raw, type=RemoteInfo)
        except msgspec.DecodeError:
            raise InputRejected(f"{self.url}: not a comfyvn server (bad /v1/info)") from None

    def has(self, ids: list[ObjectId]) -> list[bool]:
        out: list[bool] = []
        for i in range(0, len(ids), ID_BATCH):
            batch = ids[i : i + ID_BATCH]
            raw = self._request("POST", "/v1/has", content=b"".join(batch))
            if len(raw) != len(batch):
                raise InputRejected(f"{self.url}: answered {len(raw)} flags for {len(batch)} ids")
            out.extend(b == 1 for b in raw)
        return out

    def offer(self, wants: list[ObjectId], haves: list[ObjectId]) -> list[Offer]:
        doc = {"wants": [w.hex() for w in wants], "haves": [h.hex() for h in haves]}
        raw = self._request("POST", "/v1/offer", json=doc)
        if len(raw) % OFFER.size:
            raise InputRejected(f"{self.url}: malformed offer")
        return [(ObjectId(i), s) for i, s in OFFER.iter_unpack(raw)]

    def stream(self, ids: list[ObjectId]) -> Iterator[bytes]:
        try:
            with self.client.stream("POST", "/v1/objects", content=b"".join(ids)) as response:
                if response.status_code != 200:
                    self._fail(response)
                if response.headers.get("content-type") != STREAM_TYPE:
                    raise InputRejected(f"{self.url}: answered with something other than an object stream")
                yield from response.iter_raw()
        except httpx.HTTPError as exc:
            raise RemoteFailed(f"{self.url}: transfer interrupted ({_why(exc)}); retry to resume") from None

    def send(self, store: Any, ids: list[ObjectId], progress: Progress | None) -> None:
        self._request("POST", "/v1/push", content=packstream.encode_stream(store, ids, progress))

    def update_ref(self, branch: str, old: ObjectId | None, new: ObjectId, force: bool) -> None:
        doc = {"branch": branch, "old": old.hex() if old else None, "new": new.hex(), "force": force}
        self._request("POST", "/v1/ref", json=doc)


def _why(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc})"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
