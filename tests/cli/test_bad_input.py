"""Bad input through the real ``comfyvn`` CLI: the right exit code, one line on
stderr, no traceback, and a vault left exactly as it was.

Exit codes (docs/cli.md): 2 usage, 3 input rejected and nothing changed.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.assets.records import assets_at
from comfyvn_vault.store.ids import hash_bytes
from comfyvn_vault.vault import Vault
from tests.conftest import Result, assert_refused, run_cli

pytestmark = pytest.mark.timeout(120)

MiB = 1 << 20


# ----------------------------------------------------------------- helpers


def snapshot(root: Path) -> dict[str, Any]:
    """Everything an add could change: ids, refs, committed pack lengths, object files."""
    with Vault.open(root) as vault:
        ids = sorted(i.hex() for i in vault.store.ids())
        refs = {name: oid.hex() for name, oid in vault.store.refs().items()}
        packs = vault.store.packs()
    objects = root / ".comfyvn" / "objects"
    files = {str(p.relative_to(objects)): p.stat().st_size for p in objects.rglob("*") if p.is_file()}
    fsck = run_cli("-C", root, "fsck", "--json")
    assert fsck.code == 0, fsck.out + fsck.err
    doc = fsck.json()
    assert doc["problems"] == [], doc
    assert not [f for f in files if f.startswith("tmp/")], files  # staging is empty between commands
    return {"ids": ids, "refs": refs, "packs": packs, "files": files, "fsck_objects": doc["objects"]}


def seed(root: Path, scratch: Path) -> dict[str, bytes]:
    """A vault with a packed raw blob, a packed zstd blob, a loose blob and their asset records."""
    scratch.mkdir(parents=True, exist_ok=True)
    files = {
        "raw.bin": os.urandom(100_000),
        "text.txt": b"Alice: hello there\n" * 500,
        "big.bin": os.urandom(MiB + 10),
    }
    for name, data in files.items():
        (scratch / name).write_bytes(data)
    with Vault.init(root)[0] as vault:
        add_assets(vault, [scratch / n for n in files])
    return files


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    seed(root, tmp_path / "seed")
    return root


def stored(root: Path, data: bytes) -> bool:
    with Vault.open(root) as vault:
        return vault.store.has(hash_bytes(data))


# ----------------------------------------------------------------- asset add: paths


def test_missing_path(seeded: Path, tmp_path: Path, cli: Any) -> None:
    before = snapshot(seeded)
    assert_refused(cli("-C", seeded, "asset", "add", tmp_path / "nope.png"), 3, "nope.png", "no such file")
    assert snapshot(seeded) == before


def test_directory(seeded: Path, tmp_path: Path, cli: Any) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "inside.txt").write_text("x")
    before = snapshot(seeded)
    assert_refused(cli("-C", seeded, "asset", "add", folder), 3, "directory")
    assert snapshot(seeded) == before
    assert not stored(seeded, b"x")


def test_fifo_is_refused_without_blocking(seeded: Path, tmp_path: Path, cli: Any) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    before = snapshot(seeded)
    assert_refused(cli("-C", seeded, "asset", "add", fifo, timeout=30), 3, "not a regular file")
    assert snapshot(seeded) == before


def test_broken_symlink(seeded: Path, tmp_path: Path, cli: Any) -> None:
    link = tmp_path / "dangling.png"
    link.symlink_to(tmp_path / "gone.png")
    before = snapshot(seeded)
    assert_refused(cli("-C", seeded, "asset", "add", link), 3, "dangling.png")
    assert snapshot(seeded) == before


@pytest.mark.parametrize("good_size", [5000, MiB + 5], ids=["small", "large"])
@pytest.mark.parametrize("order", ["good-first", "bad-first"])
def test_one_good_one_missing_adds_nothing(seeded: Path, tmp_path: Path, cli: Any, good_size: int, order: str) -> None:
    good = tmp_path / "good.bin"
    data = os.urandom(good_size)
    good.write_bytes(data)
    missing = tmp_path / "missing.bin"
    args = [good, missing] if order == "good-first" else [missing, good]
    before = snapshot(seeded)
    assert_refused(cli("-C", seeded, "asset", "add", *args), 3, "missing.bin")
    assert snapshot(seeded) == before
    assert not stored(seeded, data)


def test_asset_add_without_files_is_a_usage_error(seeded: Path, cli: Any) -> None:
    r = cli("-C", seeded, "asset", "add")
    assert r.code == 2 and "Traceback" not in r.err


# ----------------------------------------------------------------- unreadable file

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2


def _without_dac_override() -> None:
    """preexec_fn: drop root's power to read any file (uid stays 0, so the
    interpreter under /root and the root-owned vault stay reachable)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_unprivileged(*args: str | os.PathLike[str]) -> Result:
    preexec = _without_dac_override if os.geteuid() == 0 else None
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "comfyvn_vault", *map(str, args)],
            capture_output=True,
            timeout=60,
            preexec_fn=preexec,
        )
    except subprocess.SubprocessError as exc:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE to make a file unreadable as root: {exc}")
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode(), proc.stdout)


