"""Entities and events through the canonical codec: lossless, deterministic, kind-tagged."""

from __future__ import annotations

import itertools

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain import EDIT_FIELDS, ENTITY_TYPES, EVENT_TYPES, Entity, Event
from comfyvn_vault.store import codec
from comfyvn_vault.store.codec import StoredObject, decode, decode_as, encode, object_id
from tests.domain.strategies import events_for, states

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def documents_and_events(draw: st.DrawFn) -> list[Entity | Event]:
    state = draw(states())
    return [*state.values(), *draw(events_for(state))]


@PROPERTY
@given(documents_and_events())
def test_round_trip_is_lossless_deterministic_and_tagged(objects: list[Entity | Event]) -> None:
    for obj in objects:
        data = encode(obj)
        assert encode(obj) == data
        back = decode(data)
        assert type(back) is type(obj)
        assert back == obj
        assert encode(back) == data
        assert decode_as(data, type(obj)) == obj
        assert msgspec.json.decode(msgspec.json.encode(obj), type=type(obj)) == obj
    for a, b in itertools.combinations(objects, 2):
        if type(a) is not type(b):  # the tag is in the bytes: two kinds never share an id
            assert encode(a) != encode(b)
            assert object_id(a) != object_id(b)


def test_every_kind_has_an_explicit_unique_tag() -> None:
    kinds: tuple[type[StoredObject], ...] = (*ENTITY_TYPES, *EVENT_TYPES)
    for kind in kinds:
        assert kind.__struct_config__.tag == kind.__name__
        assert kind.__struct_config__.frozen
    every = codec._all_kinds()
    tags = [k.__struct_config__.tag for k in every]
    assert len(tags) == len(set(tags)), "two stored kinds share a tag"


def test_every_event_names_its_cause() -> None:
    for kind in EVENT_TYPES:
        assert "cause" in kind.__struct_fields__, kind.__name__


def test_edit_events_carry_their_fields_and_a_before_of_the_same_shape() -> None:
    for event, fields in EDIT_FIELDS.items():
        assert issubclass(event, fields)
        assert set(fields.__struct_fields__) <= set(event.__struct_fields__)
        info = msgspec.inspect.type_info(event)
        assert isinstance(info, msgspec.inspect.StructType)
        before = next(f for f in info.fields if f.name == "before")
        assert isinstance(before.type, msgspec.inspect.StructType) and before.type.cls is fields


def test_unset_fields_are_absent_from_the_bytes() -> None:
    from comfyvn_vault.domain import Cause, NodeEdited, NodeFields

    event = NodeEdited(
        scene_id="s", node_id="n", speaker=None, before=NodeFields(speaker="alice"), cause=Cause(kind="user")
    )
    plain = codec.to_plain(encode(event))
    assert plain == {
        "_type": "NodeEdited",
        "speaker": None,
        "scene_id": "s",
        "node_id": "n",
        "before": {"speaker": "alice"},
        "cause": {"kind": "user"},
    }
