"""Story conditions and effects as Ren'Py's Python.

The story language (:mod:`comfyvn_vault.domain.runtime.expr`) maps onto Python
almost word for word: ``true``/``false``/``none`` become ``True``/``False``/
``None``, every operator keeps its meaning, and each variable becomes the store
variable the export defines for it (:class:`VariableNames`). Every operation is
bracketed, so no precedence rule differs. ``and``/``or`` give a boolean in the
story language, so where their value is stored (an effect) it is wrapped in
``bool(...)``; in a condition only its truth counts. One difference is left, and
the guide says so: Python's ``==`` finds ``1`` equal to ``True``, the story
language does not (a variable keeps its type, so only a mistyped comparison
can tell).

Scopes: a bare name means the closest scope that defines it (``scene``, then
``session``, then ``global``), as when the story plays; the export decides it
once, from the story's variables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from comfyvn_vault.domain.entities import Variable
from comfyvn_vault.domain.runtime.expr import (
    SCOPES,
    Arith,
    Assign,
    Bool,
    Compare,
    Expr,
    Int,
    ListLit,
    Logic,
    Name,
    Neg,
    Not,
    Null,
    Str,
    parse_condition,
    parse_effects,
)
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.exporters.renpy.text import Names

LITERALS: Final = {True: "True", False: "False"}


class VariableNames:
    """The store variable of each story variable (``scope.name`` → Python name)."""

    def __init__(self, variables: Iterable[Variable], names: Names, kept: dict[str, str] | None = None) -> None:
        """``kept``: variables an imported script defines, by ``scope.name``, with the name the script uses."""
        self.by_key: dict[str, str] = {}
        self.variables: dict[str, Variable] = {}
        plain = [v.name for v in variables]
        for v in sorted(variables, key=lambda v: (SCOPES.index(v.scope), v.name)):
            key = f"{v.scope}.{v.name}"
            self.variables[key] = v
            if kept and key in kept:
                self.by_key[key] = names.claim(kept[key])
                continue
            unique = plain.count(v.name) == 1
            self.by_key[key] = names.fresh(v.name if unique else f"{v.scope}_{v.name}", "v")

    def resolve(self, name: str) -> str:
        """The Python name for ``name`` as an expression writes it (``trust``, ``scene.seen``)."""
        if "." in name:
            found = self.by_key.get(name)
        else:
            found = next((self.by_key[k] for s in SCOPES if (k := f"{s}.{name}") in self.by_key), None)
        if found is None:
            raise InputRejected(f"variable {name!r} is not defined (`comfyvn check` lists what is missing)")
        return found


def expression(expr: Expr, names: VariableNames, *, value: bool = False) -> str:
    """``expr`` as Python; ``value``: its result is stored, so ``and``/``or`` must give a boolean."""
    if isinstance(expr, Bool):
        return LITERALS[expr.value]
    if isinstance(expr, Int):
        return str(expr.value)
    if isinstance(expr, Str):
        return repr(expr.value)
    if isinstance(expr, Null):
        return "None"
    if isinstance(expr, Name):
        return names.resolve(expr.name)
    if isinstance(expr, ListLit):
        return "[" + ", ".join(expression(item, names, value=True) for item in expr.items) + "]"
    if isinstance(expr, Neg):
        return f"(-{expression(expr.operand, names, value=True)})"
    if isinstance(expr, Not):
        return f"(not {expression(expr.operand, names)})"
    if isinstance(expr, Logic):
        text = f"({expression(expr.left, names)} {expr.op} {expression(expr.right, names)})"
        return f"bool{text}" if value else text
    if isinstance(expr, Arith | Compare):
        return f"({expression(expr.left, names, value=True)} {expr.op} {expression(expr.right, names, value=True)})"
    raise AssertionError(f"unknown expression {expr!r}")  # pragma: no cover - the tree has no other node


def condition(text: str, names: VariableNames) -> str:
    """A story condition as a Python expression."""
    return expression(parse_condition(text), names)


def effects(text: str, names: VariableNames) -> str:
    """Story effects as Python statements joined by ``; `` (empty for effects that do nothing)."""
    return "; ".join(_assign(a, names) for a in parse_effects(text))


def _assign(a: Assign, names: VariableNames) -> str:
    return f"{names.resolve(a.name)} {a.op} {expression(a.value, names, value=True)}"
