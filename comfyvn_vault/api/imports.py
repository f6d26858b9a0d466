"""``comfyvn import KIND SOURCE``: a file or folder turned into scenes, characters and assets.

The importer of ``KIND`` (``roleplay``, ``card``, ``renpy``, ``bundle``, ``text``…)
plans the import purely (:mod:`comfyvn_vault.adapters`); this module reads the
source for it, names the source by the id of its bytes (a folder by the id of a
manifest of its files), and records the plan as one commit through the write
path, with an ``ImportRecorded`` event. So an import is one operation (one
``undo`` removes all of it), its lineage leads back to the source, and
importing the same source with the same options again creates nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, cast

import msgspec

from comfyvn_vault.errors import InputRejected

if TYPE_CHECKING:
    from comfyvn_vault.adapters.importer import Importer, Source
    from comfyvn_vault.adapters.plan import ImportSummary
    from comfyvn_vault.vault import Vault

Progress = Callable[[int], None]
#: The most bytes one source file may have (a chat of a million messages is ~500 MB).
MAX_SOURCE_BYTES: Final = 4 << 30


class Imported(msgspec.Struct, frozen=True, kw_only=True):
    """What ``comfyvn import`` did; the ``--json`` document.

    ``job`` names the import (the id of its record); ``commit`` is None for a dry
    run and when ``already`` (this source was imported with these options before,
    so nothing was made). ``findings`` are what the importer noticed in the source.
    """

    schema: str = "comfyvn.import/1"
    job: str | None
    importer: str
    source: str
    scenes: list[str]
    characters: list[str]
    assets: list[str]
    findings: list[str]
    commit: str | None
    events: int
    already: bool = False
    dry_run: bool = False


class ImportRow(msgspec.Struct, frozen=True, kw_only=True):
    """One import the current branch holds: who read which source, and what it made."""

    id: str
    importer: str
    version: str
    source: str
    scenes: list[str]
    characters: list[str]
    assets: list[str]
    options: dict[str, str]


class ImportList(msgspec.Struct, frozen=True, kw_only=True):
    """The imports of HEAD's story, by source name."""

    schema: str = "comfyvn.import-list/1"
    imports: list[ImportRow]


RESULTS: Final[tuple[type[Any], ...]] = (Imported, ImportList)


def list_imports(vault: Vault) -> ImportList:
    """Every import recorded in HEAD's story (an undone import is not there)."""
    from comfyvn_vault.adapters.apply import story_view, summary_of
    from comfyvn_vault.domain.assets import ImportRecord
    from comfyvn_vault.domain.paths import IMPORTS

    story = story_view(vault.history)
    rows = []
    for record in story.documents(IMPORTS, ImportRecord):
        made = summary_of(record)
        rows.append(
            ImportRow(
                id=record.id,
                importer=record.importer,
                version=record.version,
                source=record.source_name,
                scenes=made.scenes,
                characters=made.characters,
                assets=made.assets,
                options=record.options,
            )
        )
    return ImportList(imports=sorted(rows, key=lambda r: (r.source.casefold(), r.id)))


