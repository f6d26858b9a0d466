"""``schemas/`` is exactly what the types generate, and it never allows a float."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from comfyvn_vault import schema_gen
from comfyvn_vault.domain import ENTITY_TYPES, EVENT_TYPES
from comfyvn_vault.store.ids import ObjectId

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
FIX = "schemas/ is out of date with the types: run `python -m comfyvn_vault.schema_gen` and commit the result"


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for group in schema_gen.groups()
        for path in sorted((folder / group).glob("*.json"))
    }


def test_committed_schemas_match_the_types(tmp_path: Path) -> None:
    schema_gen.write(tmp_path)
    fresh, committed = _files(tmp_path), _files(SCHEMAS)
    assert sorted(committed) == sorted(fresh), FIX
    for name, data in fresh.items():
        assert committed[name] == data, f"{name}: {FIX}"


def test_one_schema_per_entity_and_event() -> None:
    names = {name for name in schema_gen.generate() if not name.startswith("results/")}
    assert names == {f"entities/{k.__name__}.json" for k in ENTITY_TYPES} | {
        f"events/{k.__name__}.json" for k in EVENT_TYPES
    } | {
        f"records/{k}.json" for k in ("Conflict", "Asset", "Finding", "Policy", "ImportRecord", "PlaythroughRecord")
    } | {f"formats/{k}.json" for k in ("BundleManifest", "BundleProvenance")}


def test_write_is_deterministic_and_removes_stale_files(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "Gone.json").write_text("{}")
    schema_gen.write(tmp_path)
    first = _files(tmp_path)
    schema_gen.write(tmp_path)
    assert _files(tmp_path) == first
    assert "events/Gone.json" not in first
    assert all(data.endswith(b"}\n") and b'\n  "' in data for data in first.values())


def _types(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str):
            yield kind
        elif isinstance(kind, list):
            yield from (k for k in kind if isinstance(k, str))
        for value in node.values():
            yield from _types(value)
    elif isinstance(node, list):
        for value in node:
            yield from _types(value)


def test_no_schema_allows_a_float() -> None:
    for name, schema in schema_gen.generate().items():
        assert "number" not in set(_types(schema)), f"{name} allows a float"


def test_object_ids_are_64_hex_digits() -> None:
    class Linked(msgspec.Struct):
        target: ObjectId

    schema = msgspec.json.schema(Linked, schema_hook=schema_gen.schema_hook)
    assert schema["$defs"]["Linked"]["properties"]["target"]["pattern"] == "^[0-9a-f]{64}$"


def test_descriptions_do_not_depend_on_how_docstrings_are_indented() -> None:
    indented = {"description": "First line.\n\n    Second paragraph,\n    indented as in source.\n    "}
    dedented = {"description": "First line.\n\nSecond paragraph,\nindented as in source."}
    nested = {"$defs": {"A": indented, "B": [dedented]}, "title": "  kept  "}
    assert schema_gen.normalized(indented) == schema_gen.normalized(dedented) == dedented
    assert schema_gen.normalized(nested) == {"$defs": {"A": dedented, "B": [dedented]}, "title": "  kept  "}
