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
import msgspec
import pytest

from comfyvn_vault import sync
from comfyvn_vault.errors import InputRejected, RemoteFailed
from comfyvn_vault.store.base import Kind
from comfyvn_vault.store.fsck import fsck
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.sync import packstream
from comfyvn_vault.sync.endpoint import Endpoint
from comfyvn_vault.sync.protocol import RemoteInfo
from comfyvn_vault.sync.walk import Graph, missing
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
    from comfyvn_vault.settings import Settings
    from comfyvn_vault.sync import config

    origin = make_story(tmp_path / "origin")
    meta = origin / ".comfyvn"
    rw, ro, generated = config.serve_tokens(meta, Settings())
    assert generated and rw != ro and len(rw) > 30
    assert config.serve_tokens(meta, Settings()) == (rw, ro, False)
    assert config.serve_tokens(meta, Settings(serve_token="from-env"))[0] == "from-env"
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


# ----------------------------------------------------------------- hostile tree paths

#: Tree paths a hostile vault may put in a commit: each would name a file outside
#: the working copy (or one that is no entity file) if checkout trusted it.
HOSTILE_PATHS = [
    "scenes/../../PWNED",
    "scenes/../.comfyvn/config",
    "scenes/..",
    "scenes/.",
    "scenes/",
    "scenes/a/../../../PWNED",
    "scenes\\..\\..\\PWNED",
    "/tmp/PWNED",
    "../PWNED",
    "scenes/.hidden",
    "scenes/con",
    "scenes/x\x00y",
    "nofolder",
]


def forge(root: Path, paths: list[str], branch: str | None = None) -> str:
    """Commit, on ``branch`` (default HEAD's), a tree holding a scene at each of ``paths``.

    Written straight into the store, as a hostile vault would: no verb validates
    these paths. The working copy is left alone (the checkout does not move).
    """
    from comfyvn_vault.history.objects import Commit, View
    from comfyvn_vault.history.tree import TreeWriter

    with Vault.open(root) as v:
        h = v.history
        head = h.head()
        assert head is not None
        parent = h.commit(head)
        scene = h.entity(parent.tree, "scenes/s0")
        assert scene is not None
        with v.store.transaction() as w:
            doc = w.put_object(scene)
            tree = TreeWriter(h.trees, w).update(parent.tree, dict.fromkeys(paths, doc))
            commit = Commit(
                parents=[head], tree=tree, generation=parent.generation + 1, author="mallory", time=0, message="evil"
            )
            cid = w.put_object(commit)
            view = h.view_in(w)
            name = branch or view.head
            branches = {**view.branches, name: cid}
            h.set_view(
                w, View(branches=branches, head=view.head, checkout=view.checkout, remotes=view.remotes), "forge"
            )
        return cid.hex()


def _outside(tmp_path: Path) -> list[Path]:
    """Files a hostile path could have made: anything named PWNED anywhere near the test."""
    return sorted(tmp_path.rglob("PWNED*"))


def _configs(*roots: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for r in roots for p in sorted((r / ".comfyvn").glob("config*"))}


@pytest.fixture
def remote_url(request: pytest.FixtureRequest, tmp_path: Path, serve: Callable[..., Server]) -> Callable[[Path], str]:
    """The url a vault is reached at over the transport under test (an S3 bucket gets a copy pushed)."""

    def url(origin: Path) -> str:
        transport = request.param
        if transport == "http":
            return serve(origin).url
        if transport == "s3":
            bucket = request.getfixturevalue("s3_url")
            with Vault.open(origin) as v:
                sync.remote_add(v, "bucket", bucket)
                sync.push(v, "bucket")
            return str(bucket)
        return str(origin)

    return url


TRANSPORTS = pytest.mark.parametrize("remote_url", ["path", "http", "s3"], indirect=True)


