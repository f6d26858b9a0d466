"""Every projection, listed once: a new query index is a module beside this one and a line in :data:`PROJECTIONS`.

The order is the order their databases are opened, dumped, compared and
reported in (fsck, ``reindex --verify``). A projection that changes what it
stores changes the layout: bump :data:`~.index.PROJECTIONS_VERSION` so vaults
rebuild their projections on open.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.projections.assets import Assets
from comfyvn_vault.projections.base import Key, Projection
from comfyvn_vault.projections.entities import Entities
from comfyvn_vault.projections.events import Events
from comfyvn_vault.projections.names import Names
from comfyvn_vault.projections.search import WordIndex
from comfyvn_vault.projections.speakers import Speakers

PROJECTIONS: Final[tuple[type[Projection], ...]] = (Entities, Names, Speakers, WordIndex, Assets, Events)

#: Projections of the checkout, moved by tree diffs.
STATE: Final = tuple(kind for kind in PROJECTIONS if kind.state)
#: Projections of every commit ever recorded.
HISTORY: Final = tuple(kind for kind in PROJECTIONS if not kind.state)
STATE_DBS: Final = tuple(db for kind in STATE for db in kind.databases)
#: Every database a rebuild writes and a check compares: the state projections', then the history ones'.
ALL_DBS: Final = (*STATE_DBS, *(db for kind in HISTORY for db in kind.databases))
#: Databases projections keep beside those (logs, counters).
SIDE_DBS: Final = tuple(db for kind in PROJECTIONS for db in kind.side_databases)


def document_keys(path: str, doc: Document) -> Iterator[Key]:
    """Every key the document at ``path`` contributes to the state projections, its nodes' included."""
    for kind in STATE:
        yield from kind.doc_keys(path, doc)
    if isinstance(doc, Scene):
        for node in doc.nodes:
            for kind in STATE:
                yield from kind.node_keys(doc.id, node)


__all__ = ["ALL_DBS", "HISTORY", "PROJECTIONS", "SIDE_DBS", "STATE", "STATE_DBS", "document_keys"]
