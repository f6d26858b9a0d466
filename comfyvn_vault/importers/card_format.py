"""Character cards as the specs shape them, and the containers they come in.

Three shapes of card JSON:

* **V1**: a flat object, ``name``, ``description``, ``personality``,
  ``scenario``, ``first_mes`` (the greeting) and ``mes_example``.
  (Pygmalion's older ``char_name`` / ``char_persona`` / ``char_greeting`` /
  ``world_scenario`` / ``example_dialogue`` are read as those.)
* **V2**: ``{"spec": "chara_card_v2", "spec_version": "2.0", "data": {...}}``
  whose data adds ``creator_notes``, ``system_prompt``,
  ``post_history_instructions``, ``alternate_greetings``, ``character_book``
  (a lorebook), ``tags``, ``creator``, ``character_version`` and
  ``extensions`` (anything, to be kept). Cards written by SillyTavern also
  repeat the V1 fields at the top level; ``data`` wins.
* **V3**: ``spec`` ``chara_card_v3`` (``spec_version`` ``3.0``); data adds
  ``assets`` (``{type, uri, name, ext}``: ``embeded://path`` in a CHARX,
  ``__asset:N`` in a PNG, ``data:`` URLs, ``ccdefault:``), ``nickname``,
  ``creator_notes_multilingual``, ``source``, ``group_only_greetings``,
  ``creation_date`` and ``modification_date`` (Unix seconds).

Three containers, told apart by their bytes, never by the file name: a PNG with
a ``tEXt`` chunk ``chara`` (base64 JSON; V1 or V2) and/or ``ccv3`` (base64 JSON;
V3), where ``ccv3`` wins; a JSON file; a CHARX zip holding ``card.json`` and
its ``assets/``. A JPEG (or WebP, GIF) has no card chunk and is refused, unless
a CHARX archive is appended to it (RisuAI writes those).

:func:`load_card` reads the container, :func:`read_card` the JSON: every
oddity becomes a note ``(where, message)``, every malformed input one
:class:`InputRejected`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import msgspec

from comfyvn_vault.adapters.archive import SafeZip, load_json
from comfyvn_vault.adapters.importer import Source
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.card_png import ASSET_PREFIX, CCV3, CHARA, Png, is_png, read_png, sniff

MAX_SOURCE_BYTES: Final = 256 << 20
MAX_CARD_JSON: Final = 32 << 20
MAX_ASSET_BYTES: Final = 64 << 20
MAX_CHARX_BYTES: Final = 512 << 20
MAX_ASSETS: Final = 4096
#: How many names one finding lists before it counts the rest.
SHOWN: Final = 8

SPEC_V2: Final = "chara_card_v2"
SPEC_V3: Final = "chara_card_v3"
V1_FIELDS: Final = ("name", "description", "personality", "scenario", "first_mes", "mes_example")
TEXT_FIELDS: Final = (
    *V1_FIELDS,
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "creator",
    "character_version",
)
DATA_FIELDS: Final = frozenset(
    {
        *TEXT_FIELDS,
        "alternate_greetings",
        "character_book",
        "tags",
        "extensions",
        "assets",
        "nickname",
        "creator_notes_multilingual",
        "source",
        "group_only_greetings",
        "creation_date",
        "modification_date",
    }
)
"""Every field of a V3 card's data (a superset of V2's, which is a superset of V1's)."""
TOP_FIELDS: Final = frozenset({"spec", "spec_version", "data", *V1_FIELDS})
_PYGMALION: Final = {
    "char_name": "name",
    "char_persona": "description",
    "char_greeting": "first_mes",
    "world_scenario": "scenario",
    "example_dialogue": "mes_example",
}
_INT_MAX: Final = 1 << 63
EXTENSION_KEY: Final = "comfyvn"
"""Our own key in a card's ``extensions``: ``{"traits": {...}}`` holds traits no card field has."""

Container = Literal["png", "json", "charx"]
Notes = list[tuple[str, str]]
UriKind = Literal["embedded", "png", "data", "default", "remote", "unknown"]


