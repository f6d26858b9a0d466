"""Ren'Py archives: read as Ren'Py reads them, and nothing in one can escape, run code or blow up.

The index of an archive is a pickle, so the hostile cases matter most: a
pickle whose ``REDUCE`` would create a file is refused and the file is never
made; names that leave the archive, offsets past its end, an index that
inflates without end and truncated archives are one-line refusals.
"""

from __future__ import annotations

import pickle
import pickletools
import zlib
from pathlib import Path

import pytest

from comfyvn_vault.adapters import Source, apply_import, story_view
from comfyvn_vault.adapters.archive import FolderFiles
from comfyvn_vault.domain.asset_events import AssetImported
from comfyvn_vault.domain.assets import Asset
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.renpy import RenpyImporter, RenpyOptions
from comfyvn_vault.importers.renpy.rpa import MAX_INDEX_BYTES, RpaArchive, build
from comfyvn_vault.vault import Vault
from tests.importers.renpy_helpers import MINI, dialogue, plan_bytes, plan_folder, scenes_of

SCRIPT = b'define e = Character("Eileen")\nlabel start:\n    e "Hi from the archive."\n    return\n'
PNG = (MINI / "game" / "images" / "lucy.png").read_bytes()


def _archive(index: object, body: bytes = b"", *, key: int = 0, version: str = "RPA-3.0") -> bytes:
    """An archive with ``body`` after the header and ``index`` pickled (as Ren'Py 8 does) and compressed after it."""
    header_len = 34 if version == "RPA-3.0" else 25
    at = header_len + len(body)
    header = f"RPA-3.0 {at:016x} {key:08x}\n" if version == "RPA-3.0" else f"RPA-2.0 {at:016x}\n"
    return header.encode() + body + zlib.compress(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))


def _raw_index_archive(pickled: bytes) -> bytes:
    """An archive whose index is exactly ``pickled`` (compressed), with no member data."""
    return f"RPA-3.0 {34:016x} {0:08x}\n".encode() + zlib.compress(pickled)


@pytest.mark.parametrize("version", ["RPA-3.0", "RPA-2.0"])
def test_members_read_back_as_written(version: str) -> None:
    data = build({"script.rpy": SCRIPT, "images/lucy.png": PNG}, version=version)
    archive = RpaArchive(data, "a.rpa")
    assert archive.version == version
    assert archive.names() == ["images/lucy.png", "script.rpy"]
    assert archive.read("script.rpy") == SCRIPT
    assert archive.read("images/lucy.png") == PNG
    assert archive.size("images/lucy.png") == len(PNG)


def test_a_piece_can_have_a_prefix_kept_in_the_index() -> None:
    body = b"rest of it"
    key = 0x1234
    data = _archive({"x.txt": [(34 ^ key, len(body) ^ key, b"head, ")]}, body, key=key)
    assert RpaArchive(data).read("x.txt") == b"head, rest of it"


def test_an_index_pickled_by_python_2_reads_its_byte_strings() -> None:
    # Python 2's pickle of {"x.txt": [(34, 3, "")]}: names and prefixes are byte strings (BINSTRING).
    p2 = b'\x80\x02}q\x00U\x05x.txtq\x01]q\x02(K"K\x03U\x00tq\x03as.'
    data = f"RPA-3.0 {37:016x} {0:08x}\n".encode() + b"abc" + zlib.compress(p2)
    assert RpaArchive(data).read("x.txt") == b"abc"


def test_a_lone_archive_imports_its_scripts_and_media(vault: Vault) -> None:
    data = build({"script.rpy": SCRIPT, "images/lucy.png": PNG})
    result = apply_import(vault, RenpyImporter(), Source(data, "game.rpa"), RenpyOptions())
    view = story_view(vault.history)
    scene = view.lookup("scenes/start")
    assert scene is not None
    assert result.summary.scenes == ["file-script.rpy", "start"]
    source = view.lookup(f"assets/{result.summary.assets[0]}")
    assert isinstance(source, Asset) and source.mime == "application/x-renpy-archive" and source.bytes == len(data)
    png = [
        a
        for a in (view.lookup(f"assets/{i}") for i in result.summary.assets)
        if isinstance(a, Asset) and a.kind == "image"
    ]
    assert [a.name for a in png] == ["game/images/lucy.png"]


def test_an_archive_in_a_project_folder_adds_to_its_files_and_a_loose_file_wins(tmp_path: Path) -> None:
    game = tmp_path / "game"
    game.mkdir()
    (game / "script.rpy").write_bytes(b'label start:\n    "The loose script."\n')
    (game / "archive.rpa").write_bytes(build({"script.rpy": SCRIPT, "chapter.rpy": b'label two:\n    "Two."\n'}))
    (game / "images").mkdir()
    (game / "images" / "lucy.png").write_bytes(PNG)
    plan = plan_folder(tmp_path, "proj")
    lines = {(row[0], row[3]) for row in dialogue(scenes_of(plan).values())}
    assert lines == {("game/script.rpy", "The loose script."), ("game/chapter.rpy", "Two.")}
    sources = {e.asset.name: e.source for e in plan.events if isinstance(e, AssetImported)}
    assert sources == {
        "proj": "proj",
        "game/chapter.rpy": "proj/game/archive.rpa",
        "game/script.rpy": "proj",
        "game/images/lucy.png": "proj",
    }


@pytest.mark.parametrize("name", ["../x.rpy", "/etc/passwd", "a/../../x", "C:/x", "a\\b", "", "a\x00b"])
def test_names_that_leave_the_archive_are_refused(name: str) -> None:
    with pytest.raises(InputRejected, match=r"member|unsafe"):
        RpaArchive(_archive({name: [(34, 0, b"")]}), "evil.rpa")


