"""A plain-text script: the smallest story format that imports and exports.

::

    # The Lighthouse              the scene's title (the first '#' line)
    Mira: The lamp is out.        a line Mira speaks
    > Wind rattles the glass.     narration
    // a note to yourself         a comment, not imported

Blank lines are skipped. A script imports as one new scene whose nodes are its
lines, in order (``n1``, ``n2``…), and one character for each speaker the story
does not have yet; a speaker is the character whose id their name slugs to
(``Old Tom`` is ``characters/old-tom``) when that character has the same name.
By default the script itself is kept as a text asset the scene points at
(``meta.source_asset``), so the import's lineage reaches its source.

A line that is none of the above (``10:30 we left``) is kept as narration and
reported, or, with ``strict``, refused. Only UTF-8 without control characters
(tabs aside) is read.

The exporter writes each scene back in this format (``scenes/<id>.txt``), one
line per node: a line of several lines is written as several lines, and what
the format has no line for (choices, actions, an empty line) is written as a
comment, so an exported script imports again as the same dialogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.exporter import ExportPlan, OutputFile, StoryView
from comfyvn_vault.adapters.importer import Source
from comfyvn_vault.adapters.plan import Plan, PlanBuilder
from comfyvn_vault.domain.entities import Character, MetaValue, Node, Scene
from comfyvn_vault.domain.naming import fresh_id, next_numbered, slug
from comfyvn_vault.domain.paths import CHARACTERS, SCENES, check_id, entity_path
from comfyvn_vault.domain.validate import Lookup
from comfyvn_vault.errors import InputRejected

MAX_BYTES: Final = 4 << 20
SPEAKER_MAX: Final = 64
#: Lines reported one by one as kept-as-narration; the rest are counted in one finding.
FINDINGS_SHOWN: Final = 20
_DIALOGUE: Final = re.compile(rf"(?P<speaker>[^:]{{1,{SPEAKER_MAX}}}?)\s*:\s+(?P<content>\S.*)")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
"""Control characters (C0 but tab, DEL, C1): a script is text, and these would not survive a round trip."""


class TextOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a script imports."""

    scene_id: str | None = None
    """The new scene's id (default: from its title, or the source's name, made unique)."""
    title: str | None = None
    """The scene's title (default: the script's ``#`` line, or the source's name)."""
    strict: bool = False
    """Refuse a line that is not dialogue, narration, a title or a comment (default: keep it as narration)."""
    keep_source: bool = True
    """Register the script itself as a text asset the scene points at."""


@dataclass(frozen=True)
class Line:
    """One line of dialogue (``speaker`` set) or narration, at line ``number`` of the script."""

    number: int
    speaker: str | None
    content: str


@dataclass(frozen=True)
class Script:
    """A parsed script: its title, its lines, and what parsing noticed (``(where, message)``)."""

    title: str
    lines: list[Line]
    notes: list[tuple[str, str]]


def decode(data: bytes, name: str = "") -> str:
    """The script's text: UTF-8 (a byte-order mark is dropped) with no control character but tab."""
    what = name or "the script"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputRejected(f"{what} is not UTF-8 text (byte {exc.start})") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    for number, line in enumerate(text.split("\n"), start=1):
        bad = _CONTROL.search(line)
        if bad is not None:
            raise InputRejected(f"{what}, line {number}: control character {bad.group()!r}")
    return text


def parse(text: str, *, strict: bool = False) -> Script:
    """Read a script (see the module docstring); :class:`InputRejected` names the first line refused."""
    title: str | None = None
    lines: list[Line] = []
    notes: list[tuple[str, str]] = []
    unrecognised = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        where = f"line {number}"
        if not line or line.startswith("//"):
            continue
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            problem = "an empty title" if not heading else None if title is None and not lines else "a second title"
            if problem is None:
                title = heading
            elif strict:
                raise InputRejected(f"{where}: {problem} (a script has one, before its first line)")
            else:
                notes.append((where, f"{problem}: ignored"))
            continue
        if line.startswith(">"):
            content = line[1:].strip()
            if content:
                lines.append(Line(number, None, content))
            else:
                notes.append((where, "empty narration: skipped"))
            continue
        match = _DIALOGUE.fullmatch(line)
        if match is not None:
            lines.append(Line(number, match["speaker"], match["content"].strip()))
            continue
        if strict:
            raise InputRejected(f"{where}: not 'Speaker: line', '> narration', '# title' or '// comment'")
        unrecognised += 1
        if unrecognised <= FINDINGS_SHOWN:
            notes.append((where, "no 'Speaker:' or '>': kept as narration"))
        lines.append(Line(number, None, line))
    if unrecognised > FINDINGS_SHOWN:
        notes.append(("", f"{unrecognised - FINDINGS_SHOWN} more lines without 'Speaker:' or '>' kept as narration"))
    if not lines:
        raise InputRejected("the script has no lines to import")
    return Script(title or "", lines, notes)


