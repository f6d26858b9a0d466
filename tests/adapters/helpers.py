"""Small helpers the adapter tests share: an in-memory story to plan against and to export from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from comfyvn_vault.adapters import Plan, StoryView
from comfyvn_vault.domain.apply import apply_all
from comfyvn_vault.domain.document import Document


def story(docs: Mapping[str, Document | None] | None = None) -> StoryView:
    """A read-only view of ``docs`` (path → document; ``None`` entries are deletions)."""
    held = {p: d for p, d in (docs or {}).items() if d is not None}

    def listing(folder: str) -> Iterable[str]:
        return [p for p in held if p.startswith(folder + "/")]

    return StoryView(held.get, listing)


def applied(plan: Plan, docs: Mapping[str, Document | None] | None = None) -> dict[str, Document | None]:
    """``docs`` after the plan's events, applied with the domain's own ``apply_all``."""
    base = dict(docs or {})
    view = story(base)
    changes = apply_all(view.lookup, plan.events, listing=view.listing)
    return {**base, **changes}
