"""Events: the immutable, past-tense records history is made of.

Each event is a frozen, tagged :class:`StoredObject` that names the entity it
touches and the :class:`Cause` that produced it. Events that change or remove
something also carry what was there before (``before``), so an event can be read
alone — by blame, by a revert, by a reviewer — and so :func:`apply` can reject an
event made against an older version (a stale edit) instead of overwriting.

Edit events (``NodeEdited``, ``ChoiceEdited``, ``CharacterEdited``,
``TimelineEdited``) inherit their changeable fields from a ``*Fields`` struct in
which every field defaults to ``UNSET`` (unchanged); ``before`` is the same
struct holding the old values of exactly the fields the edit sets.

Positions: ``after`` anchors a node by the id of the node it follows; ``None``
means at the end and :data:`START` (``""``, never a valid id) at the beginning.
Anchoring by id rather than index lets concurrent inserts merge. Choice lists are
short and positioned by index.
"""

from __future__ import annotations

from typing import Final, TypeAlias, get_args

import msgspec
from msgspec import UNSET, UnsetType

from comfyvn_vault.domain.asset_events import (
    AssetDerived,
    AssetImported,
    AssetMetaChanged,
    AssetRemoved,
    ExportRecorded,
    FilterModeSet,
    FindingRecorded,
    FindingResolved,
    GenerationRecorded,
    ImportRecorded,
    PlaythroughRecorded,
    PolicyAcknowledged,
    RecordMerged,
)
from comfyvn_vault.domain.cause import Cause as Cause
from comfyvn_vault.domain.cause import CauseKind as CauseKind
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.entities import (
    Character,
    Choice,
    MetaValue,
    Node,
    NodeType,
    Scene,
    Timeline,
    Variable,
)
from comfyvn_vault.domain.paths import (
    CONFLICTS,
    character_path,
    entity_path,
    node_path,
    scene_path,
    timeline_path,
    variable_path,
)
from comfyvn_vault.store.codec import StoredObject

START: Final = ""
"""``after=START`` puts a node first (``after=None`` puts it last)."""


class _Fields(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True, kw_only=True):
    """Base of the changed-fields structs: every field is optional and ``UNSET`` means unchanged."""


class NodeFields(_Fields, frozen=True):
    """The editable fields of a node (choices change through the ``Choice*`` events)."""

    type: NodeType | UnsetType = UNSET
    speaker: str | UnsetType | None = UNSET
    content: str | UnsetType = UNSET
    directives: dict[str, str] | UnsetType = UNSET
    conditions: list[str] | UnsetType = UNSET
    effects: str | UnsetType | None = UNSET
    next: list[str] | UnsetType = UNSET
    meta: dict[str, MetaValue] | UnsetType = UNSET


class ChoiceFields(_Fields, frozen=True):
    """The editable fields of a choice."""

    text: str | UnsetType = UNSET
    target: str | UnsetType = UNSET
    condition: str | UnsetType | None = UNSET
    effects: str | UnsetType | None = UNSET
    weight: int | UnsetType | None = UNSET


class CharacterFields(_Fields, frozen=True):
    """The editable fields of a character."""

    name: str | UnsetType = UNSET
    traits: dict[str, str] | UnsetType = UNSET
    portrait_asset_id: str | UnsetType | None = UNSET
    expressions: dict[str, str] | UnsetType = UNSET
    meta: dict[str, MetaValue] | UnsetType = UNSET


class TimelineFields(_Fields, frozen=True):
    """The editable fields of a timeline."""

    name: str | UnsetType = UNSET
    scene_order: list[str] | UnsetType = UNSET
    meta: dict[str, MetaValue] | UnsetType = UNSET


def _node_paths(scene_id: str, node_id: str) -> list[str]:
    return [scene_path(scene_id), node_path(scene_id, node_id)]


def _scene_paths(scene: Scene) -> list[str]:
    return [scene_path(scene.id), *(node_path(scene.id, node.id) for node in scene.nodes)]


# --- scenes -----------------------------------------------------------------------


class SceneCreated(StoredObject, frozen=True, kw_only=True, tag="SceneCreated"):
    """A scene came into being, with whatever nodes it starts with."""

    scene: Scene
    cause: Cause

    def touched(self) -> list[str]:
        return _scene_paths(self.scene)


