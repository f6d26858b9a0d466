"""fsck notices a structured object (a commit, a tree) filed as a blob, packed or loose.

gc follows only structured objects' links, so what such a "blob" links to would
be deleted; a hostile peer could once store history that way (tests/sync/test_hostile.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from comfyvn_vault.history.objects import Commit
from comfyvn_vault.history.tree import TreeNode
from comfyvn_vault.store import codec
from comfyvn_vault.store.base import Kind
from comfyvn_vault.store.fsck import fsck
from comfyvn_vault.vault import Vault
from tests.conftest import run_cli


def _commit_on_head(v: Vault, message: str) -> bytes:
    head = v.history.head()
    assert head is not None
    c = v.history.commit(head)
    return codec.encode(
        Commit(parents=[head], tree=c.tree, generation=c.generation + 1, author="m", time=0, message=message)
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda v: _commit_on_head(v, "small: packed"),
        lambda v: _commit_on_head(v, "large: loose " + "x" * (2 << 20)),
        lambda v: codec.encode(TreeNode(count=1, entries={"scenes/ghost": v.history.head()})),
    ],
    ids=["packed-commit", "loose-commit", "tree"],
)
def test_structured_object_stored_as_blob_is_a_problem(tmp_path: Path, make: object) -> None:
    root = tmp_path / "v"
    Vault.init(root)[0].close()
    with Vault.open(root) as v:
        data = make(v)  # type: ignore[operator]
        with v.store.transaction() as w:
            oid = w.put_bytes(data, Kind.BLOB).id
        assert v.store.info(oid).kind == Kind.BLOB
        report = fsck(v.store)
    assert [(p.id, p.kind) for p in report.problems] == [(oid.hex(), "misfiled")]
    assert "stored as a blob" in report.problems[0].detail
    result = run_cli("fsck", cwd=root)
    assert result.code == 1 and "Traceback" not in result.err


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(5000),
        os.urandom(3 << 20),
        b"\x81\xa5_type",  # looks like a structured object's start, but is not one whole
        b"\x82\xa5_type\xa4Tree" + b"\x00" * (2 << 20),  # a header, then junk: a blob
        codec.encode(TreeNode())[:-1],
    ],
    ids=["packed", "loose", "header-only", "loose-header", "truncated"],
)
def test_ordinary_blobs_are_not_flagged(tmp_path: Path, data: bytes) -> None:
    root = tmp_path / "v"
    Vault.init(root)[0].close()
    with Vault.open(root) as v:
        with v.store.transaction() as w:
            w.put_bytes(data, Kind.BLOB)
        assert fsck(v.store).clean
