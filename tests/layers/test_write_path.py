"""Every write to history goes through the one write path (comfyvn_vault/changeset.py).

The history's commit function (``History.record``) is called from the
changeset and nowhere else in the product or the TUI; the
check reads the source, so a function-level call counts as much as any.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The product. Benchmarks time the history layer itself and may call it directly.
SCANNED = ("comfyvn_vault", "comfyvn_tui")
WRITE_PATH = ROOT / "comfyvn_vault" / "changeset.py"


def _history_commits(path: Path) -> list[int]:
    """Lines of ``path`` that call ``record`` on a history (``history.record``, ``h.record``, ``x.history.record``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else ""
        if name in ("history", "h", "History"):
            found.append(node.lineno)
    return found


def test_only_the_changeset_commits() -> None:
    calls = {
        f"{path.relative_to(ROOT)}:{line}"
        for folder in SCANNED
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != WRITE_PATH
        for line in _history_commits(path)
    }
    assert not calls, f"commits made outside the write path (use vault.change): {sorted(calls)}"
    assert _history_commits(WRITE_PATH), "the write path itself commits through History.record"


def test_the_check_sees_a_commit(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(vault, w):\n    def g():\n        return vault.history.record(w, [], 'm')\n    h.record(w)\n"
    )
    assert sorted(_history_commits(sample)) == [3, 4]
