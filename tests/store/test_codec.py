"""The canonical codec: equal values give equal bytes and ids; links are found by tag."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store import codec
from comfyvn_vault.store.ids import ObjectId, hash_bytes


class Sample(codec.StoredObject, frozen=True, tag="test.Sample"):
    name: str
    count: int
    tags: list[str] = []
    attrs: dict[str, str] = {}
    link: ObjectId | None = None
    more: list[ObjectId] = []


class Other(codec.StoredObject, frozen=True, tag="test.Other"):
    name: str
    count: int
    tags: list[str] = []
    attrs: dict[str, str] = {}
    link: ObjectId | None = None
    more: list[ObjectId] = []


ids = st.binary(min_size=32, max_size=32).map(ObjectId)
samples = st.builds(
    Sample,
    name=st.text(),
    count=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    tags=st.lists(st.text(max_size=10), max_size=5),
    attrs=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=8),
    link=st.none() | ids,
    more=st.lists(ids, max_size=4),
)


@given(samples)
def test_round_trip_and_stable_bytes(obj: Sample) -> None:
    data = codec.encode(obj)
    assert codec.decode(data) == obj
    assert codec.decode_as(data, Sample) == obj
    assert codec.encode(codec.decode(data)) == data
    assert codec.is_canonical(data)


@given(samples)
def test_map_insertion_order_does_not_change_bytes(obj: Sample) -> None:
    reordered = msgspec.structs.replace(obj, attrs=dict(reversed(list(obj.attrs.items()))))
    assert codec.encode(reordered) == codec.encode(obj)
    assert codec.object_id(reordered) == codec.object_id(obj)


@given(samples)
def test_type_tag_is_hashed(obj: Sample) -> None:
    twin = Other(**msgspec.structs.asdict(obj))
    assert codec.encode(twin) != codec.encode(obj)
    assert codec.object_id(twin) != codec.object_id(obj)


@given(samples)
def test_links_found_without_knowing_the_type(obj: Sample) -> None:
    expected = ([obj.link] if obj.link is not None else []) + obj.more
    assert codec.links(codec.encode(obj)) == expected


def test_defaults_are_omitted_so_new_fields_keep_old_ids() -> None:
    data = codec.encode(Sample(name="a", count=1))
    assert b"tags" not in data and b"attrs" not in data


def test_object_id_is_blake3_of_canonical_bytes() -> None:
    obj = Sample(name="x", count=2)
    assert codec.object_id(obj) == hash_bytes(codec.encode(obj))


def test_non_canonical_bytes_are_detected() -> None:
    obj = Sample(name="x", count=2, attrs={"a": "1", "b": "2"})
    shuffled = msgspec.msgpack.encode({"_type": "test.Sample", "name": "x", "count": 2, "attrs": {"b": "2", "a": "1"}})
    assert codec.decode(shuffled) == obj
    assert not codec.is_canonical(shuffled)


@pytest.mark.parametrize("junk", [b"", b"\xc1", b"\x92\x01", msgspec.msgpack.encode({"_type": "nope"})])
def test_garbage_is_rejected_cleanly(junk: bytes) -> None:
    with pytest.raises(InputRejected):
        codec.decode(junk)
    assert not codec.is_canonical(junk)


def test_floats_are_not_part_of_stored_kinds() -> None:
    for kind in codec._all_kinds():
        schema = msgspec.json.schema(kind, schema_hook=lambda t: {"type": "string"} if t is ObjectId else None)
        assert '"number"' not in msgspec.json.encode(schema).decode(), kind
