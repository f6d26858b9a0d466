"""Settings and key remaps read from TOML files.

Looked up in order, later files winning:

1. ``$XDG_CONFIG_HOME/comfyvn/tui.toml`` (default ``~/.config``): ``[keys]`` and ``[settings]``;
2. ``$XDG_CONFIG_HOME/comfyvn/keys.toml``: binding id = keys, at top level or under ``[keys]``;
3. ``<vault>/.comfyvn/tui.toml``: per vault, same shape as (1).

A key value is a string of comma-separated keys (``"ctrl+s,f2"``) or a list
of keys. Binding ids are listed by ``?`` in the TUI (``app.undo``,
``list.down``…). Settings: ``auto_commit`` (bool, default false): commit each
edit at once with its default message instead of asking for a message.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Settings:
    """What the files said, plus any problems found reading them (shown as notifications)."""

    auto_commit: bool = False
    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def config_files(vault_root: Path, env: Mapping[str, str] | None = None) -> list[Path]:
    """The files that may hold settings, lowest precedence first."""
    env = os.environ if env is None else env
    base = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME", "~")).expanduser() / ".config") / "comfyvn"
    return [base / "tui.toml", base / "keys.toml", vault_root / ".comfyvn" / "tui.toml"]


def load_settings(vault_root: Path, env: Mapping[str, str] | None = None) -> Settings:
    settings = Settings()
    for path in config_files(vault_root, env):
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            settings.problems.append(f"{path}: {exc}")
            continue
        settings.files.append(path)
        keys: Any = data.get("keys", {})
        if path.name == "keys.toml":
            keys = {**{k: v for k, v in data.items() if k != "keys"}, **(keys if isinstance(keys, dict) else {})}
        if isinstance(keys, dict):
            for binding_id, value in keys.items():
                parsed = _keys_value(value)
                if parsed is None:
                    settings.problems.append(f"{path}: keys.{binding_id}: expected a string or a list of strings")
                else:
                    settings.keymap[binding_id] = parsed
        options = data.get("settings", {})
        if isinstance(options, dict) and "auto_commit" in options:
            if isinstance(options["auto_commit"], bool):
                settings.auto_commit = options["auto_commit"]
            else:
                settings.problems.append(f"{path}: settings.auto_commit: expected true or false")
    return settings


def _keys_value(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return ",".join(k.strip() for k in value.split(",") if k.strip())
    if isinstance(value, list) and value and all(isinstance(k, str) and k.strip() for k in value):
        return ",".join(k.strip() for k in value)
    return None
