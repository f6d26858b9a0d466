"""The wire format both sides share: framing round trips, refusals, and no vault behind it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comfyvn_vault.errors import InputRejected, RefMoved, RemoteFailed, VaultError
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.sync import protocol
from comfyvn_vault.sync.protocol import NonFastForward, RefUpdate, RemoteInfo
from tests.conftest import modules_after

ids = st.binary(min_size=32, max_size=32).map(ObjectId)


def test_neither_the_protocol_nor_the_client_needs_a_vault_or_the_server() -> None:
    for module in ("comfyvn_vault.sync.protocol", "comfyvn_vault.sync.http_client"):
        mods = modules_after(f"import {module}")
        assert "comfyvn_vault.vault" not in mods, module
        assert "comfyvn_vault.sync.server" not in mods, module
        assert not any(m == "starlette" or m.startswith("starlette.") for m in mods), module


@given(st.lists(ids, max_size=20))
def test_id_lists_round_trip(given_ids: list[ObjectId]) -> None:
    assert protocol.split_ids(protocol.join_ids(given_ids)) == given_ids


def test_a_torn_id_list_is_refused() -> None:
    with pytest.raises(InputRejected, match="multiple of 32"):
        protocol.split_ids(b"\0" * 33)


@given(st.lists(st.booleans(), max_size=50))
def test_has_answers_round_trip(answers: list[bool]) -> None:
    assert protocol.decode_flags(protocol.encode_flags(answers), len(answers)) == answers


def test_a_has_answer_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(InputRejected, match="answered 2 flags for 3 ids"):
        protocol.decode_flags(b"\1\0", 3)


@given(st.lists(st.tuples(ids, st.integers(0, 2**64 - 1)), max_size=20))
def test_offers_round_trip(offers: list[tuple[ObjectId, int]]) -> None:
    assert protocol.decode_offers(protocol.encode_offers(offers)) == offers


def test_a_torn_offer_is_refused() -> None:
    with pytest.raises(InputRejected, match="malformed offer"):
        protocol.decode_offers(b"\0" * 41)


@given(st.lists(ids, max_size=5), st.lists(ids, max_size=5))
def test_offer_requests_round_trip(wants: list[ObjectId], haves: list[ObjectId]) -> None:
    assert protocol.read_offer_request(protocol.offer_request(wants, haves)) == (wants, haves)


@pytest.mark.parametrize("doc", [{"wants": "x"}, {"wants": [1]}, {"haves": ["zz"]}])
def test_bad_offer_requests_are_refused(doc: dict[str, object]) -> None:
    with pytest.raises(InputRejected):
        protocol.read_offer_request(doc)


@given(st.text(min_size=1, max_size=10), st.none() | ids, ids, st.booleans())
def test_ref_requests_round_trip(branch: str, old: ObjectId | None, new: ObjectId, force: bool) -> None:
    update = RefUpdate(branch, old, new, force)
    assert protocol.read_ref_request(protocol.ref_request(update)) == update


def test_a_ref_request_without_branch_or_new_id_is_refused() -> None:
    with pytest.raises(InputRejected, match="needs a branch and a new id"):
        protocol.read_ref_request({"branch": "main"})


@pytest.mark.parametrize(("raw", "message"), [(b"{", "not JSON"), (b"[1]", "must be a JSON object")])
def test_json_bodies_must_be_objects(raw: bytes, message: str) -> None:
    with pytest.raises(InputRejected, match=message):
        protocol.read_json_object(raw)


def test_info_round_trips_and_a_bad_one_is_refused() -> None:
    info = RemoteInfo(heads={"main": "ab" * 32}, head="main")
    assert protocol.decode_info(protocol.encode_info(info)) == info
    with pytest.raises(InputRejected, match="not a comfyvn server"):
        protocol.decode_info(b'{"heads": 3}')


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), ("", None)],
)
def test_bearer_tokens(header: str, token: str | None) -> None:
    assert protocol.bearer_token(header) == token
    if token is not None:
        assert protocol.bearer_token(protocol.bearer(token)) == token


@pytest.mark.parametrize(
    ("exc", "answer"),
    [
        (NonFastForward("x"), (409, protocol.NON_FAST_FORWARD)),
        (RefMoved("x"), (409, protocol.REF_MOVED)),
        (RemoteFailed("x"), (400, protocol.INTERRUPTED)),
        (InputRejected("x"), (400, protocol.REJECTED)),
    ],
)
def test_errors_travel_as_status_and_kind(exc: VaultError, answer: tuple[int, str]) -> None:
    assert protocol.status_of(exc) == answer


def test_error_bodies_round_trip() -> None:
    import json

    body = json.dumps(protocol.error_body(protocol.REJECTED, "no")).encode()
    assert protocol.read_error(body) == (protocol.REJECTED, "no")
    assert protocol.read_error(b"<html>") is None
    assert protocol.read_error(b"[]") is None


def test_the_end_record_closes_a_stream() -> None:
    flags, count, zeros = protocol.HEADER.unpack(protocol.end_record(7))
    assert (flags, count, zeros) == (protocol.FLAG_END, 7, bytes(32))
    assert protocol.ID_BATCH * 32 <= protocol.MAX_BODY
