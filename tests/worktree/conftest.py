"""The working-copy tests' story: two scenes, each edit a commit."""

from __future__ import annotations

from pathlib import Path

from comfyvn_vault.api import edit
from comfyvn_vault.vault import Vault


def two_scenes(root: Path) -> Vault:
    """A new vault at ``root`` holding scenes intro (n1 "First line.") and other (o1 "Elsewhere."); open."""
    v, _ = Vault.init(root)
    edit.scene_new(v, "Intro", scene_id="intro")
    edit.node_add(v, "intro", content="First line.", node_id="n1")
    edit.scene_new(v, "Other", scene_id="other")
    edit.node_add(v, "other", content="Elsewhere.", node_id="o1")
    return v
