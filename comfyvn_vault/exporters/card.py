"""A character as a character card: one PNG carrying a V3 ``ccv3`` chunk and a V2 ``chara`` chunk.

``comfyvn export card CHARACTER OUT.png`` writes the card SillyTavern, RisuAI
and the other card tools read. The image is the character's portrait when it
is a PNG (its old card chunks dropped); otherwise a small one-colour PNG is
generated, and a portrait in another format rides along as an embedded asset.

The card is rebuilt from the character as the card importer
(:mod:`comfyvn_vault.importers.card`) maps it, on top of the card JSON the
import kept (``meta.card_json``), so fields this project does not map, the
``extensions`` and anything unknown survive: a field whose value the
character still has as imported is written back exactly as it was in the
kept JSON (a number stays a number), a changed one gets the character's value.
Traits no card field holds go to ``extensions.comfyvn.traits``. The
greetings come from the opening scene (``meta.opening_scene``; the kept JSON's
when there is no such scene), the lorebook from ``meta.lorebook``.

``assets`` lists the portrait as the ``icon`` ``main`` (``ccdefault:``, the
PNG itself, when the portrait is the PNG), each expression as an ``emotion``
and each asset of ``meta.card_assets`` under its type; their bytes are
``chara-ext-asset_:N`` chunks (``__asset:N``), the spec's way of carrying
assets in a PNG. Entries the importer did not read (web URLs) are kept.

The ``chara`` chunk holds the same card as ``chara_card_v2``, with the V1
fields repeated at the top for readers that know only V1, as SillyTavern
writes them. Nothing here reads a clock: ``modification_date`` is the kept one.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import msgspec

from comfyvn_vault.adapters.archive import load_json
from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.exporter import ExportPlan, OutputFile, StoryView
from comfyvn_vault.domain.assets import Asset, asset_path
from comfyvn_vault.domain.entities import Character, Scene
from comfyvn_vault.domain.paths import CHARACTERS, check_id, entity_path, local_target, scene_path
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.card import ALTERNATE, FIRST_MES, LANGUAGE_TRAIT, TRAIT_FIELDS
from comfyvn_vault.importers.card_format import (
    DATA_FIELDS,
    EXTENSION_KEY,
    MAX_ASSET_BYTES,
    SPEC_V2,
    SPEC_V3,
    V1_FIELDS,
    Card,
    decode_json,
    imported,
    read_card,
)
from comfyvn_vault.importers.card_png import ASSET_PREFIX, CCV3, CHARA, Png, build_png, placeholder_png, read_png, sniff

PLACEHOLDER: Final = (256, 384)
_PYGMALION_KEYS: Final = frozenset({"char_name", "char_persona", "char_greeting", "world_scenario", "example_dialogue"})
EXT_OF: Final = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/avif": "avif",
    "image/bmp": "bmp",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
    "audio/flac": "flac",
    "video/mp4": "mp4",
    "video/webm": "webm",
}
_ABSENT: Final = object()
"""A field the card leaves out."""


class CardExportOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which character is written, and where."""

    character: str = ""
    """The character's id (default: the story's only character)."""
    file: str = ""
    """The output file's path in the export (default: ``<character id>.png``)."""


