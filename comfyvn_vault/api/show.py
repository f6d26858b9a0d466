"""``show``: a commit, a document of the story at any revision, or any stored object.

Part of the ``history`` group (:mod:`comfyvn_vault.api.history` lists its
verbs). The story at a revision is that commit's state tree (:func:`story_at`):
no replay, so any point of a long history reads as fast as the newest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import msgspec
from msgspec import UNSET, UnsetType

from comfyvn_vault.api.documents import CommitFields, commit_row, document_json
from comfyvn_vault.domain.paths import CHARACTERS, SCENES, TIMELINES, VARIABLES
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault

#: The folders an id or a name is looked up in, in this order (records are named by path or id prefix).
STORY_FOLDERS: Final = (SCENES, CHARACTERS, TIMELINES, VARIABLES)


def story_at(vault: Vault, rev: str | ObjectId, folder: str = "") -> list[tuple[str, ObjectId]]:
    """Every (entity path, document id) of the story at ``rev``, sorted by path.

    Reads only that commit's state tree (no replay), so any point of a long
    history is as cheap as the newest; documents are read by the caller.
    """
    commit_id = rev if isinstance(rev, ObjectId) else vault.history.resolve_rev(rev)
    tree = vault.history.tree_of(commit_id)
    if tree is None:
        return []
    prefix = f"{folder.rstrip('/')}/" if folder else ""
    return sorted(vault.history.trees.items(tree, prefix))


# ----------------------------------------------------------------- show


class EventLine(msgspec.Struct, kw_only=True):
    """One event of a commit, in one line."""

    id: str
    type: str
    summary: str


class ShownCommit(CommitFields, kw_only=True):
    """``comfyvn show REV``: a commit and a one-line summary of each of its events."""

    schema: str = "comfyvn.commit/1"
    event_list: list[EventLine]


class TreeEntry(msgspec.Struct, kw_only=True):
    path: str
    document: str
    """The document's id."""


class ShownTree(msgspec.Struct, kw_only=True):
    """``comfyvn show REV:FOLDER/``: the documents of (a folder of) the story at a commit."""

    schema: str = "comfyvn.tree/1"
    commit: str
    entries: list[TreeEntry]


class ShownDocument(msgspec.Struct, kw_only=True):
    """``comfyvn show ENTITY`` (or ``REV:PATH``): one document of a tree, or one node of a scene."""

    schema: str = "comfyvn.entity/1"
    path: str
    type: str
    """The document's type: ``Scene``, ``Character``…, ``Asset``, ``Finding``, ``Policy``, ``Conflict``."""
    commit: str | UnsetType = UNSET
    """The commit it was read at; absent for the checkout."""
    document: dict[str, Any]


class ShownObject(msgspec.Struct, kw_only=True):
    """``comfyvn show ID``: any stored object's metadata; ``comfyvn.event/1`` for an event, with its summary."""

    schema: str = "comfyvn.object/1"
    id: str
    kind: str
    """``object`` (structured, decoded in ``value``) or ``blob`` (raw bytes)."""
    bytes: int
    stored: int
    """Bytes on disk."""
    compression: str
    location: str
    links: list[str] | UnsetType = UNSET
    """The ids a structured object points at."""
    value: Any | UnsetType = UNSET
    type: str | UnsetType = UNSET
    summary: str | UnsetType = UNSET


Shown = ShownCommit | ShownTree | ShownDocument | ShownObject


def entity_path_for(vault: Vault, text: str) -> str:
    """The path ``text`` names: a path as given (``scenes/intro``, ``scenes/intro#n2``, ``assets/<id>``,
    checked), else an id, else an exact name or title (case-insensitive), looked up in the checkout.

    An id wins over a name. An id or a name that several entities share is refused
    (exit 3) with the candidates listed; nothing found is :class:`ObjectNotFound`.
    """
    from comfyvn_vault.domain.paths import EntityPath, entity_path, id_problem

    if "/" in text:
        return str(EntityPath.parse(text))
    if not text.strip():
        raise InputRejected("no entity given: an id, a name or a path such as scenes/intro")
    by_id = []
    if id_problem(text) is None:
        by_id = [p for folder in STORY_FOLDERS if vault.projections.entity_id(p := f"{folder}/{text}") is not None]
    named = by_id or [entity_path(f, eid) for f in STORY_FOLDERS for eid in vault.projections.by_name(f, text)]
    if len(named) == 1:
        return named[0]
    if named:
        what = "is the id of" if by_id else "names"
        shown = ", ".join(named[:10]) + (", …" if len(named) > 10 else "")
        raise InputRejected(f"{text[:80]!r} {what} {len(named)} entities: give the path ({shown})")
    raise ObjectNotFound(f"no scene, character, timeline or variable with id or name {text[:80]!r}")


def document_result(vault: Vault, path: str, commit: ObjectId | None = None) -> ShownDocument:
    """The document at ``path`` (a node path gives the node) at ``commit``.

    Without ``commit``: the checkout. Any kind a tree holds: entities, records, conflicts.
    """
    from comfyvn_vault.domain.entities import Scene
    from comfyvn_vault.domain.paths import EntityPath

    where = EntityPath.parse(path)
    tree = vault.history.tree_of(commit) if commit is not None else vault.checkout_tree()
    doc = vault.history.document_at(tree, where.entity)
    at = f" at {commit.short()}" if commit is not None else ""
    if doc is None:
        raise ObjectNotFound(f"no {where.entity}{at}")
    body = document_json(doc)
    if where.node is not None:
        node = next((n for n in doc.nodes if n.id == where.node), None) if isinstance(doc, Scene) else None
        if node is None:
            raise ObjectNotFound(f"no node {where.node} in {where.entity}{at}")
        body = msgspec.to_builtins(node)
    shown = ShownDocument(path=path, type=type(doc).__name__, document=body)
    if commit is not None:
        shown.commit = commit.hex()
    return shown


