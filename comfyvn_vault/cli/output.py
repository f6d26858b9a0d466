"""How the CLI speaks: one JSON document on stdout with --json, messages on stderr."""

from __future__ import annotations

import sys
from typing import Any


def emit_json(doc: Any) -> None:
    # Imported here: ``comfyvn --help`` should not pay for msgspec.
    import msgspec

    from comfyvn_vault.store.codec import json_enc_hook

    sys.stdout.buffer.write(msgspec.json.encode(doc, enc_hook=json_enc_hook) + b"\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """A human message: stderr, so stdout stays clean for data."""
    print(message, file=sys.stderr)


def out(message: str) -> None:
    print(message)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