@dataclass(frozen=True)
class CardAsset:
    """One entry of a V3 card's ``assets``, at ``index`` in that list."""

    index: int
    type: str
    uri: str
    name: str
    ext: str


@dataclass
class Card:
    """A card's JSON read into one shape, whatever its version (see the module docstring)."""

    version: int
    text: dict[str, str]
    """Every field of :data:`TEXT_FIELDS` ("" when the card has none)."""
    raw: dict[str, Any] = field(default_factory=dict)
    """The object the fields were read from: ``data`` (V2, V3) or the card itself (V1, Pygmalion's mapped)."""
    nickname: str | None = None
    alternate_greetings: list[str] = field(default_factory=list)
    group_only_greetings: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    source: list[str] | None = None
    creator_notes_multilingual: dict[str, str] = field(default_factory=dict)
    character_book: dict[str, Any] | None = None
    lorebook_entries: int = 0
    extra_traits: dict[str, str] = field(default_factory=dict)
    assets: list[CardAsset] | None = None
    """None when the card has no ``assets`` (the spec then implies one icon, ``ccdefault:``)."""
    creation_date: int | None = None
    modification_date: int | None = None
    notes: Notes = field(default_factory=list)


@dataclass
class Loaded:
    """A card taken out of its container: its JSON exactly as it came, decoded, and where its assets are."""

    container: Container
    data: bytes
    """The source's bytes (for a folder, those of its ``card.json``)."""
    json_bytes: bytes
    obj: dict[str, Any]
    where: str
    """Where in the source the JSON was (``chunk 'ccv3'``, ``card.json``; "" for a JSON file)."""
    chunk: str | None = None
    png: Png | None = None
    files: Callable[[str], bytes] | None = None
    names: list[str] = field(default_factory=list)
    png_assets: dict[str, str] = field(default_factory=dict)
    notes: Notes = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    """Archive members some asset was read from."""


# ----------------------------------------------------------------- containers


def load_card(source: Source, name: str) -> Loaded:
    """The card in ``source``: a PNG, JSON or CHARX told apart by its bytes (a folder source is a CHARX)."""
    if source.files is not None:
        return _from_files(source.files.names(), source.files.read, name, [])
    data = source.read(MAX_SOURCE_BYTES)
    if is_png(data):
        return _from_png(data, name)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _from_zip(data, name, [])
    mime = sniff(data)
    if mime.startswith(("image/", "audio/", "video/")):
        if b"PK\x05\x06" in data[-(1 << 16) - 22 :] and b"card.json" in data:
            notes = [("", f"{_shown(mime)} with a CHARX archive appended: the archive is read")]
            return _from_zip(data, name, notes)
        raise InputRejected(
            f"{name}: {_shown(mime)} has no character card (cards are PNG files with a 'chara' or"
            " 'ccv3' chunk, JSON files or CHARX archives)"
        )
    body = data.lstrip(b" \t\r\n")
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:].lstrip(b" \t\r\n")
    if not body.startswith(b"{"):
        raise InputRejected(f"{name}: not a character card (expected a PNG card, a JSON card or a CHARX archive)")
    return Loaded("json", data, data, decode_json(data, name), "")


def _shown(mime: str) -> str:
    """``a JPEG image``, ``an audio/mpeg file``."""
    named = {"image/jpeg": "a JPEG image", "image/webp": "a WebP image", "image/gif": "a GIF image"}
    return named.get(mime) or f"{'an' if mime[0] in 'aeiou' else 'a'} {mime} file"