def show(vault: Vault, text: str) -> Shown:
    """A commit (with its events), a document (entity, record or conflict), or any object by id.

    Tried in this order: ``REV:PATH`` (the story as it was at a revision:
    ``main~3:scenes/`` lists the scenes then, ``main~3:scenes/intro`` is that
    scene's document then), a revision (``main``, ``HEAD~2``, ``main^2``), an
    entity (path, id or exact name: :func:`entity_path_for`), a conflict id
    prefix (as ``status`` lists them), an object id prefix. A revision whose
    base exists but whose ``~``/``^`` steps do not is refused, not looked up as a
    name; so is a name or id that several entities share.
    """
    from comfyvn_vault.history.repo import RevisionError
    from comfyvn_vault.store.ids import HEX_LEN, is_hex_prefix

    if not text.strip():
        raise InputRejected("show needs a revision, an entity (id, name or path) or an object id")
    if len(text) == HEX_LEN and is_hex_prefix(text):
        # A whole id names one object: show it, or say why that object cannot be read.
        try:
            return commit_show(vault, vault.resolve(text))
        except InputRejected:
            return object_show(vault, text)
    rev, colon, path = text.partition(":")
    rev_error: RevisionError | None = None
    if colon:
        try:
            return _show_at(vault, vault.history.resolve_rev(rev or "HEAD"), path)
        except RevisionError as exc:
            if exc.base_found:
                raise
            rev_error = exc  # maybe a name with a colon in it: "Act 1: Dawn"
    else:
        try:
            return commit_show(vault, vault.history.resolve_rev(text))
        except RevisionError as exc:
            if exc.base_found:
                raise
            rev_error = exc
        except InputRejected:
            rev_error = None  # an id prefix of an object that is not a commit: the lookups below show it
    try:
        return document_result(vault, entity_path_for(vault, text))
    except ObjectNotFound:
        if not is_hex_prefix(text):
            if rev_error is not None and ("~" in text or "^" in text or colon):
                raise rev_error from None
            raise ObjectNotFound(
                f"no revision, entity or object {text[:80]!r} (give a branch, REV~N, REV:PATH, "
                "an entity's id, name or path, or an id prefix)"
            ) from None
    conflicts = [c for c in vault.conflicts() if c.id.startswith(text.lower())]
    if len(conflicts) == 1:
        return document_result(vault, f"conflicts/{conflicts[0].id}")
    return object_show(vault, text)


def commit_show(vault: Vault, oid: ObjectId) -> ShownCommit:
    """A commit and a one-line summary of each of its events."""
    from comfyvn_vault.history.describe import describe

    c = vault.history.commit(oid)
    row = commit_row(oid, c)
    return ShownCommit(
        id=row.id,
        parents=row.parents,
        message=row.message,
        author=row.author,
        time=row.time,
        events=row.events,
        tree=row.tree,
        event_list=[
            EventLine(id=eid.hex(), type=type(e).__name__, summary=describe(e)) for eid, e in vault.history.events_of(c)
        ],
    )


def object_show(vault: Vault, text: str) -> ShownObject:
    """Any stored object by id prefix: its metadata (kind, size, links), and for events their summary."""
    from comfyvn_vault.history.describe import describe
    from comfyvn_vault.store import codec
    from comfyvn_vault.store.base import Kind

    oid = vault.resolve(text)
    info = vault.info(oid)
    shown = ShownObject(
        id=oid.hex(),
        kind="object" if info.kind == Kind.OBJECT else "blob",
        bytes=info.size,
        stored=info.stored,
        compression=info.compression,
        location=info.location,
    )
    if info.kind == Kind.OBJECT:
        data = vault.store.get(oid)
        shown.links = [t.hex() for t in codec.links(data)]
        shown.value = codec.to_plain(data)
        obj = codec.decode(data)
        shown.type = type(obj).__name__
        if hasattr(obj, "touched"):
            shown.schema = "comfyvn.event/1"
            shown.summary = describe(obj)  # type: ignore[arg-type]
    return shown


def blob_chunks(vault: Vault, oid: str) -> Iterator[bytes]:
    """A stored object's bytes (``show`` of a blob prints them), verified in full before the first chunk."""
    return vault.iter_object(ObjectId.from_hex(oid))


def _show_at(vault: Vault, commit_id: ObjectId, path: str) -> ShownTree | ShownDocument:
    from comfyvn_vault.domain.paths import FOLDERS

    if not path or path.endswith("/"):
        folder = path.rstrip("/")
        if folder and folder not in FOLDERS:
            raise InputRejected(f"not a folder of the story: {path[:80]!r} (one of {', '.join(FOLDERS)})")
        rows = story_at(vault, commit_id, folder)
        return ShownTree(commit=commit_id.hex(), entries=[TreeEntry(path=p, document=d.hex()) for p, d in rows])
    return document_result(vault, path, commit_id)
