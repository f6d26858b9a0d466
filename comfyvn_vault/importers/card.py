"""Character cards (SillyTavern, RisuAI, Chub…) imported as a character and its opening scene.

``comfyvn import card FILE`` takes a PNG card, a JSON card or a CHARX archive
of any spec version (:mod:`~comfyvn_vault.importers.card_format` tells them
apart by their bytes and reads them) and plans:

* one **Character**, its id the slug of the card's name made unique (a card
  with no name is named after the file, with a finding). Its ``traits`` are
  the card's prose under the spec's field names: ``description``,
  ``personality``, ``scenario``, ``mes_example`` (example messages),
  ``creator_notes`` (and ``creator_notes.<lang>`` for each language of
  ``creator_notes_multilingual``), ``system_prompt`` and
  ``post_history_instructions``; empty fields are left out. Its ``meta``
  holds ``tags`` (a list), ``creator``, ``character_version``, ``nickname``,
  ``card_source`` (V3 ``source``), ``creation_date``, ``modification_date``
  and ``group_only_greetings`` as the card has them, and points at assets:
  ``card_json`` (the card's JSON exactly as it came, so unknown fields and
  ``extensions`` are never lost), ``lorebook`` (the ``character_book`` as
  JSON, with ``lorebook_entries``, its number of entries), ``source_asset``
  (the file imported) and ``opening_scene``;
* one **opening Scene** (``<character>-opening``) when the card has a
  greeting: a choice node ``start`` with one choice per greeting (the first
  message, then each alternate greeting), each leading to a node ``g1``,
  ``g2``… where the character says it; the node's meta names the card field
  (``{"card_field": "first_mes"}`` or ``"alternate_greetings"``);
* **assets**: the portrait (a PNG card's own image, without its card chunks,
  so exporting and importing again gives the same asset; or the card's main
  ``icon``), one expression per ``emotion`` asset (by its name), and any other
  embedded asset (backgrounds, user icons…) listed in ``meta.card_assets`` as
  ``<asset id>:<type>:<ext>:<name>``.

Every oddity of the card (a null field, a number where text belongs, a
greeting that is not text, a URL asset not fetched, an archive member no asset
names) is a finding; every malformed input is one :class:`InputRejected`.
Planning is pure: it reads the bytes it is given and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.importer import Source
from comfyvn_vault.adapters.plan import Plan, PlanBuilder
from comfyvn_vault.domain.assets import AssetKind
from comfyvn_vault.domain.entities import Character, Choice, MetaValue, Node, Scene
from comfyvn_vault.domain.naming import fresh_id, slug
from comfyvn_vault.domain.paths import CHARACTERS, SCENES, check_id, entity_path
from comfyvn_vault.domain.validate import Lookup
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.card_format import (
    SHOWN,
    Card,
    CardAsset,
    Loaded,
    fetch,
    imported,
    load_card,
    plural,
    read_card,
    uri_kind,
)
from comfyvn_vault.importers.card_png import sniff

#: Card fields that become traits, in the order a person reads them.
TRAIT_FIELDS: Final = (
    "description",
    "personality",
    "scenario",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
)
LANGUAGE_TRAIT: Final = "creator_notes."
"""Prefix of the traits holding ``creator_notes_multilingual`` (``creator_notes.fr``)."""
START: Final = "start"
PREVIEW: Final = 60
FIRST_MES: Final = "first_mes"
ALTERNATE: Final = "alternate_greetings"


class CardOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a card imports."""

    character_id: str | None = None
    """The new character's id (default: from the card's name, made unique)."""
    greetings: bool = True
    """Make the opening scene from the card's greetings."""
    keep_source: bool = True
    """Register the card file itself as an asset the character and the scene point at."""


def preview(text: str) -> str:
    """A greeting's first words, for the choice that leads to it."""
    words = " ".join(text.split())
    if not words:
        return "(an empty greeting)"
    return words if len(words) <= PREVIEW else words[: PREVIEW - 1].rstrip() + "…"


