"""The entity index: every path of the checked-out tree and the id of the document there.

==========  ==========================================  ===========
name        key                                         value
==========  ==========================================  ===========
p.entity    entity path (``scenes/intro``)               document id
==========  ==========================================  ===========

Lists of a folder (``scenes``, ``assets``) and lookups by path read it instead
of walking the tree.
"""

from __future__ import annotations

from typing import Final

from comfyvn_vault.projections.base import Projection, Txn, reading
from comfyvn_vault.projections.keys import fits, key_part
from comfyvn_vault.store.ids import ObjectId

DB_ENTITY: Final = b"p.entity"


class Entities(Projection):
    """Path → document id of every document in the checkout."""

    databases = (DB_ENTITY,)

    def write_document(self, txn: Txn, path: str, doc_id: ObjectId | None) -> None:
        db = self.index.dbs[DB_ENTITY]
        if doc_id is None:
            txn.delete(key_part(path), db=db)
        else:
            txn.put(key_part(path), bytes(doc_id), db=db)

    @reading
    def entity_id(self, path: str) -> ObjectId | None:
        key = key_part(path)
        if not fits(key):
            return None  # no path that long or empty is ever stored
        with self.index.env.begin(db=self.index.dbs[DB_ENTITY]) as txn:
            raw = txn.get(key)
        return ObjectId(bytes(raw)) if raw is not None else None

    @reading
    def paths(self, folder: str) -> list[tuple[str, ObjectId]]:
        prefix = key_part(folder + "/")
        out: list[tuple[str, ObjectId]] = []
        if not fits(prefix):
            return out
        with self.index.env.begin(db=self.index.dbs[DB_ENTITY]) as txn:
            cur = txn.cursor()
            if cur.set_range(prefix):
                for k, v in cur:
                    if not bytes(k).startswith(prefix):
                        break
                    out.append((bytes(k).decode(), ObjectId(bytes(v))))
        return out


__all__ = ["DB_ENTITY", "Entities"]
