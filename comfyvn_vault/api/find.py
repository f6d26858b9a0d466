"""Find an entity or a node to go to (the TUI's ctrl+g): an index of the checkout, and fuzzy pre-filters.

Part of the ``history`` group (:mod:`comfyvn_vault.api.history` lists its
verbs). The index comes from the name projection, so building it reads no
document; only the scenes a ``SCENE#NODE`` query picks are read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

import msgspec

from comfyvn_vault.domain.paths import CHARACTERS, SCENES, TIMELINES

if TYPE_CHECKING:
    from comfyvn_vault.domain.entities import Node
    from comfyvn_vault.vault import Vault

#: What :func:`find` indexes: the entities one goes to.
FIND_FOLDERS: Final = (SCENES, CHARACTERS, TIMELINES)


class Found(msgspec.Struct, frozen=True, kw_only=True):
    """An entity (or a node of a scene) :func:`find` matched."""

    folder: str
    id: str
    node: str | None = None
    label: str
    """What a list shows: ``scene intro The Lighthouse``, ``intro#n2 Alice: The lamp…``."""
    words: str
    """What a fuzzy matcher should score: the label, or for a node its id and text."""


def entity_index(vault: Vault) -> list[Found]:
    """Every scene, character and timeline of the checkout, with its name.

    Names come from the name projection (no document is read), so it stays
    quick on 10,000 scenes.
    """
    entries = []
    for folder in FIND_FOLDERS:
        names = vault.projections.names(folder)
        for path, _ in vault.projections.paths(folder):
            eid = path.split("/", 1)[1]
            label = f"{folder[:-1]} {eid} {names.get(eid, '')}".strip()
            entries.append(Found(folder=folder, id=eid, label=label, words=label))
    return entries


def _subsequence(query: str) -> Callable[[str], bool]:
    """Whether a text holds the query's characters in order, ignoring case and the query's spaces."""
    import re

    pattern = re.compile(".*?".join(re.escape(ch) for ch in query.lower() if not ch.isspace()))
    return lambda text: pattern.search(text.lower()) is not None


def find(index: Sequence[Found], query: str) -> list[Found]:
    """The entries of ``index`` whose label holds the characters of ``query`` in order (a fuzzy pre-filter)."""
    holds = _subsequence(query)
    return [entry for entry in index if holds(entry.label)]


def find_nodes(vault: Vault, index: Sequence[Found], query: str, scenes: int = 5) -> list[Found]:
    """``SCENE#NODE``: the nodes of the few scenes whose id best matches SCENE (ids starting with it first)."""
    from comfyvn_vault.domain.entities import Scene
    from comfyvn_vault.domain.paths import entity_path

    scene_part, _, _ = query.partition("#")
    holds = _subsequence(scene_part)
    ids = [e.id for e in index if e.folder == SCENES and e.node is None and holds(e.id)]
    ids.sort(key=lambda s: (not s.lower().startswith(scene_part.lower()), len(s)))
    found: list[Found] = []
    for sid in ids[:scenes]:
        doc_id = vault.projections.entity_id(entity_path(SCENES, sid))
        scene = vault.history.entity_doc(doc_id) if doc_id is not None else None
        if isinstance(scene, Scene):
            found.extend(_node_found(sid, node) for node in scene.nodes)
    return found


def _node_found(sid: str, node: Node) -> Found:
    label = f"{sid}#{node.id} {node.speaker + ': ' if node.speaker else ''}{node.content[:60]}"
    return Found(folder=SCENES, id=sid, node=node.id, label=label, words=f"{node.id} {node.content}")
