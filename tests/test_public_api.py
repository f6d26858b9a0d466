"""The public surface is small, explicit and light to import."""

from __future__ import annotations

import comfyvn_vault
from tests.conftest import modules_after


def test_all_names_exist() -> None:
    for name in comfyvn_vault.__all__:
        assert hasattr(comfyvn_vault, name), name
    assert sorted(comfyvn_vault.__all__) == comfyvn_vault.__all__


def test_core_does_not_import_the_tui() -> None:
    mods = modules_after("import comfyvn_vault, comfyvn_vault.vault")
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)
    assert "tui" not in mods


def test_cli_start_imports_nothing_heavy() -> None:
    mods = modules_after("import comfyvn_vault.cli.main")
    heavy = {"textual", "rich", "cv2", "fitz", "c2pa", "httpx", "watchfiles", "PIL", "psutil"}
    assert not heavy & {m.split(".")[0] for m in mods}


def test_all_matches_the_lazy_exports() -> None:
    assert set(comfyvn_vault.__all__) - {"__version__"} == set(comfyvn_vault._EXPORTS)


def test_no_lazy_export_is_shadowed_by_a_submodule() -> None:
    """A package name that is also a submodule's is replaced by the module once anything imports it."""
    import importlib
    import pkgutil

    for package in ("comfyvn_vault", "comfyvn_vault.domain", "comfyvn_vault.api", "comfyvn_vault.adapters"):
        module = importlib.import_module(package)
        names = set(getattr(module, "_EXPORTS", {}))
        submodules = {m.name for m in pkgutil.iter_modules(module.__path__)}
        assert not names & submodules, f"{package} exports names of its own submodules: {sorted(names & submodules)}"