def _from_png(data: bytes, name: str) -> Loaded:
    png = read_png(data, name)
    notes: Notes = [("", n) for n in png.notes]
    if png.trailing:
        notes.append(("", f"{png.trailing} bytes after the end of the PNG: ignored"))
    cards: dict[str, list[Any]] = {CCV3: [], CHARA: []}
    assets: dict[str, str] = {}
    for text in png.texts:
        low = text.keyword.lower()
        if low in cards:
            cards[low].append(text)
        elif text.keyword[len(ASSET_PREFIX) :].removeprefix(":") in assets:
            notes.append(("", f"two {text.keyword[:60]!r} asset chunks: the first is read"))
        else:
            assets.setdefault(text.keyword[len(ASSET_PREFIX) :].removeprefix(":"), text.text)
    chosen = CCV3 if cards[CCV3] else CHARA if cards[CHARA] else None
    if chosen is None:
        raise InputRejected(f"{name}: the PNG carries no character card (no 'chara' or 'ccv3' text chunk)")
    if cards[CCV3] and cards[CHARA]:
        notes.append(("", "both a 'ccv3' and a 'chara' chunk: the V3 card ('ccv3') is read"))
    text = cards[chosen][0]
    where = f"chunk {chosen!r}"
    if len(cards[chosen]) > 1:
        notes.append((where, f"{len(cards[chosen])} {chosen!r} chunks: the first is read"))
    if text.keyword != chosen:
        notes.append((where, f"the keyword is written {text.keyword!r}: read as {chosen!r}"))
    if text.type != "tEXt":
        notes.append((where, f"the card is in a {text.type} chunk, which SillyTavern does not read (it reads tEXt)"))
    raw, padded = b64decode(text.text, f"{name}, {where}")
    if padded:
        notes.append((where, "the base64 text lacks its '=' padding"))
    obj = decode_json(raw, f"{name}, {where}")
    return Loaded("png", data, raw, obj, where, chunk=chosen, png=png, png_assets=assets, notes=notes)


def _from_zip(data: bytes, name: str, notes: Notes) -> Loaded:
    archive = SafeZip(data, name, max_total=MAX_CHARX_BYTES, max_member=MAX_CARD_JSON + MAX_ASSET_BYTES)
    return _from_files(archive.names(), archive.read, name, notes, data)


def _from_files(
    names: list[str], read: Callable[[str], bytes], name: str, notes: Notes, data: bytes | None = None
) -> Loaded:
    if "card.json" in names:
        member = "card.json"
    else:
        nested = [n for n in names if n.endswith("/card.json") and not n.startswith("__MACOSX/")]
        if len(nested) != 1:
            found = "several" if nested else "no"
            raise InputRejected(f"{name}: not a CHARX card ({found} card.json in the archive)")
        member = nested[0]
        notes.append((member, "card.json is not at the root of the archive: read from here"))
    raw = read(member)
    obj = decode_json(raw, f"{name}, {member}")
    return Loaded(
        "charx", raw if data is None else data, raw, obj, member, files=read, names=names, notes=notes, used={member}
    )


def b64decode(text: str, where: str) -> tuple[bytes, bool]:
    """Standard base64 (whitespace ignored, missing padding tolerated); ``(bytes, padding was missing)``."""
    s = "".join(text.split())
    padded = len(s) % 4 != 0
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4), validate=True), padded
    except (binascii.Error, ValueError):
        raise InputRejected(f"{where}: not valid base64") from None


def decode_json(raw: bytes, where: str) -> dict[str, Any]:
    """The JSON object in ``raw`` (a UTF-8 byte-order mark is skipped); refused when it is not one."""
    body = raw.removeprefix(b"\xef\xbb\xbf")
    value = load_json(body, where, max_bytes=MAX_CARD_JSON)
    if not isinstance(value, dict):
        raise InputRejected(f"{where}: the card is a JSON {_json_type(value)}, not an object")
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else type(value).__name__


# ----------------------------------------------------------------- assets


def uri_kind(uri: str) -> UriKind:
    """What a V3 asset URI points at: ``embeded://`` (or the misspelling's correction), ``__asset:``…"""
    low = uri[:16].lower()
    if low.startswith(("embeded://", "embedded://")):
        return "embedded"
    if low.startswith("__asset:"):
        return "png"
    if low.startswith("data:"):
        return "data"
    if low.startswith("ccdefault:"):
        return "default"
    if low.startswith(("http://", "https://")):
        return "remote"
    return "unknown"


