"""What the renpy importer's tests share: planning a fixture, and reading dialogue and menus back out."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from comfyvn_vault.adapters import Plan, Source
from comfyvn_vault.adapters.archive import FolderFiles
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.importers.renpy import RenpyImporter, RenpyOptions
from comfyvn_vault.importers.renpy.planner import escape_tab
from tests.adapters.helpers import applied, story

FIXTURES = Path(__file__).parent / "fixtures" / "renpy"
MINI = FIXTURES / "mini"

#: ``(file, line, who, text)``: a line of dialogue as Ren'Py's dialogue table has it.
Row = tuple[str, int, str, str]


def plan_folder(root: Path, name: str = "mini", **options: object) -> Plan:
    source = Source(b"", name=name, files=FolderFiles(root))
    return RenpyImporter().plan(source, RenpyOptions(**options), story().lookup)  # type: ignore[arg-type]


def plan_bytes(data: bytes, name: str = "script.rpy", **options: object) -> Plan:
    return RenpyImporter().plan(Source(data, name), RenpyOptions(**options), story().lookup)  # type: ignore[arg-type]


def scenes_of(plan: Plan) -> dict[str, Scene]:
    """The scenes the plan leaves, by id."""
    return {d.id: d for d in applied(plan).values() if isinstance(d, Scene)}


def label_scenes(scenes: Iterable[Scene]) -> list[Scene]:
    return [s for s in scenes if "renpy_label" in s.meta]


def dialogue(scenes: Iterable[Scene]) -> list[Row]:
    """Every line of dialogue (say statements, and the say statement a menu shows), by file and line."""
    rows: list[Row] = []
    for scene in label_scenes(scenes):
        for node in scene.nodes:
            if node.type == "text" or node.meta.get("menu_caption") == "say":
                line = node.meta.get("caption_line", node.meta["source_line"])
                assert isinstance(line, int)
                who = node.meta.get("who", "")
                assert isinstance(who, str)
                rows.append((str(node.meta["source_file"]), line, who, escape_tab(node.content)))
    return sorted(rows, key=lambda r: (r[0], r[1]))


def read_dialogue_table(text: str) -> list[Row]:
    """The rows of Ren'Py's ``dialogue.tab`` (the output of ``renpy-dialogue``), by file and line."""
    rows: list[Row] = []
    for line in text.splitlines()[1:]:
        _ident, who, what, filename, number, _code = line.split("\t")
        rows.append((filename, int(number), who, what))
    return sorted(rows, key=lambda r: (r[0], r[1]))
