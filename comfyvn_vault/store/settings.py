"""What the environment tunes in the disk store: how long a writer waits for the
lock (``COMFYVN_LOCK_TIMEOUT``) and how large the index may grow (``COMFYVN_MAP_SIZE``)."""

from __future__ import annotations

import math
import os

from comfyvn_vault.errors import UsageError


def _env_number(name: str, default: float, least: float, what: str) -> float:
    """A number from the environment, or a usage error naming the variable."""
    raw = os.environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < least:
        raise UsageError(f"{name} must be {what}, not {raw!r}")
    return value


def lock_timeout_from_env() -> float:
    """How long a writer waits for the lock: ``COMFYVN_LOCK_TIMEOUT`` seconds (default 30)."""
    return _env_number("COMFYVN_LOCK_TIMEOUT", 30, 0, "a number of seconds (0 or more)")


def map_size_from_env() -> int:
    """The largest the index may grow: ``COMFYVN_MAP_SIZE`` bytes (default 64 GiB)."""
    return int(_env_number("COMFYVN_MAP_SIZE", 1 << 36, 1 << 20, "a number of bytes (at least 1048576)"))