def file_stem(name: str) -> str:
    """``cards/Mira Vale.card.png`` → ``Mira Vale``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".png", ".json", ".charx", ".jpg", ".jpeg", ".card", ".chara"):
        if base.lower().endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
    return base.strip()


class CardImporter:
    """Imports a character card as a character, its opening scene and its assets (see the module docstring)."""

    info: Final = AdapterInfo("card", "1")
    options_type: Final = CardOptions

    def plan(self, source: Source, options: CardOptions, lookup: Lookup) -> Plan:
        name = source.name or "the card"
        loaded = load_card(source, name)
        card = read_card(loaded.obj, name)
        builder = PlanBuilder(self.info, lookup, source.name)
        for where, message in [*loaded.notes, *card.notes]:
            builder.note(message, where)
        builder.note(f"a V{card.version} card, from {_container(loaded)}")
        meta: dict[str, MetaValue] = {}
        if options.keep_source:
            meta["source_asset"] = self._source(builder, source, loaded)
        stem = file_stem(source.name)
        meta["card_json"] = builder.add_asset(
            loaded.json_bytes,
            kind="text",
            mime="application/json",
            name=f"{stem or 'card'}.card.json",
            source=source.name or None,
        ).id
        character_name = card.text["name"].strip() and card.text["name"]
        if not character_name:
            character_name = stem or "Unnamed"
            builder.note(f"the card has no name: the character is called {character_name!r}", "name")
        cid = self._character_id(builder, options, character_name)
        portrait, expressions, extras = self._assets(builder, loaded, card, source.name)
        meta.update(_card_meta(card))
        if card.character_book is not None:
            book = msgspec.json.encode(card.character_book)
            meta["lorebook"] = builder.add_asset(
                book,
                kind="text",
                mime="application/json",
                name=f"{stem or cid}.lorebook.json",
                source=source.name or None,
            ).id
            meta["lorebook_entries"] = card.lorebook_entries
            entries = plural(card.lorebook_entries, "entry", "entries")
            builder.note(f"the lorebook has {entries}: kept as a JSON asset", "character_book")
        if extras:
            meta["card_assets"] = extras
        scene = None
        if options.greetings:
            scene = self._opening(builder, card, cid, character_name, meta.get("source_asset"), source.name)
            if scene is not None:
                meta["opening_scene"] = scene.id
            else:
                builder.note("the card has no greeting: no opening scene", FIRST_MES)
        builder.save(
            Character(
                id=cid,
                name=character_name,
                traits=_traits(card),
                portrait_asset_id=portrait,
                expressions=expressions,
                meta=meta,
            )
        )
        if scene is not None:
            builder.save(scene)
        return builder.build()

    def _source(self, builder: PlanBuilder, source: Source, loaded: Loaded) -> str:
        if source.files is not None:
            return builder.add_source(loaded.data, kind="text", mime="application/json").id
        mime = {"png": "image/png", "json": "application/json"}.get(loaded.container, "application/zip")
        kind: AssetKind = "image" if loaded.container == "png" else "text" if loaded.container == "json" else "other"
        return builder.add_source(loaded.data, kind=kind, mime=mime).id

    def _character_id(self, builder: PlanBuilder, options: CardOptions, name: str) -> str:
        if options.character_id is not None:
            cid = check_id(options.character_id, "character id")
            if builder.current(entity_path(CHARACTERS, cid)) is not None:
                raise InputRejected(f"character {cid!r} already exists")
            return cid
        base = slug(name, "character")
        cid = fresh_id(builder.taken(CHARACTERS), base)
        if cid != base:
            builder.note(f"character {base!r} already exists: the card is imported as {cid!r}")
        return cid

    def _assets(
        self, builder: PlanBuilder, loaded: Loaded, card: Card, source_name: str
    ) -> tuple[str | None, dict[str, str], list[str]]:
        """The portrait's asset id, the expressions and the other assets (``id:type:ext:name``)."""
        portrait: str | None = None
        expressions: dict[str, str] = {}
        extras: list[str] = []
        if card.assets is not None:
            entries = card.assets
        elif loaded.png is not None:
            entries = [CardAsset(0, "icon", "ccdefault:", "main", "png")]
        else:
            entries = []
        icons = [a for a in entries if a.type == "icon" and imported(a)]
        main = next((a for a in icons if a.name == "main"), icons[0] if icons else None)
        if sum(1 for a in icons if a.name == "main") > 1:
            builder.note("several icons are named 'main': the first is the portrait", "assets")
        web: list[str] = []
        for asset in entries:
            where = f"assets[{asset.index}]"
            if not imported(asset):
                kind = uri_kind(asset.uri)
                if kind == "remote":
                    web.append(f"{asset.type}/{asset.name}"[:60])
                elif kind == "unknown":
                    builder.note(f"URI {asset.uri[:80]!r} is not one this importer reads: left in the card", where)
                continue
            if asset.uri.lower().startswith("ccdefault:") and loaded.png is not None:
                oid = self._png_image(builder, loaded, source_name)
            else:
                data = self._bytes(loaded, asset, where, builder)
                if data is None:
                    continue
                oid = self._add(builder, data, asset, source_name)
            label = asset.name or f"{asset.type}-{asset.index}"
            if asset is main:
                portrait = oid
            elif asset.type == "emotion" and label not in expressions:
                expressions[label] = oid
            else:
                if asset.type == "emotion":
                    builder.note(f"a second emotion named {label!r}: kept as another asset", where)
                if ":" in asset.type or ":" in asset.ext:
                    builder.note(f"an asset type or extension with ':' ({asset.type[:40]!r}): kept as 'other'", where)
                extras.append(f"{oid}:{_safe(asset.type, 'other')}:{_safe(asset.ext, 'unknown')}:{asset.name}")
        if web:
            shown = ", ".join(web[:SHOWN]) + (f" and {len(web) - SHOWN} more" if len(web) > SHOWN else "")
            builder.note(f"{plural(len(web), 'asset')} on the web: not fetched, left in the card ({shown})", "assets")
        if portrait is None and loaded.png is not None:
            if any(a.type == "icon" for a in entries):
                builder.note("the card's icon could not be read: the PNG's own image is the portrait", "assets")
                portrait = self._png_image(builder, loaded, source_name)
            else:
                builder.note("the card lists no icon: the PNG's image is kept only in the source file", "assets")
        unused = sorted(n for n in loaded.names if n not in loaded.used and not n.startswith("__MACOSX/"))
        if unused:
            builder.note(
                f"{plural(len(unused), 'archive member')} not named by any asset, kept only in the source archive: "
                + ", ".join(unused[:SHOWN])
            )
        return portrait, expressions, extras

    def _png_image(self, builder: PlanBuilder, loaded: Loaded, source_name: str) -> str:
        assert loaded.png is not None
        stem = file_stem(source_name) or "portrait"
        image = loaded.png.image()
        return builder.add_asset(
            image, kind="image", mime="image/png", name=f"{stem}.png", source=source_name or None
        ).id

    def _bytes(self, loaded: Loaded, asset: CardAsset, where: str, builder: PlanBuilder) -> bytes | None:
        if asset.uri.lower().startswith("ccdefault:"):
            if loaded.png is None:
                builder.note(f"the {asset.type} is 'ccdefault:' and the card is not a PNG: no image", where)
            return None
        if asset.uri[:11].lower() == "embedded://":
            builder.note("'embedded://' is spelt 'embeded://' by the spec: read as that", where)
        data, why = fetch(loaded, asset, where)
        if data is None:
            builder.note(why, where)
        return data

    def _add(self, builder: PlanBuilder, data: bytes, asset: CardAsset, source_name: str) -> str:
        mime = sniff(data)
        top = mime.split("/", 1)[0]
        kind: AssetKind = (
            "image" if top == "image" else "audio" if top == "audio" else "video" if top == "video" else "other"
        )
        label = asset.name or asset.type
        ext = f".{asset.ext}" if asset.ext and asset.ext != "unknown" else ""
        return builder.add_asset(data, kind=kind, mime=mime, name=f"{label}{ext}"[:200], source=source_name or None).id

    def _opening(
        self,
        builder: PlanBuilder,
        card: Card,
        cid: str,
        speaker: str,
        source_asset: MetaValue,
        source_name: str,
    ) -> Scene | None:
        greetings = [(FIRST_MES, card.text[FIRST_MES])] if card.text[FIRST_MES] else []
        greetings += [(ALTERNATE, g) for g in card.alternate_greetings]
        if not greetings:
            return None
        empty = sum(1 for _, g in greetings if not g.strip())
        if empty:
            builder.note(f"{plural(empty, 'greeting')} empty: kept as empty lines", ALTERNATE)
        choices: list[Choice] = []
        nodes: list[Node] = []
        for n, (field, text) in enumerate(greetings, start=1):
            choices.append(Choice(id=f"c{n}", text=preview(text), target=f"g{n}"))
            nodes.append(Node(id=f"g{n}", speaker=speaker, content=text, meta={"card_field": field}))
        meta: dict[str, MetaValue] = {"character": cid}
        if source_name:
            meta["source"] = source_name
        if source_asset is not None:
            meta["source_asset"] = source_asset
        sid = fresh_id(builder.taken(SCENES), slug(f"{cid}-opening", "opening"))
        start = Node(id=START, type="choice", choices=choices)
        return Scene(id=sid, title=f"{speaker}: opening", nodes=[start, *nodes], meta=meta)


