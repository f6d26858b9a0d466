"""Debounce: when a burst of file events has settled into one change to record.

Editors save in several steps (write a temp file, rename it over, touch a
backup, fix permissions) and scripts write many files at once. Recording each
step would make dozens of commits of half-saved states; instead the paths are
gathered until nothing has happened for ``quiet`` seconds, and then recorded
together. ``longest`` caps the wait when writes never stop (a generator
writing for minutes still gets committed as it goes).

Pure: times are passed in, so the rule is tested without a clock.
"""

from __future__ import annotations

from collections.abc import Iterable


class Settler:
    """Gathers changed paths and says when they have settled."""

    def __init__(self, quiet: float = 0.3, longest: float = 10.0) -> None:
        if quiet <= 0 or longest < quiet:
            raise ValueError("need 0 < quiet <= longest")
        self.quiet, self.longest = quiet, longest
        self._paths: dict[str, None] = {}  # insertion-ordered set
        self._first: float | None = None
        self._last: float | None = None

    def note(self, paths: Iterable[str], now: float) -> None:
        """Record that ``paths`` changed at ``now``; an empty iterable changes nothing."""
        added = False
        for p in paths:
            self._paths[p] = None
            added = True
        if added:
            self._last = now
            if self._first is None:
                self._first = now

    @property
    def pending(self) -> bool:
        return bool(self._paths)

    def wait(self, now: float) -> float | None:
        """Seconds until the gathered paths settle (0: now); None when nothing is gathered."""
        if self._first is None or self._last is None:
            return None
        return max(0.0, min(self._last + self.quiet, self._first + self.longest) - now)

    def due(self, now: float) -> bool:
        left = self.wait(now)
        return left is not None and left <= 0

    def take(self) -> list[str]:
        """The settled paths (in the order first seen); the settler starts empty again."""
        out = list(self._paths)
        self._paths.clear()
        self._first = self._last = None
        return out
