"""Entity documents: the story's content as frozen, tagged, canonical structs.

A document is what the state tree stores at an entity path (``scenes/intro``).
Scenes hold their nodes and nodes hold their choices, so one scene is one object
and a commit that edits a line costs one scene document. Nodes and choices are
plain frozen structs (not stored on their own) with stable ids of their own, so
events, blame and three-way merge can still work node by node and choice by
choice.

No floats anywhere: weights are ints and meta values are strings, ints, bools or
lists of strings, so equal content always encodes to equal bytes.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

import msgspec

from comfyvn_vault.domain.paths import CHARACTERS, SCENES, TIMELINES, VARIABLES, entity_path
from comfyvn_vault.store.codec import StoredObject

MetaValue: TypeAlias = str | int | bool | list[str] | None
"""A free-form annotation value (importer notes, tags, flags)."""

NodeType: TypeAlias = Literal["text", "choice", "action"]
Scope: TypeAlias = Literal["global", "session", "scene"]
VariableValue: TypeAlias = int | str | bool


class Choice(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """One option of a choice node; ``target`` is a link target (see :mod:`~comfyvn_vault.domain.paths`)."""

    id: str
    text: str
    target: str
    condition: str | None = None
    effects: str | None = None
    weight: int | None = None


class Node(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """One beat of a scene: a line of text, a choice, or an action (directives only)."""

    id: str
    type: NodeType = "text"
    speaker: str | None = None
    content: str = ""
    directives: dict[str, str] = {}
    conditions: list[str] = []
    effects: str | None = None
    next: list[str] = []
    choices: list[Choice] = []
    meta: dict[str, MetaValue] = {}


class Scene(StoredObject, frozen=True, tag="Scene"):
    """An ordered list of nodes; the first node is where the scene starts."""

    id: str
    title: str = ""
    nodes: list[Node] = []
    meta: dict[str, MetaValue] = {}


class Character(StoredObject, frozen=True, tag="Character"):
    """A cast member; ``portrait_asset_id`` and ``expressions`` values are asset ids."""

    id: str
    name: str = ""
    traits: dict[str, str] = {}
    portrait_asset_id: str | None = None
    expressions: dict[str, str] = {}
    meta: dict[str, MetaValue] = {}


class Timeline(StoredObject, frozen=True, tag="Timeline"):
    """An ordering of scenes (a route, a chapter list)."""

    id: str
    name: str = ""
    scene_order: list[str] = []
    meta: dict[str, MetaValue] = {}


class Variable(StoredObject, frozen=True, tag="Variable"):
    """A story variable with its initial value; its type is fixed once it exists."""

    id: str
    name: str
    value: VariableValue
    scope: Scope = "global"
    meta: dict[str, MetaValue] = {}


Entity: TypeAlias = Scene | Character | Timeline | Variable
ENTITY_TYPES: Final[tuple[type[Entity], ...]] = (Scene, Character, Timeline, Variable)
FOLDER_OF: Final[dict[type[Entity], str]] = {
    Scene: SCENES,
    Character: CHARACTERS,
    Timeline: TIMELINES,
    Variable: VARIABLES,
}
TYPE_OF: Final[dict[str, type[Entity]]] = {folder: kind for kind, folder in FOLDER_OF.items()}


def name_of(doc: object) -> str:
    """What a person calls a document: a scene's title, another entity's name ("" for other records)."""
    if isinstance(doc, Scene):
        return doc.title
    if isinstance(doc, Character | Timeline | Variable):
        return doc.name
    return ""


def path_of(entity: Entity) -> str:
    """The entity path a document is stored at (``scenes/intro``)."""
    return entity_path(FOLDER_OF[type(entity)], entity.id)
