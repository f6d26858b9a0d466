"""What a state tree holds at a path: a document.

A document is a story entity (scene, character, timeline, variable), a merge
conflict waiting at ``conflicts/<id>``, or a record kept beside the story
(asset, finding, policy). ``apply`` reads and returns documents, history
stores them in trees, and projections index the change from one to the next;
all of them name this one type.
"""

from __future__ import annotations

from typing import Final, TypeAlias

from comfyvn_vault.domain.assets import RECORD_TYPES, Record
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.entities import ENTITY_TYPES, Entity

Document: TypeAlias = Entity | Conflict | Record
DOCUMENT_TYPES: Final[tuple[type[Document], ...]] = (*ENTITY_TYPES, Conflict, *RECORD_TYPES)

__all__ = ["DOCUMENT_TYPES", "Document"]
