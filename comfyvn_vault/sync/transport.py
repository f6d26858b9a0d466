"""The interface every transport implements, the filesystem transport, and URL dispatch.

Like httpx's ``BaseTransport``: sync logic (:mod:`comfyvn_vault.sync.ops`) talks
to a :class:`Remote` and never knows whether the other vault is a folder, a
``comfyvn serve`` over HTTP, or an S3 bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.sync import packstream
from comfyvn_vault.sync.endpoint import Endpoint
from comfyvn_vault.sync.packstream import Progress
from comfyvn_vault.sync.protocol import RemoteInfo
from comfyvn_vault.sync.walk import Offer


class Remote(Protocol):
    """Another vault, reached somehow."""

    url: str
    #: True when :meth:`stream` may carry objects nobody asked for (a bucket's packs).
    skip_unasked: bool

    def info(self) -> RemoteInfo: ...

    def has(self, ids: list[ObjectId]) -> list[bool]: ...

    def offer(self, wants: list[ObjectId], haves: list[ObjectId]) -> list[Offer]: ...

    def stream(self, ids: list[ObjectId]) -> Iterator[bytes]: ...

    def send(self, store: Any, ids: list[ObjectId], progress: Progress | None) -> None: ...

    def update_ref(self, branch: str, old: ObjectId | None, new: ObjectId, force: bool) -> None: ...

    def close(self) -> None: ...


class LocalRemote:
    """A vault in a folder on this machine (a path or a ``file://`` URL), driven in-process."""

    skip_unasked = False

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.endpoint = Endpoint.open(path)

    def info(self) -> RemoteInfo:
        return self.endpoint.info()

    def has(self, ids: list[ObjectId]) -> list[bool]:
        return self.endpoint.has(ids)

    def offer(self, wants: list[ObjectId], haves: list[ObjectId]) -> list[Offer]:
        return self.endpoint.offer(wants, haves)

    def stream(self, ids: list[ObjectId]) -> Iterator[bytes]:
        return self.endpoint.stream(ids)

    def send(self, store: Any, ids: list[ObjectId], progress: Progress | None) -> None:
        self.endpoint.receive(packstream.encode_stream(store, ids, progress))

    def update_ref(self, branch: str, old: ObjectId | None, new: ObjectId, force: bool) -> None:
        self.endpoint.update_ref(branch, old, new, force)

    def close(self) -> None:
        self.endpoint.close()


def open_remote(url: str, token: str | None = None, base: Path | None = None) -> Remote:
    """The transport for ``url``: ``http(s)://`` (comfyvn serve), ``s3://bucket/prefix``, or a path."""
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https"):
        from comfyvn_vault.sync.http_client import HttpRemote

        return HttpRemote(url, token)
    if parsed.scheme == "s3":
        from comfyvn_vault.sync.s3 import S3Remote

        return S3Remote(url)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
    elif parsed.scheme and len(parsed.scheme) > 1:
        raise InputRejected(f"unsupported remote url {url!r} (use a path, file://, http(s):// or s3://)")
    else:
        path = Path(url)
    if not path.is_absolute() and base is not None:
        path = base / path
    return LocalRemote(url, path.resolve())
