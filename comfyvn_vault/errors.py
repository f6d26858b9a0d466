"""Errors a user can meet, each with the exit code the CLI reports for it.

One module owns the mapping so the CLI, the TUI and scripts agree on what a
failure means (see ``docs/cli.md``): 1 problems found (story checks), 2 usage,
3 input rejected and nothing changed, 4 concurrent work (retry), 5 a remote or
external tool failed.
"""

from __future__ import annotations

from collections.abc import Sequence


class VaultError(Exception):
    """Base class: a failure with a one-line message and an exit code."""

    exit_code: int = 3

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(VaultError):
    """The command was called with arguments that make no sense."""

    exit_code = 2


class NotAVault(UsageError):
    """No ``.comfyvn/`` was found at or above the given folder."""


class InputRejected(VaultError):
    """The input (a file, an id, an archive, a remote's data) was refused; nothing changed."""

    exit_code = 3


class ObjectNotFound(InputRejected):
    """No object has the given id (or no id starts with the given prefix)."""


class AmbiguousId(InputRejected):
    """An abbreviated id matches more than one object."""


class CorruptObject(InputRejected):
    """Stored bytes do not hash to the id they are stored under."""


#: How every :class:`IndexDamaged` message ends.
REINDEX = "run 'comfyvn reindex' to rebuild it from the packs"


class IndexDamaged(InputRejected):
    """The LMDB index is missing or damaged; ``comfyvn reindex`` rebuilds it from the packs."""

    @classmethod
    def of(cls, detail: str) -> IndexDamaged:
        """The error for damage described by ``detail``."""
        return cls(f"the index is damaged ({detail}): {REINDEX}")


class StorageFull(InputRejected):
    """The disk or quota ran out; the partial write was rolled back."""


class ConcurrentWork(VaultError):
    """Another process holds the lock or moved a ref first; retrying may succeed."""

    exit_code = 4


class LockHeld(ConcurrentWork):
    """The vault's writer lock stayed held for longer than the wait allowed."""


class RefMoved(ConcurrentWork):
    """A compare-and-swap ref update found a value other than the expected one."""


class RemoteFailed(VaultError):
    """A remote or an external tool failed."""

    exit_code = 5


class StoryHasErrors(VaultError):
    """The story checks found errors, so the verb (an export) did not run; ``findings`` lists what they found."""

    exit_code = 1

    def __init__(self, message: str, findings: Sequence[object]) -> None:
        super().__init__(message)
        self.findings = list(findings)
