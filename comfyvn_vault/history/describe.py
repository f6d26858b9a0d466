"""One-line, human descriptions of events, for status, log and blame."""

from __future__ import annotations

from typing import Any

import msgspec

from comfyvn_vault.domain.events import EDIT_FIELDS, Event


def changed_fields(event: Event) -> list[str]:
    """The fields an edit event sets (empty for other events)."""
    fields = EDIT_FIELDS.get(type(event))
    if fields is None:
        return []
    return [f for f in fields.__struct_fields__ if getattr(event, f) is not msgspec.UNSET]


def describe(event: Event) -> str:
    """``NodeEdited scenes/intro#n2 (content, speaker)`` and the like."""
    name = type(event).__name__
    where = event.touched()
    node_level = hasattr(event, "node_id") or hasattr(event, "node")
    target = where[1] if node_level and len(where) > 1 else where[0] if where else ""
    fields = changed_fields(event)
    extra: list[str] = []
    choice: Any = getattr(event, "choice_id", None) or getattr(getattr(event, "choice", None), "id", None)
    if choice:
        extra.append(f"choice {choice}")
    if fields:
        extra.append(", ".join(fields))
    return f"{name} {target}" + (f" ({'; '.join(extra)})" if extra else "")
