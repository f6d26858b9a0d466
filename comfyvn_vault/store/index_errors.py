"""What an LMDB failure means to a user: one line, and which error (full, busy, damaged)."""

from __future__ import annotations

from typing import Final

import lmdb

from comfyvn_vault.errors import ConcurrentWork, IndexDamaged, InputRejected, StorageFull, VaultError

#: LMDB errors that mean the files are not what LMDB wrote.
_DAMAGE: Final = (
    lmdb.CorruptedError,
    lmdb.PageNotFoundError,
    lmdb.InvalidError,
    lmdb.VersionMismatchError,
    lmdb.IncompatibleError,
    lmdb.PanicError,
    lmdb.BadRslotError,
    lmdb.BadTxnError,
    lmdb.BadDbiError,
)


def index_error(exc: lmdb.Error) -> VaultError:
    """The one-line error a user sees for an LMDB failure."""
    if isinstance(exc, lmdb.MapFullError):
        return StorageFull("the index is full (raise COMFYVN_MAP_SIZE, in bytes); nothing was changed")
    if isinstance(exc, lmdb.ReadersFullError):
        return ConcurrentWork("too many processes are reading this vault; retry")
    if isinstance(exc, lmdb.BadValsizeError):
        return InputRejected("a name or key is too long for the index (at most 511 bytes); nothing was changed")
    if isinstance(exc, _DAMAGE):
        return IndexDamaged.of(str(exc))
    return InputRejected(f"cannot use the vault index: {exc}")


__all__ = ["index_error"]
