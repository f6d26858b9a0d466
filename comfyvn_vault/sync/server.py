"""``comfyvn serve``: one vault over HTTP (starlette on uvicorn), for fetch, push and clone.

Every route but ``/v1/health`` needs ``Authorization: Bearer <token>``: the
read-write token (``COMFYVN_SERVE_TOKEN`` or the vault config's, generated once)
or the read-only one (``COMFYVN_SERVE_READ_TOKEN`` or the config's). No token or
a wrong one gets 401; a read-only token on a write route gets 403. Tokens are
compared in constant time and never logged. Request bodies are bounded: id
lists and JSON by :data:`MAX_BODY`, pushed object streams by
``COMFYVN_SERVE_MAX_PUSH`` bytes of objects. Binds 127.0.0.1 unless told
otherwise.

Routes (ids travel as raw 32-byte strings, concatenated)::

    GET  /v1/health             "ok" (no token: lets scripts wait for start-up)
    GET  /v1/info               {"heads": {branch: hex}, "head"}
    POST /v1/has                ids            -> one byte per id (1 = present)
    POST /v1/offer              {"wants","haves"} (hex) -> (id, size u64) records
    POST /v1/objects            ids            -> object stream (see packstream)
    POST /v1/push               object stream  -> {"objects": n}            (read-write)
    POST /v1/ref                {"branch","old","new","force"} -> {}        (read-write)
"""

from __future__ import annotations

import errno
import hmac
import json
import os
import socket
import struct
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Final

from comfyvn_vault.errors import ConcurrentWork, InputRejected, RemoteFailed, UsageError, VaultError
from comfyvn_vault.store.ids import ID_BYTES, ObjectId
from comfyvn_vault.sync import config
from comfyvn_vault.sync.endpoint import Endpoint, NonFastForward
from comfyvn_vault.vault import STORE_DIR, Vault

MAX_BODY: Final = 64 << 20
MAX_PUSH: Final = int(os.environ.get("COMFYVN_SERVE_MAX_PUSH", str(64 << 30)))
OFFER = struct.Struct("<32sQ")
STREAM_TYPE: Final = "application/x-comfyvn-objects"


def split_ids(body: bytes) -> list[ObjectId]:
    if len(body) % ID_BYTES:
        raise InputRejected("an id list must be a multiple of 32 bytes")
    return [ObjectId(body[i : i + ID_BYTES]) for i in range(0, len(body), ID_BYTES)]


def log(message: str) -> None:
    """One line on the server's stderr (a client's mistake or hang-up is never a traceback)."""
    print(f"comfyvn: {message}", file=sys.stderr, flush=True)


