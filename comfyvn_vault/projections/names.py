"""Entities by name: a scene's title or another entity's name, lowercased, within its folder.

==========  ================================================  =====
name        key                                               value
==========  ================================================  =====
p.name      folder \\0 lowercased name \\0 entity id           b""
==========  ================================================  =====

What a user types as a name (``comfyvn scene show Harbour``) is found here
exactly (names longer than a key allows are hashed, :mod:`.keys`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import ENTITY_TYPES, name_of
from comfyvn_vault.projections.base import SEP, Key, Projection, reading
from comfyvn_vault.projections.keys import key_part, readable

DB_NAME: Final = b"p.name"


class Names(Projection):
    """Folder and lowercased name → entity id."""

    databases = (DB_NAME,)

    @staticmethod
    def doc_keys(path: str, doc: Document) -> Iterable[Key]:
        name = name_of(doc)
        if not name or not isinstance(doc, ENTITY_TYPES):
            return ()
        return ((DB_NAME, path.split("/", 1)[0].encode() + SEP + key_part(name.lower()) + SEP + doc.id.encode()),)

    @reading
    def by_name(self, folder: str, name: str) -> list[str]:
        """Ids of entities in ``folder`` named exactly ``name`` (case-insensitive)."""
        prefix = folder.encode() + SEP + key_part(name.lower()) + SEP
        return [k[len(prefix) :].decode() for k in self.index.scan(DB_NAME, prefix)]

    @reading
    def names(self, folder: str) -> dict[str, str]:
        """Entity id → lowercased name of every entity of ``folder``, from index keys alone (no documents)."""
        prefix = folder.encode() + SEP
        out: dict[str, str] = {}
        for k in self.index.scan(DB_NAME, prefix):
            name, _, eid = k[len(prefix) :].rpartition(SEP)
            out[eid.decode()] = readable(name)
        return out


__all__ = ["DB_NAME", "Names"]
