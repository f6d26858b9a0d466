"""What run_all hands every benchmark: sizes, the scratch folder, tool environments, DVC."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benches.common import Sizes
from benches.peers import Dvc, ToolEnv


@dataclass
class Context:
    sizes: Sizes
    quick: bool
    scratch: Path
    dvc: Dvc
    #: Results one benchmark leaves for another (fsck reuses the ingest vaults).
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def env(self) -> ToolEnv:
        return ToolEnv(self.scratch)

    def folder(self, *parts: str) -> Path:
        path = self.scratch.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path
