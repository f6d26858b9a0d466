"""The ``roleplay`` importer: a role-play chat as scenes of dialogue, its speakers as characters.

``comfyvn import roleplay FILE`` reads, detecting which from the bytes (or as
``format=`` says):

* a **SillyTavern chat** (``.jsonl``): a header line (classic, naming the user
  and the character; modern, whose names are ``unused``, as in group chats where
  each message names its speaker) or none, then one message a line with
  ``name``, ``is_user``, ``is_system``, ``send_date`` (in any of the four forms
  SillyTavern has written, :mod:`~comfyvn_vault.importers.roleplay_dates`),
  ``mes``, ``swipes``/``swipe_id``/``swipe_info`` and ``extra``
  (``extra.display_text`` is shown instead of ``mes`` when there is one);
* a **plain-text log**: ``Name: line``, ``[12:01] Name: line``, ``*an action*``
  (narration); any other line is kept as narration, and reported;
* a **JSON list of messages** (objects with ``name`` or ``role`` and
  ``content``, ``text`` or ``mes``), or an object holding one under ``messages``.

The chat becomes scenes of one node per message (``n1``, ``n2``…), split where
the messages are more than ``gap_minutes`` apart or a scene has ``max_messages``
nodes. Their ids are the chat's name slugged and numbered (``alice-1``,
``alice-2``…, continuing after the numbers the story has taken), the name being
``name=``, the character a classic header or a JSON object names, the file's
name (without the date SillyTavern appends), or the first character to speak.
Each speaker, the user too, is a character, one per name (whatever its case):
the one the story has (same name, at its slug or a numbered one) or a new one.

What a message had beyond its line is in its node's ``meta``
(:mod:`~comfyvn_vault.importers.roleplay_parse`): its index ``source_message``
and ``time``, the other swipes as ``alternatives`` (the writer can switch to
one; none is dropped), ``hidden: true`` for a system row (kept, as narration).
The chat itself is the import's source asset, which every scene names in
``meta["source_asset"]``. Anything odd is a finding; only what cannot be read
(not UTF-8, not JSON, nested past the cap, a line past 1 MiB, a row that is not
an object, no message at all) is refused, in one line.

Reading streams: the chat is read in chunks and split into lines as it comes,
so it is never held whole as text (its bytes are held once, as the asset).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Final, Literal

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.importer import Source
from comfyvn_vault.adapters.plan import Plan, PlanBuilder
from comfyvn_vault.domain.entities import Character, MetaValue, Node, Scene
from comfyvn_vault.domain.naming import slug
from comfyvn_vault.domain.paths import CHARACTERS, SCENES, entity_path
from comfyvn_vault.domain.validate import Lookup
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.roleplay_parse import ChatInfo, Message, Notes, json_document, sillytavern, text_log
from comfyvn_vault.importers.roleplay_read import BOM, ChatReader, Format, detect

MIME: Final[dict[Format, str]] = {"sillytavern": "application/jsonl", "text": "text/plain", "json": "application/json"}
#: SillyTavern names a chat file ``<character> - <date>``; the date is not part of the chat's name.
_DATED: Final = re.compile(r"(?P<name>.*?)\s+-\s+[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*")
_DATE_ONLY: Final = re.compile(r"(?:[^_\s]*_)?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*")
_MAX_TRIES: Final = 100_000


class RoleplayOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a chat imports."""

    format: Literal["auto", "sillytavern", "text", "json"] = "auto"
    """What the chat is (default: told from its bytes)."""
    gap_minutes: Annotated[int, msgspec.Meta(ge=0)] = 120
    """A new scene starts after a silence this long (0: never for time)."""
    max_messages: Annotated[int, msgspec.Meta(ge=1)] = 200
    """A scene holds at most this many messages."""
    name: str | None = None
    """The chat's name: the scenes' titles and ids (default: the character's, or the file's)."""
    user_name: str | None = None
    """Who speaks a user message that names no one (default: the header's user, or ``User``)."""
    character_name: str | None = None
    """Who speaks a character message that names no one (default: the header's character, or ``Assistant``)."""


