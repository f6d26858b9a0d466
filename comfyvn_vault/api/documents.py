"""How history's objects read as documents: commit rows, any document of a tree, changes between two.

Pure formatting the history verbs share (:mod:`comfyvn_vault.api.history`):
the typed rows their results are made of, and the functions that turn a
commit, a stored document or an event into one. Nothing here reads a vault
except :func:`tree_document`, which reads exactly one document.

Keys a document has only sometimes (a blame line nobody changed has no
``commit``) are :data:`msgspec.UNSET` fields: encoding leaves them out, so the
JSON is the same as the CLI has always printed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

import msgspec
from msgspec import UNSET, UnsetType

from comfyvn_vault.history.objects import Commit
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
    from comfyvn_vault.domain.document import Document
    from comfyvn_vault.domain.entities import Entity
    from comfyvn_vault.domain.events import Event
    from comfyvn_vault.vault import Vault


class CommitFields(msgspec.Struct, kw_only=True):
    """What every listing of a commit says about it."""

    id: str
    parents: list[str]
    message: str
    author: str
    time: int
    """Milliseconds since the epoch (UTC)."""
    events: int
    """How many events the commit records."""
    tree: str
    """The state tree: the story as it is after the commit."""


class CommitRow(CommitFields, kw_only=True):
    """One commit as ``log`` lists it."""

    touching: list[int] | UnsetType = UNSET
    """With ``--entity``: the indexes of the commit's events that touch the entity."""
    branches: list[str] | UnsetType = UNSET
    """With ``--all``: the branches whose tip this commit is."""
    remotes: list[str] | UnsetType = UNSET
    """The remote-tracking refs (``origin/main``) whose tip this commit is; absent when none is."""


def commit_row(oid: ObjectId, c: Commit) -> CommitRow:
    return CommitRow(
        id=oid.hex(),
        parents=[p.hex() for p in c.parents],
        message=c.message,
        author=c.author,
        time=c.time,
        events=c.event_count,
        tree=c.tree.hex(),
    )


# ----------------------------------------------------------------- documents


def document_json(doc: Document) -> dict[str, Any]:
    """Any document of a story tree as JSON-able data: an entity, a record (asset, finding, policy) or a conflict."""
    from comfyvn_vault.domain.conflicts import Conflict, conflict_json
    from comfyvn_vault.store.codec import json_enc_hook

    if isinstance(doc, Conflict):
        data = conflict_json(doc)
        if doc.after is not None:
            data["after"] = doc.after
        return data
    plain: dict[str, Any] = msgspec.to_builtins(doc, enc_hook=json_enc_hook)
    plain.pop("_type", None)
    return plain


def tree_document(vault: Vault, doc_id: ObjectId) -> tuple[str, dict[str, Any]]:
    """Any document a state tree holds, for display: its type name and :func:`document_json` of it.

    A tree holds the story's entities and also records: assets, findings, the
    content policy and merge conflicts.
    """
    doc = vault.history.document(doc_id)
    return type(doc).__name__, document_json(doc)


def entity_file_text(entity: Entity) -> str:
    """An entity as its working-copy file shows it (TOML)."""
    from comfyvn_vault.worktree.format import render

    return render(entity)


def encode_json(value: object) -> bytes:
    """A result (or any msgspec-encodable value) as the JSON the CLI prints; ids as hex."""
    from comfyvn_vault.store.codec import json_enc_hook

    return msgspec.json.encode(value, enc_hook=json_enc_hook)


# ----------------------------------------------------------------- changes


class FieldChange(msgspec.Struct, kw_only=True):
    """A field's value before and after (null: absent then)."""

    before: Any
    after: Any


class DiffChange(msgspec.Struct, kw_only=True):
    """One change to an entity (an event the difference amounts to) or to a record."""

    event: str
    """The event's type (``NodeEdited``), or for a record ``<Type>Added|Removed|Changed``."""
    summary: str
    fields: dict[str, FieldChange] | UnsetType = UNSET
    """The fields that changed, for an edit or a changed record."""
    node_id: str | UnsetType = UNSET
    choice_id: str | UnsetType = UNSET


def is_entity(doc: Document | None) -> TypeGuard[Entity | None]:
    from comfyvn_vault.domain.entities import ENTITY_TYPES

    return doc is None or isinstance(doc, ENTITY_TYPES)


def event_change(event: Event) -> DiffChange:
    """An event (of a diff between two entities) as the change it describes."""
    from comfyvn_vault.history.describe import changed_fields, describe
    from comfyvn_vault.store.codec import json_enc_hook

    data = msgspec.to_builtins(event, enc_hook=json_enc_hook)
    change = DiffChange(event=type(event).__name__, summary=describe(event))
    fields = changed_fields(event)
    if fields:
        before = data.get("before", {})
        change.fields = {f: FieldChange(before=before.get(f), after=data.get(f)) for f in fields}
    if "node_id" in data:
        change.node_id = data["node_id"]
    if "choice_id" in data:
        change.choice_id = data["choice_id"]
    return change


def record_change(path: str, old: Document | None, new: Document | None) -> DiffChange:
    """One change for a record that differs: ``AssetAdded``, ``FindingChanged``, ``ConflictRemoved``…"""
    from comfyvn_vault.domain.conflicts import Conflict
    from comfyvn_vault.domain.conflicts import describe as describe_conflict
    from comfyvn_vault.domain.diffing import field_changes

    either = new if new is not None else old
    name = type(either).__name__
    verb = "Added" if old is None else "Removed" if new is None else "Changed"
    before = document_json(old) if old is not None else None
    after = document_json(new) if new is not None else None
    fields = field_changes(before, after)
    summary = describe_conflict(either) if isinstance(either, Conflict) else path
    change = DiffChange(event=name + verb, summary=f"{name}{verb} {summary}")
    if old is not None and new is not None:
        change.summary += f" ({', '.join(fields)})"
        change.fields = {f: FieldChange(before=x, after=y) for f, (x, y) in fields.items()}
    return change


__all__ = [
    "CommitFields",
    "CommitRow",
    "DiffChange",
    "FieldChange",
    "commit_row",
    "document_json",
    "encode_json",
    "entity_file_text",
    "event_change",
    "is_entity",
    "record_change",
    "tree_document",
]
