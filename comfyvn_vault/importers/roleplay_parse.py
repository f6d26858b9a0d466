"""Chats as messages: SillyTavern JSONL, plain-text logs and JSON message lists.

Each parser yields one :class:`Message` per message, in order, while it reads,
and fills in a :class:`ChatInfo` with what the chat says about itself (names
from a header). What it notices goes to :class:`Notes`. A message's ``meta`` is
already the node's: ``source_message`` (its index among the chat's messages,
from 0, as SillyTavern counts them), ``time`` when it has one, and:

* ``hidden: true`` and ``speaker_name`` for a system row (``is_system``, a
  ``system`` role): kept as narration the writer can see is hidden;
* ``speaker_name`` for a narrator row (``extra.type == "narrator"``, a
  ``narrator`` role), which is narration too;
* ``alternatives``, the swipes not chosen, in their order (the chosen one is the
  line), with ``swipe_id``, the chosen one's index among all the swipes, and
  ``alternative_times`` when ``swipe_info`` dates them;
* ``source_text``: ``mes`` when ``extra.display_text`` is what is shown instead.

Text is kept as written: nothing is escaped, and nothing trimmed but the space around a text log's lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from comfyvn_vault.adapters.archive import load_json
from comfyvn_vault.domain.entities import MetaValue
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.roleplay_dates import DAY_MS, parse_clock, parse_date
from comfyvn_vault.importers.roleplay_read import MAX_LINE_BYTES, ChatReader, Format

#: Findings of one kind shown one by one; the rest are counted in one more.
FINDINGS_SHOWN: Final = 20
DEFAULT_USER: Final = "User"
DEFAULT_CHARACTER: Final = "Assistant"
UNUSED: Final = "unused"
"""What a modern SillyTavern header names its user and character (a group chat names them in each message)."""
_HEADER_KEYS: Final = ("user_name", "character_name", "create_date", "chat_metadata")
_TEXT_KEYS: Final = ("mes", "content", "text")
_TIME_KEYS: Final = ("send_date", "timestamp", "time", "created_at", "date")
_USER_ROLES: Final = frozenset({"user", "human"})
_CHARACTER_ROLES: Final = frozenset({"assistant", "bot", "ai", "model", "char", "character"})
_SYSTEM_ROLES: Final = frozenset({"system", "developer"})
_DOCUMENT_NAMES: Final = (("title", "title"), ("name", "title"), ("character", "character_name"), ("user", "user_name"))
_ATTACHMENTS: Final = ("image", "file", "files", "inline_image", "video")
_STAMP: Final = re.compile(r"\[([^\[\]]{1,40})\]\s*")
_SAYS: Final = re.compile(r"(?P<speaker>[^:*\"()\[\]]{1,48}?)\s*:(?:\s+(?P<content>.*))?")


@dataclass(slots=True)
class Message:
    """One message: who speaks it (None: narration), its text, its time in ms (for gaps), its node meta."""

    speaker: str | None
    text: str
    stamp: int | None
    meta: dict[str, MetaValue]
    user: bool = False


@dataclass
class ChatInfo:
    """What a chat says about itself; ``format`` is the one it is read as."""

    format: Format
    user_name: str | None = None
    character_name: str | None = None
    title: str | None = None


class Notes:
    """Findings, in order; each kind is reported :data:`FINDINGS_SHOWN` times, then counted."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self._counts: dict[str, int] = {}

    def add(self, kind: str, message: str, where: str = "") -> None:
        """Note ``message`` at ``where``; ``kind`` (plural: ``messages without text``) names the count."""
        n = self._counts[kind] = self._counts.get(kind, 0) + 1
        if n <= FINDINGS_SHOWN:
            self.items.append((message, where))

    def all(self) -> list[tuple[str, str]]:
        """``(message, where)`` for everything noted, the counts of what was not shown last."""
        more = [(f"{n - FINDINGS_SHOWN} more {kind}", "") for kind, n in self._counts.items() if n > FINDINGS_SHOWN]
        return self.items + more


# ----------------------------------------------------------------- rows (SillyTavern and JSON)


