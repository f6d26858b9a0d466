"""Helpers for the in-process API tests."""

from __future__ import annotations

from comfyvn_vault.api import Vault
from comfyvn_vault.api.documents import entity_file_text
from comfyvn_vault.domain.entities import Character, Scene


def write(vault: Vault, *docs: Scene | Character) -> None:
    """Put entities in the working copy as their files (as a writer with an editor would)."""
    for doc in docs:
        folder = "scenes" if isinstance(doc, Scene) else "characters"
        path = vault.root / folder / f"{doc.id}.toml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(entity_file_text(doc))
