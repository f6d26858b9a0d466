"""Properties of the card importer and exporter: whatever they are given, a plan that applies or one refusal.

Random bytes, random JSON in the card's fields and well-formed PNG, JSON and
CHARX cards mutated at random (the file's bytes, or the chunk's text re-wrapped
with a good CRC) never make the importer raise anything but
:class:`InputRejected`; a plan it returns passes ``check_plan``, and what it
imported exports, and a well-formed card survives import → export → import.
"""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.adapters import Plan, Source, StoryView, check_plan
from comfyvn_vault.domain.entities import Character
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.exporters.card import CardExporter, CardExportOptions
from comfyvn_vault.importers.card import CardImporter, CardOptions
from comfyvn_vault.importers.card_format import DATA_FIELDS
from tests.adapters.helpers import applied, story
from tests.importers.card_helpers import charx, image

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PICTURE = image((10, 20, 30), size=(3, 2))
PNG_SIG = b"\x89PNG\r\n\x1a\n"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FIELDS = sorted(DATA_FIELDS)
specs = st.sampled_from(["chara_card_v2", "chara_card_v3", None, "weird"]) | json_values
text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)


@st.composite
def wild_cards(draw: st.DrawFn) -> dict[str, Any]:
    """A card object whose fields hold anything JSON can."""
    data = draw(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_values, max_size=8))
    if draw(st.booleans()):
        data["assets"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "type": st.sampled_from(["icon", "emotion", "background", "x_a:b"]) | text,
                        "uri": st.sampled_from(
                            ["ccdefault:", "__asset:0", "embeded://a.png", "data:x;base64,AA", "https://x"]
                        )
                        | text,
                        "name": text,
                        "ext": st.sampled_from(["png", "unknown", ""]),
                    }
                ),
                max_size=4,
            )
        )
    spec = draw(specs)
    if draw(st.booleans()):
        return data  # a V1 card, or what passes for one
    out: dict[str, Any] = {"data": data if draw(st.integers(0, 5)) else draw(json_values)}
    if spec is not None:
        out["spec"] = spec
    return out


@st.composite
def good_cards(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed V2 or V3 card."""
    data: dict[str, Any] = {k: draw(text) for k in ("name", "description", "personality", "scenario", "first_mes")}
    data["name"] = draw(st.from_regex(r"[A-Za-z][A-Za-z ]{0,10}", fullmatch=True))
    data["mes_example"] = draw(text)
    data["alternate_greetings"] = draw(st.lists(text, max_size=3))
    data["tags"] = draw(st.lists(st.text(max_size=6), max_size=3))
    data["extensions"] = draw(st.dictionaries(st.text(max_size=6), json_values, max_size=3))
    if draw(st.booleans()):
        data["character_book"] = {"entries": [{"keys": ["k"], "content": draw(text)}], "extensions": {}}
    if draw(st.booleans()):
        data["nickname"] = draw(text)
        data["creation_date"] = draw(st.integers(0, 2**40))
        data["creator_notes_multilingual"] = draw(
            st.dictionaries(st.sampled_from(["en", "fr", "ja"]), text, max_size=2)
        )
    v3 = draw(st.booleans())
    return {"spec": "chara_card_v3" if v3 else "chara_card_v2", "spec_version": "3.0" if v3 else "2.0", "data": data}


def chunk(ctype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


def png_with(texts: list[tuple[str, str]]) -> bytes:
    iend = PICTURE.rindex(b"IEND") - 4
    extra = b"".join(chunk(b"tEXt", k.encode("latin-1") + b"\0" + t.encode("latin-1")) for k, t in texts)
    return PICTURE[:iend] + extra + PICTURE[iend:]


def encode(card: Any) -> str:
    return base64.b64encode(json.dumps(card).encode()).decode()


@st.composite
def containers(draw: st.DrawFn, cards: st.SearchStrategy[dict[str, Any]]) -> tuple[bytes, str]:
    card = draw(cards)
    how = draw(st.sampled_from(["chara", "ccv3", "both", "json", "charx"]))
    if how == "json":
        return json.dumps(card).encode(), "c.json"
    if how == "charx":
        members = {"card.json": json.dumps(card).encode(), "a.png": PICTURE}
        return charx(members), "c.charx"
    texts = [(k, encode(card)) for k in (["chara", "ccv3"] if how == "both" else [how])]
    if draw(st.booleans()):
        texts.append(("chara-ext-asset_:0", base64.b64encode(PICTURE).decode()))
    return png_with(texts), "c.png"


def mutate(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with bytes inserted, deleted, duplicated, flipped or cut off, anywhere in it."""
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))  # positions spread over the whole file
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        at = rnd.randint(0, len(out))
        how = draw(st.sampled_from(["insert", "delete", "duplicate", "flip", "flip", "truncate"]))
        if how == "insert":
            out[at:at] = draw(
                st.binary(min_size=1, max_size=4) | st.sampled_from([b"{", b'"', b"\0", b"=", b"PK", b"A"])
            )
        elif how == "delete":
            del out[at : at + rnd.randint(1, 8)]
        elif how == "duplicate":
            out[at:at] = out[at : at + rnd.randint(1, 16)]
        elif how == "truncate":
            del out[at:]
        elif at < len(out):
            out[at] ^= 1 << rnd.randint(0, 7)
    return bytes(out)


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[bytes, str]:
    data, name = draw(containers(st.one_of(good_cards(), wild_cards())))
    return mutate(draw, data), name


