"""Crash safety: SIGKILL a writer at random moments and check the vault survives.

A child process ingests objects in a loop through the real API (``comfyvn_vault.api.assets.add``
and ``DiskObjectStore.transaction()``), mixing small blobs (packed, raw and zstd)
and large blobs (loose files, raw and zstd), several per transaction. It prints
each object's key and id only after its transaction committed. The parent kills
it at a random moment, reopens the vault and checks that nothing acknowledged was
lost, that fsck finds no problems (notes about crash leftovers are allowed), that
the next writer cleans the uncommitted pack tail and that gc keeps every
reachable object.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.store.gc import reachable
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.vault import Vault

KILLS = 24
REPO = Path(__file__).resolve().parents[2]  # the child imports tests.store.objects
MiB = 1 << 20

# The content of every object is a pure function of its key, so the parent can
# check the bytes the child stored without any channel but the acknowledgement.
BLOB_SOURCE = textwrap.dedent(
    """
    import random

    MiB = 1 << 20

    def blob(key: str) -> bytes:
        r = random.Random(key)
        form = r.choices(("small-raw", "small-text", "large-raw", "large-text"), (4, 4, 1, 1))[0]
        if form == "small-raw":
            return key.encode() + r.randbytes(r.randint(0, 200_000))
        if form == "small-text":
            n = r.randint(100, 300_000)
            return (f"{key} says hello. " * (n // 20 + 1)).encode()[:n]
        if form == "large-raw":
            return key.encode() + r.randbytes(MiB + r.randint(0, 400_000))
        n = MiB + r.randint(0, 600_000)
        return (f"{key}: a long and repetitive line of dialogue\\n" * (n // 40 + 1)).encode()[:n]
    """
)

CHILD_SOURCE = textwrap.dedent(
    """
    import random
    import sys
    from pathlib import Path

    from blobgen import blob
    from comfyvn_vault.api.assets import add as add_assets
    from comfyvn_vault.vault import Vault
    from tests.store.objects import AssetRoll

    root, run, scratch = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    vault = Vault.open(root)
    store = vault.store
    rng = random.Random(run)
    sys.stdout.write("ready\\n")
    sys.stdout.flush()
    t = 0
    while True:
        t += 1
        keys = [f"r{run}.t{t}.{j}" for j in range(rng.randint(2, 5))]
        mode = rng.choice(("files", "ref", "noref"))
        if mode == "files":
            paths = []
            for k in keys:
                p = scratch / k
                p.write_bytes(blob(k))
                paths.append(p)
            added = add_assets(vault, paths).assets
            ids = [a.blob for a in added]
            tag = "R"
        else:
            with store.transaction() as w:
                ids = [w.put_bytes(blob(k)).id for k in keys]
                if mode == "ref":
                    parent = w.ref("crash")
                    roll = w.put_object(AssetRoll(parent=parent, blobs=ids, names=keys))
                    w.set_ref("crash", roll, parent)
            tag = "R" if mode == "ref" else "U"
        # Only now, after the commit returned, is the batch acknowledged.
        sys.stdout.write("".join(f"{tag} {k} {i.hex()}\\n" for k, i in zip(keys, ids)))
        sys.stdout.flush()
    """
)


def _blob_fn(tmp: Path) -> Callable[[str], bytes]:
    """The child's ``blob`` function, compiled from the same source."""
    namespace: dict[str, Any] = {}
    exec(compile(BLOB_SOURCE, str(tmp / "blobgen.py"), "exec"), namespace)
    fn: Callable[[str], bytes] = namespace["blob"]
    return fn


def _read_acks(path: Path) -> list[tuple[str, str, str]]:
    acks = []
    text = path.read_text()
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n") or line == "ready\n":
            continue
        tag, key, hexid = line.split()
        acks.append((tag, key, hexid))
    return acks


def _pack_tails(vault: Vault) -> dict[int, int]:
    """Pack number → bytes a crashed writer left past its committed length (zeros written ahead are not)."""
    tails = {}
    for n, length in vault.store.packs().items():
        data = vault.store.paths.pack(n).read_bytes()[length:]
        tails[n] = len(data) if data.count(0) != len(data) else 0
    return tails


def _read_all(vault: Vault, oid: ObjectId) -> bytes:
    return b"".join(vault.iter_object(oid))


def test_sigkill_during_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    Vault.init(root)[0].close()
    (tmp_path / "blobgen.py").write_text(BLOB_SOURCE)
    (tmp_path / "child.py").write_text(CHILD_SOURCE)
    blob = _blob_fn(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO), os.environ.get("PYTHONPATH", "")])}
    rng = random.Random(20240607)

    acks: dict[str, tuple[str, str]] = {}  # key → (tag, hex id)
    leftovers = 0  # kills that left something for fsck to note
    tail = 0  # bytes past the committed end of the packs after the latest kill
    run = 0
    # At least KILLS kills; then more until one leaves an uncommitted pack tail,
    # so the last step below really exercises the next writer's truncation.
    while run < KILLS or (tail == 0 and run < KILLS + 30):
        scratch = tmp_path / f"scratch{run}"
        scratch.mkdir()
        ack_file = tmp_path / f"acks{run}.txt"
        with open(ack_file, "wb") as out:
            child = subprocess.Popen(
                [sys.executable, str(tmp_path / "child.py"), str(root), str(run), str(scratch)],
                stdout=out,
                stderr=subprocess.PIPE,
                env=env,
            )
            deadline = time.monotonic() + 30
            while b"ready" not in ack_file.read_bytes():
                assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
                assert time.monotonic() < deadline, "the child never got ready"
                time.sleep(0.005)
            time.sleep(rng.uniform(0.02, 0.4))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            stderr = child.stderr.read().decode() if child.stderr else ""
            if child.stderr:
                child.stderr.close()
        assert child.returncode == -signal.SIGKILL, f"the child died on its own: {stderr}"

        shutil.rmtree(scratch)
        for tag, key, hexid in _read_acks(ack_file):
            acks[key] = (tag, hexid)

        # Reopen after the crash: no problems, every acknowledged object present.
        with Vault.open(root) as vault:
            report = vault.fsck()
            assert report.problems == [], f"kill {run}: {report.problems}"
            leftovers += bool(report.notes)
            tail = sum(_pack_tails(vault).values())
            assert tail >= 0
            for key, (_tag, hexid) in acks.items():
                assert vault.store.has(ObjectId.from_hex(hexid)), f"kill {run}: acknowledged {key} lost"
        run += 1

    assert len(acks) >= KILLS, f"too few objects were acknowledged to prove anything ({len(acks)})"
    # Random kills land inside transactions most of the time; if none ever left
    # a trace the test did not exercise what it claims to.
    assert leftovers >= 1, "no kill left an uncommitted tail, staging file or stray blob"
    assert tail > 0, f"{run} kills and none left an uncommitted pack tail at the end"

    with Vault.open(root) as vault:
        # Every acknowledged object reads back with the bytes the child stored.
        forms = set()
        for key, (_tag, hexid) in acks.items():
            oid = ObjectId.from_hex(hexid)
            data = blob(key)
            assert hash_bytes(data) == oid, f"{key}: acknowledged id is not the hash of its content"
            assert _read_all(vault, oid) == data, f"{key}: bytes differ"
            info = vault.info(oid)
            forms.add((info.location, info.compression))
        assert forms == {("pack", "none"), ("pack", "zstd"), ("loose", "none"), ("loose", "zstd")}

        # The next writer drops any uncommitted pack tail and leaves fsck clean.
        with vault.store.transaction() as w:
            after = w.put_bytes(b"the first write after the last crash").id  # far shorter than the tail
        assert all(extra == 0 for extra in _pack_tails(vault).values()), _pack_tails(vault)
        report = vault.fsck()
        assert report.problems == []
        assert not [n for n in report.notes if "uncommitted" in n], report.notes
        assert vault.store.get(after) == b"the first write after the last crash"

    # gc: fsck stays clean, every reachable acknowledged object stays, the rest go.
    with Vault.open(root) as vault:
        roots = list(vault.store.refs().values())
        live_before = reachable(vault.store, roots)
        for key, (tag, hexid) in acks.items():
            if tag == "R":
                assert ObjectId.from_hex(hexid) in live_before, f"{key}: acknowledged with a ref but unreachable"
        vault.gc()
    with Vault.open(root) as vault:
        report = vault.fsck()
        assert report.problems == [], report.problems
        strays = [n for n in report.notes if "nothing points at" in n or "uncommitted" in n]
        assert strays == [], strays
        assert set(vault.store.ids()) == live_before
        for key, (tag, hexid) in acks.items():
            oid = ObjectId.from_hex(hexid)
            if tag == "R":
                assert _read_all(vault, oid) == blob(key), key
            elif oid not in live_before:
                assert not vault.store.has(oid), f"{key}: unreachable but kept by gc"
        assert not vault.store.has(after)  # written without a ref: garbage


def test_sigkilled_readers_do_not_lock_out_the_vault(tmp_path: Path) -> None:
    """Processes killed inside a read transaction leave LMDB reader slots behind.

    While any process keeps the vault open (the TUI, ``watch``, ``serve``), LMDB
    does not reset its reader table, so those slots pile up; once there are
    ``max_readers`` (126) of them, every command would fail with MDB_READERS_FULL
    unless opening the environment clears stale slots (``Environment.reader_check()``).
    """
    root = tmp_path / "vault"
    Vault.init(root)[0].close()
    keeper = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from comfyvn_vault.api import history\n"
            "from comfyvn_vault.vault import Vault\n"
            "v = Vault.open(Path(sys.argv[1]))\n"
            "history.status(v)\n"
            "print('open', flush=True)\n"
            "sys.stdin.read()\n",
            str(root),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    forker = tmp_path / "forker.py"
    forker.write_text(
        textwrap.dedent(
            """
            import os, signal, sys, time
            from pathlib import Path
            from comfyvn_vault.vault import Vault

            root = Path(sys.argv[1])
            for _ in range(140):
                r, w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(r)
                    v = Vault.open(root)
                    txn = v.store.env.begin()  # a reader, e.g. `comfyvn show`, mid-read
                    os.write(w, b"x")
                    time.sleep(60)
                    os._exit(0)
                os.close(w)
                os.read(r, 1)
                os.close(r)
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            """
        )
    )
    try:
        assert keeper.stdout is not None
        assert keeper.stdout.readline() == b"open\n"
        subprocess.run([sys.executable, str(forker), str(root)], check=True, capture_output=True, timeout=60)
        status = subprocess.run(
            [sys.executable, "-m", "comfyvn_vault", "-C", str(root), "status"], capture_output=True, timeout=60
        )
    finally:
        keeper.communicate(b"", timeout=30)
    assert status.returncode == 0, status.stderr.decode()


pytestmark = pytest.mark.timeout(180)
