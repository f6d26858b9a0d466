"""The ``renpy`` importer: a Ren'Py project, archive or script into a plan (see the package docstring)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from comfyvn_vault.adapters.archive import decode_text
from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.importer import Source
from comfyvn_vault.adapters.plan import Plan, PlanBuilder
from comfyvn_vault.domain.validate import Lookup
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.renpy.lexer import ScriptError
from comfyvn_vault.importers.renpy.parser import parse
from comfyvn_vault.importers.renpy.planner import Media, Planner, ScriptFile
from comfyvn_vault.importers.renpy.project import (
    AUTOMATIC_IMAGES,
    GAME,
    MEDIA,
    SCRIPT_MIME,
    Project,
    extension,
    read_project,
)

MAX_SCRIPT_BYTES: Final = 16 << 20
#: Findings reported one by one; the rest are counted in one more.
FINDINGS_SHOWN: Final = 50
TRANSLATIONS: Final = GAME + "tl/"
SKIPPED_FOLDERS: Final = (GAME + "cache/", GAME + "saves/")


class RenpyOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a Ren'Py source imports."""

    strict: bool = False
    """Refuse a script Ren'Py would not read (not UTF-8, a line past the cap, does not lex) instead of noting it."""
    assets: bool = True
    """Import the game's images, audio and video as assets."""
    translations: bool = True
    """Keep the translation scripts (``game/tl/LANG/``) as text assets."""
    scripts: bool = True
    """Keep each script as a text asset its scenes point at (``meta.source_script``)."""


class _Notes:
    """Findings, the first :data:`FINDINGS_SHOWN` one by one and the rest counted."""

    def __init__(self, builder: PlanBuilder) -> None:
        self.builder = builder
        self.more = 0
        self.shown = 0

    def __call__(self, message: str, where: str = "") -> None:
        if self.shown < FINDINGS_SHOWN:
            self.shown += 1
            self.builder.note(message, where)
        else:
            self.more += 1

    def close(self) -> None:
        if self.more:
            self.builder.note(f"{self.more} more findings like these")


class RenpyImporter:
    """Imports a Ren'Py game: labels as scenes, its characters, ``default`` variables and media."""

    info: Final = AdapterInfo("renpy", "1")
    options_type: Final = RenpyOptions

    def plan(self, source: Source, options: RenpyOptions, lookup: Lookup) -> Plan:
        where = source.name or "the source"
        project = read_project(source, where)
        builder = PlanBuilder(self.info, lookup, source.name)
        notes = _Notes(builder)
        for message, at in project.notes:
            notes(message, at)
        src = builder.add_source(project.source, kind=project.source_kind, mime=project.source_mime)
        media = self._media(builder, project, options)
        files = self._scripts(builder, project, options, where, notes, src.id)
        if not files and not media.files:
            raise InputRejected(f"{where}: no Ren'Py script, image or sound to import")
        Planner(builder, files, media, source_asset=src.id, note=notes).plan()
        notes.close()
        return builder.build()

    def _media(self, builder: PlanBuilder, project: Project, options: RenpyOptions) -> Media:
        media = Media()
        skipped = compiled = 0
        for name, data in sorted(project.files.items()):
            ext = extension(name)
            if name.startswith(SKIPPED_FOLDERS) or ext == "rpy":
                continue
            if ext in ("rpyc", "rpymc"):
                compiled += name[:-1] not in project.files
                continue
            kind_mime = MEDIA.get(ext)
            if kind_mime is None:
                skipped += 1
                continue
            if not options.assets:
                continue
            kind, mime = kind_mime
            asset = builder.add_asset(data, kind=kind, mime=mime, name=name, source=project.container[name] or None)
            rel = name.removeprefix(GAME)
            media.files[rel] = asset.id
            if rel.startswith("images/") and ext in AUTOMATIC_IMAGES:
                stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
                media.images.setdefault(" ".join(stem.lower().split()), asset.id)
        if compiled:
            builder.note(f"{compiled} compiled script(s) (.rpyc) without their .rpy not read: only source is imported")
        if skipped:
            builder.note(f"{skipped} file(s) neither script, image, sound nor video (fonts, data…) not imported")
        return media

    def _scripts(
        self,
        builder: PlanBuilder,
        project: Project,
        options: RenpyOptions,
        where: str,
        notes: _Notes,
        source_asset: str,
    ) -> list[ScriptFile]:
        files: list[ScriptFile] = []
        lone = len(project.files) == 1 and project.source_kind == "text"
        for name, data in sorted(project.files.items()):
            if extension(name) != "rpy" or name.startswith(SKIPPED_FOLDERS):
                continue
            if name.startswith(TRANSLATIONS):
                if options.translations:
                    builder.add_asset(data, kind="text", mime=SCRIPT_MIME, name=name, source=project.container[name])
                continue
            keep = options.scripts and not lone
            asset = (
                builder.add_asset(data, kind="text", mime=SCRIPT_MIME, name=name, source=project.container[name]).id
                if keep
                else None
            )
            try:
                if len(data) > MAX_SCRIPT_BYTES:
                    raise InputRejected(f"{where}: {name}: over {MAX_SCRIPT_BYTES} bytes")
                script = parse(decode_text(data, f"{where}: {name}"))
            except (InputRejected, ScriptError) as exc:
                if isinstance(exc, ScriptError):
                    at, problem = f"{name}, line {exc.line}", exc.message
                else:
                    at, problem = name, str(exc).removeprefix(f"{where}: {name}: ")
                if lone:
                    at_line = f", line {exc.line}" if isinstance(exc, ScriptError) else ""
                    raise InputRejected(f"{where}{at_line}: {problem}") from None
                if options.strict:
                    raise InputRejected(f"{where}: {at}: {problem}") from None
                notes(f"{problem}: the script is not read, only kept as a text asset", at)
                if not keep:
                    builder.add_asset(data, kind="text", mime=SCRIPT_MIME, name=name, source=project.container[name])
                continue
            for line, message in script.notes:
                notes(message, f"{name}, line {line}")
            files.append(ScriptFile(name, script, source_asset if lone else asset))
        return files


if TYPE_CHECKING:
    from comfyvn_vault.adapters.importer import Importer

    _importer: Importer[RenpyOptions] = RenpyImporter()