def _container(loaded: Loaded) -> str:
    if loaded.container == "png":
        return f"the PNG's {loaded.chunk!r} chunk"
    return "a CHARX archive" if loaded.container == "charx" else "a JSON file"


def _safe(text: str, fallback: str) -> str:
    return text if text and ":" not in text else fallback


def _traits(card: Card) -> dict[str, str]:
    traits = {k: v for k, v in card.extra_traits.items()}
    traits.update({k: card.text[k] for k in TRAIT_FIELDS if card.text[k]})
    traits.update({f"{LANGUAGE_TRAIT}{lang}": text for lang, text in card.creator_notes_multilingual.items() if text})
    return traits


def _card_meta(card: Card) -> dict[str, MetaValue]:
    meta: dict[str, MetaValue] = {}
    for key in ("creator", "character_version"):
        if card.text[key]:
            meta[key] = card.text[key]
    if card.nickname is not None:
        meta["nickname"] = card.nickname
    if card.tags:
        meta["tags"] = list(card.tags)
    if card.group_only_greetings:
        meta["group_only_greetings"] = list(card.group_only_greetings)
    if card.source is not None:
        meta["card_source"] = list(card.source)
    if card.creation_date is not None:
        meta["creation_date"] = card.creation_date
    if card.modification_date is not None:
        meta["modification_date"] = card.modification_date
    return meta


if TYPE_CHECKING:
    from comfyvn_vault.adapters.importer import Importer

    _importer: Importer[CardOptions] = CardImporter()
