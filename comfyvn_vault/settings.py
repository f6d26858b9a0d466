"""What the environment tunes, read once into one object that is passed in.

A :class:`~comfyvn_vault.vault.Vault` takes its :class:`Settings` when it is
opened (``Vault.open(path, settings=...)``; by default :meth:`Settings.from_env`)
and hands the parts on: the clock and the author to history, the timeouts and
the index size to the store, the hook timeout to the hooks, the tokens and the
push limit to sync. Nothing reads the environment at import time, so a test or
an embedding program sets what it wants in one place::

    Settings(time_ms=1_700_000_000_000, hook_timeout=5)

=============================  ===========================================  ==========
variable                       what it sets                                 default
=============================  ===========================================  ==========
``COMFYVN_TIME_MS``            the time every write records (reproducible   the clock
                               objects for tests and demos), ms since 1970
``COMFYVN_AUTHOR``             the author of writes (before the vault's     config
                               ``[user]`` and git's ``user.name``)
``COMFYVN_LOCK_TIMEOUT``       seconds a writer waits for the vault lock    30
``COMFYVN_MAP_SIZE``           the largest the index may grow, in bytes     64 GiB
``COMFYVN_HOOK_TIMEOUT``       seconds a hook may run                       30
``COMFYVN_TOKEN``              the token sent to remotes                    token file
``COMFYVN_SERVE_TOKEN``        ``serve``'s read-write token                 config
``COMFYVN_SERVE_READ_TOKEN``   ``serve``'s read-only token                  config
``COMFYVN_SERVE_MAX_PUSH``     the most bytes one push may send to          64 GiB
                               ``serve``
``COMFYVN_HOOK``               set by comfyvn for a hook it runs: writes    unset
                               the hook makes say so in their cause
=============================  ===========================================  ==========

A value that is not what its variable takes is a usage error naming it.
The vault's own ``.comfyvn/config.toml`` (``[user]``, remotes, serve tokens) is
read where it is used, on the first write or sync, so a read-only verb never
parses it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from typing import Final

import msgspec

from comfyvn_vault.errors import UsageError

GIB: Final = 1 << 30


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the environment tunes (see the module's table); build with :meth:`from_env`."""

    time_ms: int | None = None
    author: str | None = None
    lock_timeout: float = 30.0
    map_size: int = 64 * GIB
    hook_timeout: float = 30.0
    token: str | None = None
    serve_token: str | None = None
    serve_read_token: str | None = None
    serve_max_push: int = 64 * GIB
    running_hook: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings ``env`` (default: this process's environment) names; defaults for the rest."""
        env = os.environ if env is None else env
        return cls(
            time_ms=_whole(env, "COMFYVN_TIME_MS", None, 0, "a time in milliseconds since 1970 (0 or more)"),
            author=_text(env, "COMFYVN_AUTHOR"),
            lock_timeout=_number(env, "COMFYVN_LOCK_TIMEOUT", 30.0, 0, "a number of seconds (0 or more)"),
            map_size=_count(env, "COMFYVN_MAP_SIZE", 64 * GIB, 1 << 20, "a number of bytes (at least 1048576)"),
            hook_timeout=_number(
                env, "COMFYVN_HOOK_TIMEOUT", 30.0, 0, "a number of seconds (more than 0)", strict=True
            ),
            token=_text(env, "COMFYVN_TOKEN"),
            serve_token=_text(env, "COMFYVN_SERVE_TOKEN"),
            serve_read_token=_text(env, "COMFYVN_SERVE_READ_TOKEN"),
            serve_max_push=_count(env, "COMFYVN_SERVE_MAX_PUSH", 64 * GIB, 0, "a number of bytes"),
            running_hook=_text(env, "COMFYVN_HOOK"),
        )

    def now_ms(self) -> int:
        """The time a write records: ``time_ms`` when fixed, else the clock."""
        return self.time_ms if self.time_ms is not None else int(time.time() * 1000)

    def but(self, **changes: object) -> Settings:
        """These settings with ``changes`` (``settings.but(hook_timeout=5)``)."""
        return msgspec.structs.replace(self, **changes)


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _number(env: Mapping[str, str], name: str, default: float, least: float, what: str, strict: bool = False) -> float:
    raw = env.get(name, "")
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < least or (strict and value == least):
        raise UsageError(f"{name} must be {what}, not {raw!r}")
    return value


def _whole(env: Mapping[str, str], name: str, default: int | None, least: int, what: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < least:
        raise UsageError(f"{name} must be {what}, not {raw!r}")
    return int(raw)


def _count(env: Mapping[str, str], name: str, default: int, least: int, what: str) -> int:
    value = _whole(env, name, default, least, what)
    return default if value is None else value


__all__ = ["Settings"]
