"""Ids for new things: slugs from titles, and the first id not taken."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comfyvn_vault.domain.naming import fresh_id, next_numbered, slug
from comfyvn_vault.domain.paths import entity_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [("The Lighthouse!", "the-lighthouse"), ("  Old  Tom ", "old-tom"), ("???", "scene"), ("", "scene"), ("..a", "a")],
)
def test_slugs(text: str, expected: str) -> None:
    assert slug(text, "scene") == expected


@given(st.text(max_size=80))
def test_every_slug_is_an_id_an_entity_path_takes(text: str) -> None:
    assert entity_path("scenes", fresh_id({"x"}, slug(text, "scene")))


def test_fresh_ids_count_on_from_two() -> None:
    assert fresh_id(set(), "intro") == "intro"
    assert fresh_id({"intro"}, "intro") == "intro-2"
    assert fresh_id({"intro", "intro-2"}, "intro") == "intro-3"


def test_numbered_ids_skip_what_is_taken() -> None:
    assert next_numbered(set(), "n") == "n1"
    assert next_numbered({"n1", "n2"}, "n") == "n3"
    assert next_numbered({"n1", "n3"}, "n") == "n4"
