"""The card exporter: a character as a PNG with ccv3 and chara chunks, and import → export → import."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from comfyvn_vault.adapters import Plan, Source, StoryView, apply_import, get_exporter, story_view, write_export
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Character, Scene
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.exporters.card import CardExporter, CardExportOptions
from comfyvn_vault.importers.card import CardImporter, CardOptions
from comfyvn_vault.importers.card_png import read_png
from comfyvn_vault.vault import Vault
from tests.importers.card_helpers import (
    b64,
    charx,
    fixture,
    fixture_json,
    image,
    imported,
    only_character,
    only_scene,
    png_card,
    text_chunks,
)

#: Meta that names the import's own files: a new import of another file has other ones.
PROVENANCE = ("card_json", "source_asset")


def view(p: Plan, docs: Mapping[str, Document | None]) -> StoryView:
    """What a vault holding ``p`` would show an exporter, bytes included."""
    held = {k: v for k, v in docs.items() if v is not None}
    blobs = dict(p.blobs)
    return StoryView(held.get, lambda f: [k for k in held if k.startswith(f + "/")], blobs.__getitem__)


def export(p: Plan, docs: Mapping[str, Document | None], **options: Any) -> bytes:
    [out] = CardExporter().plan(view(p, docs), CardExportOptions(**options)).files
    assert isinstance(out.content, bytes)
    return out.content


def cards(png: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The V3 and V2 cards a PNG carries, read back with Pillow."""
    texts = text_chunks(png)
    return json.loads(base64.b64decode(texts["ccv3"])), json.loads(base64.b64decode(texts["chara"]))


def same(c: Character) -> tuple[Any, ...]:
    return (
        c.name,
        c.traits,
        c.portrait_asset_id,
        c.expressions,
        {k: v for k, v in c.meta.items() if k not in PROVENANCE},
    )


def roundtrip(data: bytes, name: str) -> tuple[Character, Character, Scene | None, Scene | None]:
    p, docs = imported(data, name)
    out = export(p, docs)
    _p2, docs2 = imported(out, "out.png")
    scenes = [[d for d in ds.values() if isinstance(d, Scene)] for ds in (docs, docs2)]
    return (
        only_character(docs),
        only_character(docs2),
        scenes[0][0] if scenes[0] else None,
        scenes[1][0] if scenes[1] else None,
    )


def test_the_export_is_a_png_with_a_v3_and_a_v2_chunk_sillytavern_reads() -> None:
    p, docs = imported(fixture("v2.json"), "v2.json")
    out = export(p, docs)
    with Image.open(io.BytesIO(out)) as img:
        img.load()
        assert img.format == "PNG"
    v3, v2 = cards(out)
    assert (v3["spec"], v3["spec_version"]) == ("chara_card_v3", "3.0")
    assert (v2["spec"], v2["spec_version"]) == ("chara_card_v2", "2.0")
    assert v3["data"] == v2["data"]
    data = v3["data"]
    assert data["name"] == "Mira Vale"
    assert data["first_mes"] == "The lamp is out. Again."
    assert data["alternate_greetings"] == ["You came back.", "Who's there?"]
    assert data["character_book"] == fixture_json("v2.json")["data"]["character_book"]
    assert data["extensions"] == fixture_json("v2.json")["data"]["extensions"]
    assert data["x_unknown"] == {"kept": [1, 2.5, None]}
    # V1 readers find the V1 fields at the top of the chara chunk, as SillyTavern writes them.
    assert {k: v2[k] for k in ("name", "description", "first_mes")} == {
        "name": "Mira Vale",
        "description": "The lighthouse keeper's daughter.",
        "first_mes": "The lamp is out. Again.",
    }
    assert v3["description"] == "The lighthouse keeper's daughter."  # the stale top-level copy is brought up to date


@pytest.mark.parametrize("name", ["v1.json", "v2.json", "v3.json", "pygmalion.json", "wild.json"])
def test_import_export_import_gives_the_same_character(name: str) -> None:
    first, second, s1, s2 = roundtrip(fixture(name), name)
    assert same(second) == same(first)
    assert s1 is not None and s2 is not None
    assert s2.nodes == s1.nodes


def test_a_png_card_round_trips_with_the_same_portrait() -> None:
    data = png_card({"chara": b64(fixture_json("v2.json")), "Comment": "kept"}, colour=(1, 2, 3))
    first, second, _, _ = roundtrip(data, "mira.png")
    assert first.portrait_asset_id is not None
    assert same(second) == same(first)


