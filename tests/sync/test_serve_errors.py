"""`comfyvn serve` under a busy port, unknown ids, hang-ups and damaged objects: one line, never a traceback."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from comfyvn_vault.store.layout import LOC_LOOSE
from comfyvn_vault.sync import packstream
from comfyvn_vault.sync.walk import Graph, missing
from comfyvn_vault.vault import Vault
from tests.conftest import run_cli
from tests.sync.conftest import TOKEN, Server, make_story

AUTH = {"authorization": f"Bearer {TOKEN}"}


def _log_lines(log: str) -> list[str]:
    assert "Traceback" not in log and "ERROR" not in log, log
    return [line for line in log.splitlines() if not line.startswith("comfyvn: serving ")]


def test_busy_port_is_one_line_and_never_says_serving(tmp_path: Path) -> None:
    origin = make_story(tmp_path / "origin", scenes=1)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), cwd=origin, env={"COMFYVN_SERVE_TOKEN": TOKEN}, timeout=30)
    assert result.code == 3, result.err
    assert result.err.strip().splitlines() == [
        f"comfyvn: cannot listen on 127.0.0.1:{port}: address already in use; is another serve running? "
        "pick another --port"
    ]
    assert "serving" not in result.err


def test_unknown_host_is_one_line(tmp_path: Path) -> None:
    origin = make_story(tmp_path / "origin", scenes=1)
    result = run_cli("serve", "--host", "no-such-host.invalid", "--port", "0", cwd=origin, timeout=30)
    assert result.code == 3 and len(result.err.strip().splitlines()) == 1, result.err
    assert "cannot listen on no-such-host.invalid" in result.err and "serving" not in result.err


def test_unknown_object_id_is_a_404(tmp_path: Path, serve: Callable[..., Server]) -> None:
    origin = make_story(tmp_path / "origin", scenes=1)
    server = serve(origin)
    r = httpx.post(server.url + "/v1/objects", content=b"\x01" * 32, headers=AUTH)
    assert r.status_code == 404
    assert r.json() == {"error": "not-found", "message": f"no object {'01' * 32} here"}
    assert httpx.get(server.url + "/v1/health").status_code == 200
    assert _log_lines(server.stop()) == []


def _hang_up(url: str, path: str, head: bytes, declared: int) -> None:
    """Send a request's headers and the first bytes of its body, then close the connection."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as s:
        auth = f"Authorization: Bearer {TOKEN}\r\n"
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {declared}\r\n\r\n".encode() + head)
        time.sleep(0.3)


def test_client_hang_ups_are_one_line_each(tmp_path: Path, serve: Callable[..., Server]) -> None:
    origin = make_story(tmp_path / "origin", scenes=1)
    other = make_story(tmp_path / "other", scenes=3)
    take = tmp_path / "take.bin"
    take.write_bytes(os.urandom(3 << 20))
    assert run_cli("asset", "add", take, cwd=other).code == 0
    with Vault.open(other) as v:
        tip = v.history.head()
        assert tip is not None
        order = [oid for oid, _ in missing(Graph(v.store), [tip], [])]  # children first, as a pusher sends
        stream = b"".join(packstream.encode_stream(v.store, order))
    server = serve(origin)
    _hang_up(server.url, "/v1/has", b"\0" * 320, 6400)
    _hang_up(server.url, "/v1/push", stream[: len(stream) // 2], len(stream))
    # A download the client abandons half-way.
    with Vault.open(origin) as v:
        ids = b"".join(v.store.ids())
    with httpx.stream("POST", server.url + "/v1/objects", content=ids, headers=AUTH) as r:
        assert r.status_code == 200
        next(r.iter_raw())
    assert httpx.get(server.url + "/v1/health").status_code == 200
    time.sleep(1)
    lines = _log_lines(server.stop())
    assert len(lines) == 2 and lines[0] == "comfyvn: /v1/has: the client hung up before its request was read", lines
    assert lines[1].startswith("comfyvn: push from 127.0.0.1: transfer interrupted: the stream ended early;")


def test_a_damaged_object_stops_the_stream_with_one_line(tmp_path: Path, serve: Callable[..., Server]) -> None:
    origin = make_story(tmp_path / "origin", scenes=1)
    take = tmp_path / "take.bin"
    take.write_bytes(os.urandom(3 << 20))
    assert run_cli("asset", "add", take, cwd=origin).code == 0
    with Vault.open(origin) as v:
        loose = [oid for oid, e in v.store.entries() if e.location == LOC_LOOSE]
        assert len(loose) == 1
        path = v.store.paths.loose_file(loose[0], False)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    server = serve(origin)
    result = run_cli("clone", server.url, tmp_path / "c", env={"COMFYVN_TOKEN": TOKEN})
    assert result.code in (3, 5) and "Traceback" not in result.err, result.err
    assert not (tmp_path / "c").exists() or result.code == 5
    lines = _log_lines(server.stop())
    assert len(lines) == 1 and lines[0].startswith("comfyvn: object stream stopped:"), lines
