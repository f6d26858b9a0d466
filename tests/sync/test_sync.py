"""Clone, fetch, push and pull among three vaults over each transport (path, comfyvn serve, S3)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from comfyvn_vault import sync
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.assets.records import assets_at
from comfyvn_vault.store.fsck import fsck
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.sync.protocol import NonFastForward
from comfyvn_vault.vault import Vault
from tests.sync.conftest import TOKEN, Server, edit, heads, make_story


@pytest.fixture(params=["path", "http", "s3"])
def origin_url(
    request: pytest.FixtureRequest, tmp_path: Path, serve: Callable[[Path], Server], monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str]:
    """An origin vault with a story, and the url other vaults reach it by."""
    origin = make_story(tmp_path / "origin")
    if request.param == "path":
        return origin, str(origin)
    if request.param == "http":
        monkeypatch.setenv("COMFYVN_TOKEN", TOKEN)
        return origin, serve(origin).url
    url: str = request.getfixturevalue("s3_url")
    with Vault.open(origin) as v:
        sync.remote_add(v, "bucket", url)
        sync.push(v, "bucket")
    return origin, url


def _clean(root: Path) -> None:
    with Vault.open(root) as v:
        report = fsck(v.store)
        assert report.clean, report.problems


def add_asset(root: Path, path: Path, data: bytes) -> ObjectId:
    """Register ``data`` (written to ``path``) as an asset of the vault at ``root``; its blob id."""
    path.write_bytes(data)
    with Vault.open(root) as v:
        (added,) = add_assets(v, [path]).assets
        assert added.new
        return added.blob


def assert_has_asset(root: Path, blob: ObjectId, data: bytes) -> None:
    """The checkout registers ``blob`` as an asset and the store serves its bytes."""
    with Vault.open(root) as v:
        records = {a.blob: a for a in assets_at(v)}
        assert blob in records, f"{root.name} lacks asset {blob.hex()[:12]}"
        assert records[blob].bytes == len(data)
        assert b"".join(v.iter_object(blob)) == data


def test_three_vaults_clone_push_pull(origin_url: tuple[Path, str], tmp_path: Path) -> None:
    origin, url = origin_url
    b, c = tmp_path / "b", tmp_path / "c"
    first = sync.clone(url, b)
    sync.clone(url, c)
    assert first.objects > 0
    start = heads(origin)["branches"]["main"]
    assert heads(b)["branches"] == {"main": start}
    assert heads(b)["remotes"] == {"origin/main": start}
    assert (b / "scenes" / "s0.toml").read_text() == (origin / "scenes" / "s0.toml").read_text()

    edit(b, "s0", "from b")
    # Assets travel as records in history: a loose blob from b, a packed one from c.
    big = os.urandom((1 << 20) + 4321)
    from_b = add_asset(b, tmp_path / "from_b.bin", big)
    with Vault.open(b) as v:
        pushed = sync.push(v, "origin")
    assert pushed.objects > 0 and pushed.updated == {"origin/main": heads(b)["branches"]["main"].hex()}
    assert pushed.bytes >= len(big)

    edit(c, "s1", "from c")
    small = b"Alice: the lamp turned tonight.\n" * 300
    from_c = add_asset(c, tmp_path / "from_c.txt", small)
    before = heads(c)
    with Vault.open(c) as v, pytest.raises(NonFastForward):
        sync.push(v, "origin")
    assert heads(c) == before  # a refused push changes nothing here

    with Vault.open(c) as v:
        pulled = sync.pull(v, "origin")
        assert pulled.merge is not None and pulled.merge["kind"] == "merge" and not pulled.merge["conflicts"]
        sync.push(v, "origin")
    assert "from b" in (c / "scenes" / "s0.toml").read_text()
    assert_has_asset(c, from_b, big)  # fetched and merged by the pull

    with Vault.open(b) as v:
        again = sync.pull(v, "origin")
    assert again.merge is not None and again.merge["kind"] == "fast-forward"
    assert heads(b)["branches"] == heads(c)["branches"]
    assert "from c" in (b / "scenes" / "s1.toml").read_text()
    assert_has_asset(b, from_c, small)  # pushed by c, fast-forwarded here

    # A fresh clone gets every asset of the branch, record and bytes.
    d = tmp_path / "d"
    sync.clone(url, d)
    for blob, data in ((from_b, big), (from_c, small)):
        assert_has_asset(d, blob, data)
    for root in (b, d):  # no side channel beside history (the store-level roll of old)
        with Vault.open(root) as v:
            assert v.store.ref("assets") is None

    # A fetch with nothing new moves nothing and writes no operation.
    op = heads(b)["op"]
    with Vault.open(b) as v:
        noop = sync.fetch(v, "origin")
    assert noop.objects == 0 and heads(b)["op"] == op
    for root in (b, c, d):
        _clean(root)


def test_fetch_sends_only_new_objects(origin_url: tuple[Path, str], tmp_path: Path) -> None:
    _origin, url = origin_url
    b, c = tmp_path / "b", tmp_path / "c"
    sync.clone(url, b)
    sync.clone(url, c)
    edit(b, "s0", "one more line")
    with Vault.open(b) as v:
        pushed = sync.push(v, "origin")
    with Vault.open(c) as v:
        before = v.store.count()
        fetched = sync.fetch(v, "origin")
        # Exactly the objects the push sent arrive (plus the fetch's own operation, which holds its view).
        assert fetched.objects == pushed.objects == v.store.count() - before - 1
        assert fetched.bytes == pushed.bytes
        assert v.history.view().branches["main"] != v.history.view().remotes["origin/main"]


def test_remote_tracking_refs_are_not_branches(tmp_path: Path, cli: Callable[..., object]) -> None:
    from tests.conftest import run_cli

    origin = make_story(tmp_path / "origin")
    assert run_cli("clone", origin, tmp_path / "b").code == 0
    b = tmp_path / "b"
    listed = run_cli("branch", "--json", cwd=b).json()
    assert [x["name"] for x in listed["branches"]] == ["main"] and "remotes" not in listed
    every = run_cli("branch", "-a", "--json", cwd=b).json()
    assert [x["name"] for x in every["remotes"]] == ["origin/main"]
    assert "remotes/origin/main" in run_cli("branch", "-a", cwd=b).out
    log = run_cli("log", "origin/main", "-n", "1", "--json", cwd=b).json()
    assert log["commits"][0]["remotes"] == ["origin/main"]
    assert "(origin/main)" in run_cli("log", "-n", "1", cwd=b).out
    switched = run_cli("switch", "origin/main", cwd=b)
    assert switched.code == 3 and "no branch origin/main" in switched.err
    # Dropping the remote drops its tracking refs in one operation that undo reverses.
    assert run_cli("remote", "rm", "origin", cwd=b).code == 0
    assert heads(b)["remotes"] == {}
    assert run_cli("undo", cwd=b).code == 0
    assert list(heads(b)["remotes"]) == ["origin/main"]
    # gc keeps what remote-tracking refs reach.
    assert run_cli("gc", cwd=b).code == 0
    assert run_cli("fsck", cwd=b).code == 0