def test_a_charx_card_round_trips_with_its_expressions_and_assets() -> None:
    card = fixture_json("v3.json")
    card["data"]["assets"] = [
        {"type": "icon", "uri": "embeded://assets/icon/main.webp", "name": "main", "ext": "webp"},
        {"type": "emotion", "uri": "embeded://assets/emotion/joy.png", "name": "joy", "ext": "png"},
        {"type": "emotion", "uri": "embeded://assets/emotion/joy2.png", "name": "joy", "ext": "png"},
        {"type": "background", "uri": "embeded://assets/bg/harbour.jpg", "name": "harbour", "ext": "jpg"},
        {"type": "background", "uri": "https://example.invalid/b.png", "name": "web", "ext": "png"},
    ]
    members = {
        "card.json": json.dumps(card).encode(),
        "assets/icon/main.webp": image((5, 5, 5), fmt="WEBP"),
        "assets/emotion/joy.png": image((0, 250, 0)),
        "assets/emotion/joy2.png": image((0, 240, 0)),
        "assets/bg/harbour.jpg": image((0, 0, 9), fmt="JPEG"),
    }
    p, docs = imported(charx(members), "wren.charx")
    out = export(p, docs)
    v3, _ = cards(out)
    assets = v3["data"]["assets"]
    assert [(a["type"], a["name"], a["uri"]) for a in assets] == [
        ("icon", "main", "__asset:0"),  # a WebP portrait rides along; the PNG is a placeholder
        ("emotion", "joy", "__asset:1"),
        ("emotion", "joy", "__asset:2"),
        ("background", "harbour", "__asset:3"),
        ("background", "web", "https://example.invalid/b.png"),
    ]
    assert base64.b64decode(text_chunks(out)["chara-ext-asset_:0"]) == members["assets/icon/main.webp"]
    _p2, docs2 = imported(out, "out.png")
    assert same(only_character(docs2)) == same(only_character(docs))


def test_edits_are_exported_and_what_was_not_edited_stays_as_it_was() -> None:
    p, docs = imported(fixture("wild.json"), "wild.json")
    c = only_character(docs)
    edited = c.__class__(
        id=c.id,
        name="Sea Witch",
        traits={**c.traits, "personality": "salt and spite", "age": "old", "creator_notes.de": "Hallo"},
        meta={**c.meta, "tags": ["sea"], "nickname": "Witch", "creation_date": 5},
    )
    scene = only_scene(docs)
    docs = {**docs, f"characters/{c.id}": edited}
    v3, _ = cards(export(p, docs))
    data = v3["data"]
    assert data["name"] == "Sea Witch"
    assert data["personality"] == "salt and spite"
    assert data["tags"] == ["sea"]
    assert data["nickname"] == "Witch"
    assert data["creation_date"] == 5
    assert data["creator_notes_multilingual"] == {"de": "Hallo"}
    assert data["extensions"] == {"comfyvn": {"traits": {"age": "old"}}}
    assert data["character_version"] == 2  # unchanged: the number the card had, not the text it was read as
    assert data["description"] is None
    assert data["alternate_greetings"] == "Only one greeting"
    _p2, docs2 = imported(export(p, docs), "out.png")
    again = only_character(docs2)
    assert again.traits == edited.traits
    assert again.name == "Sea Witch"
    assert [n.content for n in only_scene(docs2).nodes] == [n.content for n in scene.nodes]


def test_greetings_come_from_the_opening_scene() -> None:
    p, docs = imported(fixture("v2.json"), "v2.json")
    scene = only_scene(docs)
    start, g1, g2, g3 = scene.nodes
    edited = scene.__class__(
        id=scene.id,
        title=scene.title,
        nodes=[start.__class__(id="start", type="choice", choices=[start.choices[2], start.choices[0]]), g1, g2, g3],
    )
    v3, _ = cards(export(p, {**docs, f"scenes/{scene.id}": edited}))
    assert (v3["data"]["first_mes"], v3["data"]["alternate_greetings"]) == ("The lamp is out. Again.", ["Who's there?"])
    # With the scene gone, the kept card's greetings are written.
    v3, _ = cards(export(p, {**docs, f"scenes/{scene.id}": None}))
    assert v3["data"]["alternate_greetings"] == ["You came back.", "Who's there?"]


