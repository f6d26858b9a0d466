"""The layers, checked on the source: who may import whom, and no import cycles.

Every import counts: at module level, inside functions (a deferred import is
still a dependency) and under ``TYPE_CHECKING`` for the layer rules; cycles
are looked for among the imports that run (``TYPE_CHECKING`` ones do not).

=====================  ==================================================
layer                  may import from this project
=====================  ==================================================
``comfyvn_tui``        the API, the domain, the errors (and itself)
``comfyvn_vault.cli``  the API, the domain, the errors, the package root
``comfyvn_vault.domain``  itself, the errors, object ids and the codec; no IO
``comfyvn_vault.store``   itself, the errors and the settings: nothing above it
``comfyvn_vault``      never the TUI
=====================  ==================================================
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("comfyvn_vault", "comfyvn_tui")
#: Standard-library and third-party modules that do IO: the domain imports none of them.
IO_MODULES = frozenset(
    {"os", "io", "pathlib", "shutil", "subprocess", "socket", "tempfile", "threading", "multiprocessing",
     "asyncio", "signal", "select", "mmap", "urllib", "http", "lmdb", "zstandard", "httpx", "PIL", "psutil",
     "starlette", "uvicorn", "obstore", "watchfiles", "textual", "c2pa", "sqlite3"}
)  # fmt: skip


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    runtime: bool  # False under ``if TYPE_CHECKING:``


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path) -> Iterator[Import]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(), str(path))
    typing_only = _type_checking_lines(tree)
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            # ``from pkg import mod`` depends on pkg.mod when that is a module
            targets = [f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base for a in node.names]
        for target in targets:
            yield Import(name, target, node.lineno, node.lineno not in typing_only)


def all_imports() -> list[Import]:
    return [imp for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py")) for imp in imports_of(path)]


def _within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _project(name: str) -> bool:
    return _within(name, *PACKAGES)


RULES: dict[str, tuple[str, ...]] = {
    "comfyvn_tui": ("comfyvn_tui", "comfyvn_vault.api", "comfyvn_vault.domain", "comfyvn_vault.errors"),
    "comfyvn_vault.cli": ("comfyvn_vault.cli", "comfyvn_vault.api", "comfyvn_vault.domain", "comfyvn_vault.errors"),
    "comfyvn_vault.domain": (
        "comfyvn_vault.domain",
        "comfyvn_vault.errors",
        "comfyvn_vault.lazy",
        "comfyvn_vault.store.ids",
        "comfyvn_vault.store.codec",
    ),
    "comfyvn_vault.store": (
        "comfyvn_vault.store",
        "comfyvn_vault.errors",
        "comfyvn_vault.settings",
        "comfyvn_vault.lazy",
    ),
}
#: Modules every layer may name: the package roots (``__version__``, lazy re-exports).
ROOTS = frozenset({"comfyvn_vault", "comfyvn_tui"})


def violations(imports: list[Import]) -> list[str]:
    out = []
    for imp in imports:
        if not _project(imp.target) or imp.target in ROOTS:
            if _within(imp.importer, "comfyvn_vault.domain") and imp.target.split(".")[0] in IO_MODULES:
                out.append(f"{imp.importer}:{imp.line} imports {imp.target} (the domain does no IO)")
            continue
        if _within(imp.importer, "comfyvn_vault") and _within(imp.target, "comfyvn_tui"):
            out.append(f"{imp.importer}:{imp.line} imports {imp.target} (the core never imports the TUI)")
        for layer, allowed in RULES.items():
            if _within(imp.importer, layer) and not _within(imp.target, *allowed):
                out.append(f"{imp.importer}:{imp.line} imports {imp.target} ({layer} may import {', '.join(allowed)})")
    return sorted(set(out))


def cycles(imports: list[Import]) -> list[list[str]]:
    """The strongly connected components (of more than one module) of the runtime import graph."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.runtime and _project(imp.target) and imp.target != imp.importer and imp.target not in ROOTS:
            graph.setdefault(imp.importer, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_layer_imports_only_what_it_may() -> None:
    found = violations(all_imports())
    assert not found, "layer violations:\n" + "\n".join(found)


def test_no_import_cycles() -> None:
    found = cycles(all_imports())
    assert not found, "import cycles (function-level imports count):\n" + "\n".join(" ↔ ".join(c) for c in found)


@pytest.mark.parametrize(
    ("importer", "source", "expected"),
    [
        ("comfyvn_tui.views.x", "def f():\n    from comfyvn_vault.vault import Vault\n", "comfyvn_tui may import"),
        ("comfyvn_vault.domain.x", "import os\n", "no IO"),
        ("comfyvn_vault.store.x", "from comfyvn_vault.history import repo\n", "comfyvn_vault.store may import"),
        ("comfyvn_vault.x", "def tui():\n    import comfyvn_tui.app\n", "never imports the TUI"),
    ],
)
def test_the_rules_catch_a_violation(importer: str, source: str, expected: str) -> None:
    tree_imports = [
        Import(importer, t.target, t.line, t.runtime)
        for t in _imports_of_source(source)
        if t.target != "comfyvn_tui.views"  # keep the sample's own package out of it
    ]
    found = violations(tree_imports)
    assert found and any(expected.split(" (")[0] in f or expected in f for f in found), found


def test_a_function_level_cycle_is_found() -> None:
    sample = [
        Import("comfyvn_vault.a", "comfyvn_vault.b", 1, True),
        Import("comfyvn_vault.b", "comfyvn_vault.a", 9, True),
    ]
    assert cycles(sample) == [["comfyvn_vault.a", "comfyvn_vault.b"]]
    assert (
        cycles(
            [
                Import("comfyvn_vault.a", "comfyvn_vault.b", 1, True),
                Import("comfyvn_vault.b", "comfyvn_vault.a", 2, False),
            ]
        )
        == []
    )


def _imports_of_source(source: str) -> list[Import]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import("", a.name, node.lineno, True) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(Import("", node.module, node.lineno, True))
    return found
