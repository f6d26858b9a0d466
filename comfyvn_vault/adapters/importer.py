"""The importer seam: a source and the current story in, a :class:`~comfyvn_vault.adapters.plan.Plan` out.

An importer (SillyTavern chats, character cards, Ren'Py games, manga pages)
implements :class:`Importer`. Its ``plan`` is pure: it reads the
:class:`Source` it is handed and the documents it asks the ``lookup`` for,
opens no file, starts no process and never sees a vault. Whatever it decides
is in the plan; :func:`~comfyvn_vault.adapters.apply.apply_import` records it.
Its options are a frozen msgspec Struct of its own (``options_type``), built
from a command line by :func:`~comfyvn_vault.adapters.base.parse_options`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final, Protocol, TypeVar, runtime_checkable

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.plan import Plan
from comfyvn_vault.domain.validate import Lookup
from comfyvn_vault.errors import InputRejected

OptionsT = TypeVar("OptionsT", bound=msgspec.Struct)

READ_CHUNK: Final = 1 << 20


class SourceFiles(Protocol):
    """The files of a source that is many files (a project folder, a zip pack), by safe relative name.

    :class:`~comfyvn_vault.adapters.archive.SafeZip` and
    :class:`~comfyvn_vault.adapters.archive.FolderFiles` are the two; both
    confine every name and cap every read, so an importer needs no checks of its own.
    """

    def names(self) -> list[str]:
        """Every regular file's name (``game/script.rpy``), sorted."""

    def read(self, name: str) -> bytes:
        """The bytes of ``name`` (exit 3 for a name that is not one of :meth:`names`)."""


@dataclass(frozen=True)
class Source:
    """What is imported: its bytes, or a binary stream to read them from, and a name for provenance.

    ``name`` is what a person would call the source (``chat.jsonl``); it becomes
    the note of the import's cause and the ``source`` of the assets it imports.
    A stream is read only through :meth:`read` or :meth:`chunks`, once. A source
    that is a folder (or that the command line opened as an archive) also has
    ``files``; its ``content`` is then empty.
    """

    content: bytes | BinaryIO
    name: str = ""
    files: SourceFiles | None = None

    def read(self, limit: int) -> bytes:
        """All of the source, refused (exit 3) when it has more than ``limit`` bytes."""
        data = self.content if isinstance(self.content, bytes) else self.content.read(limit + 1)
        if len(data) > limit:
            raise InputRejected(f"{self.name or 'the source'} is over {limit} bytes")
        return data

    def chunks(self, size: int = READ_CHUNK) -> Iterator[bytes]:
        """The source in pieces of at most ``size`` bytes, for importers that stream."""
        if isinstance(self.content, bytes):
            view = memoryview(self.content)
            for start in range(0, len(view), size):
                yield bytes(view[start : start + size])
            return
        while part := self.content.read(size):
            yield part


@runtime_checkable
class Importer(Protocol[OptionsT]):
    """Turns a source into a plan, reading the story it imports into through ``lookup`` only."""

    @property
    def info(self) -> AdapterInfo:
        """Name and version, recorded in the cause of every event the importer plans."""

    @property
    def options_type(self) -> type[OptionsT]:
        """The options struct :meth:`plan` takes; its defaults are what a bare ``comfyvn import KIND`` does."""

    def plan(self, source: Source, options: OptionsT, lookup: Lookup) -> Plan:
        """The plan for importing ``source``; raise :class:`InputRejected` for a source it cannot take."""
