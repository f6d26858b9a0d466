"""Pausing Python's cyclic garbage collector while a write transaction runs.

A batched import allocates hundreds of thousands of small, acyclic objects
(events, nodes, ids, index keys) that all survive until the transaction ends.
Each allocation burst makes the collector walk every tracked object again,
which costs a third of a large import's time and buys nothing: reference
counting frees all of it. The collector is paused for the transaction and
resumed after, by the last of any concurrent transactions (threads share it),
and only if it was running before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the body with cyclic garbage collection off; nested and concurrent uses are safe."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
