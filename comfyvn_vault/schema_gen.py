"""JSON Schemas for the domain types, generated from the msgspec structs.

The structs are the single source of truth; ``schemas/`` holds what this module
generates from them (one file per entity, event, record, file format and verb result) for editors, external
tools and reviewers. A test regenerates them and fails on any drift, so after
changing a type run::

    python -m comfyvn_vault.schema_gen

Object ids (links) appear as 64 lowercase hex digits. Output is deterministic:
sorted keys, 2-space indent, trailing newline, and every description cleaned
the way ``inspect.cleandoc`` cleans a docstring, so the files do not change
with how a msgspec release happens to format docstrings.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any, Final

import msgspec

from comfyvn_vault.domain import ENTITY_TYPES, EVENT_TYPES
from comfyvn_vault.domain.assets import RECORD_TYPES
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.store.ids import HEX_LEN, ObjectId

SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_FOLDER: Final = Path(__file__).resolve().parent.parent / "schemas"


GROUPS: Final[dict[str, tuple[type[Any], ...]]] = {
    "entities": ENTITY_TYPES,
    "events": EVENT_TYPES,
    "records": (Conflict, *RECORD_TYPES),
}


def result_types() -> tuple[type[Any], ...]:
    """The porcelain API's result types (the verbs' ``--json`` documents), module by module."""
    import importlib

    from comfyvn_vault.api import MODULES

    found: list[type[Any]] = []
    for name in MODULES:
        found.extend(importlib.import_module(f"comfyvn_vault.api.{name}").RESULTS)
    return tuple(found)


def format_types() -> tuple[type[Any], ...]:
    """The file formats the vault writes for others to read (the bundle's manifest and provenance)."""
    from comfyvn_vault.exporters.bundle_format import FORMATS

    return FORMATS


def groups() -> dict[str, tuple[type[Any], ...]]:
    """Every schema group: the domain types, ``formats`` (files others read) and ``results`` (the verbs' documents)."""
    return {**GROUPS, "formats": format_types(), "results": result_types()}


def schema_hook(kind: type) -> dict[str, Any]:
    """msgspec schema hook for the types msgspec does not know: object ids."""
    if kind is ObjectId:
        return {"type": "string", "pattern": f"^[0-9a-f]{{{HEX_LEN}}}$", "description": "an object id (BLAKE3-256)"}
    # msgspec's schema-hook protocol: NotImplementedError means "not a type this hook knows".
    raise NotImplementedError(f"no JSON Schema for {kind!r}")


def normalized(node: Any) -> Any:
    """``node`` with every ``description`` cleaned like a docstring (common indent and outer blank lines removed)."""
    if isinstance(node, dict):
        return {
            key: inspect.cleandoc(value) if key == "description" and isinstance(value, str) else normalized(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [normalized(value) for value in node]
    return node


def generate() -> dict[str, dict[str, Any]]:
    """Every schema by its file path relative to the schema folder (``entities/Scene.json``)."""
    out: dict[str, dict[str, Any]] = {}
    for group, kinds in groups().items():
        for kind in kinds:
            schema = normalized(msgspec.json.schema(kind, schema_hook=schema_hook))
            out[f"{group}/{kind.__name__}.json"] = {"$schema": SCHEMA_DIALECT, **schema}
    return out


def render(schema: dict[str, Any]) -> str:
    """The exact text a schema file holds."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write(folder: Path) -> list[Path]:
    """Write every schema under ``folder`` and delete stale ones; return the files written."""
    schemas = generate()
    for group in groups():
        for stale in sorted((folder / group).glob("*.json")):
            if f"{group}/{stale.name}" not in schemas:
                stale.unlink()
    written: list[Path] = []
    for name, schema in sorted(schemas.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(schema)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else DEFAULT_FOLDER
    written = write(folder)
    print(f"wrote {len(written)} schemas to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
