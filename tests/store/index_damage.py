"""Damaging a vault's LMDB index byte by byte and watching every verb (the real CLI, in-process).

Run as ``python -m tests.store.index_damage VAULT OFFSET...`` by the tests, so a
crash of LMDB on a damaged page would kill this child, not pytest: it prints one
JSON line per offset.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import struct
import sys
from pathlib import Path
from typing import Any

from comfyvn_vault.api import edit
from comfyvn_vault.api.assets import add as add_assets
from comfyvn_vault.cli.main import main
from comfyvn_vault.provenance.derivation import record_derivation
from comfyvn_vault.vault import Vault

PAGE = 4096
_PAGE_HEADER = struct.Struct("<QHHHH")  # page number, pad, flags, lower, upper
_BRANCH, _LEAF, _OVERFLOW, _META = 0x01, 0x02, 0x04, 0x08


def data_file(root: Path) -> Path:
    return root / ".comfyvn" / "index" / "data.mdb"


def build(root: Path, tmp: Path) -> str:
    """A vault with history on two branches, an undo, and an asset derived from another; the child asset's id."""
    from tests.assets import media

    v, _ = Vault.init(root)
    with v:
        edit.scene_new(v, "The Lighthouse", scene_id="intro")
        for i in range(12):
            edit.node_add(v, "intro", speaker="Alice", content=f"The lamp turned {i} times tonight.")
        v.branch_create("darker")
        v.switch("darker")
        edit.node_edit(v, "intro", "n1", content="The lamp did not turn tonight.")
        v.switch("main")
        edit.scene_new(v, "Scratch", scene_id="scratch")
        v.undo()
        (src,) = add_assets(v, [media.png(tmp / "src.png")]).assets
        (child,) = add_assets(v, [media.png(tmp / "child.png", color=(0, 0, 255))]).assets
        record_derivation(v, child.id, [src.id], "upscale")
        return child.id


def verbs(asset: str) -> list[list[str]]:
    """What a user reads, each answer depending on the index: objects, refs, op log, projections."""
    return [
        ["log", "--all"],
        ["scene", "show", "intro"],
        ["scene", "list"],
        ["search", "lamp"],
        ["lineage", asset, "--json"],
        ["op", "log"],
        ["branch"],
        ["status"],
        ["blame", "intro"],
    ]


def run(root: Path, *argv: str) -> tuple[int, str, str]:
    """The CLI's exit code, stdout and stderr, in this process."""
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-C", str(root), *argv])
    out.flush()
    buffer = out.buffer
    assert isinstance(buffer, io.BytesIO)
    return code, buffer.getvalue().decode(), err.getvalue()


def observe(root: Path, asset: str) -> dict[str, Any]:
    return {" ".join(argv): run(root, *argv) for argv in verbs(asset)}


def live_offsets(data: bytes) -> list[int]:
    """Offsets of the bytes LMDB's B-tree pages use (header, pointers, nodes; not the gap between)."""
    out = []
    for number in range(2, len(data) // PAGE):
        base = number * PAGE
        pgno, _, flags, lower, upper = _PAGE_HEADER.unpack_from(data, base)
        if pgno == number and flags & (_BRANCH | _LEAF) and not flags & _OVERFLOW and 16 <= lower <= upper <= PAGE:
            out += range(base, base + lower)
            out += range(base + upper, base + PAGE)
    return out


def flip(root: Path, offset: int) -> None:
    path = data_file(root)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def damage_and_repair(original: Path, work: Path, asset: str, offset: int) -> dict[str, Any]:
    """Flip one byte of a copy; what fsck and the verbs say, then whether reindex restores everything."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(original, work)
    flip(work, offset)
    fsck = run(work, "fsck")
    damaged = observe(work, asset)
    reindex = run(work, "reindex")
    return {
        "offset": offset,
        "fsck": fsck,
        "verbs": damaged,
        "reindex": reindex,
        "repaired": observe(work, asset),
        "fsck_after": run(work, "fsck"),
    }


def _child(argv: list[str]) -> None:
    original, work, asset = Path(argv[0]), Path(argv[1]), argv[2]
    for offset in map(int, argv[3:]):
        print(json.dumps(damage_and_repair(original, work, asset, offset)), flush=True)


if __name__ == "__main__":
    _child(sys.argv[1:])