class TextImporter:
    """Imports a plain-text script as one scene and its speakers (see the module docstring)."""

    info: Final = AdapterInfo("text", "1")
    options_type: Final = TextOptions

    def plan(self, source: Source, options: TextOptions, lookup: Lookup) -> Plan:
        data = source.read(MAX_BYTES)
        script = parse(decode(data, source.name), strict=options.strict)
        builder = PlanBuilder(self.info, lookup, source.name)
        for where, message in script.notes:
            builder.note(message, where)
        speakers = self._cast(builder, script)
        nodes: list[Node] = []
        ids: set[str] = set()
        for line in script.lines:
            nid = next_numbered(ids, "n")
            ids.add(nid)
            speaker = None if line.speaker is None else speakers[line.speaker.casefold()]
            nodes.append(Node(id=nid, speaker=speaker, content=line.content))
        stem = source.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        title = options.title if options.title is not None else script.title or stem
        meta: dict[str, MetaValue] = {"source": source.name} if source.name else {}
        if options.keep_source:
            meta["source_asset"] = builder.add_source(data, kind="text", mime="text/plain").id
        builder.save(Scene(id=self._scene_id(builder, options, title), title=title, nodes=nodes, meta=meta))
        return builder.build()

    def _cast(self, builder: PlanBuilder, script: Script) -> dict[str, str]:
        """Each speaker (by casefolded name) → the name their lines are spoken under; new characters saved."""
        out: dict[str, str] = {}
        taken = builder.taken(CHARACTERS)
        for line in script.lines:
            if line.speaker is None or line.speaker.casefold() in out:
                continue
            name = line.speaker
            base = slug(name, "character")
            known = builder.current(entity_path(CHARACTERS, base))
            if isinstance(known, Character) and known.name.casefold() == name.casefold():
                out[name.casefold()] = known.name
                continue
            cid = fresh_id(taken, base)
            if cid != base:
                builder.note(f"speaker {name!r} is new: character {base!r} is someone else, so it is {cid!r}")
            builder.save(Character(id=cid, name=name))
            out[name.casefold()] = name
        return out

    def _scene_id(self, builder: PlanBuilder, options: TextOptions, title: str) -> str:
        if options.scene_id is None:
            return fresh_id(builder.taken(SCENES), slug(title, "scene"))
        sid = check_id(options.scene_id, "scene id")
        if builder.current(entity_path(SCENES, sid)) is not None:
            raise InputRejected(f"scene {sid!r} already exists")
        return sid


# ----------------------------------------------------------------- export


class TextExportOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a text export writes."""

    scenes: list[str] = []
    """Ids of the scenes to write (default: every scene)."""
    folder: str = "scenes"
    """The folder of the export the scripts go in."""


def render(scene: Scene) -> str:
    """A scene as a script (see the module docstring)."""
    return "".join(_lines(scene))


def _lines(scene: Scene) -> Iterator[str]:
    if scene.title:
        yield f"# {' '.join(scene.title.split())}\n"
    for node in scene.nodes:
        prefix = f"{_one_line(node.speaker)}: " if node.speaker else "> "
        parts = [p.strip() for p in node.content.split("\n") if p.strip()]
        if node.type == "text" and not parts:
            yield f"// an empty line{f' by {_one_line(node.speaker)}' if node.speaker else ''}\n"
        for part in parts:
            yield f"{prefix}{_one_line(part)}\n"
        for choice in node.choices:
            yield f"// choice: {_one_line(choice.text)} -> {choice.target}\n"
        if node.type == "action" and node.directives:
            shown = ", ".join(f"{k}={_one_line(v)}" for k, v in sorted(node.directives.items()))
            yield f"// action: {shown}\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


class TextExporter:
    """Writes scenes as plain-text scripts, one file per scene."""

    info: Final = AdapterInfo("text", "1")
    options_type: Final = TextExportOptions

    def plan(self, story: StoryView, options: TextExportOptions) -> ExportPlan:
        wanted = set(options.scenes)
        scenes = [s for s in story.scenes() if not wanted or s.id in wanted]
        missing = wanted - {s.id for s in scenes}
        if missing:
            raise InputRejected(f"no scene {min(missing)!r} to export")
        files = tuple(OutputFile(f"{options.folder}/{s.id}.txt", render(s).encode("utf-8")) for s in scenes)
        return ExportPlan(self.info, files)


if TYPE_CHECKING:
    from comfyvn_vault.adapters.exporter import Exporter
    from comfyvn_vault.adapters.importer import Importer

    # Both satisfy their seam's protocol (checked by mypy, which sees no registry strings).
    _importer: Importer[TextOptions] = TextImporter()
    _exporter: Exporter[TextExportOptions] = TextExporter()
