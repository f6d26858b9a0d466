"""Fixtures for sync tests: vaults with a story, a real `comfyvn serve`, a real S3 endpoint (moto)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from comfyvn_vault.api import edit as edit_verbs
from comfyvn_vault.vault import Vault

TOKEN = "test-rw-token"
READ_TOKEN = "test-ro-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(url)


def make_story(root: Path, scenes: int = 2) -> Path:
    """A vault with a few scenes, each edit a commit."""
    vault, _ = Vault.init(root)
    with vault:
        for i in range(scenes):
            edit_verbs.scene_new(vault, f"Scene {i}", scene_id=f"s{i}")
            edit_verbs.node_add(vault, f"s{i}", speaker="Alice", content=f"line {i}")
    return root


def edit(root: Path, scene: str, content: str) -> str:
    with Vault.open(root) as vault:
        edit_verbs.node_add(vault, scene, speaker="Bob", content=content)
        head = vault.history.head()
        assert head is not None
        return head.hex()


class Server:
    """A real `comfyvn serve` subprocess on a free loopback port."""

    def __init__(self, root: Path, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "COMFYVN_SERVE_TOKEN": TOKEN, "COMFYVN_SERVE_READ_TOKEN": READ_TOKEN, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "comfyvn_vault", "-C", str(self.root), "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_http(self.url + "/v1/health")
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
            assert self.proc.stderr is not None
            self.proc.stderr.close()

    def stop(self) -> str:
        """Stop gracefully; return what it logged (to check that no token was)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.terminate()
        _, err = self.proc.communicate(timeout=10)
        return err.decode(errors="replace")


@pytest.fixture
def serve() -> Iterator[Callable[[Path], Server]]:
    started: list[Server] = []

    def start(root: Path, env: dict[str, str] | None = None) -> Server:
        s = Server(root, env).start()
        started.append(s)
        return s

    yield start  # type: ignore[misc]
    for s in started:
        s.kill()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API (moto's threaded server) on 127.0.0.1, shared by the session's tests."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    try:
        yield url
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


_buckets = iter(range(1_000_000))


@pytest.fixture
def s3_url(s3_endpoint: str) -> str:
    """A fresh bucket; the url a remote is added with."""
    name = f"vault-{os.getpid()}-{next(_buckets)}"
    httpx.put(f"{s3_endpoint}/{name}").raise_for_status()
    return f"s3://{name}/team?endpoint={s3_endpoint}"


def heads(root: Path) -> dict[str, Any]:
    with Vault.open(root) as v:
        view = v.history.view()
        return {"branches": dict(view.branches), "remotes": dict(view.remotes), "op": v.history.op_head()}