@st.composite
def mutated_payloads(draw: st.DrawFn) -> tuple[bytes, str]:
    """A PNG whose card text was mutated, then wrapped in a chunk with a good CRC."""
    card = draw(good_cards())
    raw = json.dumps(card).encode()
    if draw(st.booleans()):
        payload = base64.b64encode(mutate(draw, raw)).decode()
    else:
        payload = mutate(draw, base64.b64encode(raw)).decode("latin-1")
    return png_with([(draw(st.sampled_from(["chara", "ccv3"])), payload)]), "m.png"


def view(p: Plan, docs: dict[str, Any]) -> StoryView:
    held = {k: v for k, v in docs.items() if v is not None}
    blobs = dict(p.blobs)
    return StoryView(held.get, lambda f: [k for k in held if k.startswith(f + "/")], blobs.__getitem__)


def plans_or_refuses(data: bytes, name: str) -> tuple[Plan, dict[str, Any]] | None:
    try:
        p = CardImporter().plan(Source(data, name), CardOptions(), story().lookup)
    except InputRejected as exc:
        assert "\n" not in str(exc)
        return None
    check_plan(p, story().lookup)
    docs = applied(p)
    try:
        CardExporter().plan(view(p, docs), CardExportOptions())
    except InputRejected:
        pass
    return p, docs


@SETTINGS
@given(st.binary(max_size=600), st.sampled_from([b"", PNG_SIG, b"PK\x03\x04", b"{", b"\xff\xd8\xff", PICTURE[:33]]))
def test_random_bytes_plan_or_are_refused(data: bytes, prefix: bytes) -> None:
    plans_or_refuses(prefix + data, "r.png")


@SETTINGS
@given(containers(wild_cards()))
def test_cards_holding_any_json_plan_or_are_refused(case: tuple[bytes, str]) -> None:
    plans_or_refuses(*case)


@SETTINGS
@given(mutated_files())
def test_mutated_png_json_and_charx_cards_plan_or_are_refused(case: tuple[bytes, str]) -> None:
    plans_or_refuses(*case)


@SETTINGS
@given(mutated_payloads())
def test_mutated_card_chunks_plan_or_are_refused(case: tuple[bytes, str]) -> None:
    plans_or_refuses(*case)


def _same(c: Character) -> tuple[Any, ...]:
    meta = {k: v for k, v in c.meta.items() if k not in ("card_json", "source_asset")}
    return (c.name, c.traits, c.portrait_asset_id, c.expressions, meta)


@SETTINGS
@given(containers(good_cards()))
def test_well_formed_cards_survive_import_export_import(case: tuple[bytes, str]) -> None:
    done = plans_or_refuses(*case)
    assert done is not None
    p, docs = done
    [out] = CardExporter().plan(view(p, docs), CardExportOptions()).files
    assert isinstance(out.content, bytes)
    again = plans_or_refuses(out.content, "out.png")
    assert again is not None
    [first] = [d for d in docs.values() if isinstance(d, Character)]
    [second] = [d for d in again[1].values() if isinstance(d, Character)]
    assert _same(second) == _same(first)