class RoleplayImporter:
    """Imports a role-play chat as scenes and its speakers as characters (see the module docstring)."""

    info: Final = AdapterInfo("roleplay", "1")
    options_type: Final = RoleplayOptions

    def plan(self, source: Source, options: RoleplayOptions, lookup: Lookup) -> Plan:
        where = source.name or "the chat"
        reader = ChatReader(source, where)
        chosen: Format = detect(reader.head()) if options.format == "auto" else options.format
        chat = ChatInfo(chosen, options.user_name, options.character_name)
        notes = Notes()
        messages: Iterator[Message]
        if chosen == "json":
            messages = json_document(reader.data().removeprefix(BOM), where, chat, notes)
        elif chosen == "text":
            messages = text_log(reader, chat, notes)
        else:
            messages = sillytavern(reader, chat, notes)
        builder = PlanBuilder(self.info, lookup, source.name)
        cast = _Cast(builder, notes)
        scenes = _split(messages, cast, options)
        if not scenes:
            raise InputRejected(f"{where}: no messages to import")
        asset = builder.add_source(reader.data(), kind="text", mime=MIME[chat.format])
        name = options.name or chat.title or chat.character_name or _file_name(source.name) or cast.first_character
        _save_scenes(builder, scenes, name or "Chat", source.name, asset.id, chat.format)
        for message, at in notes.all():
            builder.note(message, at)
        return builder.build()


def _split(messages: Iterator[Message], cast: _Cast, options: RoleplayOptions) -> list[list[Node]]:
    """The messages as nodes, a list per scene: a new one after a silence or when one is full."""
    gap = options.gap_minutes * 60_000 or None
    scenes: list[list[Node]] = []
    nodes: list[Node] = []
    last: int | None = None
    for m in messages:
        stamp = m.stamp
        if nodes and (
            len(nodes) >= options.max_messages
            or (gap is not None and stamp is not None and last is not None and stamp - last > gap)
        ):
            scenes.append(nodes)
            nodes = []
        speaker = None if m.speaker is None else cast.speaker(m.speaker, m.user)
        nodes.append(Node(id=f"n{len(nodes) + 1}", speaker=speaker, content=m.text, meta=m.meta))
        if stamp is not None:
            last = stamp
    if nodes:
        scenes.append(nodes)
    return scenes


def _save_scenes(
    builder: PlanBuilder, scenes: list[list[Node]], name: str, source: str, asset: str, chosen: Format
) -> None:
    base = slug(name, "chat")
    number = 1
    for part, nodes in enumerate(scenes, start=1):
        tries = 0
        while builder.current(entity_path(SCENES, f"{base}-{number}")) is not None:
            number += 1
            tries += 1
            if tries > _MAX_TRIES:
                raise InputRejected(f"no free scene id after {base}-{number}")
        meta: dict[str, MetaValue] = {"source": source} if source else {}
        meta |= {"source_asset": asset, "source_format": chosen}
        first, last = nodes[0].meta, nodes[-1].meta
        meta["first_message"], meta["last_message"] = first["source_message"], last["source_message"]
        if "time" in first:
            meta["started"] = first["time"]
        if "time" in last:
            meta["ended"] = last["time"]
        title = name if len(scenes) == 1 else f"{name}, part {part}"
        builder.save(Scene(id=f"{base}-{number}", title=title, nodes=nodes, meta=meta))
        number += 1


def _file_name(name: str) -> str | None:
    """A chat's name from its file's: ``Mira - 2024-6-19@16h13m22s.jsonl`` is Mira's; a bare date is no one's."""
    stem = re.split(r"[/\\]", name)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem[1:] else stem
    dated = _DATED.fullmatch(stem)
    if dated is not None:
        stem = dated["name"]
    stem = stem.strip()
    return None if not stem or _DATE_ONLY.fullmatch(stem) else stem


class _Cast:
    """The characters the speakers are: found by name in the story, or new (saved to the plan as met)."""

    def __init__(self, builder: PlanBuilder, notes: Notes) -> None:
        self.builder, self.notes = builder, notes
        self._exact: dict[str, str] = {}
        self._folded: dict[str, str] = {}
        self.first_character: str | None = None

    def speaker(self, name: str, user: bool) -> str:
        """The name ``name``'s lines are spoken under (the character's own spelling)."""
        known = self._exact.get(name)
        if known is not None:
            return known
        key = name.casefold()
        known = self._folded.get(key)
        if known is None:
            known = self._folded[key] = self._character(name, key)
            if self.first_character is None and not user:
                self.first_character = known
        self._exact[name] = known
        return known

    def _character(self, name: str, key: str) -> str:
        base = slug(name, "character")
        cid, n = base, 1
        while True:
            doc = self.builder.current(entity_path(CHARACTERS, cid))
            if doc is None:
                break
            if isinstance(doc, Character) and doc.name.casefold() == key:
                return doc.name
            n += 1
            cid = f"{base}-{n}"
            if n > _MAX_TRIES:
                raise InputRejected(f"no free character id after {cid}")
        if cid != base:
            self.notes.add("renamed characters", f"speaker {name!r} is new: {base!r} is someone else, so {cid!r}")
        self.builder.save(Character(id=cid, name=name))
        return name


if TYPE_CHECKING:
    from comfyvn_vault.adapters.importer import Importer

    _importer: Importer[RoleplayOptions] = RoleplayImporter()
