"""How text a user typed becomes part of an LMDB key: the one key scheme every projection uses.

LMDB refuses keys longer than :data:`MAX_KEY` bytes (and empty keys), and the
projections' composite keys use ``\\0`` between parts, so a part holding a
``\\0`` could make one name read as another. :func:`key_part` keeps every part
short and ``\\0``-free while keeping lookups exact:

* text of at most :data:`PART_MAX` UTF-8 bytes with no ``\\0`` or ``\\x01`` is
  its own bytes (every name, speaker and word of a real story);
* anything else becomes its first :data:`HEAD_MAX` bytes (cut at a character,
  control bytes ``\\0``/``\\x01`` shown as ``?``), then ``\\x01``, then the hex
  BLAKE3 digest of the whole text.

A hashed part always holds ``\\x01`` and a plain one never does, so the two
never collide; two hashed parts collide only if BLAKE3 does. Lookups call the
same function on what the user typed, so a 2,000-character title is found
again exactly; prefix scans (the last word of a search) use
:func:`prefix_parts`, which finds a hashed word by its readable head.
:func:`readable` gives a part back as text for display. The scheme is
deterministic, so ``reindex`` stays byte-identical; fsck of the projections
recomputes keys through these functions.
"""

from __future__ import annotations

from typing import Final

from comfyvn_vault.store.ids import hash_bytes

#: LMDB's maximum key size (``mdb_env_get_maxkeysize`` of a default build).
MAX_KEY: Final = 511
#: The longest part stored as itself; every composite key stays under :data:`MAX_KEY`
#: with two 64-character ids and a folder beside it.
PART_MAX: Final = 256
#: The readable head kept in front of a hashed part's digest.
HEAD_MAX: Final = 160
MARK: Final = b"\x01"


def key_part(text: str) -> bytes:
    """``text`` as one part of a composite key (see the module doc)."""
    try:
        raw = text.encode()
    except UnicodeEncodeError:  # lone surrogates (undecodable bytes on a command line)
        return _hashed(text.encode("utf-8", "surrogatepass"))
    if len(raw) <= PART_MAX and b"\0" not in raw and MARK not in raw:
        return raw
    return _hashed(raw)


def _head(raw: bytes) -> bytes:
    return raw[:HEAD_MAX].decode(errors="ignore").replace("\0", "?").replace("\x01", "?").encode()


def _hashed(raw: bytes) -> bytes:
    return _head(raw) + MARK + hash_bytes(raw).hex().encode()


def prefix_parts(text: str) -> list[bytes]:
    """Key prefixes that together cover every part of a text starting with ``text`` (``\\0``-free text).

    The first is ``text``'s own part (every plain part it begins). When
    ``text`` is longer than a hashed part's head, hashed parts are found by the
    head they share with it: those may begin differently after the head, so a
    caller that needs exact hits checks them (:func:`inexact`).
    """
    part = key_part(text)
    if MARK in part:
        return [part[: part.index(MARK) + 1]]
    head = _head(part)
    return [part] if head == part else [part, head + MARK]


def inexact(text: str) -> bool:
    """True when :func:`prefix_parts` of ``text`` may match parts that do not begin with it."""
    return len(prefix_parts(text)) > 1 or MARK in prefix_parts(text)[0]


def readable(part: bytes) -> str:
    """A key part as text: itself, or a hashed part's readable head."""
    return part.partition(MARK)[0].decode(errors="replace")


def fits(key: bytes) -> bool:
    """True when LMDB can hold ``key`` (a key never longer than this can match a lookup or prefix)."""
    return 0 < len(key) <= MAX_KEY


__all__ = ["HEAD_MAX", "MARK", "MAX_KEY", "PART_MAX", "fits", "inexact", "key_part", "prefix_parts", "readable"]