def importer_kinds() -> list[str]:
    """Every kind ``comfyvn import`` knows."""
    from comfyvn_vault.adapters.registry import IMPORTERS

    return IMPORTERS.kinds()


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """``["gap_minutes=30", "format=text"]`` as a mapping; a pair without ``=`` is refused."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise InputRejected(f"option {pair[:80]!r} is not KEY=VALUE")
        out[key.strip().replace("-", "_")] = value
    return out


def import_source(
    vault: Vault,
    kind: str,
    path: Path,
    options: Mapping[str, str] | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Imported:
    """Import the file or folder at ``path`` with the ``kind`` importer (see the module docstring).

    ``options`` are the importer's, as text (``{"gap_minutes": "30"}``); ``progress``
    is told the bytes read as the source is hashed.
    """
    from comfyvn_vault.adapters.apply import apply_import, import_key, plan_import, recorded_import, summary_of
    from comfyvn_vault.adapters.base import parse_options
    from comfyvn_vault.adapters.registry import get_importer

    importer: Importer[Any] = get_importer(kind)
    typed = parse_options(importer.options_type, dict(options or {}))
    with _opened(path) as (source, source_id, stream):
        if progress is not None and stream is not None:
            progress(0)
        if source_id is None:
            source_id = _hash_stream(stream, progress) if stream is not None else None
        if dry_run:
            key = import_key(importer.info, typed, source_id) if source_id is not None else None
            done = recorded_import(vault, key) if key is not None else None
            if done is not None:
                return _imported(importer.info.ref, path, key, None, 0, summary_of(done), already=True, dry_run=True)
            plan = plan_import(vault, importer, source, typed)
            job = key if plan.recorded else None
            nothing = not plan.recorded and not plan.events
            return _imported(
                importer.info.ref, path, job, None, len(plan.events), plan.summary, already=nothing, dry_run=True
            )
        result = apply_import(vault, importer, source, typed, source_id=source_id)
    return _imported(
        result.importer, path, result.job, result.commit, result.events, result.summary, already=result.already
    )


class _opened:
    """The :class:`Source` for ``path``, the id of its bytes when known, and the stream to hash if not."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: BinaryIO | None = None

    def __enter__(self) -> tuple[Source, str | None, BinaryIO | None]:
        from comfyvn_vault.adapters.archive import FolderFiles
        from comfyvn_vault.adapters.importer import Source

        path = self.path
        name = path.name or str(path)
        if path.is_dir():
            files = FolderFiles(path, name)
            return Source(b"", name, files=files), _manifest_id(files), None
        try:
            self.file = open(path, "rb")
        except FileNotFoundError:
            raise InputRejected(f"{path}: no such file or folder") from None
        except OSError as exc:
            raise InputRejected(f"{path}: cannot read it ({exc.strerror or exc})") from None
        return Source(cast(BinaryIO, _Bounded(self.file, name)), name), None, self.file

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


class _Bounded:
    """A source file read from its start, refusing to give more than :data:`MAX_SOURCE_BYTES`."""

    def __init__(self, file: BinaryIO, name: str) -> None:
        self.file, self.name, self.given = file, name, 0
        self.started = False

    def read(self, size: int = -1) -> bytes:
        if not self.started:
            self.file.seek(0)  # the file was hashed first
            self.started = True
        want = MAX_SOURCE_BYTES + 1 - self.given if size < 0 else min(size, MAX_SOURCE_BYTES + 1 - self.given)
        data = self.file.read(want)
        self.given += len(data)
        if self.given > MAX_SOURCE_BYTES:
            raise InputRejected(f"{self.name}: over {MAX_SOURCE_BYTES} bytes")
        return data


def _hash_stream(stream: BinaryIO, progress: Progress | None) -> str:
    from comfyvn_vault.store.ids import HASH_CHUNK, new_hasher

    h = new_hasher()
    while chunk := stream.read(HASH_CHUNK):
        h.update(chunk)
        if progress is not None:
            progress(len(chunk))
    return h.hexdigest()


def _manifest_id(files: Any) -> str:
    """The id of a folder: of the sorted list of its files' names and the ids of their bytes."""
    from comfyvn_vault.store.ids import hash_bytes

    lines = [f"{hash_bytes(files.read(name)).hex()} {name}\n" for name in files.names()]
    return hash_bytes("".join(lines).encode()).hex()


def _imported(
    importer: str,
    path: Path,
    job: str | None,
    commit: str | None,
    events: int,
    summary: ImportSummary,
    *,
    already: bool = False,
    dry_run: bool = False,
) -> Imported:
    return Imported(
        job=job,
        importer=importer,
        source=path.name or str(path),
        scenes=list(summary.scenes),
        characters=list(summary.characters),
        assets=list(summary.assets),
        findings=[str(f) for f in summary.findings],
        commit=commit,
        events=events,
        already=already,
        dry_run=dry_run,
    )
