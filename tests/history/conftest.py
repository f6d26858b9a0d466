"""The merge tests' story for the CLI: main and alt forked after a two-line scene, built in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from comfyvn_vault.vault import Vault
from tests.conftest import cli_ok, fork_story


@pytest.fixture
def forked(vault_dir: Path) -> Path:
    """main and alt, forked after a two-line scene (a closed vault, for the CLI to work on)."""
    with Vault.open(vault_dir) as vault:
        fork_story(vault)
    return vault_dir


def scene(root: Path) -> dict[str, Any]:
    """``comfyvn scene show intro --json``."""
    doc: dict[str, Any] = cli_ok(root, "scene", "show", "intro", "--json").json()
    return doc