def message(row: dict[str, Any], index: int, where: str, chat: ChatInfo, notes: Notes) -> Message:
    """The message a JSON row is (see the module docstring)."""
    meta: dict[str, MetaValue] = {"source_message": index}
    extra = row.get("extra")
    if not isinstance(extra, dict):
        extra = {}
    raw: Any = None
    for key in _TEXT_KEYS:
        if key in row:
            raw = row[key]
            break
    mes = _text(raw, where, notes)
    text = mes
    shown = extra.get("display_text")
    if isinstance(shown, str) and shown:
        if shown != mes:
            meta["source_text"] = mes
        text = shown

    name = row.get("name")
    role = row.get("role")
    role = role.strip().casefold() if isinstance(role, str) else None
    is_user = row.get("is_user") is True or role in _USER_ROLES
    hidden = row.get("is_system") is True or role in _SYSTEM_ROLES
    narrator = extra.get("type") == "narrator" or role == "narrator"
    speaker: str | None = name.strip() if isinstance(name, str) else None
    if not speaker:
        if name is not None and not isinstance(name, str):
            notes.add("names that are not text", "the name is not text: ignored", where)
        speaker = _unnamed(row, role, is_user, chat)
        if role is None and not hidden and not narrator:
            said = f"spoken by {speaker!r}" if speaker else "kept as narration"
            notes.add("messages without a name", f"no name: {said}", where)
    if hidden or narrator:
        if speaker:
            meta["speaker_name"] = speaker
        if hidden:
            meta["hidden"] = True
        speaker = None

    stamp = None
    for key in _TIME_KEYS:
        value = row.get(key)
        if value is None or value == "" or value == 0:
            continue
        when, stamp = parse_date(value)
        if when:
            meta["time"] = when
        if stamp is None:
            written = when or type(value).__name__
            notes.add("dates kept as written", f"date {written!r} not understood: kept as written", where)
        break

    swipes = row.get("swipes")
    if isinstance(swipes, list) and len(swipes) > 1:
        _swipes(swipes, row.get("swipe_id"), row.get("swipe_info"), mes, meta, where, notes)
    if extra and not extra.keys().isdisjoint(_ATTACHMENTS):
        for key in _ATTACHMENTS:
            if extra.get(key):
                notes.add("attachments not imported", f"extra.{key} names a file the chat does not hold", where)
    if not text and "alternatives" not in meta:
        notes.add("messages without text", "no text: kept as an empty line", where)
    return Message(speaker, text, stamp, meta, is_user)


def _text(raw: Any, where: str, notes: Notes) -> str:
    if isinstance(raw, str):
        return raw
    if raw is None:
        return ""
    if isinstance(raw, list):  # content parts: [{"type": "text", "text": "…"}, {"type": "image_url", …}]
        parts = [p if isinstance(p, str) else p.get("text") if isinstance(p, dict) else None for p in raw]
        texts = [p for p in parts if isinstance(p, str)]
        if len(texts) != len(parts):
            notes.add("content parts that are not text", "content parts that are not text: not imported", where)
        return "\n".join(texts)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    notes.add("texts that are not text", f"the text is a {type(raw).__name__}, not text: not imported", where)
    return ""


def _unnamed(row: dict[str, Any], role: str | None, is_user: bool, chat: ChatInfo) -> str | None:
    """Who speaks a row without a name: the user, the character, or its role as written."""
    if is_user:
        return chat.user_name or DEFAULT_USER
    if role in _CHARACTER_ROLES or (role is None and chat.format == "sillytavern"):
        return chat.character_name or DEFAULT_CHARACTER
    if role is not None and role not in _SYSTEM_ROLES and role != "narrator":
        return str(row["role"]).strip()
    return None


def _swipes(
    swipes: list[Any], chosen: Any, info: Any, mes: str, meta: dict[str, MetaValue], where: str, notes: Notes
) -> None:
    """Put the swipes that are not the line in ``meta`` (nothing is dropped but what is not text)."""
    valid = type(chosen) is int and 0 <= chosen < len(swipes)
    if chosen is not None and not valid:
        notes.add("swipe ids out of range", f"swipe_id {chosen!r} is not one of the swipes: all are kept", where)
    skip = chosen if valid and swipes[chosen] == mes else next((i for i, s in enumerate(swipes) if s == mes), -1)
    kept = [i for i, s in enumerate(swipes) if i != skip and isinstance(s, str)]
    if len(kept) + (skip >= 0) != len(swipes):
        notes.add("swipes that are not text", "swipes that are not text: not imported", where)
    if not kept:
        return
    meta["alternatives"] = [swipes[i] for i in kept]
    if valid:
        meta["swipe_id"] = chosen
    if isinstance(info, list):
        times = [_swipe_time(info[i]) if i < len(info) else "" for i in kept]
        if any(times):
            meta["alternative_times"] = times


def _swipe_time(info: Any) -> str:
    return parse_date(info.get("send_date"))[0] if isinstance(info, dict) else ""


def _is_header(row: dict[str, Any]) -> bool:
    return not any(k in row for k in _TEXT_KEYS) and any(k in row for k in _HEADER_KEYS)


