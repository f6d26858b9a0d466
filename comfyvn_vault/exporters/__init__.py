"""The exporters ``comfyvn export KIND`` finds, each on the exporter seam (:mod:`comfyvn_vault.adapters`).

Each is registered by ``"module:Class"`` and imported only when its kind is used.
"""

from __future__ import annotations

from typing import Final

#: kind -> the exporter class, as ``"module:attr"``.
BUILTIN: Final[dict[str, str]] = {
    "bundle": "comfyvn_vault.exporters.bundle:BundleExporter",
    "card": "comfyvn_vault.exporters.card:CardExporter",
    "renpy": "comfyvn_vault.exporters.renpy:RenpyExporter",
    "text": "comfyvn_vault.adapters.plaintext:TextExporter",
}
