"""``merge_text``: three-way merge of one line of dialogue, word by word.

Two writers who touch different words of the same line should both keep their
edit: base ``"The lamp is dark tonight"``, ours ``"The old lamp is dark
tonight"`` and theirs ``"The lamp is dark this night"`` merge to ``"The old lamp
is dark this night"``. Edits that touch the same words, insert at the same spot,
or touch neighbouring words with nothing unchanged between them (dropping a word
drops the space beside its neighbour) are a conflict, as lines are in diff3 and
git; it is reported as ``None`` so the caller records it instead of guessing.

The text is cut into tokens (runs of word characters, runs of whitespace, runs of
other characters) and merged with diff3 (Khanna, Kunal and Pierce, "A formal
investigation of diff3", 2007): the regions where base, ours and theirs all agree
split the line into chunks, and each chunk between them is taken from whichever
side changed it. Because whitespace is its own token, an unchanged space between
two edited words keeps the edits apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Final

_TOKEN: Final = re.compile(r"\w+|\s+|[^\w\s]+")


def tokens(text: str) -> list[str]:
    """``text`` as words, whitespace runs and punctuation runs; ``"".join(tokens(t)) == t``."""
    return _TOKEN.findall(text)


def _matches(base: Sequence[str], side: Sequence[str]) -> dict[int, int]:
    """For each base token kept on ``side``, its index there (a longest-matching-blocks alignment)."""
    out: dict[int, int] = {}
    for block in SequenceMatcher(None, base, side, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            out[block.a + k] = block.b + k
    return out


def _pick(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> Sequence[str] | None:
    """One unstable chunk: the side that changed it, either if both made the same change, else ``None``."""
    if ours in (base, theirs):
        return theirs
    if theirs == base:
        return ours
    return None


def merge_tokens(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[str] | None:
    """diff3 over token lists: the merged tokens, or ``None`` when both sides changed the same chunk."""
    to_ours, to_theirs = _matches(base, ours), _matches(base, theirs)
    out: list[str] = []
    o = a = b = 0  # next unmerged index in base, ours, theirs
    while True:
        # the stable run: base tokens matched, in step, on both sides
        i = 0
        while o + i < len(base) and to_ours.get(o + i) == a + i and to_theirs.get(o + i) == b + i:
            i += 1
        if i:
            out.extend(base[o : o + i])
            o, a, b = o + i, a + i, b + i
            continue
        # an unstable chunk: up to the next base token that both sides kept
        j = next((k for k in range(o, len(base)) if k in to_ours and k in to_theirs), None)
        a_end = len(ours) if j is None else to_ours[j]
        b_end = len(theirs) if j is None else to_theirs[j]
        chunk = _pick(base[o : len(base) if j is None else j], ours[a:a_end], theirs[b:b_end])
        if chunk is None:
            return None
        out.extend(chunk)
        if j is None:
            return out
        o, a, b = j, a_end, b_end


def merge_text(base: str, ours: str, theirs: str) -> str | None:
    """Three-way merge of a text at word level; ``None`` when the two sides' edits overlap.

    If only one side changed the text, that side's text is the result; if both
    made the same change, that change is. Otherwise edits to different words
    both survive and edits to the same words (or insertions at the same spot)
    give ``None``.
    """
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    merged = merge_tokens(tokens(base), tokens(ours), tokens(theirs))
    return None if merged is None else "".join(merged)
