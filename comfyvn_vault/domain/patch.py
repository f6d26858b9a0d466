"""The "changed fields + before" mechanism behind every ``*Edited`` event.

An edit event carries only the fields it changes (every other field is
``msgspec.UNSET``) plus a ``before`` struct of the same shape holding the values
those fields had. So an event can be read alone (blame shows old and new, undo
and diff need no lookup), and applying it checks that ``before`` still matches:
an edit made against an older version is rejected as stale instead of silently
overwriting someone else's change.

One set of functions serves nodes, choices, characters, timelines and the scene's
own fields: :func:`edit_parts` reads an edit, :func:`edit` applies one, and
:func:`fields_diff` computes one from two versions.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final, TypeVar

import msgspec

from comfyvn_vault.domain.errors import Rejected

S = TypeVar("S", bound=msgspec.Struct)

_encoder: Final = msgspec.msgpack.Encoder(order="deterministic")
_SCALARS: Final = (str, int, bool, type(None))


def same(a: object, b: object) -> bool:
    """Equal as stored: equal canonical bytes.

    Stricter than ``==``, which calls ``True == 1`` and ``{"k": 1} == {"k": True}``
    equal although they encode (and so hash) differently.
    """
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, _SCALARS):
        return a == b
    return a == b and _encoder.encode(a) == _encoder.encode(b)


def show(value: object, limit: int = 60) -> str:
    """A short one-line rendering of a value for a rejection message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def edit_parts(event: msgspec.Struct, fields: type[msgspec.Struct]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an edit event sets, and what its ``before`` says those fields were: ``(changes, before)``.

    One C-level conversion of the event, which leaves out fields still ``UNSET``
    (as the codec does), then drops the event's own fields (ids, cause, tag).
    The changed-fields structs hold plain data only (strings, numbers, lists
    and maps of them), which the conversion keeps as it is.
    """
    data: dict[str, Any] = msgspec.to_builtins(event)
    before: dict[str, Any] = data.pop("before")
    for key in _not_fields(type(event), fields):
        data.pop(key, None)
    return data, before


@functools.cache
def _not_fields(kind: type[msgspec.Struct], fields: type[msgspec.Struct]) -> tuple[str, ...]:
    """Keys of ``kind``'s plain form that are not fields of ``fields``: its tag and its other fields."""
    tag = kind.__struct_config__.tag_field
    extra = set(kind.__struct_fields__) - set(fields.__struct_fields__) - {"before"}
    return tuple(sorted(extra | ({tag} if tag else set())))


def fields_diff(old: msgspec.Struct, new: msgspec.Struct, fields: type[msgspec.Struct]) -> tuple[dict[str, Any], Any]:
    """The edit that turns ``old`` into ``new`` on the fields of ``fields``: ``(changes, before)``.

    ``changes`` maps each differing field to its new value; ``before`` is a
    ``fields`` struct holding the old values of the same fields. ``changes`` is
    empty when the two agree on every field.
    """
    changes: dict[str, Any] = {}
    before: dict[str, Any] = {}
    for name in fields.__struct_fields__:
        was, now = getattr(old, name), getattr(new, name)
        if not same(was, now):
            changes[name] = now
            before[name] = was
    return changes, fields(**before)


def edit(target: S, changes: Mapping[str, Any], before: Mapping[str, Any], what: str) -> S:
    """``target`` with ``changes`` applied, after checking the edit against ``before``.

    Rejects an edit that changes nothing, one whose ``before`` names other fields
    than it changes, one whose ``before`` no longer matches ``target`` (stale),
    and one that sets a field to the value it already has.
    """
    if not changes:
        raise Rejected(f"the edit of {what} changes nothing")
    if changes.keys() != before.keys():
        raise Rejected(
            f"the edit of {what} sets {', '.join(sorted(changes))} but its before names {', '.join(sorted(before))}"
        )
    for name, value in changes.items():
        current = getattr(target, name)
        if not same(before[name], current):
            raise Rejected(
                f"stale edit of {what}: {name} is {show(current)}, not {show(before[name])} as the edit expects"
            )
        if same(value, current):
            raise Rejected(f"the edit of {what} sets {name} to {show(value)}, which it already is")
    return msgspec.structs.replace(target, **changes)


def check_before(current: object, before: object, what: str) -> None:
    """Reject a removal whose ``before`` is not the current value (it was made against an older version)."""
    if not same(current, before):
        raise Rejected(f"stale removal of {what}: it changed since the event was made")