@TRANSPORTS
@pytest.mark.parametrize("bad", ["scenes/../../PWNED", "scenes/../.comfyvn/config"])
def test_clone_refuses_tree_paths_outside_the_vault(
    tmp_path: Path, remote_url: Callable[[Path], str], bad: str
) -> None:
    origin = make_story(tmp_path / "origin")
    forge(origin, [bad])
    url = remote_url(origin)
    dest = tmp_path / "sub" / "clone"
    result = run_cli("clone", url, dest, env={"COMFYVN_TOKEN": TOKEN})
    assert result.code == 3, result.err
    assert "tree path" in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not dest.exists()
    assert not (tmp_path / "sub").exists() or not any((tmp_path / "sub").iterdir())
    assert _outside(tmp_path) == []


@TRANSPORTS
def test_fast_forward_pull_refuses_hostile_paths(tmp_path: Path, remote_url: Callable[[Path], str]) -> None:
    origin = make_story(tmp_path / "origin")
    local = tmp_path / "local"
    # The good history first, then the hostile commit on top (an S3 bucket gets both pushes).
    url = remote_url(origin)
    assert run_cli("clone", url, local, env={"COMFYVN_TOKEN": TOKEN}).code == 0
    forge(origin, HOSTILE_PATHS[:2])
    if url.startswith("s3://"):
        with Vault.open(origin) as v:
            sync.push(v, "bucket", force=True)
    before, configs = _snapshot(local), _configs(local)
    result = run_cli("pull", cwd=local, env={"COMFYVN_TOKEN": TOKEN})
    assert result.code == 3, result.err
    assert "tree path" in result.err and "Traceback" not in result.err
    assert _snapshot(local) == before and _configs(local) == configs
    assert _outside(tmp_path) == []
    with Vault.open(local) as v:
        assert fsck(v.store).clean


@pytest.mark.parametrize("transport", ["path", "http"])
def test_push_to_a_checked_out_branch_refuses_hostile_paths(
    tmp_path: Path, serve: Callable[..., Server], transport: str
) -> None:
    origin = make_story(tmp_path / "origin")
    url = serve(origin).url if transport == "http" else str(origin)
    local = tmp_path / "local"
    assert run_cli("clone", url, local, env={"COMFYVN_TOKEN": TOKEN}).code == 0
    forge(local, ["scenes/../../PWNED", "scenes/../.comfyvn/config"])
    before, configs = heads(origin)["branches"], _configs(origin)
    result = run_cli("push", cwd=local, env={"COMFYVN_TOKEN": TOKEN})
    assert result.code == 3, result.err
    assert "tree path" in result.err and "Traceback" not in result.err
    assert heads(origin)["branches"] == before and _configs(origin) == configs
    assert _outside(tmp_path) == []


@pytest.mark.parametrize("bad", HOSTILE_PATHS)
def test_every_hostile_path_is_refused_on_receipt(tmp_path: Path, bad: str) -> None:
    origin = make_story(tmp_path / "origin")
    local = tmp_path / "local"
    sync.clone(str(origin), local)
    forge(origin, [bad])
    before = _snapshot(local)
    result = run_cli("fetch", cwd=local)
    assert result.code == 3, result.err
    assert "tree path" in result.err and "Traceback" not in result.err
    assert _snapshot(local) == before


@pytest.mark.parametrize("verb", [("merge", "evil"), ("switch", "evil")])
def test_checkout_refuses_hostile_paths_already_stored(tmp_path: Path, verb: tuple[str, str]) -> None:
    """A tree that got in before receipts were checked still never names a file outside the vault."""
    local = make_story(tmp_path / "local")
    forge(local, ["scenes/../../PWNED", "scenes/../.comfyvn/config", "scenes/s9"], branch="evil")
    before, configs = _snapshot(local), _configs(local)
    result = run_cli(*verb, cwd=local)
    assert result.code == 3, result.err
    assert "tree path" in result.err and "Traceback" not in result.err
    assert _snapshot(local) == before and _configs(local) == configs
    assert not (local / "scenes" / "s9.toml").exists()  # nothing of the refused checkout was written
    assert _outside(tmp_path) == []
    with Vault.open(local) as v:
        assert fsck(v.store).clean


# ----------------------------------------------------------------- objects sent under the wrong flag


