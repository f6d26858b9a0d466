"""Stripping an embedded C2PA manifest gives back the bytes c2pa signed (real signing for each format)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from comfyvn_vault.exporters import c2pa_strip
from comfyvn_vault.provenance import c2pa_io, identity
from tests.assets import media


def _sign(data: bytes, mime: str, tmp_path: Path) -> bytes:
    (tmp_path / "meta").mkdir()
    ident = identity.ensure(tmp_path / "meta", "test")
    dest = io.BytesIO()
    c2pa_io.sign(
        ident,
        title="t",
        mime=mime,
        source=io.BytesIO(data),
        dest=dest,
        actions=[{"action": "c2pa.created", "digitalSourceType": c2pa_io.TRAINED}],
        ingredients=[],
        provenance={"asset": "x"},
    )
    return dest.getvalue()


@pytest.mark.parametrize(("kind", "mime"), [("png", "image/png"), ("jpeg", "image/jpeg"), ("wav", "audio/wav")])
def test_strip_undoes_signing(tmp_path: Path, kind: str, mime: str) -> None:
    make = {"png": media.png, "jpeg": media.jpeg, "wav": media.wav}[kind]
    original = make(tmp_path / f"a.{kind}").read_bytes()
    signed = _sign(original, mime, tmp_path)
    assert signed != original
    assert c2pa_strip.strip(signed, mime) == original
    assert c2pa_strip.strip(original, mime) == original


def test_strip_refuses_what_is_not_the_format() -> None:
    assert c2pa_strip.strip(b"GIF89a", "image/png") is None
    assert c2pa_strip.strip(b"\x89PNG\r\n\x1a\n\x00\x00\x00\xffIDAT", "image/png") is None  # a chunk past the end
    assert c2pa_strip.strip(b"RIFF" + struct.pack("<I", 4) + b"WAVE" + b"dat", "audio/wav") is None
    assert c2pa_strip.strip(b"\xff\xd8\x00\x00\x00\x00", "image/jpeg") is None
    assert c2pa_strip.strip(b"anything", "audio/flac") is None
