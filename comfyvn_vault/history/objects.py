"""The stored objects of history: commits, event lists, views and operations."""

from __future__ import annotations

from comfyvn_vault.store.codec import StoredObject
from comfyvn_vault.store.ids import ObjectId


class EventList(StoredObject, frozen=True, tag="EventList"):
    """The events of one commit, in the order they were applied.

    ``touched`` repeats, per event, the entity paths it touches (a pure function
    of the event), so rebuilding the events-by-entity index reads one object per
    commit instead of one per event.
    """

    events: list[ObjectId]
    touched: list[list[str]] = []


class Commit(StoredObject, frozen=True, tag="Commit"):
    """A snapshot (``tree``) plus the events that produced it from its first parent.

    ``generation`` is 1 + the largest parent generation; walks for merge bases
    and ancestry stop early with it instead of visiting the whole DAG.
    """

    parents: list[ObjectId]
    tree: ObjectId
    generation: int
    author: str
    time: int  # milliseconds since the epoch, UTC
    message: str
    events: ObjectId | None = None
    event_count: int = 0


class View(StoredObject, frozen=True, tag="View"):
    """What the vault looked like after an operation: every branch, HEAD and the checkout."""

    branches: dict[str, ObjectId]
    head: str
    checkout: ObjectId | None = None  # the commit the working copy reflects
    remotes: dict[str, ObjectId] = {}


class Operation(StoredObject, frozen=True, tag="Operation"):
    """One entry of the operation log (as in Jujutsu): a command that moved refs or the working copy.

    ``back`` is the operation whose view the next ``undo`` restores and
    ``forward`` the one the next ``redo`` restores. A normal operation points
    back at its parent and cannot be redone; an undo steps ``back`` one further
    and remembers where it came from in ``forward``. So repeated undos walk
    back through history, redo walks forward again, and a new edit after an
    undo starts a new line, as in any editor.

    The view it leaves in force is held inline in ``state``: one object per
    operation instead of two, so a durable commit writes one object (and one
    object-index key) fewer. Operations written before that link a separate
    ``View`` object as ``view``; :meth:`History.op_view` reads both.
    """

    parent: ObjectId | None
    view: ObjectId | None
    description: str
    time: int
    author: str
    kind: str = "op"  # op | undo | redo
    back: ObjectId | None = None
    forward: ObjectId | None = None
    restores: ObjectId | None = None  # undo/redo: the operation whose view it restored
    state: View | None = None