class _Flagged:
    """A store whose every object claims ``kind`` (what a hostile sender's record flags say)."""

    def __init__(self, inner: Any, kind: Kind) -> None:
        self.inner, self.kind = inner, kind

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def info(self, oid: ObjectId) -> Any:
        return msgspec.structs.replace(self.inner.info(oid), kind=self.kind)


class Misflagging(Endpoint):
    """Sends every object flagged as ``kind``: commits and trees as raw blobs, or blobs as structured."""

    def __init__(self, vault: Vault, kind: Kind = Kind.BLOB) -> None:
        super().__init__(vault)
        self.kind = kind

    def stream(self, ids: Any) -> Iterator[bytes]:
        return packstream.encode_stream(_Flagged(self.reader, self.kind), ids)


def test_commits_sent_as_blobs_are_stored_and_checked_as_objects(tmp_path: Path) -> None:
    origin = make_story(tmp_path / "origin")
    local = tmp_path / "local"
    with hostile_server(Misflagging(Vault.open(origin))) as url:
        result = run_cli("clone", url, local, env={"COMFYVN_TOKEN": TOKEN})
    assert result.code == 0, result.err
    with Vault.open(local) as v:
        head = v.history.head()
        assert head is not None
        assert v.store.info(head).kind == Kind.OBJECT
        assert v.store.info(v.history.commit(head).tree).kind == Kind.OBJECT
        assert fsck(v.store).clean
    # gc follows objects' links: with the history filed as objects, nothing of it is lost.
    assert run_cli("gc", cwd=local).code == 0
    log = run_cli("log", cwd=local)
    assert log.code == 0 and "Traceback" not in log.err, log.err
    with Vault.open(origin) as v:
        commits = len(list(v.history.log(head)))
    with Vault.open(local) as v:
        assert fsck(v.store).clean
        assert len(list(v.history.log(head))) == commits > 1


def test_hostile_trees_sent_as_blobs_are_still_refused(tmp_path: Path) -> None:
    origin = make_story(tmp_path / "origin")
    forge(origin, ["scenes/../../PWNED"])
    local = tmp_path / "local"
    with hostile_server(Misflagging(Vault.open(origin))) as url:
        result = run_cli("clone", url, local, env={"COMFYVN_TOKEN": TOKEN})
    assert result.code == 3, result.err
    assert "tree path" in result.err and "Traceback" not in result.err
    assert not local.exists() and _outside(tmp_path) == []


def test_a_pushed_stream_of_misflagged_hostile_objects_is_refused(tmp_path: Path) -> None:
    """The server's receive path is the same: a pusher's flags decide nothing either."""
    origin = make_story(tmp_path / "origin")
    evil = tmp_path / "evil"
    sync.clone(str(origin), evil)
    tip = ObjectId.from_hex(forge(evil, ["scenes/../.comfyvn/config"]))
    with Vault.open(evil) as v:
        ids = [oid for oid, _ in missing(Graph(v.store), [tip], [])]
        stream = list(packstream.encode_stream(_Flagged(v.store, Kind.BLOB), ids))
    endpoint = Endpoint.open(origin)
    try:
        before = endpoint.vault.store.count()
        with pytest.raises(InputRejected, match="tree path"):
            endpoint.receive(stream)
        assert endpoint.vault.store.count() == before
        assert not endpoint.vault.store.has(tip)
    finally:
        endpoint.close()


def test_a_blob_sent_as_structured_is_refused(tmp_path: Path) -> None:
    import os

    origin = make_story(tmp_path / "origin", scenes=1)
    take = tmp_path / "take.bin"
    take.write_bytes(os.urandom(4096))
    assert run_cli("asset", "add", take, cwd=origin).code == 0
    local = tmp_path / "local"
    with hostile_server(Misflagging(Vault.open(origin), Kind.OBJECT)) as url:
        result = run_cli("clone", url, local, env={"COMFYVN_TOKEN": TOKEN})
    assert result.code == 3, result.err
    assert "as structured, but it is not" in result.err and "Traceback" not in result.err
    assert not local.exists()