def _stopping(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """An object stream that ends (short, so the client sees it cut) instead of raising mid-response.

    Once the response has started no HTTP error can be sent; a damaged object
    found while streaming is logged in one line and the client's receiver
    reports the stream as interrupted.
    """
    try:
        yield from chunks
    except VaultError as exc:
        log(f"object stream stopped: {exc.message}")


def build_app(endpoint: Endpoint, rw_token: str, ro_token: str) -> Any:
    """The ASGI app serving ``endpoint``."""
    import anyio
    from starlette.applications import Starlette
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route

    Handler = Callable[[Request], Awaitable[Response]]

    def error(status: int, kind: str, message: str) -> Response:
        return JSONResponse({"error": kind, "message": message}, status_code=status)

    def access(request: Request) -> str | None:
        """'rw', 'ro' or None for the request's bearer token."""
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given:
            return None
        g = given.strip().encode()
        if hmac.compare_digest(g, rw_token.encode()):
            return "rw"
        if hmac.compare_digest(g, ro_token.encode()):
            return "ro"
        return None

    def guarded(handler: Handler, write: bool = False) -> Handler:
        async def wrapped(request: Request) -> Response:
            level = access(request)
            if level is None:
                return error(401, "unauthorized", "a valid bearer token is required")
            if write and level != "rw":
                return error(403, "forbidden", "this token is read-only")
            try:
                return await handler(request)
            except NonFastForward as exc:
                return error(409, "non-fast-forward", exc.message)
            except ConcurrentWork as exc:
                return error(409, "ref-moved", exc.message)
            except RemoteFailed as exc:
                return error(400, "interrupted", exc.message)
            except VaultError as exc:
                return error(400, "rejected", exc.message)
            except ClientDisconnect:
                log(f"{request.url.path}: the client hung up before its request was read")
                return error(400, "disconnected", "the request body was cut off")

        return wrapped

    async def body(request: Request, limit: int = MAX_BODY) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise InputRejected(f"request body over {limit} bytes")
        parts: list[bytes] = []
        n = 0
        async for part in request.stream():
            n += len(part)
            if n > limit:
                raise InputRejected(f"request body over {limit} bytes")
            parts.append(part)
        return b"".join(parts)

    async def as_json(request: Request) -> dict[str, Any]:
        try:
            doc = json.loads(await body(request, 1 << 20))
        except ValueError:
            raise InputRejected("request body is not JSON") from None
        if not isinstance(doc, dict):
            raise InputRejected("request body must be a JSON object")
        return doc

    def hex_ids(doc: dict[str, Any], key: str) -> list[ObjectId]:
        items = doc.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise InputRejected(f"{key} must be a list of ids")
        return [ObjectId.from_hex(i) for i in items]

    def opt_id(doc: dict[str, Any], key: str) -> ObjectId | None:
        value = doc.get(key)
        return ObjectId.from_hex(value) if isinstance(value, str) else None

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def info(request: Request) -> Response:
        import msgspec

        doc = await anyio.to_thread.run_sync(endpoint.info)
        return Response(msgspec.json.encode(doc), media_type="application/json")

    async def has(request: Request) -> Response:
        ids = split_ids(await body(request))
        answers = await anyio.to_thread.run_sync(endpoint.has, ids)
        return Response(bytes(answers), media_type="application/octet-stream")

    async def offer(request: Request) -> Response:
        doc = await as_json(request)
        wants, haves = hex_ids(doc, "wants"), hex_ids(doc, "haves")
        offers = await anyio.to_thread.run_sync(endpoint.offer, wants, haves)
        return Response(b"".join(OFFER.pack(i, s) for i, s in offers), media_type="application/octet-stream")

    async def objects(request: Request) -> Response:
        ids = split_ids(await body(request))
        present = await anyio.to_thread.run_sync(endpoint.has, ids)
        unknown = next((oid for oid, yes in zip(ids, present, strict=True) if not yes), None)
        if unknown is not None:
            return error(404, "not-found", f"no object {unknown.hex()} here")
        return StreamingResponse(_stopping(endpoint.stream(ids)), media_type=STREAM_TYPE)

    async def push(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_PUSH:
            raise InputRejected(f"push over {MAX_PUSH} bytes")
        agen = request.stream().__aiter__()

        async def next_part() -> bytes | None:
            try:
                return await agen.__anext__()
            except StopAsyncIteration:
                return None
            except ClientDisconnect:
                return None  # the stream ends early: what verified is kept, the pusher's retry resumes

        def parts() -> Iterator[bytes]:
            while (part := anyio.from_thread.run(next_part)) is not None:
                yield part

        try:
            n = await anyio.to_thread.run_sync(lambda: endpoint.receive(parts(), max_bytes=MAX_PUSH))
        except RemoteFailed as exc:
            log(f"push from {request.client.host if request.client else 'a client'}: {exc.message}")
            raise
        return JSONResponse({"objects": n})

    async def ref(request: Request) -> Response:
        doc = await as_json(request)
        branch, new = doc.get("branch"), opt_id(doc, "new")
        if not isinstance(branch, str) or new is None:
            raise InputRejected("ref update needs a branch and a new id")
        old, force = opt_id(doc, "old"), bool(doc.get("force"))
        await anyio.to_thread.run_sync(lambda: endpoint.update_ref(branch, old, new, force))
        return JSONResponse({})

    routes = [
        Route("/v1/health", health),
        Route("/v1/info", guarded(info)),
        Route("/v1/has", guarded(has), methods=["POST"]),
        Route("/v1/offer", guarded(offer), methods=["POST"]),
        Route("/v1/objects", guarded(objects), methods=["POST"]),
        Route("/v1/push", guarded(push, write=True), methods=["POST"]),
        Route("/v1/ref", guarded(ref, write=True), methods=["POST"]),
    ]
    return Starlette(routes=routes)


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, or a one-line :class:`InputRejected` (a busy port, a bad host)."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: not a port")
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[
            0
        ]
    except (socket.gaierror, UnicodeError) as exc:
        raise InputRejected(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        why = (exc.strerror or str(exc)).lower()
        hint = "; is another serve running? pick another --port" if exc.errno == errno.EADDRINUSE else ""
        raise InputRejected(f"cannot listen on {host}:{port}: {why}{hint}") from None
    return sock


def serve(vault: Vault, host: str = "127.0.0.1", port: int = 8765, access_log: bool = False) -> None:
    """Run the server until interrupted; "serving" is printed only once the port is ours."""
    import uvicorn

    sock = listen(host, port)
    try:
        rw, ro, generated = config.serve_tokens(vault.root / STORE_DIR)
        source = "COMFYVN_SERVE_TOKEN" if os.environ.get("COMFYVN_SERVE_TOKEN") else "the vault config"
        if generated:
            where = config.path(vault.root / STORE_DIR)
            print(f"comfyvn: generated serve tokens, kept in {where} (serve.token, serve.read_token)", file=sys.stderr)
        bound = sock.getsockname()[1]
        print(f"comfyvn: serving {vault.root} on http://{host}:{bound} (token from {source})", file=sys.stderr)
        endpoint = Endpoint(vault)
        app = build_app(endpoint, rw, ro)
        cfg = uvicorn.Config(app, log_level="warning", access_log=access_log, lifespan="off")
        uvicorn.Server(cfg).run(sockets=[sock])
    finally:
        sock.close()
