"""The S3 transport: a vault kept in an S3-compatible bucket (obstore), for teams past one machine.

A bucket runs no code, so the layout does the work (``s3://bucket/prefix``)::

    <prefix>/refs/heads/<branch>   a commit id (hex); moved only by conditional writes
    <prefix>/refs/HEAD             the default branch's name
    <prefix>/packs/<ms>-<h>.pack   concatenated object streams ("frames" of ~8 MiB of objects)
    <prefix>/packs/<ms>-<h>.idx    JSON: [[offset, length, [[id hex, size], ...]], ...] per frame

A push writes one pack (children first, as every stream is), then its index,
then moves the branch with a conditional PUT: ``If-None-Match: *`` to create,
``If-Match: <etag>`` to update, so of two concurrent pushers exactly one wins
and the other gets exit 4. A fetch reads the indexes, keeps the frames holding
objects it lacks, and range-reads only those; an interrupted fetch keeps the
frames that arrived. Endpoint and credentials: ``?endpoint=URL`` in the url or
``AWS_ENDPOINT_URL``, and the usual ``AWS_*`` variables.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import parse_qs, urlparse

from comfyvn_vault.errors import InputRejected, RefMoved, RemoteFailed, UsageError
from comfyvn_vault.history.repo import check_branch_name
from comfyvn_vault.store.ids import ObjectId, new_hasher
from comfyvn_vault.sync import packstream
from comfyvn_vault.sync.packstream import Progress
from comfyvn_vault.sync.protocol import RemoteInfo
from comfyvn_vault.sync.walk import Offer

FRAME_BYTES: Final = 8 << 20


class S3Remote:
    skip_unasked = True

    def __init__(self, url: str) -> None:
        import obstore.store

        self.url = url
        parsed = urlparse(url)
        if not parsed.netloc:
            raise UsageError(f"{url}: an s3 url is s3://BUCKET[/PREFIX][?endpoint=URL]")
        query = parse_qs(parsed.query)
        endpoint = (query.get("endpoint") or [os.environ.get("AWS_ENDPOINT_URL", "")])[0] or None
        self.prefix = parsed.path.strip("/")
        kwargs: dict[str, Any] = {
            "region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            "conditional_put": "etag",
            "retry_config": {"max_retries": 3, "retry_timeout": datetime.timedelta(seconds=20)},
        }
        if endpoint:
            kwargs["endpoint"] = endpoint
            kwargs["client_options"] = {"allow_http": endpoint.startswith("http://")}
        for key, env in (("access_key_id", "AWS_ACCESS_KEY_ID"), ("secret_access_key", "AWS_SECRET_ACCESS_KEY")):
            if os.environ.get(env):
                kwargs[key] = os.environ[env]
        try:
            self.bucket = obstore.store.S3Store(parsed.netloc, **kwargs)
        except Exception as exc:  # noqa: BLE001 - obstore raises its own hierarchy for bad configuration
            raise RemoteFailed(f"{url}: {exc}") from None
        self._index: list[tuple[str, list[tuple[int, int, list[Offer]]]]] | None = None

    def close(self) -> None:
        pass

    # ----------------------------------------------------------------- bucket access

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import obstore.exceptions as oe

        try:
            return fn(self.bucket, *args, **kwargs)
        except (oe.PreconditionError, oe.AlreadyExistsError):
            raise
        except FileNotFoundError:
            raise
        except Exception as exc:  # noqa: BLE001 - any transport failure of the bucket is a remote failure
            first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            raise RemoteFailed(f"{self.url}: {first[:300]}") from None

    def _get(self, name: str) -> tuple[bytes, str | None] | None:
        import obstore

        try:
            result = self._call(obstore.get, self._key(name))
        except FileNotFoundError:
            return None
        return bytes(result.bytes()), result.meta.get("e_tag")

    def _list(self, sub: str) -> list[str]:
        import obstore

        names: list[str] = []

        def collect(bucket: Any, prefix: str) -> None:
            for batch in obstore.list(bucket, prefix=prefix):
                names.extend(item["path"] for item in batch)

        self._call(collect, self._key(sub))
        strip = len(self._key("")) if self.prefix else 0
        return sorted(n[strip:] for n in names)

    # ----------------------------------------------------------------- reading

    def info(self) -> RemoteInfo:
        heads: dict[str, str] = {}
        for name in self._list("refs/heads/"):
            branch = name[len("refs/heads/") :]
            got = self._get(name)
            if got is not None:
                heads[branch] = got[0].decode(errors="replace").strip()
        head = self._get("refs/HEAD")
        return RemoteInfo(heads=heads, head=head[0].decode(errors="replace").strip() if head else None)

    def _packs(self) -> list[tuple[str, list[tuple[int, int, list[Offer]]]]]:
        if self._index is None:
            index = []
            for name in self._list("packs/"):
                if not name.endswith(".idx"):
                    continue
                got = self._get(name)
                if got is None:
                    continue
                try:
                    frames = [
                        (int(o), int(n), [(ObjectId.from_hex(i), int(s)) for i, s in ids])
                        for o, n, ids in json.loads(got[0])
                    ]
                except (ValueError, TypeError):
                    raise InputRejected(f"{self.url}: damaged pack index {name}") from None
                index.append((name[: -len(".idx")] + ".pack", frames))
            self._index = index
        return self._index

    def has(self, ids: list[ObjectId]) -> list[bool]:
        present = {oid for _, frames in self._packs() for _, _, offers in frames for oid, _ in offers}
        return [i in present for i in ids]

    def offer(self, wants: list[ObjectId], haves: list[ObjectId]) -> list[Offer]:
        # A bucket cannot walk: offer everything in it, in pack order; the receiver keeps what it lacks.
        seen: set[ObjectId] = set()
        out: list[Offer] = []
        for _, frames in self._packs():
            for _, _, offers in frames:
                for oid, size in offers:
                    if oid not in seen:
                        seen.add(oid)
                        out.append((oid, size))
        return out

    def stream(self, ids: list[ObjectId]) -> Iterator[bytes]:
        import obstore

        wanted = set(ids)
        for pack, frames in self._packs():
            for offset, length, offers in frames:
                if not any(oid in wanted for oid, _ in offers):
                    continue
                result = self._call(obstore.get, self._key(pack), options={"range": (offset, offset + length)})
                try:
                    yield from (bytes(c) for c in result)
                except Exception as exc:  # noqa: BLE001 - a dropped connection mid-frame
                    raise RemoteFailed(f"{self.url}: transfer interrupted ({exc}); retry to resume") from None

    # ----------------------------------------------------------------- writing

    def send(self, store: Any, ids: list[ObjectId], progress: Progress | None) -> None:
        import obstore

        frames: list[list[Any]] = []
        h = new_hasher()
        with tempfile.TemporaryFile() as spool:
            group: list[ObjectId] = []
            size = 0
            for oid in [*ids, None]:
                if oid is not None:
                    group.append(oid)
                    size += store.info(oid).size
                if group and (oid is None or size >= FRAME_BYTES):
                    start = spool.tell()
                    for part in packstream.encode_stream(store, group, progress):
                        spool.write(part)
                        h.update(part)
                    frames.append([start, spool.tell() - start, [[i.hex(), store.info(i).size] for i in group]])
                    group, size = [], 0
            spool.seek(0)
            name = f"packs/{int(time.time() * 1000):013d}-{h.hexdigest()[:16]}"
            self._call(obstore.put, self._key(name + ".pack"), spool)
        # The index goes last: a reader never sees an index whose pack is incomplete.
        self._call(obstore.put, self._key(name + ".idx"), json.dumps(frames).encode())
        self._index = None

    def _cas(self, name: str, old: bytes | None, new: bytes) -> None:
        import obstore
        import obstore.exceptions as oe

        current = self._get(name)
        if (current[0].strip() if current else None) != old:
            raise RefMoved(f"{name} moved on the remote (someone pushed first); fetch and retry")
        mode: Any = "create" if current is None else {"e_tag": current[1]}
        try:
            self._call(obstore.put, self._key(name), new, mode=mode)
        except (oe.PreconditionError, oe.AlreadyExistsError):
            raise RefMoved(f"{name} moved on the remote (someone pushed first); fetch and retry") from None

    def update_ref(self, branch: str, old: ObjectId | None, new: ObjectId, force: bool) -> None:
        check_branch_name(branch)
        self._cas(f"refs/heads/{branch}", old.hex().encode() if old else None, new.hex().encode())
        if self._get("refs/HEAD") is None:
            try:
                self._cas("refs/HEAD", None, branch.encode())
            except RefMoved:
                pass  # another pusher named the default branch first