@dataclass
class _Embedded:
    """The assets list being built and the chunks carrying their bytes."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    chunks: list[tuple[str, str]] = field(default_factory=list)

    def add(self, data: bytes, type_: str, name: str, ext: str) -> None:
        key = str(len(self.chunks))
        self.chunks.append((f"{ASSET_PREFIX}:{key}", base64.b64encode(data).decode("ascii")))
        self.entries.append({"type": type_, "uri": f"__asset:{key}", "name": name, "ext": ext})


class CardExporter:
    """Writes one character as a PNG character card (see the module docstring)."""

    info: Final = AdapterInfo("card", "1")
    options_type: Final = CardExportOptions

    def plan(self, story: StoryView, options: CardExportOptions) -> ExportPlan:
        character = self._character(story, options)
        png = render(story, character)
        return ExportPlan(self.info, (OutputFile(options.file or f"{character.id}.png", png),))

    def _character(self, story: StoryView, options: CardExportOptions) -> Character:
        if options.character:
            doc = story.lookup(entity_path(CHARACTERS, check_id(options.character, "character id")))
            if not isinstance(doc, Character):
                raise InputRejected(f"no character {options.character!r} to export")
            return doc
        found = list(story.characters())
        if len(found) != 1:
            raise InputRejected(f"name the character to export (the story has {len(found)})")
        return found[0]


def render(story: StoryView, character: Character) -> bytes:
    """The PNG card of ``character``."""
    original = _kept_json(story, character)
    before = read_card(original, "the kept card JSON") if original else None
    embedded = _Embedded()
    carrier = _portrait(story, character, embedded)
    data = card_data(story, character, original, before, embedded)
    v3, v2 = card_objects(original, before, data)
    texts = [*embedded.chunks, (CHARA, _b64json(v2)), (CCV3, _b64json(v3))]
    return build_png(carrier, texts)


def _b64json(value: Any) -> str:
    return base64.b64encode(msgspec.json.encode(value)).decode("ascii")


def _asset(story: StoryView, asset_id: str, what: str) -> tuple[Asset, bytes]:
    doc = story.lookup(asset_path(check_id(asset_id, f"{what} asset id")))
    if not isinstance(doc, Asset):
        raise InputRejected(f"{what} is asset {asset_id[:12]}, which the story does not have")
    if story.blob is None:
        raise InputRejected(f"cannot export a card from a story view without asset bytes ({what})")
    if doc.bytes > MAX_ASSET_BYTES:
        raise InputRejected(f"{what} is asset {asset_id[:12]} of {doc.bytes} bytes, over {MAX_ASSET_BYTES}")
    return doc, story.blob(doc.blob)


def _kept_json(story: StoryView, character: Character) -> dict[str, Any]:
    aid = character.meta.get("card_json")
    if not isinstance(aid, str):
        return {}
    _, raw = _asset(story, aid, "the kept card JSON")
    return decode_json(raw, "the kept card JSON")


def _portrait(story: StoryView, character: Character, embedded: _Embedded) -> Png:
    """The PNG the card rides in; the portrait's ``icon`` entry added to ``embedded``."""
    pid = character.portrait_asset_id
    if pid is not None:
        _, data = _asset(story, pid, "the portrait")
        if sniff(data) == "image/png":
            try:
                png = read_png(data, "the portrait")
            except InputRejected:
                png = None
            if png is not None and png.image() == data:
                embedded.entries.append({"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"})
                return png
        embedded.add(data, "icon", "main", EXT_OF.get(sniff(data), "unknown"))
    digest = hashlib.blake2b(character.id.encode(), digest_size=3).digest()
    colour = (96 + digest[0] // 3, 96 + digest[1] // 3, 96 + digest[2] // 3)
    return read_png(placeholder_png(*PLACEHOLDER, colour), "the placeholder")


def _greetings(story: StoryView, character: Character) -> tuple[str, list[str]] | None:
    """``(first_mes, alternate_greetings)`` from the opening scene; None when there is no such scene."""
    sid = character.meta.get("opening_scene")
    if not isinstance(sid, str):
        return None
    scene = story.lookup(scene_path(check_id(sid, "opening scene id")))
    if not isinstance(scene, Scene) or not scene.nodes:
        return None
    by_id = {n.id: n for n in scene.nodes}
    start = scene.nodes[0]
    if start.choices:
        targets = [local_target(scene.id, c.target) for c in start.choices]
        nodes = [by_id[t] for t in targets if t is not None and t in by_id]
    else:
        nodes = [n for n in scene.nodes if n.type == "text"]
    first: str | None = None
    alternates: list[str] = []
    marked_first = any(n.meta.get("card_field") == FIRST_MES for n in nodes)
    for node in nodes:
        tag = node.meta.get("card_field")
        if first is None and (tag == FIRST_MES or (not marked_first and tag != ALTERNATE)):
            first = node.content
        else:
            alternates.append(node.content)
    return first or "", alternates


def _strings(value: object) -> list[str] | None:
    return list(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def card_data(
    story: StoryView, character: Character, original: dict[str, Any], before: Card | None, embedded: _Embedded
) -> dict[str, Any]:
    """The card's ``data``: the kept data, each field as the character now has it (see the module docstring)."""
    meta, traits = character.meta, character.traits
    greetings = _greetings(story, character)
    if greetings is None:
        greetings = (before.text[FIRST_MES], list(before.alternate_greetings)) if before else ("", [])
    languages = {k[len(LANGUAGE_TRAIT) :]: v for k, v in traits.items() if k.startswith(LANGUAGE_TRAIT)}
    extra = {k: v for k, v in traits.items() if k not in TRAIT_FIELDS and not k.startswith(LANGUAGE_TRAIT)}
    nickname = meta.get("nickname")
    created, modified = meta.get("creation_date"), meta.get("modification_date")
    now: dict[str, Any] = {
        "name": character.name,
        **{k: traits.get(k, "") for k in ("description", "personality", "scenario")},
        FIRST_MES: greetings[0],
        "mes_example": traits.get("mes_example", ""),
        **{k: traits.get(k, "") for k in ("creator_notes", "system_prompt", "post_history_instructions")},
        ALTERNATE: greetings[1],
        "character_book": _lorebook(story, meta.get("lorebook")),
        "tags": _strings(meta.get("tags")) or [],
        "creator": meta.get("creator") if isinstance(meta.get("creator"), str) else "",
        "character_version": meta.get("character_version") if isinstance(meta.get("character_version"), str) else "",
        "extensions": extra,
        "group_only_greetings": _strings(meta.get("group_only_greetings")) or [],
        "nickname": nickname if isinstance(nickname, str) else _ABSENT,
        "creator_notes_multilingual": languages or _ABSENT,
        "source": _strings(meta.get("card_source")) or _ABSENT,
        "creation_date": created if isinstance(created, int) and not isinstance(created, bool) else _ABSENT,
        "modification_date": modified if isinstance(modified, int) and not isinstance(modified, bool) else _ABSENT,
    }
    was = _as_imported(before) if before is not None else {}
    raw = before.raw if before is not None and before.version > 1 else {}
    source = before.raw if before is not None else {}
    data: dict[str, Any] = {k: v for k, v in raw.items()}
    for key, value in now.items():
        if key == "extensions":
            data[key] = _extensions(source.get(key), value, was.get(key))
        elif key in source and was.get(key, _ABSENT) == value:
            data[key] = source[key]
        elif value is _ABSENT:
            data.pop(key, None)
        else:
            data[key] = value
    data["assets"] = _assets(story, character, before, embedded)
    return data


def _as_imported(card: Card) -> dict[str, Any]:
    """What the importer made of each field of ``card``, in the shape :func:`card_data` compares with."""
    return {
        **{k: card.text[k] for k in ("name", *TRAIT_FIELDS, FIRST_MES, "creator", "character_version")},
        ALTERNATE: card.alternate_greetings,
        "character_book": card.character_book if card.character_book is not None else _ABSENT,
        "tags": card.tags,
        "extensions": card.extra_traits,
        "group_only_greetings": card.group_only_greetings,
        "nickname": card.nickname if card.nickname is not None else _ABSENT,
        "creator_notes_multilingual": {k: v for k, v in card.creator_notes_multilingual.items() if v} or _ABSENT,
        "source": card.source or _ABSENT,
        "creation_date": card.creation_date if card.creation_date is not None else _ABSENT,
        "modification_date": card.modification_date if card.modification_date is not None else _ABSENT,
    }


def _extensions(kept: object, traits: dict[str, str], traits_before: object) -> Any:
    """The kept ``extensions`` with ``comfyvn.traits`` set to the traits no card field holds."""
    if traits == traits_before:
        return {} if kept is None else kept
    ext = dict(kept) if isinstance(kept, dict) else {}
    ours = ext.get(EXTENSION_KEY)
    ours = dict(ours) if isinstance(ours, dict) else {}
    if traits:
        ours["traits"] = dict(traits)
    else:
        ours.pop("traits", None)
    if ours:
        ext[EXTENSION_KEY] = ours
    else:
        ext.pop(EXTENSION_KEY, None)
    return ext


def _lorebook(story: StoryView, aid: object) -> Any:
    if not isinstance(aid, str):
        return _ABSENT
    _, raw = _asset(story, aid, "the lorebook")
    return load_json(raw, "the lorebook")


def _assets(story: StoryView, character: Character, before: Card | None, embedded: _Embedded) -> list[Any]:
    for name, aid in sorted(character.expressions.items()):
        _, data = _asset(story, aid, f"expression {name!r}")
        embedded.add(data, "emotion", name, EXT_OF.get(sniff(data), "unknown"))
    extras = character.meta.get("card_assets")
    for entry in _strings(extras) or []:
        aid, _, rest = entry.partition(":")
        type_, _, rest = rest.partition(":")
        ext, _, name = rest.partition(":")
        if not type_:
            raise InputRejected(f"meta.card_assets entry {entry[:80]!r} is not '<asset id>:<type>:<ext>:<name>'")
        _, data = _asset(story, aid, f"card asset {name[:40]!r}")
        embedded.add(data, type_, name, ext or "unknown")
    kept: list[Any] = []
    if before is not None and before.assets is not None:
        listed = before.raw.get("assets")
        assert isinstance(listed, list)
        kept = [listed[a.index] for a in before.assets if not imported(a)]
    return [*embedded.entries, *kept]


def card_objects(original: dict[str, Any], before: Card | None, data: dict[str, Any]) -> tuple[Any, Any]:
    """The V3 and V2 card objects around ``data``: the kept top level, its V1 mirrors brought up to date."""
    if before is not None and before.version > 1:
        top = dict(original)
    else:
        top = {k: v for k, v in original.items() if k not in DATA_FIELDS and k not in _PYGMALION_KEYS}
    mirrors = {**{k: data[k] for k in V1_FIELDS}, "tags": data["tags"], "creatorcomment": data["creator_notes"]}
    for key, value in mirrors.items():
        if key in top:
            top[key] = value
    v3 = {**top, "spec": SPEC_V3, "spec_version": "3.0", "data": data}
    v2 = {**top, **{k: data[k] for k in V1_FIELDS}, "spec": SPEC_V2, "spec_version": "2.0", "data": data}
    return v3, v2


if TYPE_CHECKING:
    from comfyvn_vault.adapters.exporter import Exporter

    _exporter: Exporter[CardExportOptions] = CardExporter()
