"""An adapter module the registry tests name by string, to see when it is imported."""

from __future__ import annotations

from comfyvn_vault.adapters.seeded import SeededGenerator

NOT_CALLABLE = 3


def make() -> SeededGenerator:
    return SeededGenerator()
