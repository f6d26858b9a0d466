"""``stats``: counts by character, scene and route, checked against Ren'Py's own lint on a real game."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from comfyvn_vault.adapters import Source, apply_import
from comfyvn_vault.adapters.archive import FolderFiles
from comfyvn_vault.api import edit, stats
from comfyvn_vault.importers.renpy import RenpyImporter, RenpyOptions
from comfyvn_vault.vault import Vault
from tests.conftest import cli_ok, run_cli

THE_QUESTION = Path("/usr/share/games/renpy/the_question")
TOOLS = Path(os.environ.get("RENPY_TOOLS", "/work/shared/tools"))


def test_counts_by_character_scene_and_route(vault: Vault) -> None:
    edit.scene_new(vault, "Harbour", "harbour")
    edit.node_add(vault, "harbour", speaker="Mina", content="The lamp is out.")
    edit.node_add(vault, "harbour", content="Wind.")
    edit.node_add(vault, "harbour", type="choice", content="What now?", node_id="ask")
    edit.choice_add(vault, "harbour", "ask", text="Climb", target="harbour:")
    edit.node_add(vault, "harbour", type="action", content="scene bg tower")
    edit.scene_new(vault, "Tower", "tower")
    edit.node_add(vault, "tower", speaker="Mina", content="Up we go, quietly.")
    edit.timeline_new(vault, "Main", ["harbour"])
    s = stats.stats(vault, "character")
    assert [(r.key, r.lines, r.words, r.characters) for r in s.rows] == [("Mina", 2, 8, 34), ("(narration)", 1, 1, 5)]
    assert (s.total.lines, s.total.words, s.scenes, s.nodes, s.menus, s.choices, s.captions) == (3, 9, 2, 5, 1, 1, 1)
    assert [(r.key, r.lines) for r in stats.stats(vault, "scene").rows] == [("harbour", 2), ("tower", 1)]
    assert [(r.key, r.lines) for r in stats.stats(vault, "route").rows] == [("main", 2), ("(no route)", 1)]


def test_the_verb_prints_a_table_and_json(vault: Vault, vault_dir: Path) -> None:
    edit.scene_new(vault, "Harbour", "harbour")
    edit.node_add(vault, "harbour", speaker="Mina", content="The lamp is out.")
    vault.close()
    lines = cli_ok(vault_dir, "stats").out.splitlines()
    assert lines[0].split() == ["character", "lines", "words", "characters"]
    assert lines[1].split() == ["Mina", "1", "4", "16"] and lines[-1].startswith("1 scenes, 1 nodes, 0 menus")
    assert '"schema":"comfyvn.stats/1"' in cli_ok(vault_dir, "stats", "--by", "scene", "--json").out
    assert run_cli("-C", vault_dir, "stats", "--by", "speaker").code == 2


@pytest.mark.skipif(not (THE_QUESTION / "game" / "script.rpy").is_file(), reason="renpy-thequestion is not installed")
def test_the_question_counts_what_ren_py_lint_counts(vault: Vault) -> None:
    lint = subprocess.run([TOOLS / "renpy-lint", THE_QUESTION], capture_output=True, text=True, timeout=300)
    said = re.search(r"contains ([\d,]+) dialogue blocks, containing ([\d,]+) words and ([\d,]+)", lint.stdout)
    menus = re.search(r"contains ([\d,]+) menus", lint.stdout)
    assert said and menus, lint.stdout[-2000:]
    blocks, words, characters = (int(g.replace(",", "")) for g in said.groups())
    per_speaker = {who: int(n) for who, n in re.findall(r"\* (\w+) has ([\d,]+) blocks? of dialogue", lint.stdout)}
    apply_import(
        vault, RenpyImporter(), Source(b"", name="the_question", files=FolderFiles(THE_QUESTION)), RenpyOptions()
    )
    s = stats.stats(vault, "character")
    assert (s.total.lines, s.total.words, s.total.characters, s.menus) == (blocks, words, characters, int(menus[1]))
    # Ren'Py names speakers by their variable (m, s, narrator); the vault by their characters' names.
    assert sorted(r.lines for r in s.rows) == sorted(per_speaker.values())
