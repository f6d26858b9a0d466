"""Plans: built through diff_entities, summarised from their own events, and checked before they are recorded."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest

from comfyvn_vault.adapters import AdapterInfo, ImportSummary, PlanBuilder, SourceFinding, check_plan
from comfyvn_vault.domain.asset_events import AssetImported
from comfyvn_vault.domain.assets import Asset
from comfyvn_vault.domain.entities import Character, Node, Scene
from comfyvn_vault.domain.events import CharacterCreated, CharacterEdited, NodeAdded, SceneCreated
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.ids import hash_bytes
from tests.adapters.helpers import applied, story

INFO = AdapterInfo("probe", "2")


def test_saving_a_new_entity_plans_its_creation_and_an_existing_one_its_edit() -> None:
    docs = {"characters/mira": Character(id="mira", name="Mira")}
    b = PlanBuilder(INFO, story(docs).lookup, "cards.zip")
    b.save(Character(id="mira", name="Mira", traits={"role": "keeper"}))
    b.save(Character(id="tom", name="Tom"))
    plan = b.build()
    assert [type(e) for e in plan.events] == [CharacterEdited, CharacterCreated]
    assert plan.summary.characters == ["tom"]  # created, not edited
    after = applied(plan, docs)
    assert after["characters/mira"] == Character(id="mira", name="Mira", traits={"role": "keeper"})


def test_later_saves_see_earlier_ones() -> None:
    b = PlanBuilder(INFO, story().lookup)
    b.save(Scene(id="s", nodes=[Node(id="n1", content="a")]))
    b.save(Scene(id="s", nodes=[Node(id="n1", content="a"), Node(id="n2", content="b")]))
    plan = b.build()
    assert [type(e) for e in plan.events] == [SceneCreated, NodeAdded]
    assert b.current("scenes/s") == Scene(id="s", nodes=[Node(id="n1", content="a"), Node(id="n2", content="b")])
    applied(plan)


def test_an_entity_of_another_kind_at_the_path_is_refused() -> None:
    b = PlanBuilder(INFO, story({"scenes/x": Character(id="x")}).lookup)  # type: ignore[dict-item]
    with pytest.raises(InputRejected, match="holds a Character"):
        b.save(Scene(id="x"))


def test_an_asset_is_planned_once_with_its_blob() -> None:
    b = PlanBuilder(INFO, story().lookup, "cards.zip")
    first = b.add_asset(b"png bytes", kind="image", mime="image/png", name="a.png", source="a.png")
    again = b.add_asset(b"png bytes", kind="image", mime="image/png")
    assert first == again
    plan = b.build()
    oid = hash_bytes(b"png bytes")
    assert dict(plan.blobs) == {oid: b"png bytes"}
    assert isinstance(plan.blobs, MappingProxyType)
    assert [e.asset for e in plan.events if isinstance(e, AssetImported)] == [first]
    assert first.id == oid.hex()
    assert plan.summary == ImportSummary(assets=[oid.hex()])
    check_plan(plan, story().lookup)


def test_an_asset_the_story_has_is_not_planned_again() -> None:
    oid = hash_bytes(b"x")
    known = Asset(id=oid.hex(), blob=oid, kind="other", mime="application/octet-stream", bytes=1)
    b = PlanBuilder(INFO, story({f"assets/{oid.hex()}": known}).lookup)
    assert b.add_asset(b"x", kind="other", mime="application/octet-stream") is known
    plan = b.build()
    assert not plan.events
    assert not plan.blobs
    assert plan.summary.describe() == "nothing new"


def test_findings_and_the_cause_name_the_source() -> None:
    b = PlanBuilder(INFO, story().lookup, "chat.jsonl")
    b.note("message 3 has no author", "line 3")
    b.note("no title")
    plan = b.build()
    assert plan.summary.findings == [SourceFinding("message 3 has no author", "line 3"), SourceFinding("no title")]
    assert [str(f) for f in plan.summary.findings] == ["line 3: message 3 has no author", "no title"]
    assert plan.cause.ref == "probe@2"
    assert plan.cause.note == "chat.jsonl"
    assert plan.message() == "Import chat.jsonl with probe@2: nothing new"


def _with_asset() -> tuple[PlanBuilder, bytes]:
    b = PlanBuilder(INFO, story().lookup)
    b.add_asset(b"data", kind="other", mime="application/octet-stream")
    return b, b"data"


def test_check_plan_refuses_a_blob_under_another_id() -> None:
    b, data = _with_asset()
    plan = b.build()
    bad = dataclasses.replace(plan, blobs={hash_bytes(data): b"other bytes"})
    with pytest.raises(InputRejected, match="not its id"):
        check_plan(bad, story().lookup)


def test_check_plan_refuses_a_blob_no_asset_points_at() -> None:
    b, _ = _with_asset()
    plan = b.build()
    extra = dataclasses.replace(plan, blobs={**plan.blobs, hash_bytes(b"stray"): b"stray"})
    with pytest.raises(InputRejected, match="not the blob of an asset"):
        check_plan(extra, story().lookup)


def test_check_plan_refuses_an_asset_without_its_bytes() -> None:
    b, _ = _with_asset()
    plan = dataclasses.replace(b.build(), blobs={})
    with pytest.raises(InputRejected, match="without its bytes"):
        check_plan(plan, story().lookup)


def test_check_plan_refuses_events_that_do_not_apply() -> None:
    b = PlanBuilder(INFO, story().lookup)
    b.save(Character(id="mira", name="Mira"))
    plan = b.build()
    with pytest.raises(InputRejected, match="already exists"):
        check_plan(plan, story({"characters/mira": Character(id="mira")}).lookup)