def imported(asset: CardAsset) -> bool:
    """True for an asset entry the importer reads bytes for (the exporter writes the others back as they were)."""
    kind = uri_kind(asset.uri)
    return kind in ("embedded", "png", "data") or (kind == "default" and asset.type == "icon")


def fetch(loaded: Loaded, asset: CardAsset, where: str) -> tuple[bytes | None, str]:
    """The bytes of ``asset``, or ``(None, why not)``; malformed embedded bytes are refused."""
    kind = uri_kind(asset.uri)
    if kind == "embedded":
        path = asset.uri.split("://", 1)[1]
        if loaded.files is None:
            return None, f"{asset.uri[:80]!r} names a CHARX member, but the card is not in a CHARX archive"
        if path not in loaded.names:
            return None, f"the archive has no member {path[:80]!r}"
        loaded.used.add(path)
        data = loaded.files(path)
    elif kind == "png":
        key = asset.uri[len("__asset:") :]
        if key not in loaded.png_assets:
            return None, f"the PNG has no {ASSET_PREFIX}:{key[:60]} chunk"
        data, _ = b64decode(loaded.png_assets[key], f"{where}: {ASSET_PREFIX}:{key[:60]}")
    elif kind == "data":
        head, comma, payload = asset.uri.partition(",")
        if not comma or not head.lower().endswith(";base64"):
            return None, "a data: URL that is not base64"
        data, _ = b64decode(payload, f"{where}: a data: URL")
    elif kind == "remote":
        return None, f"{asset.uri[:80]!r} is on the web: not fetched (the entry stays in the card)"
    else:
        return None, f"URI {asset.uri[:80]!r} is not one this importer reads (the entry stays in the card)"
    if len(data) > MAX_ASSET_BYTES:
        raise InputRejected(f"{where}: asset {asset.name[:60]!r} is over {MAX_ASSET_BYTES} bytes")
    return data, ""


# ----------------------------------------------------------------- the JSON


def read_card(obj: dict[str, Any], name: str) -> Card:
    """``obj`` (a card's JSON) read into a :class:`Card`; refused when it is no card of any version."""
    notes: Notes = []
    spec = obj.get("spec")
    data: Any = obj.get("data")
    if spec == SPEC_V3:
        version = 3
    elif spec == SPEC_V2:
        version = 2
    elif spec is None and "data" not in obj:
        version = 1
    else:
        version = 2 if isinstance(data, dict) else 1
        notes.append(("spec", f"spec {_short(spec)} is not a known card spec: read as a V{version} card"))
    if version > 1 and not isinstance(data, dict):
        if not any(k in obj for k in V1_FIELDS):
            raise InputRejected(f"{name}: a {_short(spec)} card without a 'data' object")
        notes.append(("data", f"a {_short(spec)} card without a 'data' object: its top-level fields are read"))
        version = 1
    if version == 1:
        data = _v1(obj, name, notes)
    else:
        _check_top(obj, data, version, notes)
    card = Card(version=version, text={}, raw=data, notes=notes)
    _read_fields(card, data, obj if version > 1 else {})
    unknown = sorted(k for k in data if k not in DATA_FIELDS and (version > 1 or k not in _V1_EXTRAS))
    if unknown:
        notes.append(("", f"fields this importer does not map, kept in the card JSON: {_names(unknown)}"))
    return card


#: Top-level fields SillyTavern keeps beside a V1 card's own (they stay in the kept JSON unremarked).
_V1_EXTRAS: Final = frozenset({"creatorcomment", "avatar", "chat", "create_date", "talkativeness", "fav"})


def _v1(obj: dict[str, Any], name: str, notes: Notes) -> dict[str, Any]:
    if "name" not in obj and "char_name" in obj:
        notes.append(("", "a Pygmalion card (char_name, char_persona…): read as a V1 card"))
        mapped = {_PYGMALION.get(k, k): v for k, v in obj.items()}
        return {k: v for k, v in mapped.items() if k not in _PYGMALION}
    if not any(k in obj for k in (*V1_FIELDS, "creator_notes", "creatorcomment")):
        raise InputRejected(f"{name}: not a character card (no name, description or greeting)")
    return obj


