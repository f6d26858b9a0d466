"""The ``comfyvn`` command line: one module per verb group, thin over :mod:`comfyvn_vault.api`.

Start-up matters here: every verb pays for it. msgspec imports ``typing_extensions``
only to prefer its ``get_type_hints``, ``Required`` and ``NotRequired`` over the
standard library's; on Python 3.11 the standard ones do the same for the types this
project declares, and ``typing_extensions`` drags in ``inspect``, ``ast`` and ``dis``
(a third of a bare interpreter's start). So the command line loads msgspec with
that optional import turned away, then lets ``typing_extensions`` import normally
for whatever needs it later (the TUI's libraries do).
"""

import sys

if "msgspec" not in sys.modules and "typing_extensions" not in sys.modules:
    sys.modules["typing_extensions"] = None  # type: ignore[assignment]  # msgspec falls back to typing
    try:
        import msgspec  # noqa: F401
    finally:
        del sys.modules["typing_extensions"]