def test_a_character_made_by_hand_exports_as_a_fresh_card() -> None:
    c = Character(id="ann", name="Ann", traits={"description": "d", "mood": "wry"}, meta={"tags": ["x"]})
    docs: dict[str, Document | None] = {"characters/ann": c}
    [out] = (
        CardExporter()
        .plan(StoryView(docs.get, lambda f: [k for k in docs if k.startswith(f)]), CardExportOptions())
        .files
    )
    assert out.path == "ann.png"
    assert isinstance(out.content, bytes)
    v3, v2 = cards(out.content)
    assert v3["data"]["description"] == "d"
    assert v3["data"]["extensions"] == {"comfyvn": {"traits": {"mood": "wry"}}}
    assert v3["data"]["assets"] == []
    assert v2["name"] == "Ann"
    p = CardImporter().plan(Source(out.content, "ann.png"), CardOptions(), lambda _: None)
    from tests.adapters.helpers import applied

    back = only_character(applied(p))
    assert (back.name, back.traits, back.meta["tags"]) == ("Ann", c.traits, ["x"])
    assert back.portrait_asset_id is None


def test_a_png_portrait_is_the_image_and_loses_its_old_card() -> None:
    old = png_card({"chara": b64({"name": "stale"}), "Comment": "art"})
    p, docs = imported(png_card({"chara": b64(fixture_json("v1.json"))}, colour=(9, 9, 9)), "t.png")
    c = only_character(docs)
    out = export(p, docs)
    assert read_png(out, "x").image() == p.blobs[next(o for o in p.blobs if o.hex() == c.portrait_asset_id)]
    assert cards(out)[0]["data"]["assets"] == [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}]
    assert b"stale" not in read_png(old, "x").image()


def test_exporting_needs_one_known_character_and_a_good_path() -> None:
    p, docs = imported(fixture("v1.json"), "v1.json")
    with pytest.raises(InputRejected, match="no character 'nobody'"):
        export(p, docs, character="nobody")
    with pytest.raises(InputRejected, match="character id"):
        export(p, docs, character="../x")
    with pytest.raises(InputRejected, match="output path"):
        export(p, docs, file="../out.png")
    two = {**docs, "characters/b": Character(id="b", name="B")}
    with pytest.raises(InputRejected, match="the story has 2"):
        export(p, two)
    [f] = CardExporter().plan(view(p, two), CardExportOptions(character="old-tom", file="cards/tom.png")).files
    assert f.path == "cards/tom.png"
    blind = StoryView(view(p, docs).lookup, view(p, docs).listing)
    with pytest.raises(InputRejected, match="without asset bytes"):
        CardExporter().plan(blind, CardExportOptions())
    lost = {**docs, "characters/old-tom": Character(id="old-tom", name="T", portrait_asset_id="ab" * 32)}
    with pytest.raises(InputRejected, match="the portrait is asset abababababab, which the story does not have"):
        export(p, lost)


def test_the_exporter_is_registered() -> None:
    assert isinstance(get_exporter("card"), CardExporter)


# ----------------------------------------------------------------- through real vaults


def test_import_export_import_through_two_vaults(vault: Vault, tmp_path: Path) -> None:
    card = fixture_json("v3.json")
    card["data"]["assets"] = [
        {"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"},
        {"type": "emotion", "uri": "__asset:0", "name": "happy", "ext": "png"},
    ]
    data = png_card(
        {"ccv3": b64(card), "chara-ext-asset_:0": base64.b64encode(image((0, 255, 0))).decode()}, colour=(7, 7, 7)
    )
    result = apply_import(vault, CardImporter(), Source(data, "wren.png"), CardOptions())
    assert result.commit is not None
    plan = CardExporter().plan(story_view(vault.history), CardExportOptions(character="wren"))
    written = write_export(plan, tmp_path / "out")
    assert written == ["wren.png"]
    exported = (tmp_path / "out" / "wren.png").read_bytes()

    fresh, _ = Vault.init(tmp_path / "fresh")
    try:
        apply_import(fresh, CardImporter(), Source(exported, "wren.png"), CardOptions())
        a = story_view(vault.history).lookup("characters/wren")
        b = story_view(fresh.history).lookup("characters/wren")
        assert isinstance(a, Character) and isinstance(b, Character)
        assert same(b) == same(a)
        assert a.expressions and a.portrait_asset_id
        sa = story_view(vault.history).lookup("scenes/wren-opening")
        sb = story_view(fresh.history).lookup("scenes/wren-opening")
        assert isinstance(sa, Scene) and isinstance(sb, Scene)
        assert sa.nodes == sb.nodes
    finally:
        fresh.close()
