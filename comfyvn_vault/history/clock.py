"""The time a write records on its commit or operation, in milliseconds since the epoch (UTC).

``COMFYVN_TIME_MS`` fixes it, so tests and demos write the same objects on every run.
"""

from __future__ import annotations

import os
import time


def now_ms() -> int:
    fixed = os.environ.get("COMFYVN_TIME_MS")
    return int(fixed) if fixed else int(time.time() * 1000)


__all__ = ["now_ms"]