def test_two_names_for_one_member_are_refused() -> None:
    with pytest.raises(InputRejected, match="twice"):
        RpaArchive(_archive({"a/b": [(34, 0)], "a//b": [(34, 0)]}))


class _MakesAFile:
    """Pickles as a call that creates a file: what a hostile index would hold."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    pickled = pickle.dumps({"x.rpy": [(34, 0, _MakesAFile(target))]}, protocol=2)
    assert {op.name for op, _, _ in pickletools.genops(pickled)} >= {"GLOBAL", "REDUCE"}
    with pytest.raises(InputRejected, match=r"GLOBAL|REDUCE"):
        RpaArchive(_raw_index_archive(pickled), "evil.rpa")
    with pytest.raises(InputRejected):
        plan_bytes(_raw_index_archive(pickled), "evil.rpa")
    assert not target.exists()
    # The unpickler itself admits no class either, were the opcode check ever bypassed.
    for protocol in (0, 2, 4):
        data = pickle.dumps(_MakesAFile(target), protocol=protocol)
        with pytest.raises(InputRejected):
            RpaArchive(_raw_index_archive(data), "evil.rpa")
    assert not target.exists()


@pytest.mark.parametrize(
    "memo",
    [
        b"r\xf0\xff\xff\xff",  # LONG_BINPUT 4,294,967,280: the unpickler would grow its memo to 32 GB
        b"j\xf0\xff\xff\xff",  # LONG_BINGET of the same
        b"p99999999999\n",  # PUT, the text form
    ],
)
def test_a_pickle_naming_a_memo_slot_it_cannot_fill_is_refused_before_unpickling(memo: bytes) -> None:
    pickled = b"\x80\x02}" + memo + b"."  # an empty dict, then the memo opcode
    with pytest.raises(InputRejected, match="memo slot"):
        RpaArchive(_raw_index_archive(pickled), "evil.rpa")


def test_the_unpickler_refuses_classes_on_its_own(tmp_path: Path) -> None:
    from comfyvn_vault.importers.renpy import rpa

    target = tmp_path / "pwned"
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        rpa._NoClasses(rpa._Reader(pickle.dumps(_MakesAFile(target), protocol=2))).load()
    assert not target.exists()


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ({"x": [(34, 10_000)]}, "reaches past"),
        ({"x": [(-5, 1)]}, "negative"),
        ({"x": [(34, -1)]}, "negative"),
        ({"x": [("34", 1)]}, "not an integer"),
        ({"x": [(34, 1, 5)]}, "prefix"),
        ({"x": [(34,)]}, "malformed piece"),
        ({"x": []}, "no list"),
        ({"x": "abc"}, "no list"),
        ([("x", 34, 1)], "not a mapping"),
        ({7: [(34, 1)]}, "not text"),
        ({b"\xff": [(34, 1)]}, "not UTF-8"),
        ({"a": [(34, 8)], "b": [(34, 8)], "c": [(34, 8)]}, "add up"),
    ],
)
def test_bad_indexes_are_refused(index: object, message: str) -> None:
    data = _archive(index, b"12345678")
    with pytest.raises(InputRejected, match=message):
        RpaArchive(data, "bad.rpa")


def test_a_huge_inflated_index_is_refused_while_inflating() -> None:
    bomb = zlib.compress(b"\x00" * (MAX_INDEX_BYTES + 1024), 9)
    data = f"RPA-3.0 {34:016x} {0:08x}\n".encode() + bomb
    assert len(data) < MAX_INDEX_BYTES // 100
    with pytest.raises(InputRejected, match="inflates past"):
        RpaArchive(data, "bomb.rpa")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"RPA-3.0 ", "header"),
        (b"RPA-4.0 0000000000000022 00000000\n", "unsupported"),
        (b"RPA-3.0 zz00000000000022 00000000\n", "hexadecimal"),
        (b"RPA-3.0 0000000000000022\n", "malformed"),
        (b"RPA-3.0 00000000ffffffff 00000000\nxyz", "outside"),
        (b"RPA-3.0 \xff\n", "ASCII"),
        (b"PK\x03\x04", "not a Ren'Py archive"),
    ],
)
def test_bad_headers_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InputRejected, match=message):
        RpaArchive(data, "bad.rpa")


def test_every_truncation_of_an_archive_is_refused_or_reads_what_is_there() -> None:
    data = build({"script.rpy": SCRIPT, "images/lucy.png": PNG})
    for cut in range(len(data)):
        with pytest.raises(InputRejected):
            RpaArchive(data[:cut], "cut.rpa")


def test_a_broken_archive_in_a_folder_refuses_the_import(tmp_path: Path) -> None:
    (tmp_path / "game").mkdir()
    (tmp_path / "game" / "script.rpy").write_bytes(SCRIPT)
    (tmp_path / "game" / "bad.rpa").write_bytes(b"RPA-3.0 0000000000000022 00000000\n" + b"junk")
    with pytest.raises(InputRejected, match=r"bad\.rpa"):
        plan_folder(tmp_path, "proj")
    assert FolderFiles(tmp_path).names() == ["game/bad.rpa", "game/script.rpy"]


def test_bytes_pickled_by_python_3_at_protocol_2_are_a_call_and_refused() -> None:
    # Protocol 2 has no opcode for Python 3 bytes: it pickles b"" as a call to _codecs.encode. Ren'Py's
    # archiver uses the highest protocol (Python 3) or has byte strings (Python 2), so no real archive
    # needs it, and admitting one call would be admitting calls.
    pickled = pickle.dumps({"x": [(34, 0, b"")]}, protocol=2)
    with pytest.raises(InputRejected, match="GLOBAL"):
        RpaArchive(_raw_index_archive(pickled))
