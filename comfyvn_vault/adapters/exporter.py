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

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Final, NamedTuple, Protocol, TypeVar, runtime_checkable

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.domain.assets import Asset
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
    """What the person exporting should know: what was left out and why, warnings."""

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
class Snapshot:
    """What is exported: the vault's name, the branch, its tip and that commit's state tree and time."""

    vault: str
    branch: str
    commit: ObjectId
    tree: ObjectId
    time_ms: int


class Signed(NamedTuple):
    """A medium with a signed C2PA manifest embedded, and the manifest's label."""

    data: bytes
    label: str | None


class ExportContext(Protocol):
    """What an exporter carrying history and provenance (a bundle) reads beyond the story.

    The API hands one to every exporter through :attr:`StoryView.context`;
    it reads the vault only when asked, so exporters that do not use it pay nothing.
    """

    def snapshot(self) -> Snapshot:
        """The commit the view shows and its tree."""

    def entries(self) -> Iterator[tuple[str, ObjectId]]:
        """Every path of the snapshot's state tree with its document's object id."""

    def chunks(self, blob: ObjectId) -> Iterator[bytes]:
        """A blob's bytes in pieces, verified against its id (bounded memory for large media)."""

    def filter_mode(self) -> str:
        """The content filter the export runs under (``sfw``, ``warn``, ``unrestricted``)."""

    def hides(self, asset: Asset) -> bool:
        """True when the content filter hides ``asset`` (an NSFW asset under ``sfw``)."""

    def hides_node(self, node: Node) -> bool:
        """True when the content filter hides ``node`` (flagged NSFW, or naming an NSFW asset)."""

    def check_export(self, assets: list[Asset]) -> list[str]:
        """Refuse assets that must not leave the vault (an open finding); the warnings for the rest."""

    def lineage_events(self, asset: Asset) -> list[dict[str, Any]]:
        """The events of HEAD's history that made or touched ``asset``, oldest first, each summarised
        (``event``, ``commit``, ``index``, ``type``, ``relation``, ``time_ms`` and what it says)."""

    def tree_id(self, entries: Mapping[str, ObjectId]) -> ObjectId:
        """The id of the state tree holding exactly ``entries`` (path → document id)."""

    def sign(self, asset: Asset, title: str) -> Signed | None:
        """``asset``'s bytes with a signed C2PA manifest embedded; None for a type not signed here."""


@dataclass(frozen=True)
class StoryView:
    """The story as one state tree holds it, read-only: documents by path and the paths of a folder.

    ``blob`` reads an asset's bytes by its blob id, for exporters that write
    media (a character card carries its portrait); a view without it has
    documents only. ``context`` is there when the view is of a vault's HEAD.
    """

    lookup: Lookup
    listing: Listing
    blob: Callable[[ObjectId], bytes] | None = None
    context: ExportContext | None = None

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

    def hides(self, asset: Asset) -> bool:
        """Whether the content filter keeps ``asset`` out (a view without a vault's context hides nothing)."""
        return self.context is not None and self.context.hides(asset)

    def hides_node(self, node: Node) -> bool:
        """Whether the content filter keeps ``node`` out: flagged NSFW, or naming an asset it hides."""
        return self.context is not None and self.context.hides_node(node)


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
