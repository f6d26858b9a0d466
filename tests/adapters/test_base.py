"""Adapter names, versions and typed options."""

from __future__ import annotations

import msgspec
import pytest

from comfyvn_vault.adapters import AdapterInfo, parse_options
from comfyvn_vault.adapters.plaintext import TextOptions
from comfyvn_vault.errors import InputRejected


def test_an_adapter_is_named_name_at_version() -> None:
    info = AdapterInfo("renpy", "8.1")
    assert info.ref == "renpy@8.1"
    cause = info.cause("import", "game.zip")
    assert (cause.kind, cause.ref, cause.note) == ("import", "renpy@8.1", "game.zip")
    assert info.cause("generation").note is None


@pytest.mark.parametrize(("name", "version"), [("", "1"), ("Ren'Py", "1"), ("9x", "1"), ("ok", ""), ("ok", "1 2")])
def test_bad_names_and_versions_are_programming_errors(name: str, version: str) -> None:
    with pytest.raises(ValueError):
        AdapterInfo(name, version)


def test_options_come_from_strings_as_a_command_line_gives_them() -> None:
    assert parse_options(TextOptions, {}) == TextOptions()
    assert parse_options(TextOptions, {"strict": "true", "scene_id": "intro"}) == TextOptions(
        strict=True, scene_id="intro"
    )
    assert parse_options(TextOptions, {"keep_source": False}) == TextOptions(keep_source=False)


@pytest.mark.parametrize(("given", "message"), [({"strict": "maybe"}, r"\$.strict"), ({"colour": "red"}, "colour")])
def test_bad_options_are_refused(given: dict[str, object], message: str) -> None:
    with pytest.raises(InputRejected, match=message):
        parse_options(TextOptions, given)


def test_options_are_frozen_structs() -> None:
    assert issubclass(TextOptions, msgspec.Struct)
    with pytest.raises(AttributeError):
        TextOptions().strict = True  # type: ignore[misc]
