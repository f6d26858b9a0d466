"""The ``renpy`` exporter: ``comfyvn export renpy DIR`` writes the story as a Ren'Py project.

:mod:`.exporter` plans the project (which scene goes to which script, names,
media), :mod:`.script` lowers each scene to a label, :mod:`.python` translates
conditions and effects, and :mod:`.text` writes strings and names as Ren'Py
reads them.
"""

from __future__ import annotations

from comfyvn_vault.exporters.renpy.exporter import RenpyExporter, RenpyExportOptions

__all__ = ["RenpyExportOptions", "RenpyExporter"]
