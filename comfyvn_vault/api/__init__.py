"""The porcelain API: every verb the CLI and the TUI offer, as functions over a :class:`Vault`.

One module per verb group, named like the CLI's (a reader finds ``comfyvn
merge`` in :mod:`comfyvn_vault.api.merge`):

* :mod:`~comfyvn_vault.api.history` — status, log, show, diff, blame, search,
  commit, restore, branches, switch, undo and redo, the operation log;
* :mod:`~comfyvn_vault.api.edit` — scenes, nodes, choices, characters,
  timelines and variables;
* :mod:`~comfyvn_vault.api.merge` — merge, pick, resolve, abort;
* :mod:`~comfyvn_vault.api.assets` — the asset registry: add, list, show,
  export, derive, generated;
* :mod:`~comfyvn_vault.api.advisory` — findings, the policy, the content filter;
* :mod:`~comfyvn_vault.api.provenance` — lineage and export verification;
* :mod:`~comfyvn_vault.api.sync` — remotes, fetch, pull, push, clone, serve;
* :mod:`~comfyvn_vault.api.maintenance` — init, fsck, gc, reindex;
* :mod:`~comfyvn_vault.api.imports` and :mod:`~comfyvn_vault.api.exports` — importers and exporters;
* :mod:`~comfyvn_vault.api.play` — seeded playthroughs;
* :mod:`~comfyvn_vault.api.check` — story checks.

A verb takes the vault first (as dulwich's porcelain takes a repo), raises the
errors of :mod:`comfyvn_vault.errors`, and returns a typed result (a
``msgspec.Struct`` listed in its module's ``RESULTS``): the CLI's ``--json``
document is that result encoded, and its JSON Schema is generated into
``schemas/results/`` like the events'. Reads apply the content filter
themselves, so no caller can forget it.

Names are imported on first use, so ``import comfyvn_vault.api`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from comfyvn_vault.lazy import exports as _lazy

#: The verb-group modules, in the order the CLI lists its verbs.
MODULES: Final = (
    "history",
    "edit",
    "merge",
    "assets",
    "advisory",
    "provenance",
    "sync",
    "maintenance",
    "imports",
    "exports",
    "play",
    "check",
    "stats",
    "storymap",
)

_EXPORTS = {
    "Vault": "comfyvn_vault.vault",
    "ObjectId": "comfyvn_vault.store.ids",
    "find_vault": "comfyvn_vault.vault",
}

__all__ = ["MODULES", "ObjectId", "Vault", "find_vault"]

if TYPE_CHECKING:
    from comfyvn_vault.store.ids import ObjectId
    from comfyvn_vault.vault import Vault, find_vault

__getattr__ = _lazy(__name__, _EXPORTS)
