"""The importers ``comfyvn import KIND`` finds, each on the importer seam (:mod:`comfyvn_vault.adapters`).

Each is registered by ``"module:Class"`` and imported only when its kind is used.
"""

from __future__ import annotations

from typing import Final

#: kind -> the importer class, as ``"module:attr"``.
BUILTIN: Final[dict[str, str]] = {
    "text": "comfyvn_vault.adapters.plaintext:TextImporter",
    "renpy": "comfyvn_vault.importers.renpy:RenpyImporter",
}
