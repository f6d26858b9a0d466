"""The domain layer is pure: it imports no IO library, and its public surface is explicit."""

from __future__ import annotations

import ast
from pathlib import Path

import comfyvn_vault.domain as domain
from tests.conftest import modules_after

DOMAIN = Path(domain.__file__).parent
FORBIDDEN = {"lmdb", "textual", "httpx", "watchfiles"}
IO_MODULES = {"os", "io", "pathlib", "shutil", "subprocess", "socket", "tempfile", "sqlite3", "asyncio", "zstandard"}
# comfyvn_vault.lazy is importlib-only: the lazy re-export helper the package roots share.
ALLOWED_INTERNAL = {
    "comfyvn_vault.errors",
    "comfyvn_vault.lazy",
    "comfyvn_vault.store.codec",
    "comfyvn_vault.store.ids",
}


def test_importing_comfyvn_vault_domain_imports_no_io_library() -> None:
    mods = {name.split(".")[0] for name in modules_after("import comfyvn_vault.domain")}
    assert "comfyvn_vault" in mods
    assert not FORBIDDEN & mods, f"importing comfyvn_vault.domain imports {sorted(FORBIDDEN & mods)}"


def test_domain_sources_import_only_pure_modules() -> None:
    for source in sorted(DOMAIN.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in IO_MODULES | FORBIDDEN, f"{source.name} imports {name}"
                if top == "comfyvn_vault" and not name.startswith("comfyvn_vault.domain"):
                    assert name in ALLOWED_INTERNAL, f"{source.name} imports {name}"


def test_public_names_exist_once() -> None:
    # their order is ruff's (RUF022)
    for name in domain.__all__:
        assert hasattr(domain, name), name
    assert len(set(domain.__all__)) == len(domain.__all__)
