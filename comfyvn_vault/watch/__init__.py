"""File-watch: record working-copy edits as they happen (``comfyvn watch``).

``settle`` (debounce, pure), ``record`` (validate and commit a settled set of
files), ``watcher`` (watchfiles → settle → record). watchfiles is imported only
when a watch starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from comfyvn_vault.lazy import exports

_EXPORTS = {
    "Problem": "comfyvn_vault.watch.record",
    "Settled": "comfyvn_vault.watch.record",
    "Settler": "comfyvn_vault.watch.settle",
    "Watcher": "comfyvn_vault.watch.watcher",
    "record_paths": "comfyvn_vault.watch.record",
}
__all__ = ["Problem", "Settled", "Settler", "Watcher", "record_paths"]
__getattr__ = exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from comfyvn_vault.watch.record import Problem, Settled, record_paths
    from comfyvn_vault.watch.settle import Settler
    from comfyvn_vault.watch.watcher import Watcher
