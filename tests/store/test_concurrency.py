"""Several processes on one vault: writers serialise on the lock, readers never wait.

Everything runs in real subprocesses (the ``comfyvn`` CLI and small API scripts)
against a real LMDB vault in a temp dir.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.assets.records import assets_at
from comfyvn_vault.store.base import get_object
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.vault import Vault
from tests.store.objects import ROLL_REF, AssetRoll

pytestmark = pytest.mark.timeout(120)

MiB = 1 << 20
REPO = Path(__file__).resolve().parents[2]  # the holder imports tests.store.objects

# Holds the writer lock: opens a transaction, writes a small and a large blob and
# moves a roll linking them, reports, then waits for a line on stdin before committing.
HOLDER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from comfyvn_vault.vault import Vault
    from tests.store.objects import ROLL_REF, AssetRoll

    root, tag = Path(sys.argv[1]), sys.argv[2]
    small = f"held small {tag}".encode() * 10
    large = (f"held large {tag} ".encode() * 100_000)[: (1 << 20) + 12345]
    with Vault.open(root) as vault:
        with vault.store.transaction() as w:
            ids = [w.put_bytes(small).id, w.put_bytes(large).id]
            parent = w.ref(ROLL_REF)
            w.set_ref(ROLL_REF, w.put_object(AssetRoll(parent=parent, blobs=ids, names=["s", "l"])), parent)
            print(json.dumps({"held": [i.hex() for i in ids]}), flush=True)
            sys.stdin.readline()
        print("committed", flush=True)
    """
)


