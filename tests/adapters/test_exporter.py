"""Export plans: output paths are checked where files are planned, and written under one folder only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pytest

from comfyvn_vault.adapters import AdapterInfo, ExportPlan, OutputFile, check_output_path, write_export
from comfyvn_vault.adapters.exporter import output_path_problem
from comfyvn_vault.domain.entities import Character, Scene, Timeline
from comfyvn_vault.errors import InputRejected
from tests.adapters.helpers import story

INFO = AdapterInfo("probe", "1")


@pytest.mark.parametrize(
    "path", ["script.rpy", "game/script.rpy", "game/images/bg room.png", "a/b/c/d.txt", "con-1.txt", "x" * 200]
)
def test_plain_relative_paths_are_output_paths(path: str) -> None:
    assert check_output_path(path) == path


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "is empty"),
        ("/etc/passwd", "is absolute"),
        ("../up.txt", "'..'"),
        ("game/../../up.txt", "'..'"),
        ("./x", "'.'"),
        ("a//b", "empty part"),
        ("a/", "empty part"),
        (".git/config", "starting with '.'"),
        ("game/.hidden", "starting with '.'"),
        ("C:/x", "':'"),
        ("a\\..\\b", "'\\\\'"),
        ("a\x00b", "'\\x00'"),
        ("a\nb", "'\\n'"),
        ("what?.txt", "'?'"),
        ("trailing. ", "ending in ' '"),
        ("dir./x", "ending in '.'"),
        ("nul.txt", "reserved device name"),
        ("game/COM1", "reserved device name"),
        ("a/" * 600, "characters"),
    ],
)
def test_paths_that_could_leave_the_folder_or_fail_somewhere_are_refused(path: str, problem: str) -> None:
    found = output_path_problem(path)
    assert found is not None
    assert problem in found
    with pytest.raises(InputRejected, match="output path"):
        OutputFile(path, b"")


def test_two_files_that_one_file_system_would_merge_are_refused() -> None:
    with pytest.raises(InputRejected, match="would be one file"):
        ExportPlan(INFO, (OutputFile("Readme.txt", b""), OutputFile("README.txt", b"")))
    with pytest.raises(InputRejected, match="would be the folder"):
        ExportPlan(INFO, (OutputFile("game", b""), OutputFile("Game/script.rpy", b"")))
    ExportPlan(INFO, (OutputFile("game/a", b""), OutputFile("game/b", b"")))


def test_a_story_view_lists_documents_of_a_kind_in_path_order() -> None:
    docs = {
        "scenes/b": Scene(id="b"),
        "scenes/a": Scene(id="a"),
        "characters/m": Character(id="m"),
        "timelines/t": Timeline(id="t"),
    }
    view = story(docs)
    assert [s.id for s in view.scenes()] == ["a", "b"]
    assert [c.id for c in view.characters()] == ["m"]
    assert [t.id for t in view.timelines()] == ["t"]
    assert list(view.documents("scenes", Character)) == []


def _streamed(out: BinaryIO) -> None:
    for i in range(3):
        out.write(f"part {i}\n".encode())


def test_write_export_writes_bytes_and_streams_under_the_folder(tmp_path: Path) -> None:
    plan = ExportPlan(INFO, (OutputFile("game/script.rpy", b"label start:\n"), OutputFile("log.txt", _streamed)))
    assert write_export(plan, tmp_path / "out") == ["game/script.rpy", "log.txt"]
    assert (tmp_path / "out/game/script.rpy").read_bytes() == b"label start:\n"
    assert (tmp_path / "out/log.txt").read_text() == "part 0\npart 1\npart 2\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["game", "log.txt"]  # no temporary left


def test_write_export_replaces_a_file_and_a_failed_writer_leaves_the_old_one(tmp_path: Path) -> None:
    write_export(ExportPlan(INFO, (OutputFile("a.txt", b"old"),)), tmp_path)

    def fails(out: BinaryIO) -> None:
        out.write(b"half")
        raise InputRejected("the writer gave up")

    with pytest.raises(InputRejected, match="gave up"):
        write_export(ExportPlan(INFO, (OutputFile("a.txt", fails),)), tmp_path)
    assert (tmp_path / "a.txt").read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    write_export(ExportPlan(INFO, (OutputFile("a.txt", b"new"),)), tmp_path)
    assert (tmp_path / "a.txt").read_bytes() == b"new"


def test_write_export_does_not_follow_a_linked_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    os.symlink(outside, tmp_path / "out" / "game")
    with pytest.raises(InputRejected, match="symbolic link"):
        write_export(ExportPlan(INFO, (OutputFile("game/script.rpy", b"x"),)), tmp_path / "out")
    assert list(outside.iterdir()) == []


def test_write_export_replaces_a_linked_file_rather_than_writing_through_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep")
    (tmp_path / "out").mkdir()
    os.symlink(outside, tmp_path / "out" / "a.txt")
    write_export(ExportPlan(INFO, (OutputFile("a.txt", b"new"),)), tmp_path / "out")
    assert outside.read_bytes() == b"keep"
    assert not (tmp_path / "out" / "a.txt").is_symlink()
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"new"
