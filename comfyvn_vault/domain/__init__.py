"""The pure domain layer: entity documents, events, ``apply`` and ``diff_entities``.

Nothing here does IO. Entities are what the state tree stores; events are what
history records; :func:`apply` decides whether an event applies and what it
changes; :func:`diff_entities` turns two versions of a document into the events
between them. Higher layers (history, projections, the Vault facade, importers)
call these and never change documents any other way.

Names are imported on first use (PEP 562), so code that needs one entity type
does not pay for ``apply`` and ``diff_entities``: the CLI starts faster.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "Cause": "comfyvn_vault.domain.events",
    "CauseKind": "comfyvn_vault.domain.events",
    "Changes": "comfyvn_vault.domain.apply",
    "Character": "comfyvn_vault.domain.entities",
    "CharacterCreated": "comfyvn_vault.domain.events",
    "CharacterDeleted": "comfyvn_vault.domain.events",
    "CharacterEdited": "comfyvn_vault.domain.events",
    "CharacterFields": "comfyvn_vault.domain.events",
    "Choice": "comfyvn_vault.domain.entities",
    "ChoiceAdded": "comfyvn_vault.domain.events",
    "ChoiceEdited": "comfyvn_vault.domain.events",
    "ChoiceFields": "comfyvn_vault.domain.events",
    "ChoiceMoved": "comfyvn_vault.domain.events",
    "ChoiceRemoved": "comfyvn_vault.domain.events",
    "EDIT_FIELDS": "comfyvn_vault.domain.events",
    "ENTITY_TYPES": "comfyvn_vault.domain.entities",
    "EVENT_TYPES": "comfyvn_vault.domain.events",
    "Entity": "comfyvn_vault.domain.entities",
    "EntityPath": "comfyvn_vault.domain.paths",
    "Event": "comfyvn_vault.domain.events",
    "Lookup": "comfyvn_vault.domain.validate",
    "MetaValue": "comfyvn_vault.domain.entities",
    "Node": "comfyvn_vault.domain.entities",
    "NodeAdded": "comfyvn_vault.domain.events",
    "NodeEdited": "comfyvn_vault.domain.events",
    "NodeFields": "comfyvn_vault.domain.events",
    "NodeMoved": "comfyvn_vault.domain.events",
    "NodeRemoved": "comfyvn_vault.domain.events",
    "NodeType": "comfyvn_vault.domain.entities",
    "Rejected": "comfyvn_vault.domain.errors",
    "START": "comfyvn_vault.domain.events",
    "Scene": "comfyvn_vault.domain.entities",
    "SceneCreated": "comfyvn_vault.domain.events",
    "SceneDeleted": "comfyvn_vault.domain.events",
    "SceneMetaChanged": "comfyvn_vault.domain.events",
    "SceneRetitled": "comfyvn_vault.domain.events",
    "Scope": "comfyvn_vault.domain.entities",
    "Timeline": "comfyvn_vault.domain.entities",
    "TimelineCreated": "comfyvn_vault.domain.events",
    "TimelineDeleted": "comfyvn_vault.domain.events",
    "TimelineEdited": "comfyvn_vault.domain.events",
    "TimelineFields": "comfyvn_vault.domain.events",
    "Variable": "comfyvn_vault.domain.entities",
    "VariableDeleted": "comfyvn_vault.domain.events",
    "VariableSet": "comfyvn_vault.domain.events",
    "VariableValue": "comfyvn_vault.domain.entities",
    "apply": "comfyvn_vault.domain.apply",
    "apply_all": "comfyvn_vault.domain.apply",
    "character_path": "comfyvn_vault.domain.paths",
    "check_id": "comfyvn_vault.domain.paths",
    "diff_entities": "comfyvn_vault.domain.diffing",
    "node_path": "comfyvn_vault.domain.paths",
    "path_of": "comfyvn_vault.domain.entities",
    "scene_path": "comfyvn_vault.domain.paths",
    "split_target": "comfyvn_vault.domain.paths",
    "timeline_path": "comfyvn_vault.domain.paths",
    "touched": "comfyvn_vault.domain.events",
    "variable_path": "comfyvn_vault.domain.paths",
}

if TYPE_CHECKING:
    from comfyvn_vault.domain.apply import Changes, apply, apply_all
    from comfyvn_vault.domain.diffing import diff_entities
    from comfyvn_vault.domain.entities import (
        ENTITY_TYPES,
        Character,
        Choice,
        Entity,
        MetaValue,
        Node,
        NodeType,
        Scene,
        Scope,
        Timeline,
        Variable,
        VariableValue,
        path_of,
    )
    from comfyvn_vault.domain.errors import Rejected
    from comfyvn_vault.domain.events import (
        EDIT_FIELDS,
        EVENT_TYPES,
        START,
        Cause,
        CauseKind,
        CharacterCreated,
        CharacterDeleted,
        CharacterEdited,
        CharacterFields,
        ChoiceAdded,
        ChoiceEdited,
        ChoiceFields,
        ChoiceMoved,
        ChoiceRemoved,
        Event,
        NodeAdded,
        NodeEdited,
        NodeFields,
        NodeMoved,
        NodeRemoved,
        SceneCreated,
        SceneDeleted,
        SceneMetaChanged,
        SceneRetitled,
        TimelineCreated,
        TimelineDeleted,
        TimelineEdited,
        TimelineFields,
        VariableDeleted,
        VariableSet,
        touched,
    )
    from comfyvn_vault.domain.paths import (
        EntityPath,
        character_path,
        check_id,
        node_path,
        scene_path,
        split_target,
        timeline_path,
        variable_path,
    )
    from comfyvn_vault.domain.validate import Lookup


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'comfyvn_vault.domain' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "EDIT_FIELDS",
    "ENTITY_TYPES",
    "EVENT_TYPES",
    "START",
    "Cause",
    "CauseKind",
    "Changes",
    "Character",
    "CharacterCreated",
    "CharacterDeleted",
    "CharacterEdited",
    "CharacterFields",
    "Choice",
    "ChoiceAdded",
    "ChoiceEdited",
    "ChoiceFields",
    "ChoiceMoved",
    "ChoiceRemoved",
    "Entity",
    "EntityPath",
    "Event",
    "Lookup",
    "MetaValue",
    "Node",
    "NodeAdded",
    "NodeEdited",
    "NodeFields",
    "NodeMoved",
    "NodeRemoved",
    "NodeType",
    "Rejected",
    "Scene",
    "SceneCreated",
    "SceneDeleted",
    "SceneMetaChanged",
    "SceneRetitled",
    "Scope",
    "Timeline",
    "TimelineCreated",
    "TimelineDeleted",
    "TimelineEdited",
    "TimelineFields",
    "Variable",
    "VariableDeleted",
    "VariableSet",
    "VariableValue",
    "apply",
    "apply_all",
    "character_path",
    "check_id",
    "diff_entities",
    "node_path",
    "path_of",
    "scene_path",
    "split_target",
    "timeline_path",
    "touched",
    "variable_path",
]
