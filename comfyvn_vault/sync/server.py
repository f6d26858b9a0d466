"""``comfyvn serve``: one vault over HTTP (starlette on uvicorn), for fetch, push and clone.

Every route but ``/v1/health`` needs ``Authorization: Bearer <token>``: the
read-write token (``COMFYVN_SERVE_TOKEN`` or the vault config's, generated once)
or the read-only one (``COMFYVN_SERVE_READ_TOKEN`` or the config's). No token or
a wrong one gets 401; a read-only token on a write route gets 403. Tokens are
compared in constant time and never logged. Request bodies are bounded: id
lists by ``protocol.MAX_BODY``, JSON by ``protocol.MAX_JSON``, pushed object
streams by ``COMFYVN_SERVE_MAX_PUSH`` bytes of objects. Binds 127.0.0.1 unless told
otherwise.

The routes and how each request and answer is framed are in
:mod:`~comfyvn_vault.sync.protocol`, which the client shares.
"""

from __future__ import annotations

import errno
import hmac
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from comfyvn_vault.errors import InputRejected, RemoteFailed, UsageError, VaultError
from comfyvn_vault.sync import config, protocol
from comfyvn_vault.sync.endpoint import Endpoint
from comfyvn_vault.sync.protocol import MAX_BODY, split_ids
from comfyvn_vault.vault import STORE_DIR, Vault


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


def build_app(endpoint: Endpoint, rw_token: str, ro_token: str, max_push: int | None = None) -> Any:
    """The ASGI app serving ``endpoint``; one push may send at most ``max_push`` bytes
    (default: the vault's ``serve_max_push`` setting, ``COMFYVN_SERVE_MAX_PUSH``)."""
    limit = endpoint.vault.settings.serve_max_push if max_push is None else max_push
    import anyio
    from starlette.applications import Starlette
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route

    Handler = Callable[[Request], Awaitable[Response]]

    def error(status: int, kind: str, message: str) -> Response:
        return JSONResponse(protocol.error_body(kind, message), status_code=status)

    def access(request: Request) -> str | None:
        """'rw', 'ro' or None for the request's bearer token."""
        given = protocol.bearer_token(request.headers.get(protocol.AUTHORIZATION, ""))
        if given is None:
            return None
        g = given.encode()
        if hmac.compare_digest(g, rw_token.encode()):
            return "rw"
        if hmac.compare_digest(g, ro_token.encode()):
            return "ro"
        return None

    def guarded(handler: Handler, write: bool = False) -> Handler:
        async def wrapped(request: Request) -> Response:
            level = access(request)
            if level is None:
                return error(401, protocol.UNAUTHORIZED, "a valid bearer token is required")
            if write and level != "rw":
                return error(403, protocol.FORBIDDEN, "this token is read-only")
            try:
                return await handler(request)
            except VaultError as exc:
                return error(*protocol.status_of(exc), exc.message)
            except ClientDisconnect:
                log(f"{request.url.path}: the client hung up before its request was read")
                return error(400, protocol.DISCONNECTED, "the request body was cut off")

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
        return protocol.read_json_object(await body(request, protocol.MAX_JSON))

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def info(request: Request) -> Response:
        doc = await anyio.to_thread.run_sync(endpoint.info)
        return Response(protocol.encode_info(doc), media_type=protocol.JSON_TYPE)

    async def has(request: Request) -> Response:
        ids = split_ids(await body(request))
        answers = await anyio.to_thread.run_sync(endpoint.has, ids)
        return Response(protocol.encode_flags(answers), media_type=protocol.BYTES_TYPE)

    async def offer(request: Request) -> Response:
        wants, haves = protocol.read_offer_request(await as_json(request))
        offers = await anyio.to_thread.run_sync(endpoint.offer, wants, haves)
        return Response(protocol.encode_offers(offers), media_type=protocol.BYTES_TYPE)

    async def objects(request: Request) -> Response:
        ids = split_ids(await body(request))
        present = await anyio.to_thread.run_sync(endpoint.has, ids)
        unknown = next((oid for oid, yes in zip(ids, present, strict=True) if not yes), None)
        if unknown is not None:
            return error(404, protocol.NOT_FOUND, f"no object {unknown.hex()} here")
        return StreamingResponse(_stopping(endpoint.stream(ids)), media_type=protocol.STREAM_TYPE)

    async def push(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise InputRejected(f"push over {limit} bytes")
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
            n = await anyio.to_thread.run_sync(lambda: endpoint.receive(parts(), max_bytes=limit))
        except RemoteFailed as exc:
            log(f"push from {request.client.host if request.client else 'a client'}: {exc.message}")
            raise
        return JSONResponse({"objects": n})

    async def ref(request: Request) -> Response:
        u = protocol.read_ref_request(await as_json(request))
        await anyio.to_thread.run_sync(lambda: endpoint.update_ref(u.branch, u.old, u.new, u.force))
        return JSONResponse({})

    routes = [
        Route(protocol.HEALTH, health),
        Route(protocol.INFO, guarded(info)),
        Route(protocol.HAS, guarded(has), methods=["POST"]),
        Route(protocol.OFFER, guarded(offer), methods=["POST"]),
        Route(protocol.OBJECTS, guarded(objects), methods=["POST"]),
        Route(protocol.PUSH, guarded(push, write=True), methods=["POST"]),
        Route(protocol.REF, guarded(ref, write=True), methods=["POST"]),
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
        rw, ro, generated = config.serve_tokens(vault.root / STORE_DIR, vault.settings)
        source = "COMFYVN_SERVE_TOKEN" if vault.settings.serve_token else "the vault config"
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
