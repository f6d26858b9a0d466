"""The vault's sync settings in ``.comfyvn/config.toml``: remotes and the serve tokens.

::

    [remotes.origin]
    url = "http://desktop:8765"
    token_file = "/home/me/.config/comfyvn/desktop.token"   # optional

    [serve]
    token = "…"        # read-write; COMFYVN_SERVE_TOKEN overrides it
    read_token = "…"   # read-only; COMFYVN_SERVE_READ_TOKEN overrides it

The file holds secrets, so it is written 0600, atomically (temp file, fsync,
rename). Tokens are never printed or logged.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any, Final

import msgspec

from comfyvn_vault.errors import InputRejected, UsageError
from comfyvn_vault.settings import Settings
from comfyvn_vault.store.fsutil import fsync_dir, os_error

CONFIG_FILE: Final = "config.toml"
_REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class RemoteConfig(msgspec.Struct, frozen=True):
    name: str
    url: str
    token_file: str | None = None

    def token(self, settings: Settings) -> str | None:
        """The settings' ``token`` (``COMFYVN_TOKEN``), else the remote's token file, else None."""
        if settings.token:
            return settings.token
        if self.token_file:
            try:
                return Path(self.token_file).read_text().strip()
            except OSError as exc:
                raise os_error(exc, f"read the token file of remote {self.name}") from None
        return None


def check_remote_name(name: str) -> str:
    if not _REMOTE_NAME.fullmatch(name) or name.endswith(".lock"):
        raise InputRejected(f"invalid remote name: {name!r} (letters, digits, '.', '_' and '-')")
    return name


def path(meta: Path) -> Path:
    return meta / CONFIG_FILE


def load(meta: Path) -> dict[str, Any]:
    try:
        with open(path(meta), "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise InputRejected(f"{path(meta)}: {exc}") from None


def save(meta: Path, doc: dict[str, Any]) -> None:
    import tomli_w

    target = path(meta)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(tomli_w.dumps(doc).encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        fsync_dir(meta)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_error(exc, "write the vault config") from None


def remotes(meta: Path) -> dict[str, RemoteConfig]:
    found: dict[str, RemoteConfig] = {}
    for name, value in (load(meta).get("remotes") or {}).items():
        if isinstance(value, dict) and isinstance(value.get("url"), str):
            tf = value.get("token_file")
            found[name] = RemoteConfig(name, value["url"], tf if isinstance(tf, str) else None)
    return found


def remote(meta: Path, name: str) -> RemoteConfig:
    found = remotes(meta).get(name)
    if found is None:
        raise UsageError(f"no remote {name!r} (see `comfyvn remote list`; add one with `comfyvn remote add`)")
    return found


def add_remote(meta: Path, name: str, url: str, token_file: str | None = None) -> RemoteConfig:
    check_remote_name(name)
    if not url.strip() or any(ord(c) < 0x20 for c in url):
        raise InputRejected(f"invalid remote url: {url!r}")
    doc = load(meta)
    table = doc.setdefault("remotes", {})
    if name in table:
        raise InputRejected(f"remote {name} already exists")
    entry: dict[str, str] = {"url": url}
    if token_file:
        entry["token_file"] = str(Path(token_file).resolve())
    table[name] = entry
    save(meta, doc)
    return RemoteConfig(name, url, entry.get("token_file"))


def remove_remote(meta: Path, name: str) -> None:
    doc = load(meta)
    table = doc.get("remotes") or {}
    if name not in table:
        raise InputRejected(f"no remote {name!r}")
    del table[name]
    save(meta, doc)


def serve_tokens(meta: Path, settings: Settings) -> tuple[str, str, bool]:
    """(read-write token, read-only token, generated now?).

    The settings (``COMFYVN_SERVE_TOKEN``, ``COMFYVN_SERVE_READ_TOKEN``) win;
    otherwise the tokens kept in the config, generated once on first use.
    """
    env_rw = settings.serve_token or ""
    env_ro = settings.serve_read_token or ""
    doc = load(meta)
    table = doc.setdefault("serve", {})
    generated = False
    if not env_rw and not isinstance(table.get("token"), str):
        table["token"] = secrets.token_urlsafe(32)
        generated = True
    if not env_ro and not isinstance(table.get("read_token"), str):
        table["read_token"] = secrets.token_urlsafe(32)
        generated = True
    if generated:
        save(meta, doc)
    return env_rw or table["token"], env_ro or table["read_token"], generated