def _header(row: dict[str, Any], chat: ChatInfo, where: str, notes: Notes) -> None:
    """Take the names a header gives (a modern header's are ``unused``)."""
    for key in ("user_name", "character_name"):
        value = row.get(key)
        if isinstance(value, str) and value.strip() and value.strip() != UNUSED and getattr(chat, key) is None:
            setattr(chat, key, value.strip())
    metadata = row.get("chat_metadata")
    if isinstance(metadata, dict) and metadata:
        keys = ", ".join(sorted(str(k) for k in metadata)[:8]) + (", …" if len(metadata) > 8 else "")
        notes.add("headers", f"chat_metadata ({keys}) is not imported: it stays in the source asset", where)


# ----------------------------------------------------------------- the three formats


def sillytavern(reader: ChatReader, chat: ChatInfo, notes: Notes) -> Iterator[Message]:
    """A SillyTavern chat: JSON objects one a line, the first a header or (no header) a message."""
    index = 0
    first = True
    for number, line in reader.lines():
        if not line.strip():
            continue
        where = f"line {number}"
        row = load_json(line, f"{reader.where}, {where}", max_bytes=MAX_LINE_BYTES)
        if not isinstance(row, dict):
            what = "the header" if first else "a message"
            raise InputRejected(f"{reader.where}, {where}: {what} is not a JSON object")
        if first:
            first = False
            if _is_header(row):
                _header(row, chat, where, notes)
                continue
            if isinstance(row.get("messages"), list):  # a JSON document on one line
                chat.format = "json"
                for msg in json_messages(row, reader.where, chat, notes):
                    index += 1
                    yield msg
                continue
        yield message(row, index, where, chat, notes)
        index += 1


def json_document(data: bytes, where: str, chat: ChatInfo, notes: Notes) -> Iterator[Message]:
    """A JSON list of messages, or an object with one under ``messages``."""
    return json_messages(load_json(data, where), where, chat, notes)


def json_messages(value: Any, where: str, chat: ChatInfo, notes: Notes) -> Iterator[Message]:
    if isinstance(value, dict):
        for key, attr in _DOCUMENT_NAMES:
            given = value.get(key)
            if isinstance(given, str) and given.strip() and getattr(chat, attr) is None:
                setattr(chat, attr, given.strip())
        rows = value.get("messages")
        if not isinstance(rows, list):
            raise InputRejected(f"{where}: a JSON object without a 'messages' list")
        path = "messages"
    elif isinstance(value, list):
        rows, path = value, ""
    else:
        raise InputRejected(f"{where}: not a JSON list of messages")
    index = 0
    for position, row in enumerate(rows):
        at = f"{path}[{position}]"
        if not isinstance(row, dict):
            raise InputRejected(f"{where}, {at}: a message is not a JSON object")
        if position == 0 and _is_header(row):
            _header(row, chat, at, notes)
            continue
        yield message(row, index, at, chat, notes)
        index += 1


def text_log(reader: ChatReader, chat: ChatInfo, notes: Notes) -> Iterator[Message]:
    """A plain-text log: ``Name: line``, ``[12:01] Name: line``, ``*an action*`` (narration)."""
    index = 0
    day = 0
    last_clock = -1
    for number, raw in reader.lines():
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise InputRejected(f"{reader.where}, line {number}: not UTF-8 text (byte {exc.start})") from None
        if not line:
            continue
        where = f"line {number}"
        meta: dict[str, MetaValue] = {"source_message": index, "source_line": number}
        stamp = None
        if line.startswith("[") and (m := _STAMP.match(line)) is not None:
            inside = m[1].strip()
            clock = parse_clock(inside)
            if clock is not None:
                if clock < last_clock:
                    day += 1
                last_clock = clock
                stamp = day * DAY_MS + clock
                meta["time"] = inside
            elif not inside.isdigit():
                shown, stamp = parse_date(inside)
                if stamp is not None:
                    meta["time"] = shown
            if stamp is not None:
                line = line[m.end() :]
                if not line:
                    notes.add("times without a line", "a time without a line: skipped", where)
                    continue
        speaker: str | None = None
        text = line
        if not (line.startswith("*") and line.endswith("*") and len(line) > 1):
            said = _SAYS.fullmatch(line)
            if said is not None and said["speaker"].strip():
                speaker, text = said["speaker"].strip(), (said["content"] or "").strip()
                if not text:
                    notes.add("messages without text", "no text: kept as an empty line", where)
            else:
                notes.add("lines kept as narration", "no 'Name:' or '*action*': kept as narration", where)
        yield Message(speaker, text, stamp, meta)
        index += 1