class SceneRetitled(StoredObject, frozen=True, kw_only=True, tag="SceneRetitled"):
    """A scene's title changed from ``before`` to ``title``."""

    scene_id: str
    title: str
    before: str
    cause: Cause

    def touched(self) -> list[str]:
        return [scene_path(self.scene_id)]


class SceneMetaChanged(StoredObject, frozen=True, kw_only=True, tag="SceneMetaChanged"):
    """A scene's meta changed from ``before`` to ``meta`` (whole map)."""

    scene_id: str
    meta: dict[str, MetaValue]
    before: dict[str, MetaValue]
    cause: Cause

    def touched(self) -> list[str]:
        return [scene_path(self.scene_id)]


class SceneDeleted(StoredObject, frozen=True, kw_only=True, tag="SceneDeleted"):
    """A scene went away; ``before`` is the scene as it was."""

    scene_id: str
    before: Scene
    cause: Cause

    def touched(self) -> list[str]:
        return _scene_paths(self.before)


# --- nodes ------------------------------------------------------------------------


class NodeAdded(StoredObject, frozen=True, kw_only=True, tag="NodeAdded"):
    """A node was inserted after node ``after`` (``None``: at the end; ``START``: first)."""

    scene_id: str
    node: Node
    after: str | None = None
    cause: Cause

    def touched(self) -> list[str]:
        return _node_paths(self.scene_id, self.node.id)


class NodeEdited(StoredObject, NodeFields, frozen=True, kw_only=True, tag="NodeEdited"):
    """Some fields of a node changed; ``before`` holds their previous values."""

    scene_id: str
    node_id: str
    before: NodeFields
    cause: Cause

    def touched(self) -> list[str]:
        return _node_paths(self.scene_id, self.node_id)


class NodeMoved(StoredObject, frozen=True, kw_only=True, tag="NodeMoved"):
    """A node moved to just after node ``after`` (``None``: to the end; ``START``: to the front)."""

    scene_id: str
    node_id: str
    after: str | None
    cause: Cause

    def touched(self) -> list[str]:
        return _node_paths(self.scene_id, self.node_id)


class NodeRemoved(StoredObject, frozen=True, kw_only=True, tag="NodeRemoved"):
    """A node was taken out of its scene; ``before`` is the node as it was."""

    scene_id: str
    node_id: str
    before: Node
    cause: Cause

    def touched(self) -> list[str]:
        return _node_paths(self.scene_id, self.node_id)


# --- choices ----------------------------------------------------------------------


class ChoiceAdded(StoredObject, frozen=True, kw_only=True, tag="ChoiceAdded"):
    """A choice was inserted at ``index`` of a node's choices (``None``: at the end)."""

    scene_id: str
    node_id: str
    choice: Choice
    index: int | None = None
    cause: Cause

    def touched(self) -> list[str]:
        return _node_paths(self.scene_id, self.node_id)


class ChoiceEdited(StoredObject, ChoiceFields, frozen=True, kw_only=True, tag="ChoiceEdited"):
    """Some fields of a choice changed; ``before`` holds their previous values."""

    scene_id: str
    node_id: str
    choice_id: str
    before: ChoiceFields
    cause: Cause

    def touched(self) -> list[str]:
        return _node_paths(self.scene_id, self.node_id)


class ChoiceMoved(StoredObject, frozen=True, kw_only=True, tag="ChoiceMoved"):
    """A choice moved to position ``index`` of its node's choices."""

    scene_id: str
    node_id: str
    choice_id: str
    index: int
    cause: Cause

    def touched(self) -> list[str]:
        return _node_paths(self.scene_id, self.node_id)


class ChoiceRemoved(StoredObject, frozen=True, kw_only=True, tag="ChoiceRemoved"):
    """A choice was taken out of its node; ``before`` is the choice as it was."""

    scene_id: str
    node_id: str
    choice_id: str
    before: Choice
    cause: Cause

    def touched(self) -> list[str]:
        return _node_paths(self.scene_id, self.node_id)


# --- characters -------------------------------------------------------------------


class CharacterCreated(StoredObject, frozen=True, kw_only=True, tag="CharacterCreated"):
    """A character came into being."""

    character: Character
    cause: Cause

    def touched(self) -> list[str]:
        return [character_path(self.character.id)]


class CharacterEdited(StoredObject, CharacterFields, frozen=True, kw_only=True, tag="CharacterEdited"):
    """Some fields of a character changed; ``before`` holds their previous values."""

    character_id: str
    before: CharacterFields
    cause: Cause

    def touched(self) -> list[str]:
        return [character_path(self.character_id)]


