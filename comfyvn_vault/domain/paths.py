"""Entity ids, entity paths and link targets: the names the domain uses for things.

Every entity has a stable id (1-64 characters of ``[A-Za-z0-9_.-]``, not
starting with ``.``) that never changes when it is renamed or edited. 64 is the
length of a hex blob id, so an asset's id can be the id of its blob. An entity
lives at a path ``<folder>/<id>`` in the state tree (``scenes/intro``); a node
inside a scene is addressed as ``scenes/<scene_id>#<node_id>`` by projections
and blame, though it is stored inside its scene's document.

A link target (a node's ``next`` entry or a choice's ``target``) is one of:

* ``node_id`` — a node of the same scene;
* ``scene_id:node_id`` — a node of another (or the same) scene;
* ``scene_id:`` — the start (first node) of a scene.
"""

from __future__ import annotations

import functools
import re
from typing import Final, NamedTuple

from comfyvn_vault.domain.errors import Rejected

ID_MAX: Final = 64
_ID_CHARS: Final = re.compile(r"[A-Za-z0-9_.\-]+")
_ID: Final = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,63}")

SCENES: Final = "scenes"
CHARACTERS: Final = "characters"
TIMELINES: Final = "timelines"
VARIABLES: Final = "variables"
ASSETS: Final = "assets"
FINDINGS: Final = "findings"
CONFLICTS: Final = "conflicts"
SETTINGS: Final = "settings"
IMPORTS: Final = "imports"
PLAYTHROUGHS: Final = "playthroughs"
FOLDERS: Final = (
    SCENES,
    CHARACTERS,
    TIMELINES,
    VARIABLES,
    ASSETS,
    FINDINGS,
    CONFLICTS,
    SETTINGS,
    IMPORTS,
    PLAYTHROUGHS,
)
#: Names Windows reserves for devices, whatever the extension (``con.toml`` is the console there).
RESERVED_NAMES: Final = frozenset(
    ["con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))]
)


def id_problem(value: str) -> str | None:
    """Why ``value`` is not a valid id, or ``None`` when it is one."""
    if _ID.fullmatch(value):
        return None
    if not value:
        return "is empty"
    if len(value) > ID_MAX:
        return f"has {len(value)} characters (at most {ID_MAX})"
    if value.startswith("."):
        return "starts with '.'"
    bad = next(ch for ch in value if not _ID_CHARS.fullmatch(ch))
    return f"contains {bad!r} (allowed: A-Z a-z 0-9 _ . -)"


def check_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it is a valid id; raise :class:`Rejected` naming ``what`` otherwise."""
    if _ID.fullmatch(value):
        return value
    raise Rejected(f"{what} {value[:80]!r} {id_problem(value)}")


def is_reserved_name(entity_id: str) -> bool:
    """True for ids that name a device, not a file, on some system (``nul``, ``COM1.x``)."""
    return entity_id.partition(".")[0].lower() in RESERVED_NAMES


@functools.lru_cache(maxsize=1 << 16)
def entity_path(folder: str, entity_id: str) -> str:
    """``folder/entity_id``, after checking the id (an invalid id could forge another path)."""
    if not _ID.fullmatch(entity_id) or is_reserved_name(entity_id):
        raise Rejected(f"{folder[:-1]} id {entity_id[:80]!r} {_name_problem(entity_id)}")
    return f"{folder}/{entity_id}"


def _name_problem(entity_id: str) -> str | None:
    problem = id_problem(entity_id)
    if problem is None and is_reserved_name(entity_id):
        return "is a reserved device name on Windows"
    return problem


def tree_path_problem(path: str) -> str | None:
    """Why ``path`` cannot be a state-tree path, or ``None`` when it is one.

    A tree path names a file of the working copy (``scenes/intro`` is
    ``scenes/intro.toml``), so this is the one check between another vault's
    data and the file system: exactly ``<folder>/<id>`` with a known folder and
    an id that is one plain file name (no ``..``, no separator of any system,
    no leading dot, no device name). Every path :func:`entity_path` builds passes.
    """
    folder, slash, name = path.partition("/")
    if not slash:
        return "has no folder"
    if folder not in FOLDERS:
        return f"is not in one of the folders {', '.join(FOLDERS)}"
    return _name_problem(name)


def check_tree_path(path: str) -> str:
    """Return ``path`` if it is a valid state-tree path; raise :class:`Rejected` otherwise."""
    problem = tree_path_problem(path)
    if problem is not None:
        raise Rejected(f"tree path {path[:80]!r} {problem}")
    return path


@functools.lru_cache(maxsize=1 << 16)
def scene_path(scene_id: str) -> str:
    return entity_path(SCENES, scene_id)


def character_path(character_id: str) -> str:
    return entity_path(CHARACTERS, character_id)


def timeline_path(timeline_id: str) -> str:
    return entity_path(TIMELINES, timeline_id)


def variable_path(variable_id: str) -> str:
    return entity_path(VARIABLES, variable_id)


@functools.lru_cache(maxsize=1 << 16)
def node_path(scene_id: str, node_id: str) -> str:
    """``scenes/<scene_id>#<node_id>``: the address of a node for projections and blame."""
    return f"{scene_path(scene_id)}#{check_id(node_id, 'node id')}"


class EntityPath(NamedTuple):
    """A parsed entity path, optionally pointing at a node inside a scene."""

    folder: str
    id: str
    node: str | None = None

    @classmethod
    def parse(cls, text: str) -> EntityPath:
        """Parse ``folder/id`` or ``scenes/id#node``; raise :class:`Rejected` on anything else."""
        folder, slash, rest = text.partition("/")
        if not slash or folder not in FOLDERS:
            raise Rejected(f"not an entity path: {text[:80]!r} (expected one of {', '.join(FOLDERS)} then /id)")
        entity_id, hash_, node = rest.partition("#")
        check_id(entity_id, f"{folder[:-1]} id")
        if not hash_:
            return cls(folder, entity_id)
        if folder != SCENES:
            raise Rejected(f"not an entity path: {text[:80]!r} (only scenes have nodes)")
        return cls(folder, entity_id, check_id(node, "node id"))

    @property
    def entity(self) -> str:
        """The path of the entity document (without the node part)."""
        return f"{self.folder}/{self.id}"

    def __str__(self) -> str:
        return self.entity if self.node is None else f"{self.entity}#{self.node}"


def split_target(target: str) -> tuple[str | None, str | None]:
    """Split a link target into ``(scene_id or None for this scene, node_id or None for the start)``.

    Raise :class:`Rejected` when the target is not one of the three forms.
    """
    scene_id, colon, node_id = target.partition(":")
    if not colon:
        return None, check_id(target, "target node id")
    check_id(scene_id, "target scene id")
    if not node_id:
        return scene_id, None
    return scene_id, check_id(node_id, "target node id")


def local_target(scene_id: str, target: str) -> str | None:
    """The node of scene ``scene_id`` that ``target`` names, or ``None`` for another scene or a start.

    Assumes ``target`` is well formed (see :func:`split_target`).
    """
    sid, colon, nid = target.partition(":")
    if not colon:
        return target
    return nid if sid == scene_id and nid else None
