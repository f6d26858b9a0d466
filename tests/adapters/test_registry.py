"""The registry: adapters by kind, imported on first use, with suggestions for a mistyped kind."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from comfyvn_vault.adapters import Importer, get_exporter, get_importer, register_generator
from comfyvn_vault.adapters.generator import Generator
from comfyvn_vault.adapters.plaintext import TextExporter, TextImporter
from comfyvn_vault.adapters.registry import GENERATORS, Registry
from comfyvn_vault.adapters.seeded import SeededGenerator
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers import BUILTIN
from tests.conftest import modules_after


def test_registering_imports_no_adapter_module() -> None:
    mods = modules_after(
        "from comfyvn_vault.adapters import register_importer\n"
        "register_importer('far', 'tests.adapters.far_adapter:make')"
    )
    assert "tests.adapters.far_adapter" not in mods
    assert "comfyvn_vault.adapters.plaintext" not in mods  # the built-in text kind is a string too
    assert "comfyvn_vault.domain.apply" not in mods


def test_a_kind_is_imported_when_first_used() -> None:
    mods = modules_after(
        "from comfyvn_vault.adapters import register_generator, get_generator\n"
        "register_generator('far', 'tests.adapters.far_adapter:make')\n"
        "assert get_generator('far').info.name == 'seeded'"
    )
    assert "tests.adapters.far_adapter" in mods


def test_the_text_kinds_are_built_in() -> None:
    assert isinstance(get_importer("text"), TextImporter)
    assert isinstance(get_exporter("text"), TextExporter)
    assert isinstance(get_importer("text"), Importer)


def test_each_get_makes_a_new_adapter() -> None:
    assert get_importer("text") is not get_importer("text")


@pytest.fixture
def generators() -> Iterator[Registry[Generator]]:
    yield GENERATORS
    for kind in ("seeded", "far", "broken", "needy"):
        GENERATORS.unregister(kind)


def test_a_factory_may_be_the_callable_itself(generators: Registry[Generator]) -> None:
    register_generator("seeded", SeededGenerator)
    assert isinstance(generators.get("seeded"), SeededGenerator)
    assert "seeded" in generators.kinds()


def test_a_mistyped_kind_is_refused_with_a_suggestion() -> None:
    with pytest.raises(InputRejected, match=r"no importer 'txet'; did you mean 'text'\?"):
        get_importer("txet")


def test_an_unknown_kind_lists_the_known_ones() -> None:
    known = ", ".join(sorted(BUILTIN))
    with pytest.raises(InputRejected, match=rf"no importer 'manga' \(known: {re.escape(known)}\)"):
        get_importer("manga")
    with pytest.raises(InputRejected, match="no generator 'x' \\(no generators are registered\\)"):
        Registry[Generator]("generator").get("x")


def test_registering_a_kind_twice_or_a_bad_target_is_a_programming_error() -> None:
    reg = Registry[Generator]("generator", {"a": "m:f"})
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", SeededGenerator)
    with pytest.raises(ValueError, match="module:attr"):
        reg.register("b", "no_colon")
    with pytest.raises(ValueError, match="adapter name"):
        reg.register("Bad Name", SeededGenerator)


def test_a_missing_optional_dependency_is_a_clear_refusal(generators: Registry[Generator]) -> None:
    register_generator("needy", "tests.adapters.needs_missing:Thing")
    with pytest.raises(InputRejected, match="needs 'comfyvn_no_such_dependency', which is not installed"):
        generators.get("needy")


def test_a_missing_adapter_module_or_attribute_is_not_the_users_fault(generators: Registry[Generator]) -> None:
    register_generator("far", "tests.adapters.no_such_module:make")
    with pytest.raises(ModuleNotFoundError):
        generators.get("far")
    register_generator("broken", "tests.adapters.far_adapter:NOT_CALLABLE")
    with pytest.raises(TypeError, match="not callable"):
        generators.get("broken")


def test_unregister_forgets_the_resolved_factory(generators: Registry[Generator]) -> None:
    register_generator("far", "tests.adapters.far_adapter:make")
    generators.get("far")
    generators.unregister("far")
    with pytest.raises(InputRejected):
        generators.get("far")