class CharacterDeleted(StoredObject, frozen=True, kw_only=True, tag="CharacterDeleted"):
    """A character went away; ``before`` is the character as it was."""

    character_id: str
    before: Character
    cause: Cause

    def touched(self) -> list[str]:
        return [character_path(self.character_id)]


# --- timelines --------------------------------------------------------------------


class TimelineCreated(StoredObject, frozen=True, kw_only=True, tag="TimelineCreated"):
    """A timeline came into being."""

    timeline: Timeline
    cause: Cause

    def touched(self) -> list[str]:
        return [timeline_path(self.timeline.id)]


class TimelineEdited(StoredObject, TimelineFields, frozen=True, kw_only=True, tag="TimelineEdited"):
    """Some fields of a timeline changed; ``before`` holds their previous values."""

    timeline_id: str
    before: TimelineFields
    cause: Cause

    def touched(self) -> list[str]:
        return [timeline_path(self.timeline_id)]


class TimelineDeleted(StoredObject, frozen=True, kw_only=True, tag="TimelineDeleted"):
    """A timeline went away; ``before`` is the timeline as it was."""

    timeline_id: str
    before: Timeline
    cause: Cause

    def touched(self) -> list[str]:
        return [timeline_path(self.timeline_id)]


# --- variables --------------------------------------------------------------------


class VariableSet(StoredObject, frozen=True, kw_only=True, tag="VariableSet"):
    """A variable was created (``before=None``) or replaced; its value keeps its type."""

    variable: Variable
    before: Variable | None
    cause: Cause

    def touched(self) -> list[str]:
        return [variable_path(self.variable.id)]


class VariableDeleted(StoredObject, frozen=True, kw_only=True, tag="VariableDeleted"):
    """A variable went away; ``before`` is the variable as it was."""

    variable_id: str
    before: Variable
    cause: Cause

    def touched(self) -> list[str]:
        return [variable_path(self.variable_id)]


# --- merge conflicts --------------------------------------------------------------


class ConflictRecorded(StoredObject, frozen=True, kw_only=True, tag="ConflictRecorded"):
    """A merge could not decide a place; the conflict is stored at ``conflicts/<id>`` until resolved."""

    conflict: Conflict
    cause: Cause

    def touched(self) -> list[str]:
        return [entity_path(CONFLICTS, self.conflict.id), self.conflict.path]


class ConflictResolved(StoredObject, frozen=True, kw_only=True, tag="ConflictResolved"):
    """A conflict was settled (``how``: ours, theirs, both or value); ``before`` is the record it removes."""

    conflict_id: str
    how: str
    before: Conflict
    cause: Cause

    def touched(self) -> list[str]:
        return [entity_path(CONFLICTS, self.conflict_id), self.before.path]


Event: TypeAlias = (
    SceneCreated
    | SceneRetitled
    | SceneMetaChanged
    | SceneDeleted
    | NodeAdded
    | NodeEdited
    | NodeMoved
    | NodeRemoved
    | ChoiceAdded
    | ChoiceEdited
    | ChoiceMoved
    | ChoiceRemoved
    | CharacterCreated
    | CharacterEdited
    | CharacterDeleted
    | TimelineCreated
    | TimelineEdited
    | TimelineDeleted
    | VariableSet
    | VariableDeleted
    | ConflictRecorded
    | ConflictResolved
    | AssetImported
    | AssetMetaChanged
    | AssetRemoved
    | AssetDerived
    | GenerationRecorded
    | ExportRecorded
    | ImportRecorded
    | PlaythroughRecorded
    | FindingRecorded
    | FindingResolved
    | PolicyAcknowledged
    | FilterModeSet
    | RecordMerged
)
EVENT_TYPES: Final[tuple[type[Event], ...]] = get_args(Event)

EDIT_FIELDS: Final[dict[type[Event], type[msgspec.Struct]]] = {
    NodeEdited: NodeFields,
    ChoiceEdited: ChoiceFields,
    CharacterEdited: CharacterFields,
    TimelineEdited: TimelineFields,
}
"""Each edit event and the changed-fields struct it carries (and its ``before`` has)."""


def touched(event: Event) -> list[str]:
    """The entity paths an event touches, plus ``scenes/<sid>#<nid>`` for each node it touches.

    The events-by-entity projection indexes events under these paths, and blame
    reads them back.
    """
    return event.touched()