def _check_top(obj: dict[str, Any], data: dict[str, Any], version: int, notes: Notes) -> None:
    expected = "3.0" if version == 3 else "2.0"
    sv = obj.get("spec_version")
    if sv is None:
        notes.append(("spec_version", "no spec_version"))
    elif sv != expected:
        newer = _newer(sv, expected)
        what = "a newer version than this importer knows: read as" if newer else "read as"
        notes.append(("spec_version", f"spec_version {_short(sv)}: {what} {expected}"))
    differ = [k for k in V1_FIELDS if isinstance(obj.get(k), str) and k in data and obj[k] != data[k]]
    if differ:
        verb = "differs" if len(differ) == 1 else "differ"
        notes.append(("", f"top-level {_names(differ)} {verb} from the card's data: the data is read"))
    extra = sorted(k for k in obj if k not in TOP_FIELDS)
    if extra:
        notes.append(("", f"top-level fields kept in the card JSON: {_names(extra)}"))


def _newer(value: object, expected: str) -> bool:
    try:
        return float(str(value)) > float(expected)
    except ValueError:
        return False


def _read_fields(card: Card, data: dict[str, Any], top: dict[str, Any]) -> None:
    notes = card.notes
    nulls: list[str] = []
    for key in TEXT_FIELDS:
        card.text[key] = _text(data, key, notes, nulls)
    if not card.text["creator_notes"] and isinstance(data.get("creatorcomment"), str):
        card.text["creator_notes"] = data["creatorcomment"]
    top_name = top.get("name")
    if not card.text["name"].strip() and isinstance(top_name, str) and top_name.strip():
        notes.append(("data.name", "the data has no name: the top-level name is read"))
        card.text["name"] = top_name
    if "nickname" in data:
        nickname = _text(data, "nickname", notes, nulls)
        card.nickname = nickname if data["nickname"] is not None else None
    card.alternate_greetings = _strings(data, "alternate_greetings", notes, nulls, split=False)
    card.group_only_greetings = _strings(data, "group_only_greetings", notes, nulls, split=False)
    card.tags = _strings(data, "tags", notes, nulls, split=True)
    if "source" in data and data["source"] is not None:
        card.source = _strings(data, "source", notes, nulls, split=False)
    elif "source" in data:
        nulls.append("source")
    card.creator_notes_multilingual = _languages(data, notes, nulls)
    card.creation_date = _date(data, "creation_date", notes, nulls)
    card.modification_date = _date(data, "modification_date", notes, nulls)
    _book(card, data, nulls)
    _extensions(card, data)
    _assets(card, data, nulls)
    if nulls:
        notes.append(("", f"fields that are null, read as empty: {_names(nulls)}"))


def _text(data: dict[str, Any], key: str, notes: Notes, nulls: list[str]) -> str:
    value = data.get(key, "")
    if isinstance(value, str):
        return value
    if value is None:
        nulls.append(key)
        return ""
    if isinstance(value, bool | int | float):
        shown = msgspec.json.encode(value).decode()
        notes.append((key, f"a {_json_type(value)}, not text: read as {shown[:40]!r}"))
        return shown
    notes.append((key, f"a JSON {_json_type(value)}, not text: not read (kept in the card JSON)"))
    return ""


def _strings(data: dict[str, Any], key: str, notes: Notes, nulls: list[str], *, split: bool) -> list[str]:
    value = data.get(key)
    if value is None:
        if key in data:
            nulls.append(key)
        return []
    if isinstance(value, str):
        if split:
            notes.append((key, "a string, not a list: split at commas"))
            return [t.strip() for t in value.split(",") if t.strip()]
        notes.append((key, "a string, not a list: read as one item"))
        return [value] if value else []
    if not isinstance(value, list):
        notes.append((key, f"a JSON {_json_type(value)}, not a list: not read (kept in the card JSON)"))
        return []
    kept = [v for v in value if isinstance(v, str)]
    if len(kept) != len(value):
        notes.append(
            (key, f"{plural(len(value) - len(kept), 'item')} that are not text: not read (kept in the card JSON)")
        )
    return kept


