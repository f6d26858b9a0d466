"""What every adapter has: a name and version for provenance, and typed options.

Importers, exporters and generators each declare an :class:`AdapterInfo`
(``roleplay`` version ``2``) that ends up in the :class:`Cause` of what they
produce, so lineage can say which code, at which version, made an event. Their
options are a frozen msgspec Struct of their own; :func:`parse_options` builds
one from what a command line or a config file gives (strings, or already typed
values), refusing unknown or ill-typed options with a one-line message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, TypeVar

import msgspec

from comfyvn_vault.domain.cause import Cause, CauseKind
from comfyvn_vault.errors import InputRejected

_NAME: Final = re.compile(r"[a-z][a-z0-9-]{0,39}")

OptionsT = TypeVar("OptionsT", bound=msgspec.Struct)


class AdapterInfo(msgspec.Struct, frozen=True):
    """An adapter's name (``roleplay``, ``renpy``, ``comfyui``) and version (``1``, ``2.3``)."""

    name: str
    version: str

    def __post_init__(self) -> None:
        check_kind_name(self.name)
        if not self.version or any(ch.isspace() or ch == "@" for ch in self.version):
            raise ValueError(f"adapter version {self.version!r} must be non-empty, without spaces or '@'")

    @property
    def ref(self) -> str:
        """``name@version``: how causes and commit messages name the adapter."""
        return f"{self.name}@{self.version}"

    def cause(self, kind: CauseKind, note: str | None = None) -> Cause:
        """The cause of what this adapter produces (``kind`` is ``import`` or ``generation``)."""
        return Cause(kind=kind, ref=self.ref, note=note or None)


def check_kind_name(name: str) -> str:
    """Return ``name`` if it can name an adapter kind on a command line (``roleplay``, ``renpy-8``)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"adapter name {name!r} must be 1-40 of a-z 0-9 -, starting with a letter")
    return name


def parse_options(options_type: type[OptionsT], given: Mapping[str, object]) -> OptionsT:
    """Typed options from ``given`` (``{"strict": "true"}`` or ``{"strict": True}``); exit 3 on a bad one.

    Strings convert to the declared types as a command line needs (``"3"`` to an
    int, ``"true"``/``"false"`` to a bool); an unknown option is refused when the
    struct forbids unknown fields.
    """
    known = [f.name for f in msgspec.structs.fields(options_type)]
    unknown = sorted(set(given) - set(known))
    if unknown and options_type.__struct_config__.forbid_unknown_fields:
        listing = ", ".join(known) or "none"
        raise InputRejected(f"no option {unknown[0][:40]!r} (known: {listing})")
    try:
        return msgspec.convert(dict(given), options_type, strict=False)
    except msgspec.ValidationError as exc:
        raise InputRejected(f"bad option: {exc}") from None
