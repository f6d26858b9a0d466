"""The card importer: V1, V2 and V3 cards in PNG, JSON and CHARX containers, and the cards seen in the wild."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any

import msgspec
import pytest

from comfyvn_vault.adapters import Source, check_plan
from comfyvn_vault.adapters.archive import FolderFiles
from comfyvn_vault.domain.assets import Asset
from comfyvn_vault.domain.entities import Character, Choice, Node, Scene
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.card import CardImporter, CardOptions, file_stem, preview
from comfyvn_vault.importers.card_png import read_png
from comfyvn_vault.store.ids import hash_bytes
from tests.adapters.helpers import applied, story
from tests.importers.card_helpers import (
    b64,
    charx,
    findings,
    fixture,
    fixture_json,
    image,
    imported,
    only_character,
    only_scene,
    plan,
    png_card,
)


def _asset(docs: dict[str, Any], asset_id: str | None) -> Asset:
    assert asset_id is not None
    doc = docs[f"assets/{asset_id}"]
    assert isinstance(doc, Asset)
    return doc


def _oid(p: Any, asset_id: str) -> Any:
    return next(oid for oid in p.blobs if oid.hex() == asset_id)


def blob(p: Any, asset_id: object) -> bytes:
    assert isinstance(asset_id, str)
    return bytes(p.blobs[_oid(p, asset_id)])


# ----------------------------------------------------------------- V1, V2, V3


def test_a_v1_png_card_is_a_character_with_traits_and_an_opening_scene() -> None:
    data = png_card({"chara": b64(fixture_json("v1.json"))})
    p, docs = imported(data, "cards/Old Tom.png")
    c = only_character(docs)
    assert c.id == "old-tom"
    assert c.name == "Old Tom"
    assert c.traits == {
        "description": "The harbour master, sixty and stubborn.",
        "personality": "gruff, kind underneath",
        "scenario": "A storm is coming in.",
        "mes_example": "<START>\n{{user}}: Is the lamp lit?\n{{char}}: Always.",
    }
    scene = only_scene(docs)
    assert scene.id == "old-tom-opening"
    assert c.meta["opening_scene"] == scene.id
    assert scene.nodes == [
        Node(
            id="start",
            type="choice",
            choices=[Choice(id="c1", text="*Tom squints at you.* Another one off the ferry?", target="g1")],
        ),
        Node(
            id="g1",
            speaker="Old Tom",
            content="*Tom squints at you.* Another one off the ferry?",
            meta={"card_field": "first_mes"},
        ),
    ]
    assert "a V1 card, from the PNG's 'chara' chunk" in findings(p)
    check_plan(p, story().lookup)


def test_the_png_without_its_card_chunks_is_the_portrait_and_the_file_is_the_source() -> None:
    data = png_card({"chara": b64(fixture_json("v1.json")), "Comment": "drawn by hand"})
    p, docs = imported(data, "tom.png")
    c = only_character(docs)
    portrait = blob(p, c.portrait_asset_id)
    assert read_png(portrait, "x").texts == ()
    assert len(read_png(portrait, "x").chunks) == len(read_png(data, "x").chunks) - 1
    assert b"drawn by hand" in portrait  # other text chunks stay in the picture
    assert _asset(docs, c.portrait_asset_id).mime == "image/png"
    source = _asset(docs, str(c.meta["source_asset"]))
    assert source.bytes == len(data) and source.blob == hash_bytes(data)
    assert p.source_asset == c.meta["source_asset"]
    assert only_scene(docs).meta["source_asset"] == c.meta["source_asset"]


def test_a_v2_card_maps_every_field() -> None:
    p, docs = imported(png_card({"chara": b64(fixture_json("v2.json"))}), "mira.png")
    c = only_character(docs)
    assert c.id == "mira-vale"
    assert c.traits == {
        "description": "The lighthouse keeper's daughter.",
        "personality": "curious, restless",
        "scenario": "The lamp has gone out.",
        "mes_example": "<START>\n{{char}}: Hold the ladder.",
        "creator_notes": "Works best with slow scenes.",
        "system_prompt": "{{original}} Write as Mira.",
        "post_history_instructions": "Stay in character.",
    }
    assert c.meta["tags"] == ["drama", "coastal"]
    assert c.meta["creator"] == "ana"
    assert c.meta["character_version"] == "1.2"
    assert c.meta["lorebook_entries"] == 2
    scene = only_scene(docs)
    assert [(ch.text, ch.target) for ch in scene.nodes[0].choices] == [
        ("The lamp is out. Again.", "g1"),
        ("You came back.", "g2"),
        ("Who's there?", "g3"),
    ]
    assert [(n.content, n.meta["card_field"]) for n in scene.nodes[1:]] == [
        ("The lamp is out. Again.", "first_mes"),
        ("You came back.", "alternate_greetings"),
        ("Who's there?", "alternate_greetings"),
    ]
    found = findings(p)
    assert "top-level description differs from the card's data: the data is read" in found
    assert "fields this importer does not map, kept in the card JSON: x_unknown" in found
    assert "extensions: kept in the card JSON: depth_prompt, fav, talkativeness" in found
    assert "character_book: the lorebook has 2 entries: kept as a JSON asset" in found


def test_the_lorebook_is_a_json_asset_the_character_points_at() -> None:
    card = fixture_json("v2.json")
    p, docs = imported(png_card({"chara": b64(card)}))
    c = only_character(docs)
    book = _asset(docs, str(c.meta["lorebook"]))
    assert (book.kind, book.mime) == ("text", "application/json")
    assert json.loads(blob(p, c.meta["lorebook"])) == card["data"]["character_book"]


def test_the_card_json_is_kept_byte_for_byte() -> None:
    raw = json.dumps(fixture_json("v2.json"), indent=3).encode()
    data = png_card({"chara": b64(raw.decode())})
    p, docs = imported(data)
    c = only_character(docs)
    kept = _asset(docs, str(c.meta["card_json"]))
    assert (kept.kind, kept.mime) == ("text", "application/json")
    assert blob(p, c.meta["card_json"]) == raw  # unknown fields, extensions, even the indentation


def test_a_v3_card_maps_its_new_fields() -> None:
    p, docs = imported(png_card({"ccv3": b64(fixture_json("v3.json"))}), "wren.png")
    c = only_character(docs)
    assert c.traits["creator_notes.fr"] == "Notes en français."
    assert c.traits["creator_notes.en"] == "English notes."
    assert c.meta["nickname"] == "the Mapper"
    assert c.meta["card_source"] == ["https://example.invalid/wren"]
    assert c.meta["group_only_greetings"] == ["Everyone, gather round the table."]
    assert (c.meta["creation_date"], c.meta["modification_date"]) == (1700000000, 1710000000)
    assert c.portrait_asset_id is not None  # icon 'main' is ccdefault: the PNG itself
    assert "a V3 card, from the PNG's 'ccv3' chunk" in findings(p)


def test_when_both_chunks_are_there_ccv3_wins() -> None:
    v2 = fixture_json("v2.json")
    v3 = {"spec": "chara_card_v3", "spec_version": "3.0", "data": {**v2["data"], "name": "Mira (V3)"}}
    for order in ([("chara", b64(v2)), ("ccv3", b64(v3))], [("ccv3", b64(v3)), ("chara", b64(v2))]):
        p, docs = imported(png_card(order))
        assert only_character(docs).name == "Mira (V3)"
        assert "both a 'ccv3' and a 'chara' chunk: the V3 card ('ccv3') is read" in findings(p)


def test_keywords_are_matched_in_any_case_and_compressed_chunks_are_read() -> None:
    card = b64(fixture_json("v1.json"))
    p, docs = imported(png_card({"Chara": card}))
    assert only_character(docs).name == "Old Tom"
    assert any("written 'Chara'" in f for f in findings(p))
    p, docs = imported(png_card({"chara": card}, compressed={"chara"}))
    assert only_character(docs).name == "Old Tom"
    assert any("zTXt chunk, which SillyTavern does not read" in f for f in findings(p))
    p, docs = imported(png_card({"ccv3": b64(fixture_json("v3.json"))}, international={"ccv3"}, compressed={"ccv3"}))
    assert only_character(docs).name == "Wren"
    assert any("iTXt chunk" in f for f in findings(p))


def test_a_json_card_imports_without_a_portrait() -> None:
    for name in ("v1.json", "v2.json", "v3.json"):
        p, docs = imported(fixture(name), name)
        c = only_character(docs)
        assert c.portrait_asset_id is None
        assert c.meta["card_json"] == c.meta["source_asset"] == hash_bytes(fixture(name)).hex()
        assert any("from a JSON file" in f for f in findings(p))


def test_a_pygmalion_card_reads_as_v1() -> None:
    p, docs = imported(fixture("pygmalion.json"), "pip.json")
    c = only_character(docs)
    assert (c.name, c.traits) == ("Pip", {"description": "A very small dragon."})
    assert only_scene(docs).nodes[1].content == "*Pip sneezes a spark.*"
    assert any("Pygmalion" in f for f in findings(p))


# ----------------------------------------------------------------- CHARX


def _charx_card(**data: Any) -> dict[str, Any]:
    base = fixture_json("v3.json")
    base["data"].update(data)
    return base


def test_a_charx_card_brings_its_icon_its_emotions_and_its_other_assets() -> None:
    icon, happy, sad, bg = image((200, 0, 0)), image((0, 200, 0)), image((0, 0, 200)), image((9, 9, 9), fmt="JPEG")
    card = _charx_card(
        assets=[
            {"type": "icon", "uri": "embeded://assets/icon/images/main.png", "name": "main", "ext": "png"},
            {"type": "emotion", "uri": "embeded://assets/emotion/images/happy.png", "name": "happy", "ext": "png"},
            {"type": "emotion", "uri": "embeded://assets/emotion/images/sad.png", "name": "sad", "ext": "png"},
            {"type": "background", "uri": "embeded://assets/background/images/a.jpg", "name": "harbour", "ext": "jpg"},
            {"type": "background", "uri": "https://example.invalid/b.png", "name": "web", "ext": "png"},
        ]
    )
    data = charx(
        {
            "card.json": json.dumps(card).encode(),
            "assets/icon/images/main.png": icon,
            "assets/emotion/images/happy.png": happy,
            "assets/emotion/images/sad.png": sad,
            "assets/background/images/a.jpg": bg,
            "module.risum": b"\0\1",
        }
    )
    p, docs = imported(data, "wren.charx")
    c = only_character(docs)
    assert blob(p, c.portrait_asset_id) == icon
    assert {k: blob(p, v) for k, v in c.expressions.items()} == {"happy": happy, "sad": sad}
    assert c.meta["card_assets"] == [f"{hash_bytes(bg).hex()}:background:jpg:harbour"]
    assert _asset(docs, hash_bytes(bg).hex()).mime == "image/jpeg"
    source = _asset(docs, str(c.meta["source_asset"]))
    assert source.mime == "application/zip"
    found = findings(p)
    assert "assets: 1 asset on the web: not fetched, left in the card (background/web)" in found
    assert "1 archive member not named by any asset, kept only in the source archive: module.risum" in found
    assert "a V3 card, from a CHARX archive" in found


def test_charx_oddities_are_findings() -> None:
    card = _charx_card(
        assets=[
            {"type": "icon", "uri": "embedded://assets/main.png", "name": "main", "ext": "png"},
            {"type": "emotion", "uri": "embeded://assets/gone.png", "name": "gone", "ext": "png"},
            {"type": "emotion", "uri": "ftp://x/y.png", "name": "ftp", "ext": "png"},
            {"type": "emotion", "uri": f"data:image/png;base64,{b64(image().decode('latin-1'))}", "name": "d"},
            "not an asset",
        ]
    )
    members = {"pack/card.json": json.dumps(card).encode(), "pack/assets/main.png": image()}
    with pytest.raises(InputRejected, match=r"no card\.json"):
        plan(charx({"x.json": b"{}"}), "x.charx")
    p, docs = imported(charx({"card.json": json.dumps(card).encode(), "assets/main.png": image()}), "w.charx")
    c = only_character(docs)
    assert c.portrait_asset_id == hash_bytes(image()).hex()
    assert list(c.expressions) == ["d"]
    found = findings(p)
    assert any("'embedded://' is spelt 'embeded://'" in f for f in found)
    assert "assets[1]: the archive has no member 'assets/gone.png'" in found
    assert any("assets[2]: URI 'ftp://x/y.png' is not one this importer reads" in f for f in found)
    assert any("1 entry without a type and a URI" in f for f in found)
    p, docs = imported(charx(members), "nested.charx")
    assert any("card.json is not at the root" in f for f in findings(p))


def test_a_charx_data_url_asset_is_read() -> None:
    png = image((1, 2, 3))
    import base64

    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    card = _charx_card(assets=[{"type": "icon", "uri": uri, "name": "main", "ext": "png"}])
    p, docs = imported(json.dumps(card).encode(), "w.json")
    assert blob(p, only_character(docs).portrait_asset_id) == png


def test_a_charx_folder_source_reads_the_same(tmp_path: Any) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "main.png").write_bytes(image())
    card = _charx_card(assets=[{"type": "icon", "uri": "embeded://assets/main.png", "name": "main", "ext": "png"}])
    (tmp_path / "card.json").write_text(json.dumps(card))
    source = Source(b"", "wren", FolderFiles(tmp_path))
    p = CardImporter().plan(source, CardOptions(), story().lookup)
    c = only_character(applied(p))
    assert c.portrait_asset_id == hash_bytes(image()).hex()
    assert p.source_asset == hash_bytes((tmp_path / "card.json").read_bytes()).hex()


def test_png_embedded_assets_are_read() -> None:
    happy = image((0, 255, 0))
    card = _charx_card(
        assets=[
            {"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"},
            {"type": "emotion", "uri": "__asset:0", "name": "happy", "ext": "png"},
            {"type": "emotion", "uri": "__asset:7", "name": "missing", "ext": "png"},
        ]
    )
    import base64

    data = png_card({"ccv3": b64(card), "chara-ext-asset_:0": base64.b64encode(happy).decode()})
    p, docs = imported(data)
    c = only_character(docs)
    assert blob(p, c.expressions["happy"]) == happy
    assert "assets[2]: the PNG has no chara-ext-asset_:7 chunk" in findings(p)
    assert read_png(blob(p, c.portrait_asset_id), "x").texts == ()  # the asset chunk is not in the portrait


def test_a_jpeg_with_a_charx_appended_is_read() -> None:
    card = _charx_card(assets=[{"type": "icon", "uri": "embeded://assets/main.png", "name": "main", "ext": "png"}])
    data = image(fmt="JPEG") + charx({"card.json": json.dumps(card).encode(), "assets/main.png": image()})
    p, docs = imported(data, "wren.jpg")
    assert only_character(docs).portrait_asset_id == hash_bytes(image()).hex()
    assert "a JPEG image with a CHARX archive appended: the archive is read" in findings(p)


# ----------------------------------------------------------------- the wild


def test_a_card_with_an_empty_name_is_named_after_its_file() -> None:
    p, docs = imported(fixture("wild.json"), "downloads/Sea Witch.json")
    c = only_character(docs)
    assert (c.id, c.name) == ("sea-witch", "Sea Witch")
    found = findings(p)
    assert "name: the card has no name: the character is called 'Sea Witch'" in found
    assert "fields that are null, read as empty: description, character_book" in found
    assert "tags: a string, not a list: split at commas" in found
    assert "alternate_greetings: a string, not a list: read as one item" in found
    assert "character_version: a number, not text: read as '2'" in found
    assert c.meta["tags"] == ["one", "two", "three"]
    assert c.meta["character_version"] == "2"
    assert "lorebook" not in c.meta
    assert [n.content for n in only_scene(docs).nodes[1:]] == ["Only one greeting"]


def test_a_nameless_card_of_a_nameless_source_is_unnamed() -> None:
    p = CardImporter().plan(Source(fixture("wild.json")), CardOptions(), story().lookup)
    assert only_character(applied(p)).name == "Unnamed"


def test_a_jpeg_named_png_is_refused_in_one_line() -> None:
    with pytest.raises(InputRejected) as exc:
        plan(image(fmt="JPEG"), "card.png")
    assert str(exc.value) == (
        "card.png: a JPEG image has no character card (cards are PNG files with a 'chara' or 'ccv3' chunk,"
        " JSON files or CHARX archives)"
    )
    with pytest.raises(InputRejected, match="a WebP image has no character card"):
        plan(image(fmt="WEBP"), "card.webp")
    with pytest.raises(InputRejected, match="an audio/ogg file has no character card"):
        plan(b"OggS" + bytes(40), "card.png")


def test_a_png_without_a_card_is_refused() -> None:
    with pytest.raises(InputRejected, match="no 'chara' or 'ccv3' text chunk"):
        plan(image(), "plain.png")
    with pytest.raises(InputRejected, match="no 'chara' or 'ccv3' text chunk"):
        plan(png_card({"Comment": "hello"}), "plain.png")


def test_null_and_ill_typed_fields_are_findings() -> None:
    card = {
        "spec": "chara_card_v2",
        "spec_version": "2.0",
        "data": {
            "name": "Odd",
            "personality": ["not", "text"],
            "first_mes": "hi",
            "alternate_greetings": ["a", 7, None, "b"],
            "tags": {"x": 1},
            "character_book": [],
            "extensions": [],
            "creation_date": "yesterday",
            "modification_date": 1.0,
        },
    }
    p, docs = imported(png_card({"chara": b64(card)}))
    c = only_character(docs)
    assert c.traits == {}
    assert [n.content for n in only_scene(docs).nodes[1:]] == ["hi", "a", "b"]
    assert c.meta["modification_date"] == 1
    found = findings(p)
    for expected in (
        "personality: a JSON array, not text: not read (kept in the card JSON)",
        "alternate_greetings: 2 items that are not text: not read (kept in the card JSON)",
        "tags: a JSON object, not a list: not read (kept in the card JSON)",
        "character_book: a JSON array, not a lorebook: not read (kept in the card JSON)",
        "extensions: a JSON array, not an object (kept in the card JSON)",
        "creation_date: not a whole number of seconds ('yesterday'): not read (kept in the card JSON)",
        "modification_date: a fractional number: read as whole seconds",
    ):
        assert expected in found


def test_spec_versions_and_unknown_specs_are_findings() -> None:
    v3 = fixture_json("v3.json")
    p = plan(json.dumps({**v3, "spec_version": "3.5"}).encode(), "x.json")
    assert any("spec_version '3.5': a newer version" in f for f in findings(p))
    p = plan(json.dumps({**v3, "spec": "chara_card_v9"}).encode(), "x.json")
    assert any("spec 'chara_card_v9' is not a known card spec: read as a V2 card" in f for f in findings(p))
    p = plan(json.dumps({"spec": "chara_card_v2", "name": "Flat", "first_mes": "hi"}).encode(), "x.json")
    assert only_character(applied(p)).name == "Flat"
    assert any("without a 'data' object: its top-level fields are read" in f for f in findings(p))
    with pytest.raises(InputRejected, match="a 'chara_card_v2' card without a 'data' object"):
        plan(b'{"spec": "chara_card_v2"}', "x.json")


def test_a_card_without_greetings_has_no_scene() -> None:
    p, docs = imported(json.dumps({"name": "Quiet", "description": "says nothing"}).encode(), "q.json")
    assert not [d for d in docs.values() if isinstance(d, Scene)]
    assert "opening_scene" not in only_character(docs).meta
    assert "first_mes: the card has no greeting: no opening scene" in findings(p)
    p, docs = imported(fixture("v1.json"), "v1.json", greetings=False)
    assert not [d for d in docs.values() if isinstance(d, Scene)]


def test_empty_alternate_greetings_are_kept_as_empty_lines() -> None:
    card = {"spec": "chara_card_v2", "data": {"name": "E", "first_mes": "", "alternate_greetings": ["", "hey"]}}
    p, docs = imported(json.dumps(card).encode(), "e.json")
    scene = only_scene(docs)
    assert [(n.content, n.meta["card_field"]) for n in scene.nodes[1:]] == [
        ("", "alternate_greetings"),
        ("hey", "alternate_greetings"),
    ]
    assert scene.nodes[0].choices[0].text == "(an empty greeting)"
    assert "alternate_greetings: 1 greeting empty: kept as empty lines" in findings(p)


def test_ids_are_made_unique_or_chosen() -> None:
    first = applied(plan(fixture("v1.json"), "v1.json"))
    again = plan(fixture("v1.json"), "v1.json", docs=first)
    docs = applied(again, first)
    assert isinstance(docs["characters/old-tom-2"], Character)
    assert isinstance(docs["scenes/old-tom-2-opening"], Scene)
    assert "character 'old-tom' already exists: the card is imported as 'old-tom-2'" in findings(again)
    chosen = applied(plan(fixture("v1.json"), "v1.json", character_id="tom"))
    assert isinstance(chosen["characters/tom"], Character)
    with pytest.raises(InputRejected, match="already exists"):
        plan(fixture("v1.json"), "v1.json", docs=first, character_id="old-tom")
    with pytest.raises(InputRejected, match="character id"):
        plan(fixture("v1.json"), "v1.json", character_id="a/b")


def test_without_keep_source_the_file_is_not_an_asset() -> None:
    data = png_card({"chara": b64(fixture_json("v1.json"))})
    p = plan(data, keep_source=False)
    assert hash_bytes(data) not in p.blobs
    assert "source_asset" not in only_character(applied(p)).meta


def test_a_stream_source_is_read() -> None:
    data = png_card({"chara": b64(fixture_json("v1.json"))})
    p = CardImporter().plan(Source(io.BytesIO(data), "s.png"), CardOptions(), story().lookup)
    assert only_character(applied(p)).name == "Old Tom"
    assert p.source_asset == hash_bytes(data).hex()


# ----------------------------------------------------------------- refused


def _chunk(ctype: bytes, payload: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(ctype + payload) if crc is None else crc
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", crc)


def _png_with_raw_chunk(ctype: bytes, payload: bytes, *, crc: int | None = None) -> bytes:
    base = image()
    iend = base.rindex(b"IEND") - 4
    return base[:iend] + _chunk(ctype, payload, crc) + base[iend:]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a character card"),
        (b"hello", "not a character card"),
        (b"[1, 2]", "not a character card"),
        (b'{"name": "x"', "not valid JSON"),
        (b'{"other": 1}', "no name, description or greeting"),
        (png_card({"chara": "!!!not base64!!!"}), "chunk 'chara': not valid base64"),
        (png_card({"chara": b64("not json")}), "chunk 'chara': not valid JSON"),
        (png_card({"chara": b64("[1]")}), "the card is a JSON array, not an object"),
        (png_card({"chara": b64('"x"')}), "the card is a JSON string, not an object"),
        (_png_with_raw_chunk(b"tEXt", b"chara\0" + b"\xff\xfe"), "not valid base64"),
        (_png_with_raw_chunk(b"tEXt", b"chara\0eyJ9", crc=0), "fails its CRC check"),
        (_png_with_raw_chunk(b"zTXt", b"chara\0\0not zlib"), "does not inflate"),
        (_png_with_raw_chunk(b"zTXt", b"chara\0\5x"), "unknown compression method"),
        (_png_with_raw_chunk(b"iTXt", b"ccv3\0\1\0en\0\0not zlib"), "does not inflate"),
        (_png_with_raw_chunk(b"iTXt", b"ccv3\0\0\0en\0\0\xff"), "is not UTF-8"),
        (png_card({"chara": b64(fixture_json("v1.json"))})[:-20], "truncated"),
        (png_card({"chara": b64(fixture_json("v1.json"))})[:40], "truncated"),
        (b"\x89PNG\r\n\x1a\n" + _chunk(b"IDAT", b"\0" * 13), "does not start with an IHDR"),
        (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", b"\0" * 13) + _chunk(b"I\0AT", b""), "malformed type"),
        (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", b"\0" * 13) + b"\xff\xff\xff\xffIDAT" + b"\0" * 8, "claims"),
        (b"PK\x03\x04garbage", "not a readable zip archive"),
    ],
)
def test_malformed_cards_are_refused_in_one_line(data: bytes, message: str) -> None:
    with pytest.raises(InputRejected, match=message) as exc:
        plan(data, "bad.png")
    assert "\n" not in str(exc.value)
    assert str(exc.value).startswith("bad.png")


def test_a_text_chunk_over_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import comfyvn_vault.importers.card_png as card_png

    monkeypatch.setattr(card_png, "MAX_TEXT_CHUNK", 64)
    with pytest.raises(InputRejected, match=r"tEXt chunk of \d+ bytes is over 64 bytes"):
        plan(png_card({"chara": b64(fixture_json("v1.json"))}))
    with pytest.raises(InputRejected, match="inflates past 64 bytes"):
        card_png.inflate(__import__("zlib").compress(b"x" * 1000), "z", 64)


def test_a_charx_zip_bomb_is_refused() -> None:
    card = _charx_card(assets=[{"type": "icon", "uri": "embeded://assets/x.png", "name": "main", "ext": "png"}])
    bomb = charx({"card.json": json.dumps(card).encode(), "assets/x.png": b"\0" * (8 << 20)})
    with pytest.raises(InputRejected, match="inflates 200x past its size"):
        plan(bomb, "bomb.charx")


def test_a_card_json_over_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import comfyvn_vault.importers.card_format as card_format

    monkeypatch.setattr(card_format, "MAX_CARD_JSON", 100)
    with pytest.raises(InputRejected, match="over 100 bytes of JSON"):
        plan(fixture("v2.json"), "v2.json")


# ----------------------------------------------------------------- small parts


def test_previews_and_file_stems() -> None:
    assert preview("  Hello\n  there ") == "Hello there"
    assert preview("x" * 100).endswith("…") and len(preview("x" * 100)) == 60
    assert preview("") == "(an empty greeting)"
    assert file_stem("cards/Mira Vale.card.png") == "Mira Vale"
    assert file_stem("C:\\x\\Tom.json") == "Tom"
    assert file_stem(".png") == ".png"
    assert file_stem("") == ""


def test_the_importer_is_registered_and_its_options_are_strict() -> None:
    from comfyvn_vault.adapters import get_importer, parse_options

    assert isinstance(get_importer("card"), CardImporter)
    assert parse_options(CardOptions, {"greetings": "false"}) == CardOptions(greetings=False)
    with pytest.raises(InputRejected, match=r"no option 'nope' \(known: character_id, greetings"):
        parse_options(CardOptions, {"nope": "1"})
    assert msgspec.to_builtins(CardOptions()) == {"character_id": None, "greetings": True, "keep_source": True}
