"""Hostile and failing remotes: tampered objects, hostile ref names, tokens, killed servers, races."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from comfyvn_vault import sync
from comfyvn_vault.errors import RemoteFailed
from comfyvn_vault.store.fsck import fsck
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.sync.endpoint import Endpoint, RemoteInfo
from comfyvn_vault.vault import Vault
from tests.conftest import run_cli
from tests.sync.conftest import READ_TOKEN, TOKEN, Server, edit, free_port, heads, make_story, wait_http


@contextmanager
def hostile_server(endpoint: Endpoint) -> Iterator[str]:
    """A real uvicorn on loopback serving ``endpoint`` (a subclass that misbehaves)."""
    import uvicorn

    from comfyvn_vault.sync.server import build_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(endpoint, TOKEN, READ_TOKEN), "127.0.0.1", port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        endpoint.close()


class Tampering(Endpoint):
    """Flips one byte of every object it streams (after compression is undone, so ids no longer match)."""

    def stream(self, ids: Any) -> Iterator[bytes]:
        from comfyvn_vault.sync import packstream

        class Flipped:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            def __getattr__(self, name: str) -> Any:
                return getattr(self.inner, name)

            def iter_chunks(self, oid: ObjectId) -> Iterator[bytes]:
                for chunk in self.inner.iter_chunks(oid):
                    yield bytes([chunk[0] ^ 1]) + chunk[1:] if chunk else chunk

        return packstream.encode_stream(Flipped(self.reader), ids)


class BadNames(Endpoint):
    def __init__(self, vault: Vault, name: str) -> None:
        super().__init__(vault)
        self.name = name

    def info(self) -> RemoteInfo:
        real = super().info()
        return RemoteInfo(heads={**real.heads, self.name: next(iter(real.heads.values()))}, head=real.head)


def _snapshot(root: Path) -> tuple[Any, int, bytes]:
    with Vault.open(root) as v:
        count = v.store.count()
    return heads(root), count, (root / "scenes" / "s0.toml").read_bytes()


def _fetch_from(local: Path) -> Any:
    return run_cli("fetch", "hostile", cwd=local, env={"COMFYVN_TOKEN": TOKEN})


def test_tampered_object_exit_3_and_nothing_changes(tmp_path: Path) -> None:
    origin = make_story(tmp_path / "origin")
    local = tmp_path / "local"
    sync.clone(str(origin), local)
    edit(origin, "s0", "new upstream line")
    with hostile_server(Tampering(Vault.open(origin))) as url:
        with Vault.open(local) as v:
            sync.remote_add(v, "hostile", url)
        before = _snapshot(local)
        result = _fetch_from(local)
    assert result.code == 3, result.err
    assert result.err.startswith("comfyvn: ") and "do not match its id" in result.err
    assert "Traceback" not in result.err
    assert _snapshot(local) == before
    with Vault.open(local) as v:
        assert fsck(v.store).clean


@pytest.mark.parametrize("name", ["../../x", "evil\x1b[2J", "a//b", "heads/../../etc", "-rf"])
def test_hostile_ref_names_rejected(tmp_path: Path, name: str) -> None:
    origin = make_story(tmp_path / "origin")
    local = tmp_path / "local"
    sync.clone(str(origin), local)
    edit(origin, "s0", "new upstream line")
    with hostile_server(BadNames(Vault.open(origin), name)) as url:
        with Vault.open(local) as v:
            sync.remote_add(v, "hostile", url)
        before = _snapshot(local)
        result = _fetch_from(local)
    assert result.code == 3, result.err
    assert "invalid" in result.err and "Traceback" not in result.err
    assert _snapshot(local) == before
    assert not (tmp_path / "x").exists()


def test_tokens(tmp_path: Path, serve: Callable[..., Server]) -> None:
    origin = make_story(tmp_path / "origin")
    server = serve(origin)
    assert httpx.get(server.url + "/v1/info").status_code == 401
    bad = httpx.get(server.url + "/v1/info", headers={"authorization": "Bearer nope"})
    assert bad.status_code == 401
    wrong = run_cli("clone", server.url, tmp_path / "w", env={"COMFYVN_TOKEN": "wrong"})
    assert wrong.code == 5 and "401" in wrong.err and not (tmp_path / "w").exists()
    # A read-only token clones but cannot push.
    ro = run_cli("clone", server.url, tmp_path / "r", env={"COMFYVN_TOKEN": READ_TOKEN})
    assert ro.code == 0, ro.err
    edit(tmp_path / "r", "s0", "read-only edit")
    refused = run_cli("push", cwd=tmp_path / "r", env={"COMFYVN_TOKEN": READ_TOKEN})
    assert refused.code == 5 and "403" in refused.err
    ok = run_cli("push", cwd=tmp_path / "r", env={"COMFYVN_TOKEN": TOKEN})
    assert ok.code == 0, ok.err
    # Bounded request bodies.
    huge = httpx.post(
        server.url + "/v1/has", content=b"\0" * (65 << 20), headers={"authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    assert huge.status_code == 400
    log = server.stop()
    assert TOKEN not in log and READ_TOKEN not in log and "wrong" not in log


def test_generated_token_kept_in_config(tmp_path: Path) -> None:
    from comfyvn_vault.sync import config

    origin = make_story(tmp_path / "origin")
    meta = origin / ".comfyvn"
    rw, ro, generated = config.serve_tokens(meta)
    assert generated and rw != ro and len(rw) > 30
    assert config.serve_tokens(meta) == (rw, ro, False)
    assert (meta / "config.toml").stat().st_mode & 0o077 == 0


def test_killed_server_then_resume(
    tmp_path: Path, serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    origin = make_story(tmp_path / "origin", scenes=1)
    files = []
    for i in range(12):
        f = tmp_path / f"take{i}.bin"
        f.write_bytes(os.urandom(2 << 20))
        files.append(f)
    assert run_cli("asset", "add", *files, cwd=origin).code == 0
    server = serve(origin)
    monkeypatch.setenv("COMFYVN_TOKEN", TOKEN)
    local = make_story(tmp_path / "local", scenes=0)
    with Vault.open(local) as v:
        sync.remote_add(v, "origin", server.url)
    seen = [0]

    @contextmanager
    def killer(label: str, total: int) -> Iterator[Callable[[int], None]]:
        def tick(n: int) -> None:
            seen[0] += n
            if seen[0] > (3 << 20):
                server.kill()

        yield tick

    before = heads(local)
    with Vault.open(local) as v:
        count_before = v.store.count()
    with Vault.open(local) as v, pytest.raises(RemoteFailed) as err:
        sync.fetch(v, "origin", killer)
    assert err.value.exit_code == 5
    assert heads(local) == before  # no ref moved
    with Vault.open(local) as v:
        kept = v.store.count()
        assert fsck(v.store).clean
    assert kept > count_before  # verified objects that arrived were kept
    server = serve(origin)
    with Vault.open(local) as v:
        sync.remote_remove(v, "origin")
        sync.remote_add(v, "origin", server.url)
        resumed = sync.fetch(v, "origin")
        total = sum(f.stat().st_size for f in files)
        # What arrived before the kill is not sent again.
        assert resumed.bytes < total - (2 << 20)
        assert v.history.view().remotes["origin/main"] == heads(origin)["branches"]["main"]
        assert fsck(v.store).clean


@pytest.mark.parametrize("transport", ["http", "path", "s3"])
def test_concurrent_pushes_one_wins(
    tmp_path: Path, serve: Callable[..., Server], transport: str, request: pytest.FixtureRequest
) -> None:
    origin = make_story(tmp_path / "origin")
    if transport == "http":
        url = serve(origin).url
    elif transport == "s3":
        url = request.getfixturevalue("s3_url")
        with Vault.open(origin) as v:
            sync.remote_add(v, "bucket", url)
            sync.push(v, "bucket")
    else:
        url = str(origin)
    env = {"COMFYVN_TOKEN": TOKEN}
    clones = [tmp_path / "p1", tmp_path / "p2"]
    for i, c in enumerate(clones):
        assert run_cli("clone", url, c, env=env).code == 0
        edit(c, f"s{i}", f"pusher {i}")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "comfyvn_vault", "-C", str(c), "push"],
            env={**__import__("os").environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for c in clones
    ]
    codes = sorted(p.wait(60) for p in procs)
    errs = [p.communicate()[1].decode() for p in procs]
    assert codes == [0, 4], errs
    assert all("Traceback" not in e for e in errs)
