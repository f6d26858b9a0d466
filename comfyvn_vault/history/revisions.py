"""Revisions: the text a user names a commit with, as in git (``HEAD``, ``main~2^2``, ``origin/main``, ``3fa9``).

A revision is a base then any number of ``~N`` and ``^N`` steps.
:func:`parse_rev` splits the text; :meth:`Revisions.resolve_rev` walks the
steps from the base's commit. Anything that names no commit raises
:class:`RevisionError` (exit 3) with one line naming what went wrong.
"""

from __future__ import annotations

import re
from typing import Final

from comfyvn_vault.domain.suggest import did_you_mean
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.history.oplog import OperationLog
from comfyvn_vault.history.refs import check_branch_name
from comfyvn_vault.store.ids import ObjectId, is_hex_prefix


class RevisionError(ObjectNotFound):
    """A revision that names no commit; ``base_found`` when its base did and a ``~``/``^`` step failed."""

    def __init__(self, message: str, base_found: bool) -> None:
        super().__init__(message)
        self.base_found = base_found


_REV_STEP: Final = re.compile(r"([~^])([0-9]*)")


def parse_rev(text: str) -> tuple[str, list[tuple[str, int]]]:
    """Split a revision into its base and its ``~N``/``^N`` steps; :class:`RevisionError` if malformed."""
    if not text.strip():
        raise RevisionError("empty revision", False)
    cut = min((i for i in (text.find("~"), text.find("^")) if i >= 0), default=len(text))
    base, rest = text[:cut], text[cut:]
    steps: list[tuple[str, int]] = []
    at = 0
    while at < len(rest):
        m = _REV_STEP.match(rest, at)
        if m is None:
            raise RevisionError(f"bad revision {text[:80]!r}: ~ and ^ take a number", False)
        digits = m.group(2)
        if len(digits) > 9:
            raise RevisionError(f"bad revision {text[:80]!r}: {digits[:12]}… steps is more than any history", False)
        steps.append((m.group(1), int(digits) if digits else 1))
        at = m.end()
    return base, steps


def _branchy(text: str) -> bool:
    try:
        check_branch_name(text)
        return True
    except InputRejected:
        return False


class Revisions(OperationLog):
    """Resolving revisions against the branches, remote-tracking refs and objects of one store."""

    def resolve_rev(self, text: str) -> ObjectId:
        """A revision to a commit id: ``BASE`` then any number of ``~N`` and ``^N``.

        ``BASE`` is ``HEAD`` (or ``@``, or nothing), a branch, a remote-tracking
        ref (``origin/main``) or a commit id prefix. ``~N`` goes N first parents
        back (``~`` alone: one), ``^N`` takes the N-th parent (``^`` alone: the
        first; ``^0``: the commit itself), as in git: ``main~2^2~1``. Raises
        :class:`RevisionError` (exit 3) with one line naming what went wrong.
        """
        base, steps = parse_rev(text)
        oid = self._rev_base(base, text)
        walked = 0
        for op, n in steps:
            if op == "^" and n != 1:  # ^1 is ~1: the first parent
                if n == 0:
                    continue
                parents = self.commit(oid).parents
                if n > len(parents):
                    have = f"{len(parents)} parent{'s' if len(parents) != 1 else ''}"
                    raise RevisionError(f"{text[:80]!r}: commit {oid.short()} has {have}, not a parent {n}", True)
                oid = parents[n - 1]
                walked += 1
                continue
            for _ in range(n):
                parents = self.commit(oid).parents
                if not parents:
                    raise RevisionError(
                        f"{text[:80]!r}: history is not that long ({walked} step{'s' if walked != 1 else ''} "
                        f"back reach the first commit {oid.short()})",
                        True,
                    )
                oid = parents[0]
                walked += 1
        return oid

    def _rev_base(self, base: str, text: str) -> ObjectId:
        if base in ("HEAD", "@", ""):
            oid = self.head()
            if oid is None:
                raise RevisionError("HEAD has no commits yet", True)
            return oid
        if _branchy(base) and (tip := self.branch_tip(base)) is not None:
            return tip
        remote = self.view().remotes.get(base)
        if remote is not None:
            return remote  # a remote-tracking ref, e.g. origin/main (after local branches)
        if is_hex_prefix(base):
            try:
                found: ObjectId = self.store.resolve(base)
            except ObjectNotFound:
                raise RevisionError(f"no branch or commit {base!r}", False) from None
            self.commit(found)  # must be a commit
            return found
        names = [*self.branches(), *self.view().remotes, "HEAD"]
        raise RevisionError(f"no branch or commit {base[:80]!r}{did_you_mean(base, names)}", False)


__all__ = ["RevisionError", "Revisions", "parse_rev"]
