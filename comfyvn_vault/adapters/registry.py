"""Adapters by kind: what ``comfyvn import KIND``, ``export KIND`` and ``generate KIND`` look up.

An adapter is registered under a kind with a factory: a ``"module:attr"``
string naming a zero-argument callable (usually the adapter class), or the
callable itself. A string is resolved only when the kind is first used, so
registering every importer costs nothing at start-up, however heavy their
modules are (OCR, Ren'Py parsing, image libraries). An unknown kind is refused
(exit 3) with the kinds close to it suggested.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import comfyvn_vault.exporters as exporters
import comfyvn_vault.importers as importers
from comfyvn_vault.adapters.base import check_kind_name
from comfyvn_vault.domain.suggest import did_you_mean
from comfyvn_vault.errors import InputRejected

if TYPE_CHECKING:
    from comfyvn_vault.adapters.exporter import Exporter
    from comfyvn_vault.adapters.generator import Generator
    from comfyvn_vault.adapters.importer import Importer

T = TypeVar("T")
Factory = Callable[[], T]


class Registry(Generic[T]):
    """Factories of one sort of adapter (``importer``), by kind."""

    def __init__(self, what: str, builtin: Mapping[str, str] | None = None) -> None:
        self.what = what
        self._targets: dict[str, str | Factory[T]] = {}
        self._resolved: dict[str, Factory[T]] = {}
        for kind, target in (builtin or {}).items():
            self.register(kind, target)

    def register(self, kind: str, factory: str | Factory[T]) -> None:
        """Add ``kind``; ``factory`` is ``"module:attr"`` (imported on first use) or a callable."""
        check_kind_name(kind)
        if kind in self._targets:
            raise ValueError(f"an {self.what} named {kind!r} is already registered")
        if isinstance(factory, str):
            module, colon, attr = factory.partition(":")
            if not (module and colon and attr):
                raise ValueError(f"{self.what} {kind!r}: {factory!r} is not 'module:attr'")
        self._targets[kind] = factory

    def unregister(self, kind: str) -> None:
        """Remove ``kind`` (a plugin unloading, a test cleaning up)."""
        self._targets.pop(kind, None)
        self._resolved.pop(kind, None)

    def kinds(self) -> list[str]:
        """Every registered kind, sorted."""
        return sorted(self._targets)

    def get(self, kind: str) -> T:
        """A new adapter of ``kind``; :class:`InputRejected` for a kind nobody registered."""
        factory = self._resolved.get(kind)
        if factory is None:
            factory = self._resolve(kind)
            self._resolved[kind] = factory
        return factory()

    def _resolve(self, kind: str) -> Factory[T]:
        target = self._targets.get(kind)
        if target is None:
            hint = did_you_mean(kind, self._targets) or (
                f" (known: {', '.join(self.kinds())})" if self._targets else f" (no {self.what}s are registered)"
            )
            raise InputRejected(f"no {self.what} {kind[:80]!r}{hint}")
        if not isinstance(target, str):
            return target
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or module_name.startswith(exc.name):
                raise  # the adapter's own module is missing: a packaging mistake, not the user's
            raise InputRejected(f"the {kind} {self.what} needs {exc.name!r}, which is not installed") from None
        factory: Factory[T] = getattr(module, attr)
        if not callable(factory):
            raise TypeError(f"{self.what} {kind!r}: {target} is not callable")
        return factory


IMPORTERS: Final[Registry[Importer[Any]]] = Registry("importer", importers.BUILTIN)
EXPORTERS: Final[Registry[Exporter[Any]]] = Registry("exporter", exporters.BUILTIN)
GENERATORS: Final[Registry[Generator]] = Registry("generator")


def register_importer(kind: str, factory: str | Factory[Importer[Any]]) -> None:
    """Make ``comfyvn import KIND`` find an importer (see :meth:`Registry.register`)."""
    IMPORTERS.register(kind, factory)


def register_exporter(kind: str, factory: str | Factory[Exporter[Any]]) -> None:
    """Make ``comfyvn export KIND`` find an exporter."""
    EXPORTERS.register(kind, factory)


def register_generator(kind: str, factory: str | Factory[Generator]) -> None:
    """Make a generation command find a backend."""
    GENERATORS.register(kind, factory)


def get_importer(kind: str) -> Importer[Any]:
    """A new importer of ``kind`` (exit 3, with suggestions, for an unknown kind)."""
    return IMPORTERS.get(kind)


def get_exporter(kind: str) -> Exporter[Any]:
    """A new exporter of ``kind``."""
    return EXPORTERS.get(kind)


def get_generator(kind: str) -> Generator:
    """A new generator of ``kind``."""
    return GENERATORS.get(kind)
