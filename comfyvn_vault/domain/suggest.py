""" "Did you mean …?" for a mistyped verb, branch, scene or character name (as git does)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to ``word`` (case-insensitive), best first; at most ``n``.

    Close means a few typing slips away (letters swapped, missing, extra or wrong:
    ``mian``, ``intor``, ``stauts``), a similar spelling by :mod:`difflib`'s measure,
    or a prefix of at least three letters.
    """
    by_lower: dict[str, str] = {}
    for c in candidates:
        by_lower.setdefault(c.lower(), c)
    w = word.lower()
    if not w:
        return []
    slips = max(1, len(w) // 4)
    scored: list[tuple[float, str]] = []
    for c in by_lower:
        distance = edit_distance(w, c, slips + 1)
        if distance <= slips:
            scored.append((distance, c))
        elif len(w) >= 3 and c.startswith(w):
            scored.append((slips + 0.5, c))
    near = {c for _, c in scored}
    import difflib  # here: only a mistyped name pays for it

    for rank, c in enumerate(difflib.get_close_matches(w, list(by_lower), n=n, cutoff=0.75)):
        if c not in near:
            scored.append((slips + 1 + rank / 10, c))
    return [by_lower[c] for _, c in sorted(scored)[:n]]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts once), capped at ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) >= limit:
            return limit
        prev2, prev = prev, row
    return min(prev[-1], limit)


def did_you_mean(word: str, candidates: Iterable[str], shown_as: Mapping[str, str] | None = None) -> str:
    """``"; did you mean 'intro'?"`` to end a not-found message, or ``""`` when nothing is close.

    ``shown_as`` maps a candidate spelling to what to suggest instead (an
    entity's name to its id), so an entity is suggested once, as commands take it.
    """
    shown = shown_as or {}
    matches = list(dict.fromkeys(shown.get(m, m) for m in close_matches(word, candidates)))
    if not matches:
        return ""
    if len(matches) == 1:
        return f"; did you mean {matches[0]!r}?"
    return f"; did you mean one of {', '.join(repr(m) for m in matches)}?"
