"""Making character cards for the tests: PNGs written by Pillow, CHARX zips, the hand-written JSON fixtures."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

from comfyvn_vault.adapters import Plan, Source
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Character, Scene
from comfyvn_vault.importers.card import CardImporter, CardOptions
from tests.adapters.helpers import applied, story

FIXTURES = Path(__file__).parent / "fixtures" / "card"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    value = json.loads(fixture(name))
    assert isinstance(value, dict)
    return value


def b64(card: object) -> str:
    """A card as a chunk carries it: its JSON, UTF-8, base64."""
    text = card if isinstance(card, str) else json.dumps(card, ensure_ascii=False)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def image(colour: tuple[int, int, int] = (40, 80, 120), size: tuple[int, int] = (6, 4), fmt: str = "PNG") -> bytes:
    """A small picture, without any card."""
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, fmt)
    return buf.getvalue()


def png_card(
    texts: Mapping[str, str] | list[tuple[str, str]],
    *,
    colour: tuple[int, int, int] = (40, 80, 120),
    compressed: set[str] | None = None,
    international: set[str] | None = None,
) -> bytes:
    """A PNG with text chunks (keyword → text), as Pillow writes them: tEXt, or zTXt / iTXt when asked."""
    info = PngImagePlugin.PngInfo()
    for key, text in texts.items() if isinstance(texts, Mapping) else texts:
        if international and key in international:
            info.add_itxt(key, text, zip=bool(compressed and key in compressed))
        else:
            info.add_text(key, text, zip=bool(compressed and key in compressed))
    buf = io.BytesIO()
    Image.new("RGB", (6, 4), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def text_chunks(data: bytes) -> dict[str, str]:
    """The text chunks of a PNG, read back by Pillow."""
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return {k: str(v) for k, v in img.text.items()}  # type: ignore[attr-defined]


def charx(members: Mapping[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def plan(
    data: bytes, name: str = "card.png", docs: Mapping[str, Document | None] | None = None, **options: Any
) -> Plan:
    return CardImporter().plan(Source(data, name), CardOptions(**options), story(docs).lookup)


def imported(data: bytes, name: str = "card.png", **options: Any) -> tuple[Plan, dict[str, Document | None]]:
    p = plan(data, name, **options)
    return p, applied(p)


def only_character(docs: Mapping[str, Document | None]) -> Character:
    [c] = [d for d in docs.values() if isinstance(d, Character)]
    return c


def only_scene(docs: Mapping[str, Document | None]) -> Scene:
    [s] = [d for d in docs.values() if isinstance(d, Scene)]
    return s


def findings(p: Plan) -> list[str]:
    return [str(f) for f in p.summary.findings]
