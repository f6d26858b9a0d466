"""Naming story entities: ids made from titles, and entities found by id or name.

Not verbs, but what the verbs (and the reads of other groups, such as ``blame``
and ``log`` of an entity) share: a writer names a scene by its title as often
as by its id, and a new entity's id is made readable from its title.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.naming import fresh_id as fresh_id
from comfyvn_vault.domain.naming import next_numbered as next_numbered
from comfyvn_vault.domain.naming import slug as slug
from comfyvn_vault.domain.paths import check_id, entity_path
from comfyvn_vault.errors import InputRejected, ObjectNotFound

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault


def find_id(vault: Vault, folder: str, text: str) -> str:
    """An entity id given its id or its exact name or title (case-insensitive); the id wins.

    A name several entities share is refused (exit 3) with their ids listed.
    """
    if _valid_id(text) and vault.projections.entity_id(entity_path(folder, text)) is not None:
        return text
    ids = vault.projections.by_name(folder, text)
    if len(ids) == 1:
        return ids[0]
    if len(ids) > 1:
        shown = ", ".join(ids[:10]) + (", …" if len(ids) > 10 else "")
        raise InputRejected(f"{len(ids)} {folder} are named {text[:80]!r}: give the id ({shown})")
    raise ObjectNotFound(f"no {folder[:-1]} with id or name {text[:80]!r}{suggest(vault, folder, text)}")


def suggest(vault: Vault, folder: str, text: str) -> str:
    """ "; did you mean …" naming the entities of ``folder`` whose id or name is close to ``text``."""
    from comfyvn_vault.domain.suggest import did_you_mean

    names = vault.projections.names(folder)
    return did_you_mean(text, [*names, *names.values()], shown_as={name: eid for eid, name in names.items()})


def _valid_id(text: str) -> bool:
    try:
        check_id(text)
        return True
    except Rejected:
        return False


def parse_value(text: str) -> int | str | bool:
    """``true``/``false`` → bool, an integer → int, anything else → str (no floats: they do not hash stably)."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"[-+]?\d+", text.strip()):
        return int(text)
    return text