@pytest.mark.parametrize("with_good", [False, True], ids=["alone", "with-a-good-file"])
@pytest.mark.parametrize("size", [3000, MiB + 3], ids=["small", "large"])
def test_unreadable_file(seeded: Path, tmp_path: Path, with_good: bool, size: int) -> None:
    secret = tmp_path / "secret.bin"
    secret_data = os.urandom(size)
    secret.write_bytes(secret_data)
    secret.chmod(0)
    good = tmp_path / "good.bin"
    good_data = os.urandom(4000)
    good.write_bytes(good_data)
    if os.geteuid() != 0 and os.access(secret, os.R_OK):
        pytest.skip("chmod 000 does not make a file unreadable here")
    probe = run_unprivileged("-C", seeded, "status")
    assert probe.code == 0, probe.err  # the unprivileged process can use the vault itself

    before = snapshot(seeded)
    args = [good, secret] if with_good else [secret]
    assert_refused(run_unprivileged("-C", seeded, "asset", "add", *args), 3, "secret.bin", "permission denied")
    assert snapshot(seeded) == before
    assert not stored(seeded, secret_data) and not stored(seeded, good_data)


# ----------------------------------------------------------------- full disk


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (needs root / CAP_SYS_ADMIN)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill a disk: {r.stderr.decode().strip() or r.returncode}")
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(folder: Path) -> None:
    """Use up every free byte of the file system holding ``folder``."""
    with open(folder / "filler", "wb", buffering=0) as f:
        for chunk in (64 * 1024, 4096, 1):
            block = b"\0" * chunk
            try:
                while True:
                    f.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc


def test_full_disk_large_file(tiny_fs: Path, tmp_path: Path, cli: Any) -> None:
    root = tiny_fs / "vault"
    seed(root, tmp_path / "seed")  # ~1.3 MiB of the 2 MiB
    big = tmp_path / "big.bin"
    data = os.urandom(3 * MiB)
    big.write_bytes(data)
    before = snapshot(root)
    assert_refused(cli("-C", root, "asset", "add", big), 3, "no space left")
    assert snapshot(root) == before
    assert not stored(root, data)


def test_full_disk_medium_file(tiny_fs: Path, tmp_path: Path, cli: Any) -> None:
    """A small blob (pack bound) bigger than the space left: the write fails in append."""
    root = tiny_fs / "vault"
    seed(root, tmp_path / "seed")
    fill(tiny_fs)
    medium = tmp_path / "medium.bin"
    data = os.urandom(300_000)
    medium.write_bytes(data)
    before = snapshot(root)
    assert_refused(cli("-C", root, "asset", "add", medium), 3, "no space left")
    assert snapshot(root) == before


def test_full_disk_small_file(tiny_fs: Path, tmp_path: Path, cli: Any) -> None:
    """A few KiB that fit in a write buffer: ENOSPC surfaces only when the commit writes them out.

    (A buffered pack file once re-raised the failed flush from abort's truncate/close:
    exit 70 and an uncommitted tail.)"""
    root = tiny_fs / "vault"
    seed(root, tmp_path / "seed")
    fill(tiny_fs)
    with Vault.open(root) as vault:
        packs = vault.store.packs()
    slack = -packs[max(packs)] % 4096  # what the last page of the pack written next still holds
    small = tmp_path / "small.bin"
    data = os.urandom(slack + 1000)
    small.write_bytes(data)
    before = snapshot(root)
    assert_refused(cli("-C", root, "asset", "add", small), 3, "no space left")
    assert snapshot(root) == before


def run_fsize_limited(limit: int, *args: str | os.PathLike[str]) -> Result:
    """The CLI with RLIMIT_FSIZE: writing past ``limit`` bytes fails with EFBIG."""

    def limit_writes() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # ignored dispositions survive exec
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "comfyvn_vault", *map(str, args)],
        capture_output=True,
        timeout=60,
        preexec_fn=limit_writes,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode(), proc.stdout)


def _pack_length(root: Path) -> int:
    """The committed length of the pack the next write appends to."""
    with Vault.open(root) as vault:
        packs = vault.store.packs()
    return packs[max(packs)]


FSIZE_CASES: dict[str, tuple[Callable[[int], int], int]] = {
    # name: (limit from the current pack length, size of the file to add)
    "large-staged": (lambda pack: 512 * 1024, 2 * MiB),
    "medium-packed": (lambda pack: pack + 50_000, 300_000),
    "small-buffered": (lambda pack: pack + 100, 3000),
}


