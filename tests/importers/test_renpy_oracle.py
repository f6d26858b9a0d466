"""Ren'Py is the oracle: The Question, Ren'Py's demo game, imports as Ren'Py itself reads it.

The game is Debian's ``renpy-thequestion`` package (the set-up installs it;
the tests are skipped only where it is not installed). Ren'Py is the oracle:
``renpy-dialogue`` prints every line of dialogue with its speaker as Ren'Py
8.0 reads the game, and Ren'Py's own parser (``renpy_menus.py``) gives every
menu with its choices. The import, into a real vault, must have exactly those
lines, each at its file and line with its speaker as written, and exactly
those menus. The small fixture game (``fixtures/renpy/mini``), which uses
every statement the importer reads, is held to the same dialogue oracle, and
the archives the importer's tests build are read by Ren'Py's own loader
(``renpy_archive.py``) as the importer reads them.

Starting Ren'Py takes seconds, so the oracles run once per session, side by side.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.adapters import Source, apply_import, story_view
from comfyvn_vault.adapters.archive import FolderFiles
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.importers.renpy import RenpyImporter, RenpyOptions
from comfyvn_vault.importers.renpy.rpa import RpaArchive, build
from comfyvn_vault.vault import Vault
from tests.importers.renpy_helpers import MINI, Row, dialogue, label_scenes, read_dialogue_table

RENPY = Path("/usr/share/games/renpy")
THE_QUESTION = RENPY / "the_question"
TOOLS = Path(os.environ.get("RENPY_TOOLS", "/work/shared/tools"))
MENUS_HELPER = Path(__file__).parent / "renpy_menus.py"
ARCHIVE_HELPER = Path(__file__).parent / "renpy_archive.py"
RENPY_PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(
    not (THE_QUESTION / "game" / "script.rpy").is_file(), reason="Debian's renpy-thequestion is not installed"
)


@dataclass(frozen=True)
class Oracle:
    """What Ren'Py reads: the dialogue of The Question and of the fixture game, and The Question's menus."""

    question: list[Row]
    mini: list[Row]
    menus: list[dict[str, Any]]
    unparsed: set[str]
    """Scripts Ren'Py's parser cannot read without the game's start-up (screens): their menus are not compared."""


@pytest.fixture(scope="session")
def oracle() -> Oracle:
    tool = TOOLS / "renpy-dialogue"
    assert tool.is_file(), f"the oracle {tool} is missing (set RENPY_TOOLS to the folder holding renpy-dialogue)"
    runs = {
        name: subprocess.Popen([tool, root], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for name, root in (("question", THE_QUESTION), ("mini", MINI))
    }
    try:
        scripts = sorted(str(p) for p in (THE_QUESTION / "game").glob("*.rpy"))
        parsed = subprocess.run(
            [RENPY_PYTHON, MENUS_HELPER, RENPY, *scripts], capture_output=True, text=True, timeout=120, check=False
        )
        assert parsed.returncode == 0, parsed.stderr[-2000:]
        tables: dict[str, str] = {}
        for name, run in runs.items():
            out, err = run.communicate(timeout=300)
            assert run.returncode == 0, f"renpy-dialogue ({name}) failed: {err.decode(errors='replace')[-2000:]}"
            tables[name] = out.decode("utf-8")
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
            run.communicate()
    doc = json.loads(parsed.stdout)
    unparsed = {"game/" + Path(p).name for p in doc["unparsed"]}
    assert "game/script.rpy" not in unparsed
    menus = doc["menus"]
    for menu in menus:
        menu["file"] = "game/" + Path(menu["file"]).name
    return Oracle(read_dialogue_table(tables["question"]), read_dialogue_table(tables["mini"]), menus, unparsed)


def _import(vault: Vault, root: Path, name: str) -> list[Scene]:
    source = Source(b"", name=name, files=FolderFiles(root))
    apply_import(vault, RenpyImporter(), source, RenpyOptions())
    return list(story_view(vault.history).scenes())


def _menus(scenes: list[Scene]) -> list[dict[str, Any]]:
    """Each menu as ``renpy_menus.py`` prints one, read back from the imported scenes."""
    labels = {s.id: s.meta["renpy_label"] for s in scenes if "renpy_label" in s.meta}
    out: list[dict[str, Any]] = []
    for scene in label_scenes(scenes):
        for node in scene.nodes:
            if node.directives.get("renpy") != "menu":
                continue
            caption = node.meta.get("menu_caption")
            said = [node.meta.get("who", ""), node.content, node.meta["caption_line"]] if caption == "say" else None
            choices = []
            for choice in node.choices:
                sid, colon, nid = choice.target.partition(":")
                jump = labels.get(sid) if colon and not nid else None
                choices.append([choice.text, choice.condition, jump])
            out.append(
                {
                    "file": node.meta["source_file"],
                    "line": node.meta["source_line"],
                    "say": said,
                    "captions": node.content.split("\n") if caption == "caption" else [],
                    "choices": choices,
                }
            )
    return sorted(out, key=lambda m: (m["file"], m["line"]))


def test_the_question_has_every_line_and_menu_ren_py_reads(vault: Vault, oracle: Oracle) -> None:
    scenes = _import(vault, THE_QUESTION, "the_question")
    assert len(oracle.question) == 70  # renpy-lint: "The game contains 70 dialogue blocks"
    assert dialogue(scenes) == oracle.question
    assert len(oracle.menus) == 2  # renpy-lint: "2 menus"
    mine = [m for m in _menus(scenes) if m["file"] not in oracle.unparsed]
    assert mine == sorted(oracle.menus, key=lambda m: (m["file"], m["line"]))


def test_the_question_imports_its_cast_and_media(vault: Vault) -> None:
    scenes = {s.id: s for s in _import(vault, THE_QUESTION, "the_question")}
    view = story_view(vault.history)
    cast = {c.id: c for c in view.characters()}
    assert {c.name for c in cast.values()} == {"Sylvie", "Me"}
    assert set(cast["sylvie"].expressions) >= {"green normal", "blue giggle"}
    assert {s for s in scenes if "renpy_label" in scenes[s].meta} == {
        "start",
        "rightaway",
        "game",
        "book",
        "marry",
        "later",
    }
    music = scenes["start"].nodes[0]
    assert music.directives["renpy"] == "play" and music.directives["file"] == '"illurock.opus"'
    assert view.lookup(f"assets/{music.directives['asset']}") is not None


def test_the_fixture_game_has_every_line_ren_py_reads(vault: Vault, oracle: Oracle) -> None:
    scenes = _import(vault, MINI, "mini")
    assert dialogue(scenes) == oracle.mini


@pytest.mark.parametrize("version", ["RPA-3.0", "RPA-2.0"])
def test_ren_py_reads_the_archives_the_tests_build_as_the_importer_does(tmp_path: Path, version: str) -> None:
    game = MINI / "game"
    members = {p.relative_to(game).as_posix(): p.read_bytes() for p in sorted(game.rglob("*")) if p.is_file()}
    path = tmp_path / "archive.rpa"
    path.write_bytes(build(members, version=version))
    run = subprocess.run(
        [RENPY_PYTHON, ARCHIVE_HELPER, RENPY, path], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    archive = RpaArchive(path.read_bytes())
    mine = {name: hashlib.sha256(archive.read(name)).hexdigest() for name in archive.names()}
    assert mine == json.loads(run.stdout)
    assert mine == {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}
