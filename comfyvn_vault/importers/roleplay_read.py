"""Reading a chat a piece at a time: its lines, numbered, each capped, and which format it is.

A long chat is never held whole as text: :class:`ChatReader` reads the
source's chunks (:meth:`~comfyvn_vault.adapters.importer.Source.chunks`) and
splits them into lines as they come, refusing a line past
:data:`MAX_LINE_BYTES` as soon as it is that long, and a source past
:data:`MAX_SOURCE_BYTES`. It keeps the bytes it read only when the source's own
bytes are not at hand (a stream), because the import stores the chat itself as
its source asset.

:func:`detect` tells the formats apart from the first bytes: a JSON list of
messages starts with ``[`` and then ``{`` or ``]``, one JSON document with ``{``
on a line of its own (or a first line too long to be a JSONL line), a SillyTavern
chat with a first line that is one JSON object, and anything else is a
plain-text log (``[12:01] Mira: …`` starts with ``[`` too, but not ``[{``, ``[[``,
``["`` or ``[]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final, Literal

from comfyvn_vault.adapters.importer import Source
from comfyvn_vault.errors import InputRejected

Format = Literal["sillytavern", "text", "json"]

MAX_LINE_BYTES: Final = 1 << 20
MAX_SOURCE_BYTES: Final = 256 << 20
BOM: Final = b"\xef\xbb\xbf"
_SPACE: Final = b" \t\r\n"


class ChatReader:
    """A source's lines, read in chunks (see the module docstring); ``where`` names it in refusals."""

    def __init__(self, source: Source, where: str) -> None:
        self.where = where
        self._held = source.content if isinstance(source.content, bytes) else None
        if self._held is not None and len(self._held) > MAX_SOURCE_BYTES:
            raise InputRejected(f"{where}: over {MAX_SOURCE_BYTES} bytes")
        self._chunks = source.chunks()
        self._read: list[bytes] = []
        """Every chunk read so far, when the source's bytes are not held."""
        self._ahead: list[bytes] = []
        """Chunks read by :meth:`head` and not yet split into lines."""
        self._size = 0
        self._data: bytes | None = None

    def _next(self) -> bytes | None:
        if self._ahead:
            return self._ahead.pop(0)
        return self._pull()

    def _pull(self) -> bytes | None:
        chunk = next(self._chunks, None)
        if chunk is None:
            return None
        self._size += len(chunk)
        if self._size > MAX_SOURCE_BYTES:
            raise InputRejected(f"{self.where}: over {MAX_SOURCE_BYTES} bytes")
        if self._held is None:
            self._read.append(chunk)
        return chunk

    def head(self) -> bytes:
        """The start of the source: through its first line break, or as long as a line may be."""
        start = bytearray(b"".join(self._ahead))
        while b"\n" not in start and len(start) <= MAX_LINE_BYTES:
            chunk = self._pull()
            if chunk is None:
                break
            self._ahead.append(chunk)
            start += chunk
        return bytes(start)

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """``(number, line)`` from line 1, without the line break (``\\n`` or ``\\r\\n``) or a leading BOM."""
        number = 0
        pending = b""
        while (chunk := self._next()) is not None:
            parts = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
            pending = parts.pop()
            for part in parts:
                number += 1
                if len(part) > MAX_LINE_BYTES:
                    raise self._too_long(number)
                if number == 1:
                    part = part.removeprefix(BOM)
                yield number, part[:-1] if part.endswith(b"\r") else part
            if len(pending) > MAX_LINE_BYTES:
                raise self._too_long(number + 1)
        if pending:
            number += 1
            if number == 1:
                pending = pending.removeprefix(BOM)
            yield number, pending[:-1] if pending.endswith(b"\r") else pending

    def _too_long(self, number: int) -> InputRejected:
        return InputRejected(f"{self.where}, line {number}: longer than {MAX_LINE_BYTES} bytes")

    def data(self) -> bytes:
        """Every byte of the source (what was not read yet is read now)."""
        if self._data is None:
            if self._held is not None:
                self._data = self._held
            else:
                while self._pull() is not None:
                    pass
                self._data = b"".join(self._read)
                self._read = [self._data]
            self._ahead = []
        return self._data


def detect(head: bytes) -> Format:
    """The format of a source that starts with ``head`` (see the module docstring)."""
    start = head.removeprefix(BOM).lstrip(_SPACE)
    if start.startswith(b"["):
        return "json" if start[1:].lstrip(_SPACE)[:1] in (b"{", b"[", b"]", b'"', b"") else "text"
    if start.startswith(b"{"):
        first, newline, _ = start.partition(b"\n")
        one_line = first.rstrip(_SPACE).endswith(b"}") and (bool(newline) or len(first) <= MAX_LINE_BYTES)
        return "sillytavern" if one_line else "json"
    return "text"
