"""The exporter seam: a read-only view of the story in, output files out, every path checked.

An exporter (a Ren'Py project, a bundle, a character card) implements
:class:`Exporter`. Its ``plan`` reads the story through a :class:`StoryView`
(a lookup and a folder listing of one state tree, as ``History.lookup_in`` and
``History.listing_in`` give) and returns an :class:`ExportPlan`: relative
output paths, each with its bytes or a writer that streams them. It writes
nothing itself; :func:`~comfyvn_vault.adapters.output.write_export` does, under
one folder.

Output paths are checked where a file is planned (:func:`check_output_path`),
so no exporter, however its names come about, can plan a file outside the
folder it exports to or one that some system cannot create.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final, Protocol, TypeVar, runtime_checkable

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.domain.assets import node_asset_refs
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Character, Node, Scene, Timeline
from comfyvn_vault.domain.paths import CHARACTERS, SCENES, TIMELINES, is_reserved_name, scene_path
from comfyvn_vault.domain.validate import Listing, Lookup
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.ids import ObjectId

OptionsT = TypeVar("OptionsT", bound=msgspec.Struct)
D = TypeVar("D", bound=Document)

Writer = Callable[[BinaryIO], None]
"""Writes one output file's bytes to the binary file it is given (for output too large to hold)."""

PATH_MAX: Final = 1024
#: Characters Windows refuses in a file name (``:`` would also name a drive or a data stream).
_FORBIDDEN: Final = frozenset('<>:"|?*\\')


def output_path_problem(path: str) -> str | None:
    """Why ``path`` cannot name an output file, or ``None`` when it can.

    An output path is relative and ``/``-separated; each part is a file name
    every system can create: not empty, not ``.`` or ``..`` or otherwise
    starting with ``.``, not ending in a space or a dot, without a control
    character or one of ``< > : " | ? * \\``, and not a device name (``con``, ``nul.txt``).
    """
    if not path:
        return "is empty"
    if len(path) > PATH_MAX:
        return f"has {len(path)} characters (at most {PATH_MAX})"
    if path.startswith("/"):
        return "is absolute"
    for part in path.split("/"):
        if not part:
            return "has an empty part"
        if part in (".", ".."):
            return f"has a {part!r} part"
        if part.startswith("."):
            return f"has a part {part[:40]!r} starting with '.'"
        bad = next((ch for ch in part if ch in _FORBIDDEN or ord(ch) < 0x20 or ord(ch) == 0x7F), None)
        if bad is not None:
            return f"has a part containing {bad!r}"
        if part.endswith((" ", ".")):
            return f"has a part {part[:40]!r} ending in {part[-1]!r}"
        if is_reserved_name(part):
            return f"has a part {part[:40]!r} that is a reserved device name on Windows"
    return None


def check_output_path(path: str) -> str:
    """Return ``path`` if it can name an output file; raise :class:`InputRejected` otherwise."""
    problem = output_path_problem(path)
    if problem is not None:
        raise InputRejected(f"output path {path[:80]!r} {problem}")
    return path


@dataclass(frozen=True)
class OutputFile:
    """One planned output file: a checked relative path and its bytes or a :data:`Writer`."""

    path: str
    content: bytes | Writer

    def __post_init__(self) -> None:
        check_output_path(self.path)


@dataclass(frozen=True)
class ExportPlan:
    """An exporter's result: the files to write, and who made them.

    No two files may land on the same name on a case-insensitive file system,
    and no file may be the folder of another.
    """

    info: AdapterInfo
    files: tuple[OutputFile, ...]
    notes: tuple[str, ...] = ()
    """What the export left out or changed, one sentence each (shown to the user)."""

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for f in self.files:
            key = f.path.casefold()
            other = seen.get(key)
            if other is not None:
                raise InputRejected(f"{self.info.ref}: output files {other!r} and {f.path!r} would be one file")
            seen[key] = f.path
        for f in self.files:
            parts = f.path.casefold().split("/")
            for depth in range(1, len(parts)):
                folder = seen.get("/".join(parts[:depth]))
                if folder is not None:
                    raise InputRejected(f"{self.info.ref}: output file {folder!r} would be the folder of {f.path!r}")


@dataclass(frozen=True)
class StoryView:
    """The story as one state tree holds it, read-only: documents by path and the paths of a folder.

    ``blob`` reads an asset's bytes by its blob id, for exporters that write
    media (a character card carries its portrait); a view without it has
    documents only.
    """

    lookup: Lookup
    listing: Listing
    blob: Callable[[ObjectId], bytes] | None = None
    hidden_assets: frozenset[str] = frozenset()
    """Asset ids the content filter keeps out of this export (NSFW ones under ``sfw``)."""
    hide_nsfw_nodes: bool = False
    """Whether nodes flagged ``nsfw`` in their meta are kept out too (the ``sfw`` filter)."""

    def documents(self, folder: str, kind: type[D]) -> Iterator[D]:
        """Every document of ``kind`` in ``folder``, in path order."""
        for path in sorted(self.listing(folder)):
            doc = self.lookup(path)
            if isinstance(doc, kind):
                yield doc

    def scenes(self) -> Iterator[Scene]:
        return self.documents(SCENES, Scene)

    def characters(self) -> Iterator[Character]:
        return self.documents(CHARACTERS, Character)

    def timelines(self) -> Iterator[Timeline]:
        return self.documents(TIMELINES, Timeline)

    def start_scene(self) -> str:
        """Where the story starts (as ``comfyvn play`` does without a scene named): the first timeline's
        first scene, else the scene of the Ren'Py label ``start``, else the first scene by id (not counting
        the scenes that stand for Ren'Py script files)."""
        for timeline in sorted(self.timelines(), key=lambda t: t.id):
            for sid in timeline.scene_order:
                if isinstance(self.lookup(scene_path(sid)), Scene):
                    return sid
        scenes = sorted((s for s in self.scenes() if "renpy_file" not in s.meta), key=lambda s: s.id)
        start = next((s.id for s in scenes if s.meta.get("renpy_label") == "start"), None)
        if start is not None:
            return start
        ids = [s.id for s in scenes]
        if not ids:
            raise InputRejected("the story has no scene to play; add one with `comfyvn scene new`")
        return ids[0]

    def needs_hidden(self, node: Node) -> bool:
        """Whether the content filter keeps ``node`` out: it is flagged NSFW or names an asset kept out."""
        if self.hide_nsfw_nodes and node.meta.get("nsfw") is True:
            return True
        if not self.hidden_assets:
            return False
        return any(ref in self.hidden_assets for ref in node_asset_refs(node))


@runtime_checkable
class Exporter(Protocol[OptionsT]):
    """Turns a view of the story into output files."""

    @property
    def info(self) -> AdapterInfo:
        """Name and version, for the export's provenance."""

    @property
    def options_type(self) -> type[OptionsT]:
        """The options struct :meth:`plan` takes."""

    def plan(self, story: StoryView, options: OptionsT) -> ExportPlan:
        """The files exporting ``story`` makes; raise :class:`InputRejected` for a story it cannot export."""
