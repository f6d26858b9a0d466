"""Verbs of the ``merge`` group (see :mod:`comfyvn_vault.api`)."""

from __future__ import annotations

from typing import Any, Final

#: The result types of this module's verbs, for the generated JSON Schemas.
RESULTS: Final[tuple[type[Any], ...]] = ()