def _languages(data: dict[str, Any], notes: Notes, nulls: list[str]) -> dict[str, str]:
    key = "creator_notes_multilingual"
    value = data.get(key)
    if value is None:
        if key in data:
            nulls.append(key)
        return {}
    if not isinstance(value, dict):
        notes.append((key, f"a JSON {_json_type(value)}, not an object: not read (kept in the card JSON)"))
        return {}
    kept = {lang: text for lang, text in value.items() if lang and isinstance(text, str)}
    if len(kept) != len(value):
        notes.append(
            (key, f"{plural(len(value) - len(kept), 'entry', 'entries')} without a language or text: not read")
        )
    return kept


def _date(data: dict[str, Any], key: str, notes: Notes, nulls: list[str]) -> int | None:
    value = data.get(key)
    if value is None:
        if key in data:
            nulls.append(key)
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < _INT_MAX:
        notes.append((key, "a fractional number: read as whole seconds"))
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= _INT_MAX:
        notes.append((key, f"not a whole number of seconds ({_short(value)}): not read (kept in the card JSON)"))
        return None
    return value


def _book(card: Card, data: dict[str, Any], nulls: list[str]) -> None:
    key = "character_book"
    if key not in data:
        return
    book = data[key]
    if book is None:
        nulls.append(key)
        return
    if not isinstance(book, dict):
        card.notes.append((key, f"a JSON {_json_type(book)}, not a lorebook: not read (kept in the card JSON)"))
        return
    entries = book.get("entries")
    if not isinstance(entries, list):
        card.notes.append((key, "the lorebook has no list of entries"))
        entries = []
    card.character_book = book
    card.lorebook_entries = len(entries)


def _extensions(card: Card, data: dict[str, Any]) -> None:
    ext = data.get("extensions")
    if ext is None or (isinstance(ext, dict) and not ext):
        return
    if not isinstance(ext, dict):
        card.notes.append(("extensions", f"a JSON {_json_type(ext)}, not an object (kept in the card JSON)"))
        return
    card.notes.append(("extensions", f"kept in the card JSON: {_names(sorted(ext))}"))
    ours = ext.get(EXTENSION_KEY)
    traits = ours.get("traits") if isinstance(ours, dict) else None
    if isinstance(traits, dict):
        card.extra_traits = {k: v for k, v in traits.items() if isinstance(v, str) and k}


def _assets(card: Card, data: dict[str, Any], nulls: list[str]) -> None:
    value = data.get("assets")
    if value is None:
        if "assets" in data:
            nulls.append("assets")
        return
    if not isinstance(value, list):
        card.notes.append(("assets", f"a JSON {_json_type(value)}, not a list: not read (kept in the card JSON)"))
        return
    if len(value) > MAX_ASSETS:
        card.notes.append(("assets", f"{len(value)} assets: only the first {MAX_ASSETS} are read"))
    out: list[CardAsset] = []
    bad = 0
    for index, entry in enumerate(value[:MAX_ASSETS]):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("type"), str)
            or not isinstance(entry.get("uri"), str)
        ):
            bad += 1
            continue
        name = entry.get("name")
        ext = entry.get("ext")
        out.append(
            CardAsset(
                index,
                entry["type"],
                entry["uri"],
                name if isinstance(name, str) else "",
                ext if isinstance(ext, str) else "",
            )
        )
    if bad:
        card.notes.append(
            ("assets", f"{plural(bad, 'entry', 'entries')} without a type and a URI: not read (kept in the card JSON)")
        )
    card.assets = out


def _short(value: object) -> str:
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode() if _encodable(value) else "?"
    return repr(text[:40]) if isinstance(value, str) else text[:40]


def _encodable(value: object) -> bool:
    try:
        msgspec.json.encode(value)
    except (TypeError, OverflowError, msgspec.EncodeError):
        return False
    return True


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 entry``, ``2 entries``."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(n[:40] for n in names[:SHOWN])
    return f"{shown} and {len(names) - SHOWN} more" if len(names) > SHOWN else shown
