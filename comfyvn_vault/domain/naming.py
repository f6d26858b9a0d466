"""Ids for new things: readable ids from titles and names, and ids not yet taken.

Story verbs and importers both name what they create from what a person wrote
(``"The Lighthouse!"`` becomes ``the-lighthouse``), and both need an id no other
entity of the folder has. These are those rules, in one place.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container
from typing import Final

from comfyvn_vault.domain.paths import is_reserved_name

_NOT_ID: Final = re.compile(r"[^A-Za-z0-9_.-]+")
SLUG_MAX: Final = 48
"""A slug's length: short enough that ``-2``, ``-3``… suffixes still make a valid id."""


def slug(text: str, fallback: str) -> str:
    """A readable id from a title: ``"The Lighthouse!"`` → ``the-lighthouse``.

    ``fallback`` is used when nothing of ``text`` is left, and appended when the
    slug is a name some system reserves for a device (``con`` → ``con-scene``).
    """
    s = _NOT_ID.sub("-", text.strip().lower()).strip("-.")[:SLUG_MAX]
    return f"{s}-{fallback}" if is_reserved_name(s) else s or fallback


def fresh_id(taken: Container[str], base: str) -> str:
    """``base``, or ``base-2``, ``base-3``… the first one ``taken`` does not hold."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def next_numbered(taken: Collection[str], prefix: str) -> str:
    """``prefix`` and a free number, counting on from how many are taken: nodes ``n1``, ``n2``…, choices ``c1``…"""
    n = len(taken) + 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"