@pytest.mark.parametrize("case", list(FSIZE_CASES))
def test_file_size_limit(seeded: Path, tmp_path: Path, case: str) -> None:
    limit_of, size = FSIZE_CASES[case]
    src = tmp_path / "input.bin"
    data = os.urandom(size)
    src.write_bytes(data)
    before = snapshot(seeded)
    r = run_fsize_limited(limit_of(_pack_length(seeded)), "-C", seeded, "asset", "add", src)
    assert_refused(r, 3, "file-size limit")
    assert snapshot(seeded) == before
    assert not stored(seeded, data)
    # The limit is gone for the next command, which succeeds.
    again = run_cli("-C", seeded, "asset", "add", src)
    assert again.code == 0, again.err
    assert stored(seeded, data)


# ----------------------------------------------------------------- show


def test_show_non_hex_id(seeded: Path, cli: Any) -> None:
    """Not an id (show also takes entity names and paths): refused, and nothing outside the vault is read."""
    for text in ("zzzz", "12345g", "../../etc/passwd"):
        assert_refused(cli("-C", seeded, "show", text), 3, text)
    assert_refused(cli("-C", seeded, "show", "/etc/passwd", "--json"), 3, "/etc/passwd")


def test_show_too_short_prefix(seeded: Path, cli: Any) -> None:
    assert_refused(cli("-C", seeded, "show", "abc"), 3)


def test_show_unknown_id(seeded: Path, cli: Any) -> None:
    unknown = hash_bytes(b"never stored").hex()
    assert_refused(cli("-C", seeded, "show", unknown), 3, "no object")
    assert_refused(cli("-C", seeded, "show", unknown, "--json"), 3, "no object")
    with Vault.open(seeded) as vault:
        taken = {i.hex()[:6] for i in vault.store.ids()}
    free = next(p for p in (f"{n:06x}" for n in range(1 << 24)) if p not in taken)
    assert_refused(cli("-C", seeded, "show", free), 3, "no object")


def test_show_ambiguous_prefix(seeded: Path, tmp_path: Path, cli: Any) -> None:
    seen: dict[str, bytes] = {}
    n = 0
    while True:  # a birthday search: two contents whose ids share 4 hex digits
        data = f"ambiguous candidate {n}\n".encode()
        prefix = hash_bytes(data).hex()[:4]
        if prefix in seen:
            pair = [seen[prefix], data]
            break
        seen[prefix] = data
        n += 1
    paths = []
    for i, data in enumerate(pair):
        paths.append(tmp_path / f"amb{i}.txt")
        paths[-1].write_bytes(data)
    assert cli("-C", seeded, "asset", "add", *paths).code == 0

    assert_refused(cli("-C", seeded, "show", prefix), 3, "ambiguous")
    assert_refused(cli("-C", seeded, "show", prefix.upper()), 3, "ambiguous")
    # With enough digits each resolves to its own object.
    for data in pair:
        full = hash_bytes(data).hex()
        other = next(d for d in pair if d != data)
        k = next(k for k in range(4, 65) if hash_bytes(other).hex()[:k] != full[:k])
        r = cli("-C", seeded, "show", full[:k])
        assert r.code == 0 and r.stdout_bytes == data, r.err


# ----------------------------------------------------------------- where it runs


def test_chdir_to_a_missing_folder(tmp_path: Path, cli: Any) -> None:
    assert_refused(cli("-C", tmp_path / "absent", "status"), 2, "not a folder")
    assert not (tmp_path / "absent").exists()


def test_chdir_to_a_file(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "file").write_text("x")
    assert_refused(cli("-C", tmp_path / "file", "status"), 2, "not a folder")


@pytest.mark.parametrize(
    "args",
    [("status",), ("fsck",), ("gc",), ("show", "abcd"), ("asset", "add", "x.txt")],
    ids=lambda a: "-".join(a),
)
def test_outside_a_vault_is_a_usage_error(tmp_path: Path, cli: Any, args: tuple[str, ...]) -> None:
    """docs/cli.md: 2 is a usage error; running a vault verb outside a vault is one."""
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "x.txt").write_text("x")
    assert_refused(cli(*args, cwd=outside), 2, "not inside a vault")
    assert_refused(cli("-C", outside, *args), 2, "not inside a vault")
    assert list(outside.iterdir()) == [outside / "x.txt"]  # nothing was created


def test_unsupported_vault_format(seeded: Path, cli: Any) -> None:
    (seeded / ".comfyvn" / "format").write_text("99\n")
    assert_refused(cli("-C", seeded, "status"), 3, "not supported")


def test_refs_and_assets_survive_refusals(seeded: Path, tmp_path: Path, cli: Any) -> None:
    """A run of different refusals in a row leaves refs, operation log and asset list where they were."""

    def state() -> tuple[Any, ...]:
        with Vault.open(seeded) as vault:
            return vault.store.refs(), vault.history.op_head(), [a.id for a in assets_at(vault)]

    before = state()
    assert len(before[2]) == 3
    (tmp_path / "d").mkdir()
    for args in (["asset", "add", tmp_path / "nope"], ["asset", "add", tmp_path / "d"], ["show", "qq"]):
        assert cli("-C", seeded, *args).code == 3
    assert state() == before
