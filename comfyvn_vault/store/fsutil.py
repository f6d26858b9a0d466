"""Small file-system helpers for durable writes and readable errors."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path

from comfyvn_vault.errors import InputRejected, LockHeld, StorageFull, VaultError

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (renames, new files) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Write a small file atomically: temp file, fsync, rename, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def os_error(exc: OSError, what: str) -> VaultError:
    """Turn an OSError into the one-line error a user should see."""
    if exc.errno in _FULL or "No space left" in str(exc):
        limit = "the file-size limit was reached" if exc.errno == errno.EFBIG else "no space left on the device"
        return StorageFull(f"{limit} (trying to {what}); nothing was changed")
    reason = exc.strerror or str(exc) or exc.__class__.__name__
    name = f" {exc.filename}" if exc.filename else ""
    return InputRejected(f"cannot {what}{name}: {reason}")


class WriterLock:
    """An exclusive flock on ``.comfyvn/lock``, waited for up to a timeout.

    flock is released by the kernel when the process dies, so a SIGKILLed
    writer never leaves the vault locked.
    """

    def __init__(self, path: Path, timeout: float, keep_open: bool = False) -> None:
        self.path = path
        self.timeout = timeout
        self.fd: int | None = None
        #: Keep the file open after release, for the next acquire (a store's own lock).
        self.keep_open = keep_open
        self._open_fd: int | None = None

    def acquire(self) -> None:
        fd = self._open_fd if self._open_fd is not None else os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        self._open_fd = fd if self.keep_open else None
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    if not self.keep_open:
                        os.close(fd)
                    raise LockHeld(
                        f"another comfyvn process is writing to this vault (waited {self.timeout:g}s); retry"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            if not self.keep_open:
                os.close(self.fd)
            self.fd = None

    def close(self) -> None:
        """Release, and close a kept-open file."""
        self.release()
        if self._open_fd is not None:
            os.close(self._open_fd)
            self._open_fd = None
