"""Where "go to" can take you: a scene (optionally one of its nodes), a character or a timeline."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """An entity to show: ``folder`` is ``scenes``, ``characters`` or ``timelines``."""

    folder: str
    id: str
    node: str | None = None

    @property
    def view(self) -> str:
        """The key of the view that shows this kind of entity."""
        return {"scenes": "scenes", "characters": "characters", "timelines": "timeline"}.get(self.folder, "scenes")

    def __str__(self) -> str:
        return f"{self.folder}/{self.id}" + (f"#{self.node}" if self.node else "")
