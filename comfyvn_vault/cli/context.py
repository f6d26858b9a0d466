"""What every verb gets: the folder it runs in and a way to open the vault."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from comfyvn_vault.api import Vault


class Context:
    __slots__ = ("cwd",)

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def vault(self) -> Vault:
        from comfyvn_vault.api import Vault

        return Vault.open(self.cwd)
