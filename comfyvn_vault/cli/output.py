"""How the CLI speaks: one JSON document on stdout with --json, messages on stderr.

Every human-output convention lives here, in one place: plurals (:func:`plural`),
the length ids are shortened to (:func:`short`) and colour (:func:`paint`, only on a
terminal and never with ``NO_COLOR``). The pager is :mod:`comfyvn_vault.cli.pager`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO, Any, Final

#: How many hex digits of an id human output shows (``--json`` always has the full id).
ID_LEN: Final = 12


def emit_json(doc: object) -> None:
    """Print a verb's result (or any msgspec-encodable value) as one line of JSON on stdout."""
    # Imported here: ``comfyvn --help`` should not pay for msgspec.
    from comfyvn_vault.api.documents import encode_json

    sys.stdout.buffer.write(encode_json(doc) + b"\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """A human message: stderr, so stdout stays clean for data."""
    print(message, file=sys.stderr)


def out(message: str) -> None:
    print(message)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


# ----------------------------------------------------------------- words and ids


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 event``, ``2 events``, ``0 entities``: the count and the word in the form it takes."""
    if n == 1:
        return f"{n} {word}"
    if many is None:
        many = word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
    return f"{n} {many}"


def short(oid: Any) -> str:
    """An id as human output shows it: ``ID_LEN`` hex digits; ``kind-<hex>`` keeps its kind.

    Takes an :class:`~comfyvn_vault.api.ObjectId`, a hex string, or None
    (shown as ``-``).
    """
    if oid is None:
        return "-"
    text = oid if isinstance(oid, str) else oid.hex()
    head, sep, tail = text.rpartition("-")
    if sep and tail and all(c in "0123456789abcdef" for c in tail):
        return f"{head}-{tail[:ID_LEN]}"
    return text[:ID_LEN]


def quote(value: Any) -> str:
    """A field value in diff-like output, quoted one way: JSON (strings in double quotes, null, true)."""
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


# ----------------------------------------------------------------- colour

_STYLES: Final = {
    "id": "33",  # yellow, as git shows commit ids
    "branch": "1;32",
    "remote": "1;31",
    "added": "32",
    "removed": "31",
    "changed": "33",
    "graph": "36",
    "error": "1;31",
    "dim": "2",
}
_colour: dict[int, bool] = {}


def colour_enabled(stream: IO[str] | None = None) -> bool:
    """Colour for ``stream`` (stdout by default): on a terminal, unless ``NO_COLOR`` is set or TERM is dumb."""
    stream = sys.stdout if stream is None else stream
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    if fd not in _colour:
        _colour[fd] = not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb" and os.isatty(fd)
    return _colour[fd]


def paint(text: str, style: str, stream: IO[str] | None = None) -> str:
    """``text`` in ``style`` (a key of the style table) when ``stream`` gets colour, else as it is."""
    if not text or not colour_enabled(stream):
        return text
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m"


def show_sides(c: object) -> None:
    """Print a conflict's ours, theirs and base (as ``status`` and ``merge`` list them)."""
    import json

    import msgspec

    data = c if isinstance(c, Mapping) else msgspec.to_builtins(c)
    for side in ("ours", "theirs", "base"):
        shown = "(absent)" if side in data.get("absent", ()) else json.dumps(data.get(side), ensure_ascii=False)
        out(f"              {side + ':':<7} {shown if len(shown) <= 200 else shown[:199] + '…'}")
