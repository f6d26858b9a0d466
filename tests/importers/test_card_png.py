"""PNG chunks read and written from bytes, and the container oddities a card importer reports."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib

import pytest
from PIL import Image

from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.card_png import (
    build_png,
    is_card_chunk,
    placeholder_png,
    read_png,
    sniff,
    text_chunk,
)
from tests.importers.card_helpers import b64, findings, fixture_json, image, imported, only_character, png_card


def _chunk(ctype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


def _insert(png: bytes, *chunks: bytes) -> bytes:
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + b"".join(chunks) + png[iend:]


def test_a_placeholder_is_a_png_pillow_reads() -> None:
    data = placeholder_png(5, 3, (1, 2, 3))
    with Image.open(io.BytesIO(data)) as img:
        assert (img.size, img.mode, img.getpixel((4, 2))) == ((5, 3), "RGB", (1, 2, 3))
    assert [c.type for c in read_png(data, "p").chunks] == [b"IHDR", b"IDAT", b"IEND"]


def test_building_drops_old_card_chunks_and_keeps_the_rest() -> None:
    source = png_card({"chara": "b2xk", "ccv3": "b2xk", "chara-ext-asset_:0": "AA==", "Comment": "kept"})
    png = read_png(source, "s")
    out = build_png(png, [("chara", "bmV3"), ("ccv3", "bmV3")])
    again = read_png(out, "o")
    assert [(t.keyword, t.text) for t in again.texts] == [("chara", "bmV3"), ("ccv3", "bmV3")]
    assert again.image() == png.image()  # the picture is untouched
    assert build_png(again, [("chara", "bmV3"), ("ccv3", "bmV3")]) == out
    with Image.open(io.BytesIO(out)) as img:
        img.load()
        assert img.text == {"Comment": "kept", "chara": "bmV3", "ccv3": "bmV3"}  # type: ignore[attr-defined]
    assert is_card_chunk(read_png(_insert(image(), text_chunk("CCV3", "x")), "x").chunks[-2])


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (image(), "image/png"),
        (image(fmt="JPEG"), "image/jpeg"),
        (image(fmt="GIF"), "image/gif"),
        (image(fmt="WEBP"), "image/webp"),
        (b"OggS....", "audio/ogg"),
        (b"ID3\x04", "audio/mpeg"),
        (b"RIFF\0\0\0\0WAVEfmt ", "audio/wav"),
        (b"\0\0\0\x18ftypmp42", "video/mp4"),
        (b"plain text", "application/octet-stream"),
    ],
)
def test_sniffing(data: bytes, mime: str) -> None:
    assert sniff(data) == mime


def test_container_oddities_are_findings() -> None:
    card = b64(fixture_json("v1.json"))
    data = _insert(
        image(), _chunk(b"tEXt", b"no keyword here"), _chunk(b"tEXt", b"chara\0" + card.rstrip("=").encode())
    )
    p, docs = imported(data + b"trailing", "odd.png")
    assert only_character(docs).name == "Old Tom"
    found = findings(p)
    assert "a tEXt chunk without a valid keyword: ignored" in found
    assert "8 bytes after the end of the PNG: ignored" in found
    assert card.endswith("=")
    assert "chunk 'chara': the base64 text lacks its '=' padding" in found
    twice = png_card([("ccv3", b64(fixture_json("v3.json"))), ("ccv3", b64({"spec": "chara_card_v3", "data": {}}))])
    p, docs = imported(twice)
    assert only_character(docs).name == "Wren"
    assert "chunk 'ccv3': 2 'ccv3' chunks: the first is read" in findings(p)


def test_a_byte_order_mark_and_whitespace_in_base64_are_read() -> None:
    raw = b"\xef\xbb\xbf" + json.dumps(fixture_json("v1.json")).encode()
    text = base64.b64encode(raw).decode()
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    _, docs = imported(png_card({"chara": wrapped}))
    assert only_character(docs).name == "Old Tom"
    _, docs = imported(raw, "bom.json")
    assert only_character(docs).name == "Old Tom"


def test_a_chunk_past_the_end_is_truncation_not_a_crash() -> None:
    data = image()
    with pytest.raises(InputRejected, match="truncated inside its IDAT chunk"):
        read_png(data[: data.index(b"IDAT") + 10], "t")
    with pytest.raises(InputRejected, match="not a PNG"):
        read_png(b"GIF89a", "t")
