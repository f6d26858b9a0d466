"""Records that live in the state tree beside the story: assets, advisory findings, the policy.

They are not working-copy files (nobody hand-edits an image's metadata in a
TOML file): they change only through events (``AssetImported``,
``FindingRecorded``, ``PolicyAcknowledged``…), like merge conflicts do.

* An :class:`Asset` is the metadata document of one blob. Its id *is* the blob
  id (64 hex digits), so the same file imported twice is one asset; ``blob`` is
  the same id as a link, which keeps the bytes reachable for ``gc`` as long as
  some commit's tree holds the asset. ``parents`` is the lineage: parent asset
  id → relation (``derived:<operation>`` or ``input`` for a generation input).
* A :class:`Finding` is an advisory result about one asset (a license that is
  not known to be open, a scanner that failed) with its quick fixes and, once
  decided, the decision.
* The :class:`Policy` is the one settings record: the content-filter mode and
  the liability acknowledgement.
* An :class:`ImportRecord` says that a source was imported: by which importer,
  with which options, what it created. Its id is the import's key (importer,
  options, the source's bytes), so importing the same source the same way again
  finds it and creates nothing; undoing the import removes it with the rest.

No floats: durations are integer milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final, Literal, TypeAlias

import msgspec

from comfyvn_vault.domain.entities import Node
from comfyvn_vault.domain.paths import ASSETS, FINDINGS, IMPORTS, PLAYTHROUGHS, SETTINGS, entity_path
from comfyvn_vault.store.codec import StoredObject
from comfyvn_vault.store.ids import ObjectId

AssetKind: TypeAlias = Literal["image", "audio", "video", "text", "other"]
FilterMode: TypeAlias = Literal["sfw", "warn", "unrestricted"]
FindingKind: TypeAlias = Literal["license", "content", "scanner"]
FindingStatus: TypeAlias = Literal["open", "waived", "replaced", "removed", "settled"]
Fix: TypeAlias = Literal["replace", "remove", "waive", "settle"]
"""How a finding was decided. ``settle`` is not a quick fix a person picks: the
vault records it when a license finding's asset is given a license that passes."""

FIXES: Final[tuple[Fix, ...]] = ("replace", "remove", "waive")
"""The quick fixes a person can choose."""
FILTER_MODES: Final[tuple[FilterMode, ...]] = ("sfw", "warn", "unrestricted")
DEFAULT_FILTER: Final[FilterMode] = "sfw"
"""Without a recorded choice the filter hides NSFW content: nothing fails open."""

POLICY_ID: Final = "policy"


class AssetMeta(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """What a studio says about an asset: license (SPDX id or a name), NSFW flag, origin, tags."""

    license: str | None = None
    nsfw: bool = False
    origin: str | None = None
    tags: list[str] = []


class Asset(StoredObject, frozen=True, tag="Asset"):
    """One media file's metadata; ``id`` is the hex id of ``blob``."""

    id: str
    blob: ObjectId
    kind: AssetKind
    mime: str
    bytes: int
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    name: str = ""
    meta: AssetMeta = AssetMeta()
    parents: dict[str, str] = {}


class Finding(StoredObject, frozen=True, tag="Finding"):
    """An advisory result about one asset; ``status`` is ``open`` until a fix is chosen."""

    id: str
    asset_id: str
    kind: FindingKind
    message: str
    fixes: list[Fix] = msgspec.field(default_factory=lambda: list(FIXES))
    status: FindingStatus = "open"
    replacement: str | None = None
    note: str | None = None


class Policy(StoredObject, frozen=True, tag="Policy"):
    """The vault's content policy: filter mode and who acknowledged the liability notice, when."""

    id: str = POLICY_ID
    filter_mode: FilterMode = DEFAULT_FILTER
    acknowledged_by: str | None = None
    acknowledged_ms: int | None = None
    notice: str | None = None


class ImportRecord(StoredObject, frozen=True, tag="ImportRecord"):
    """One import: ``importer`` at ``version`` read ``source`` (the blob id of its bytes) with ``options``.

    ``options`` holds each option as JSON text (``"120"``, ``"true"``, ``"\"auto\""``) so
    the record has no floats and reads the same whatever the importer's types.
    ``source_asset`` is the asset holding the source (None when the importer kept no
    copy); ``created`` the entity paths the import made, in order.
    """

    id: str
    importer: str
    version: str
    source: str
    source_name: str = ""
    source_asset: str | None = None
    options: dict[str, str] = {}
    created: list[str] = []


class PlayedLine(msgspec.Struct, frozen=True, array_like=True):
    """One line of a recorded transcript: who says it (None: narration), the text, the node (``SCENE:NODE``)."""

    speaker: str | None
    text: str
    node: str


class PlaythroughRecord(StoredObject, frozen=True, tag="PlaythroughRecord"):
    """A playthrough as it went: from ``start`` with ``seed`` and ``choices`` on the story of commit ``story``.

    ``path`` lists the nodes visited, ``transcript`` what was said, ``variables``
    the variables at the end (as JSON text, so any value reads back the same),
    ``stopped`` why it ended. ``replay`` plays it again and compares.
    """

    id: str
    start: str
    seed: int
    story: str
    path: list[str]
    transcript: list[PlayedLine]
    stopped: str
    choices: list[int] = []
    variables: str = "{}"


Record: TypeAlias = Asset | Finding | Policy | ImportRecord | PlaythroughRecord
RECORD_TYPES: Final[tuple[type[Record], ...]] = (Asset, Finding, Policy, ImportRecord, PlaythroughRecord)
RECORD_FOLDERS: Final[dict[str, type[Record]]] = {
    ASSETS: Asset,
    FINDINGS: Finding,
    SETTINGS: Policy,
    IMPORTS: ImportRecord,
    PLAYTHROUGHS: PlaythroughRecord,
}
POLICY_PATH: Final = f"{SETTINGS}/{POLICY_ID}"


_ASSET_REF: Final = re.compile(r"(?:asset:)?([0-9a-f]{64})")


def asset_refs(value: str) -> Iterator[str]:
    """Asset ids a string (a directive, a meta value) names: a full 64-hex id, alone or as ``asset:<id>``."""
    m = _ASSET_REF.fullmatch(value.strip())
    if m:
        yield m.group(1)


def node_asset_refs(node: Node) -> Iterator[str]:
    """Asset ids a node names in its directives or its meta (string values)."""
    for value in (*node.directives.values(), *node.meta.values()):
        if isinstance(value, str):
            yield from asset_refs(value)


def asset_path(asset_id: str) -> str:
    return entity_path(ASSETS, asset_id)


def finding_path(finding_id: str) -> str:
    return entity_path(FINDINGS, finding_id)


def import_path(import_id: str) -> str:
    return entity_path(IMPORTS, import_id)


def playthrough_path(playthrough_id: str) -> str:
    return entity_path(PLAYTHROUGHS, playthrough_id)


def finding_id(kind: FindingKind, asset_id: str) -> str:
    """Findings are keyed by kind and asset, so scanning twice never files the same finding twice."""
    return f"{kind}-{asset_id}"[:64]


def _link_bytes(obj: object) -> bytes:
    if isinstance(obj, ObjectId):
        return bytes(obj)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


_encoder: Final = msgspec.msgpack.Encoder(order="deterministic", enc_hook=_link_bytes)


def same_record(a: object, b: object) -> bool:
    """Equal as stored (equal canonical bytes), for values that may hold links (``Asset.blob``)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    return a == b and _encoder.encode(a) == _encoder.encode(b)


def is_record_path(path: str) -> bool:
    return path.split("/", 1)[0] in RECORD_FOLDERS
