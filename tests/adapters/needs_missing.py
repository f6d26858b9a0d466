"""An adapter module whose optional dependency is not installed."""

from __future__ import annotations

import comfyvn_no_such_dependency  # noqa: F401
