"""The importers ``comfyvn import KIND`` finds, each on the importer seam (:mod:`comfyvn_vault.adapters`).

Each is registered by ``"module:Class"`` and imported only when its kind is used.
"""

from __future__ import annotations

from typing import Final

#: kind -> the importer class, as ``"module:attr"``.
BUILTIN: Final[dict[str, str]] = {
    "card": "comfyvn_vault.importers.card:CardImporter",
    "roleplay": "comfyvn_vault.importers.roleplay:RoleplayImporter",
    "text": "comfyvn_vault.adapters.plaintext:TextImporter",
    "bundle": "comfyvn_vault.importers.bundle:BundleImporter",
    "renpy": "comfyvn_vault.importers.renpy:RenpyImporter",
}
