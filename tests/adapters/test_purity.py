"""Planning is pure: the adapter seams and the in-memory adapters import no IO library and no vault.

Only ``apply`` (which records a plan in a vault), ``output`` (which writes
export files) and ``archive`` (which reads folders and archives for the
command line, with every name confined) may reach beyond; the importers and
exporters themselves are held to the same rule; the registry imports adapter modules only when
a kind is first used (tested in ``test_registry``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import comfyvn_vault.adapters as adapters

PACKAGE = Path(adapters.__file__).parent
EFFECTFUL = {"apply.py", "output.py", "archive.py"}
ADAPTER_PACKAGES = (PACKAGE, PACKAGE.parent / "importers", PACKAGE.parent / "exporters")
IO_MODULES = {"os", "io", "pathlib", "shutil", "subprocess", "socket", "tempfile", "sqlite3", "asyncio"}
FORBIDDEN = {"lmdb", "httpx", "textual", "zstandard", "watchfiles", "PIL"}
#: What of the rest of the package planning may use: the domain, ids, errors and suggestions.
ALLOWED_PREFIXES = (
    "comfyvn_vault.adapters",
    "comfyvn_vault.domain",
    "comfyvn_vault.importers",
    "comfyvn_vault.exporters",
)
ALLOWED = {"comfyvn_vault.errors", "comfyvn_vault.lazy", "comfyvn_vault.store.ids", "comfyvn_vault.domain.suggest"}


def _imports(source: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_planning_modules_import_only_pure_modules() -> None:
    sources = sorted(
        p
        for package in ADAPTER_PACKAGES
        for p in package.rglob("*.py")
        if p.parent != PACKAGE or p.name not in EFFECTFUL
    )
    assert {p.name for p in sources} >= {"plan.py", "importer.py", "exporter.py", "plaintext.py", "registry.py"}
    for source in sources:
        for name in _imports(source):
            top = name.split(".")[0]
            assert top not in IO_MODULES | FORBIDDEN, f"{source.name} imports {name}"
            if top == "comfyvn_vault":
                assert name.startswith(ALLOWED_PREFIXES) or name in ALLOWED, f"{source.name} imports {name}"
