"""The HTTP transport: a client of ``comfyvn serve`` (httpx, one keep-alive connection, streamed bodies)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

import httpx

from comfyvn_vault.errors import InputRejected, RefMoved, RemoteFailed
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.sync import packstream, protocol
from comfyvn_vault.sync.packstream import Progress
from comfyvn_vault.sync.protocol import ID_BATCH, NonFastForward, RefUpdate, RemoteInfo
from comfyvn_vault.sync.walk import Offer

T = TypeVar("T")


class HttpRemote:
    skip_unasked = False

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        headers = {"user-agent": protocol.USER_AGENT}
        if token:
            headers[protocol.AUTHORIZATION] = protocol.bearer(token)
        timeout = httpx.Timeout(60.0, connect=10.0)
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self.client.close()

    # ----------------------------------------------------------------- plumbing

    def _fail(self, response: httpx.Response) -> NoReturn:
        try:
            said = protocol.read_error(response.read())
        except httpx.HTTPError:
            said = None
        kind, message = said if said is not None else ("", response.reason_phrase)
        if response.status_code == 401:
            raise RemoteFailed(f"{self.url}: the server refused the token (401); set COMFYVN_TOKEN or --token-file")
        if response.status_code == 403:
            raise RemoteFailed(f"{self.url}: {message or 'forbidden'} (403)")
        if response.status_code == 409 and kind == protocol.NON_FAST_FORWARD:
            raise NonFastForward(message)
        if response.status_code == 409:
            raise RefMoved(message)
        if response.status_code == 400 and kind == protocol.REJECTED:
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

    def _decoded(self, decode: Callable[[bytes], T], raw: bytes) -> T:
        """``decode(raw)``, a malformed answer refused with this server's URL in the message."""
        try:
            return decode(raw)
        except InputRejected as exc:
            raise InputRejected(f"{self.url}: {exc.message}") from None

    # ----------------------------------------------------------------- Remote

    def info(self) -> RemoteInfo:
        return self._decoded(protocol.decode_info, self._request("GET", protocol.INFO))

    def has(self, ids: list[ObjectId]) -> list[bool]:
        out: list[bool] = []
        for i in range(0, len(ids), ID_BATCH):
            batch = ids[i : i + ID_BATCH]
            raw = self._request("POST", protocol.HAS, content=protocol.join_ids(batch))
            out.extend(self._decoded(functools.partial(protocol.decode_flags, asked=len(batch)), raw))
        return out

    def offer(self, wants: list[ObjectId], haves: list[ObjectId]) -> list[Offer]:
        raw = self._request("POST", protocol.OFFER, json=protocol.offer_request(wants, haves))
        return self._decoded(protocol.decode_offers, raw)

    def stream(self, ids: list[ObjectId]) -> Iterator[bytes]:
        try:
            with self.client.stream("POST", protocol.OBJECTS, content=protocol.join_ids(ids)) as response:
                if response.status_code != 200:
                    self._fail(response)
                if response.headers.get("content-type") != protocol.STREAM_TYPE:
                    raise InputRejected(f"{self.url}: answered with something other than an object stream")
                yield from response.iter_raw()
        except httpx.HTTPError as exc:
            raise RemoteFailed(f"{self.url}: transfer interrupted ({_why(exc)}); retry to resume") from None

    def send(self, store: Any, ids: list[ObjectId], progress: Progress | None) -> None:
        self._request("POST", protocol.PUSH, content=packstream.encode_stream(store, ids, progress))

    def update_ref(self, branch: str, old: ObjectId | None, new: ObjectId, force: bool) -> None:
        self._request("POST", protocol.REF, json=protocol.ref_request(RefUpdate(branch, old, new, force)))


def _why(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc})"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