def comfyvn(root: Path, *args: str | os.PathLike[str], **env: str) -> subprocess.Popen[bytes]:
    """Start the real CLI in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "comfyvn_vault", "-C", str(root), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )


def finish(proc: subprocess.Popen[bytes], timeout: float = 60) -> tuple[int, bytes, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err.decode(errors="replace")


@contextmanager
def holding_lock(root: Path, tag: str = "h") -> Iterator[tuple[list[ObjectId], subprocess.Popen[bytes]]]:
    """A process inside ``store.transaction()``; committed when the block exits."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root), tag],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])},
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read().decode() if proc.stderr else "holder died"
        held = [ObjectId.from_hex(h) for h in json.loads(line)["held"]]
        yield held, proc
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and out == b"committed\n", err.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def make_files(folder: Path, tag: str, n_small: int, n_large: int) -> dict[Path, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[Path, bytes] = {}
    for i in range(n_small):
        data = f"{tag} small {i} ".encode() * (50 * (i + 1)) if i % 2 else os.urandom(1000 * (i + 1))
        files[folder / f"{tag}-s{i}.bin"] = data
    for i in range(n_large):
        data = os.urandom(MiB + 1000 * i) if i % 2 == 0 else (f"{tag} large {i} ".encode() * 120_000)[: MiB + 7]
        files[folder / f"{tag}-l{i}.bin"] = data
    for path, data in files.items():
        path.write_bytes(data)
    return files


def roll_chain(vault: Vault) -> list[AssetRoll]:
    """Every roll from the holder's ref back to the first."""
    chain = []
    oid = vault.store.ref(ROLL_REF)
    while oid is not None:
        roll = get_object(vault.store, oid, AssetRoll)
        chain.append(roll)
        oid = roll.parent
    return chain


def add_commits(vault: Vault) -> list[ObjectId]:
    """The ``asset add`` commits on HEAD's line, newest first, checked to form one chain."""
    head = vault.history.head()
    assert head is not None
    adds = [(cid, c) for cid, c in vault.history.log(head) if c.message.startswith("Add ")]
    for (_, newer), (older, _) in itertools.pairwise(adds):
        assert newer.parents == [older]  # each add built on the one before: no update dropped
    return [cid for cid, _ in adds]


def assert_clean(root: Path) -> None:
    with Vault.open(root) as vault:
        report = vault.fsck()
    assert report.problems == [], report.problems


def test_parallel_adds_all_land_and_no_commit_is_lost(vault_dir: Path, tmp_path: Path) -> None:
    """Three CLI processes and one API process add at once; every blob ends up registered on the branch."""
    batches = {tag: make_files(tmp_path / tag, tag, n_small=5, n_large=2) for tag in ("a", "b", "c", "d")}
    api_script = "import sys\nfrom pathlib import Path\nfrom comfyvn_vault.api import Vault, assets\n"
    api_script += "with Vault.open(Path(sys.argv[1])) as v:\n    assets.add(v, sys.argv[2:])\n"
    procs = [comfyvn(vault_dir, "asset", "add", *batches[tag]) for tag in ("a", "b", "c")]
    procs.append(
        subprocess.Popen(
            [sys.executable, "-c", api_script, str(vault_dir), *map(str, batches["d"])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    )
    for proc in procs:
        code, _, err = finish(proc)
        assert code == 0, err

    expected = {hash_bytes(data): data for files in batches.values() for data in files.values()}
    with Vault.open(vault_dir) as vault:
        assert len(add_commits(vault)) == 4  # one commit per process, none overwritten
        registered = [a.blob for a in assets_at(vault)]
        assert sorted(registered) == sorted(expected)  # every blob exactly once
        for oid, data in expected.items():
            assert b"".join(vault.iter_object(oid)) == data
        forms = {(vault.info(oid).location, vault.info(oid).compression) for oid in expected}
        assert forms == {("pack", "none"), ("pack", "zstd"), ("loose", "none"), ("loose", "zstd")}
        assert not list(vault.store.paths.tmp.iterdir())
    assert_clean(vault_dir)


def test_second_writer_waits_for_the_lock_then_succeeds(vault_dir: Path, tmp_path: Path) -> None:
    files = make_files(tmp_path / "in", "w", n_small=3, n_large=1)
    with holding_lock(vault_dir) as (held, _holder):
        waiter = comfyvn(vault_dir, "asset", "add", "--json", *files)
        time.sleep(1.5)
        assert waiter.poll() is None, "the second writer did not wait for the lock"
    code, out, err = finish(waiter)
    assert code == 0, err
    added = {ObjectId.from_hex(a["id"]) for a in json.loads(out)["assets"]}
    assert added == {hash_bytes(d) for d in files.values()}

    with Vault.open(vault_dir) as vault:
        # Both writes landed: the holder's roll is intact, the waiter's add is a commit.
        chain = roll_chain(vault)
        assert len(chain) == 1 and chain[0].blobs == held and chain[0].parent is None
        assert len(add_commits(vault)) == 1
        assert {a.blob for a in assets_at(vault)} == added
    assert_clean(vault_dir)


def test_writer_blocked_past_the_lock_timeout_exits_4(vault_dir: Path, tmp_path: Path, cli: Any) -> None:
    files = make_files(tmp_path / "in", "t", n_small=2, n_large=1)  # the large one is staged before the lock
    with Vault.open(vault_dir) as vault:
        before = set(vault.store.ids())
    with holding_lock(vault_dir) as (held, _holder):
        started = time.monotonic()
        r = cli("-C", vault_dir, "asset", "add", *files, env={"COMFYVN_LOCK_TIMEOUT": "0.5"})
        waited = time.monotonic() - started
        assert r.code == 4, (r.code, r.err)
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("comfyvn: "), r.err
        assert "Traceback" not in r.err and "retry" in r.err
        assert 0.5 <= waited < 20
        assert r.out == ""
        gc = cli("-C", vault_dir, "gc", env={"COMFYVN_LOCK_TIMEOUT": "0.5"})
        assert gc.code == 4 and len(gc.err.strip().splitlines()) == 1, gc.err
        # The large file was staged outside the lock; the refusal removed it again.
        # What is left in objects/tmp is the holder's own large blob.
        with Vault.open(vault_dir) as vault:
            staged = list(vault.store.paths.tmp.iterdir())
        assert len(staged) == 1, staged

    with Vault.open(vault_dir) as vault:
        assert set(vault.store.ids()) - before == {*held, vault.store.ref(ROLL_REF)}
        for data in files.values():
            assert not vault.store.has(hash_bytes(data))
        assert not list(vault.store.paths.tmp.iterdir())
        for data in files.values():
            for zstd in (False, True):
                assert not vault.store.paths.loose_file(hash_bytes(data), zstd).exists()
    assert_clean(vault_dir)
    # Once the lock is free the same command goes through.
    r = cli("-C", vault_dir, "asset", "add", *files, env={"COMFYVN_LOCK_TIMEOUT": "0.5"})
    assert r.code == 0, r.err


def test_readers_work_while_a_writer_holds_the_lock(vault_dir: Path, tmp_path: Path, cli: Any) -> None:
    files = make_files(tmp_path / "in", "r", n_small=1, n_large=1)
    r = cli("-C", vault_dir, "asset", "add", "--json", *files)
    assert r.code == 0, r.err
    committed = [ObjectId.from_hex(a["id"]) for a in r.json()["assets"]]
    with Vault.open(vault_dir) as vault:
        count = vault.store.count()
    quick = {"COMFYVN_LOCK_TIMEOUT": "0.5"}  # a reader that took the lock would fail with 4

    with holding_lock(vault_dir) as (held, _holder):
        status = cli("-C", vault_dir, "status", "--json", env=quick)
        assert status.code == 0, status.err
        assert status.json()["objects"] == count  # nothing of the open transaction

        for oid, data in zip(committed, files.values(), strict=True):
            show = cli("-C", vault_dir, "show", oid.hex()[:12], env=quick)
            assert show.code == 0, show.err
            assert show.stdout_bytes == data

        fsck = cli("-C", vault_dir, "fsck", "--json", env=quick)
        assert fsck.code == 0, fsck.err
        assert fsck.json()["problems"] == [] and fsck.json()["objects"] == count

        # Not committed yet: invisible to readers.
        for oid in held:
            unseen = cli("-C", vault_dir, "show", oid.hex(), env=quick)
            assert unseen.code == 3, unseen.err

        with Vault.open(vault_dir) as vault:  # an API reader in this process
            assert vault.store.get(committed[0]) == next(iter(files.values()))
            assert not vault.store.has(held[0])

    for oid in held:
        assert cli("-C", vault_dir, "show", oid.hex(), "--json").code == 0
    assert_clean(vault_dir)
