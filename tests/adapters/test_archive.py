"""Hostile archives, JSON and text get one clean refusal; well-formed ones read back exactly."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.adapters.archive import (
    MAX_RATIO,
    RATIO_FLOOR,
    SafeZip,
    decode_text,
    json_depth,
    load_json,
    member_name,
)
from comfyvn_vault.errors import InputRejected


def _zip(members: dict[str, bytes], *, mode: int | None = None, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            if mode is not None:
                info.external_attr = mode << 16
            z.writestr(info, data)
    return buf.getvalue()


def test_members_read_back_and_a_shared_folder_is_stripped() -> None:
    data = _zip({"pack/manifest.json": b"{}", "pack/assets/a.png": b"png", "pack/": b""})
    z = SafeZip(data, "pack.zip", strip_common=True)
    assert z.names() == ["assets/a.png", "manifest.json"]
    assert z.read("manifest.json") == b"{}" and "assets/a.png" in z
    assert SafeZip(data, "pack.zip").names() == ["pack/assets/a.png", "pack/manifest.json"]


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil", "/etc/passwd", "C:/win.ini", "a\\..\\b", "..", "./.."])
def test_a_member_leaving_the_archive_is_refused(name: str) -> None:
    with pytest.raises(InputRejected, match=r"pack\.zip"):
        SafeZip(_zip({name: b"x"}), "pack.zip")


def test_names_refused_before_zipfile_sees_them() -> None:
    with pytest.raises(InputRejected, match="unsafe member name"):
        member_name("nul\0byte")  # zipfile itself cuts a name at NUL; the check does not rely on it
    assert member_name("./a//b/./c.png") == "a/b/c.png"


def test_symlinks_and_special_members_are_refused() -> None:
    with pytest.raises(InputRejected, match="symlink"):
        SafeZip(_zip({"link": b"/etc/passwd"}, mode=stat.S_IFLNK | 0o777), "a.zip")
    with pytest.raises(InputRejected, match="not a regular file"):
        SafeZip(_zip({"fifo": b""}, mode=stat.S_IFIFO | 0o644), "a.zip")


def test_a_zip_bomb_is_refused_while_inflating() -> None:
    bomb = _zip({"zeros.txt": b"\0" * (RATIO_FLOOR * 4)})
    z = SafeZip(bomb, "bomb.zip")
    with pytest.raises(InputRejected, match=f"{MAX_RATIO}x"):
        z.read("zeros.txt")
    with pytest.raises(InputRejected, match="past 1000 bytes"):
        SafeZip(_zip({"big": b"a" * 5000}), "a.zip", max_member=1000)
    two = SafeZip(_zip({"a": b"a" * 600, "b": b"b" * 600}), "a.zip", max_total=1000)
    two.read("a")
    with pytest.raises(InputRejected, match="archive inflates past 1000"):
        two.read("b")


def test_a_header_that_lies_about_the_size_is_caught_while_inflating() -> None:
    data = bytearray(_zip({"a.txt": b"a" * 4000}, compression=zipfile.ZIP_STORED))
    # The central directory's uncompressed size says 10 bytes; the member holds 4000.
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    z = SafeZip(bytes(data), "liar.zip", max_member=100)
    with pytest.raises(InputRejected, match=r"liar\.zip"):
        z.read("a.txt")


@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_cleanly_or_read(data: bytes) -> None:
    try:
        z = SafeZip(data, "fuzz.zip")
        for name in z.names():
            z.read(name)
    except InputRejected as exc:
        assert exc.message.startswith("fuzz.zip")


@settings(max_examples=200)
@given(st.data())
def test_mutated_archives_are_refused_cleanly_or_read(data: st.DataObject) -> None:
    raw = bytearray(_zip({"pack/a.json": b'{"a": [1, 2, 3]}' * 20, "pack/b.txt": b"hello " * 50}))
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        z = SafeZip(bytes(raw), "mutant.zip", strip_common=True)
        for name in z.names():
            member_name(name)
            z.read(name)
    except InputRejected as exc:
        assert exc.message.startswith("mutant.zip")


def test_json_too_deep_too_large_or_broken_is_refused() -> None:
    assert load_json(b'{"a": [1, {"b": []}]}', "c.json") == {"a": [1, {"b": []}]}
    assert json_depth({"a": [1, {"b": []}]}) == 4 and json_depth(5) == 0
    with pytest.raises(InputRejected, match="deeper than 64"):
        load_json(b"[" * 65 + b"]" * 65, "c.json")
    with pytest.raises(InputRejected, match="deeper than 64"):
        load_json(b"[" * 100_000 + b"]" * 100_000, "c.json")
    with pytest.raises(InputRejected, match="not valid JSON"):
        load_json(b'{"a": ', "c.json")
    with pytest.raises(InputRejected, match="over 10 bytes"):
        load_json(b"[1, 2, 3, 4, 5]", "c.json", max_bytes=10)


@given(st.binary(max_size=500))
def test_any_bytes_decode_as_json_or_are_refused_cleanly(data: bytes) -> None:
    try:
        load_json(data, "fuzz.json")
    except InputRejected as exc:
        assert exc.message.startswith("fuzz.json")


def test_text_must_be_utf8_with_bounded_lines() -> None:
    assert decode_text("\ufeffhé\nthere".encode(), "t.txt") == "hé\nthere"
    with pytest.raises(InputRejected, match="not UTF-8"):
        decode_text(b"caf\xe9", "t.txt")
    with pytest.raises(InputRejected, match="line 2 is longer than 10"):
        decode_text(b"short\n" + b"x" * 11 + b"\nok", "t.txt", max_line=10)
