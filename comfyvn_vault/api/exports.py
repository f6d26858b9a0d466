"""``comfyvn export KIND [WHAT] OUT``: the story (or part of it) written out by the exporter of ``KIND``.

The exporter plans the files from a read-only view of HEAD's story
(:mod:`comfyvn_vault.adapters.exporter`); :func:`export` writes them under
``OUT`` (a folder), or, when the plan is one file and ``OUT`` names a file
(``card.png``), as ``OUT`` itself. An exporter that exports one entity (a
character card) takes it as ``WHAT``. Nothing is written when the plan fails,
and the ``post-export`` hook runs after the files are in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from comfyvn_vault.api.check import CheckFinding
from comfyvn_vault.errors import InputRejected

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

#: The option each exporter fills with ``WHAT`` (an exporter without one exports the whole story).
WHAT_OPTION: Final = "character"


class Exported(msgspec.Struct, frozen=True, kw_only=True):
    """What ``comfyvn export`` wrote: the exporter, where, and each file (relative to ``folder``)."""

    schema: str = "comfyvn.export/1"
    exporter: str
    folder: str
    files: list[str]
    notes: list[str] = []
    """What the exporter left out or changed (NSFW content under the sfw filter, directives with no equivalent)."""
    findings: list[CheckFinding] = []
    """What the story checks found before exporting (warnings; errors stop the export unless forced)."""


RESULTS: Final[tuple[type[Any], ...]] = (Exported,)


def exporter_kinds() -> list[str]:
    """Every kind ``comfyvn export`` knows."""
    from comfyvn_vault.adapters.registry import EXPORTERS

    return EXPORTERS.kinds()


def export(
    vault: Vault,
    kind: str,
    out: Path,
    what: str | None = None,
    options: Mapping[str, str] | None = None,
    *,
    force: bool = False,
) -> Exported:
    """Export HEAD's story with the ``kind`` exporter to ``out`` (see the module docstring).

    The story checks run first (as ``comfyvn check`` runs them; not while merge conflicts
    remain) and their findings ride along in the result. For an exporter whose output would not
    work with errors in the story (``stops_on_errors``: a Ren'Py project), errors stop the export
    (:class:`~comfyvn_vault.errors.StoryHasErrors`, exit 1) unless ``force``; a bundle or a card
    carries the story as it is. The exporter reads the vault through a
    :class:`~comfyvn_vault.provenance.export_context.VaultExportContext`, which also carries the
    content filter: under ``sfw`` NSFW assets, and what needs them, stay out.
    """
    from comfyvn_vault import hooks
    from comfyvn_vault.adapters.apply import story_view
    from comfyvn_vault.adapters.base import parse_options
    from comfyvn_vault.adapters.output import write_export
    from comfyvn_vault.adapters.registry import get_exporter
    from comfyvn_vault.api.check import located, story_findings
    from comfyvn_vault.errors import StoryHasErrors
    from comfyvn_vault.provenance.export_context import VaultExportContext

    exporter = get_exporter(kind)
    given = dict(options or {})
    if what is not None:
        if not any(f.name == WHAT_OPTION for f in msgspec.structs.fields(exporter.options_type)):
            raise InputRejected(f"the {kind} exporter exports the whole story: drop {what[:60]!r}")
        given[WHAT_OPTION] = what
    single = out.suffix != "" and not out.is_dir()
    if single and any(f.name == "file" for f in msgspec.structs.fields(exporter.options_type)):
        given.setdefault("file", out.name)
    typed = parse_options(exporter.options_type, given)
    checked = located(*story_findings(vault, "export"))
    if checked.errors and not force and getattr(exporter, "stops_on_errors", False):
        raise StoryHasErrors(
            f"the story has {checked.errors} error(s) (`comfyvn check` lists them): fix them, or export with --force",
            checked.findings,
        )
    plan = exporter.plan(story_view(vault.history, VaultExportContext(vault)), typed)
    folder = out.parent if single and len(plan.files) == 1 and plan.files[0].path == out.name else out
    written = write_export(plan, folder)
    doc = Exported(
        exporter=plan.info.ref, folder=str(folder), files=written, notes=list(plan.notes), findings=checked.findings
    )
    hooks.post_export(vault, {"format": kind, "path": str(folder), "files": written})
    return doc
