"""Reading who the author is from the configs: the vault's ``[user]``, git's ``user.*``, the login.

Imported on a vault's first write (:class:`~comfyvn_vault.history.author.Author`),
not when it opens: this is where ``tomllib``, ``subprocess`` and ``getpass`` come in.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

from comfyvn_vault.errors import InputRejected

#: The vault's settings file (the same one ``comfyvn_vault.sync.config`` keeps remotes in).
CONFIG_FILE = "config.toml"


def configured_author(meta: Path | None) -> str | None:
    """The author the vault config or git's config names, or None."""
    if meta is not None:
        found = _join(*_vault_user(meta))
        if found:
            return found
    return _join(*_git_user(meta.parent if meta is not None else None))


def _join(name: str | None, email: str | None) -> str | None:
    name, email = clean(name), clean(email)
    if name and email:
        return f"{name} <{email}>"
    return name or email or None


def clean(value: object) -> str | None:
    """One line of printable text, or None."""
    if not isinstance(value, str):
        return None
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()
    return text[:200] or None


def _vault_user(meta: Path) -> tuple[str | None, str | None]:
    path = meta / CONFIG_FILE
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        return None, None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputRejected(f"{path}: {exc}") from None
    user = doc.get("user")
    if not isinstance(user, dict):
        return None, None
    return user.get("name"), user.get("email")


def _git_user(cwd: Path | None) -> tuple[str | None, str | None]:
    git = shutil.which("git")
    if git is not None:
        try:
            proc = subprocess.run(
                [git, "config", "--get-regexp", r"^user\.(name|email)$"],
                cwd=cwd if cwd is not None and cwd.is_dir() else None,
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            proc = None
        if proc is not None and proc.returncode in (0, 1):  # 1: no such keys
            values: dict[str, str] = {}
            for line in proc.stdout.splitlines():
                key, _, value = line.partition(" ")
                values[key.lower()] = value  # later lines (more local files) win, as git's own lookup does
            return values.get("user.name"), values.get("user.email")
    return _gitconfig_files_user()


def _gitconfig_files_user() -> tuple[str | None, str | None]:
    """``user.name`` / ``user.email`` from the global git config files, without git."""
    home = Path(os.environ.get("HOME") or Path.home())
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    values: dict[str, str] = {}
    for path in (xdg / "git" / "config", home / ".gitconfig"):  # git reads both; ~/.gitconfig wins
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        values.update(parse_gitconfig_user(text))
    return values.get("name"), values.get("email")


_SECTION = re.compile(r'\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]\s*(.*)$')
_ENTRY = re.compile(r"\s*([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$")


def parse_gitconfig_user(text: str) -> dict[str, str]:
    """The ``[user]`` section's ``name`` and ``email`` in git-config syntax (later values win)."""
    found: dict[str, str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw
        m = _SECTION.match(line)
        if m:
            section, line = m.group(1).lower(), m.group(2)
            if not line.strip():
                continue
        if section != "user":
            continue
        e = _ENTRY.match(line)
        if e is None:
            continue
        key = e.group(1).lower()
        if key in ("name", "email") and e.group(2) is not None:
            found[key] = _gitconfig_value(e.group(2))
    return found


def _gitconfig_value(text: str) -> str:
    """A git-config value: quotes removed, ``\\"`` ``\\\\`` escapes undone, a ``#``/``;`` comment cut."""
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "t": "\t"}.get(text[i + 1], text[i + 1]))
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c in "#;" and not quoted:
            break
        else:
            out.append(c)
        i += 1
    return "".join(out).strip()


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (a container)
        return "unknown"
