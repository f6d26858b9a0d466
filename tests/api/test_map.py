"""``comfyvn map``: DOT on standard output, SVG and PNG drawn by Graphviz, and refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from comfyvn_vault.api import edit
from comfyvn_vault.vault import Vault
from tests.conftest import assert_refused, cli_ok, run_cli


@pytest.fixture
def mapped(vault: Vault, vault_dir: Path) -> Path:
    edit.scene_new(vault, "Harbour", "harbour")
    edit.node_add(vault, "harbour", type="choice", content="Up or down?", node_id="ask")
    edit.scene_new(vault, "Tower", "tower")
    edit.node_add(vault, "tower", content="Up.")
    edit.scene_new(vault, "Island", "island")
    edit.node_add(vault, "island", content="No one comes here.")
    edit.var_set(vault, "trust", "0")
    edit.choice_add(vault, "harbour", "ask", text="Climb", target="tower:", condition="trust >= 0", weight=3)
    edit.timeline_new(vault, "Main", ["harbour"])
    vault.close()
    return vault_dir


def test_the_map_is_dot_on_standard_output(mapped: Path) -> None:
    dot = cli_ok(mapped, "map").out
    assert (
        dot.startswith("digraph story {")
        and '"harbour:ask" -> "tower:n1" [label="Climb [trust >= 0] (weight 3)"]' in dot
    )
    assert 'label="Island"; style="dashed"' in dot  # no timeline or choice leads there


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed (make setup installs it)")
@pytest.mark.parametrize(
    ("name", "magic"), [("story.svg", b"<?xml"), ("story.png", b"\x89PNG"), ("story.dot", b"digraph")]
)
def test_graphviz_draws_it_to_a_file(mapped: Path, name: str, magic: bytes) -> None:
    r = cli_ok(mapped, "map", "--out", name)
    assert f"wrote {mapped / name}: 3 scenes, 3 nodes (1 unreachable" in r.err
    assert (mapped / name).read_bytes().startswith(magic)


def test_a_map_file_it_cannot_write_is_refused(mapped: Path) -> None:
    assert_refused(run_cli("-C", mapped, "map", "--out", "story.gif"), 3, ".dot, .svg or .png")
    assert_refused(run_cli("-C", mapped, "map", "--out", "no/such/story.svg"), 3, "no such folder")
    (mapped / "adir.svg").mkdir()
    assert_refused(run_cli("-C", mapped, "map", "--out", "adir.svg"), 3, "not a regular file")
