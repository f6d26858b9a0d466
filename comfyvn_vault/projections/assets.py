"""Asset projections: assets by kind, tag, license and NSFW flag, lineage edges both ways, and uses.

Kept like every state projection: :func:`record_keys` and :func:`node_keys`
say which keys a document contributes, and :mod:`.index` adds and removes the
difference when a document changes, so ``reindex`` rebuilds them byte for byte.

==================  ====================================================  =====
name                key                                                   value
==================  ====================================================  =====
p.asset             facet \\0 value \\0 asset id (facets: kind, tag,       b""
                    license, nsfw, mime)
p.lineage           ``up`` \\0 child \\0 parent \\0 relation, and            b""
                    ``down`` \\0 parent \\0 child \\0 relation
p.uses              asset id \\0 user path (``scenes/s#n``,                 b""
                    ``characters/c``)
==================  ====================================================  =====
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from comfyvn_vault.domain.assets import Asset
from comfyvn_vault.domain.entities import Character, Node
from comfyvn_vault.projections.keys import key_part, readable

DB_ASSET: Final = b"p.asset"
DB_LINEAGE: Final = b"p.lineage"
DB_USES: Final = b"p.uses"
ASSET_DBS: Final = (DB_ASSET, DB_LINEAGE, DB_USES)
UNLICENSED: Final = "(none)"

SEP: Final = b"\0"
_ASSET_REF: Final = re.compile(r"(?:asset:)?([0-9a-f]{64})")


def asset_refs(value: str) -> Iterator[str]:
    """Asset ids a string names: a full 64-hex id, alone or as ``asset:<id>``."""
    m = _ASSET_REF.fullmatch(value.strip())
    if m:
        yield m.group(1)


def _k(*parts: str) -> bytes:
    """A composite key: each part through :func:`~.keys.key_part`, so tags and licenses of any length fit."""
    return SEP.join(map(key_part, parts))


def facet_keys(asset: Asset) -> Iterator[tuple[bytes, bytes]]:
    yield DB_ASSET, _k("kind", asset.kind, asset.id)
    yield DB_ASSET, _k("mime", asset.mime, asset.id)
    yield DB_ASSET, _k("license", (asset.meta.license or UNLICENSED).lower(), asset.id)
    yield DB_ASSET, _k("nsfw", "yes" if asset.meta.nsfw else "no", asset.id)
    for tag in asset.meta.tags:
        yield DB_ASSET, _k("tag", tag.lower(), asset.id)
    for parent, relation in asset.parents.items():
        yield DB_LINEAGE, _k("up", asset.id, parent, relation)
        yield DB_LINEAGE, _k("down", parent, asset.id, relation)


def record_keys(path: str, doc: Any) -> Iterator[tuple[bytes, bytes]]:
    """Keys an asset record or a character (portrait, expressions) contributes."""
    if isinstance(doc, Asset):
        yield from facet_keys(doc)
    elif isinstance(doc, Character):
        values = [doc.portrait_asset_id or "", *doc.expressions.values()]
        for value in values:
            for ref in asset_refs(value):
                yield DB_USES, _k(ref, path)


def node_keys(scene_id: str, node: Node) -> Iterator[tuple[bytes, bytes]]:
    """Keys a node contributes: every asset its directives or meta name."""
    values: list[str] = list(node.directives.values())
    for value in node.meta.values():
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, list):
            values.extend(value)
    for value in values:
        for ref in asset_refs(value):
            yield DB_USES, _k(ref, f"scenes/{scene_id}#{node.id}")


# -- reading


def _scan(projections: Any, db: bytes, prefix: bytes) -> Iterator[bytes]:
    yield from projections._scan(db, prefix)


def assets_with(projections: Any, facet: str, value: str) -> list[str]:
    """Asset ids with ``facet`` = ``value`` (kind image, tag hero, license cc-by-4.0, nsfw yes)."""
    prefix = _k(facet, value.lower()) + SEP
    return [k[len(prefix) :].decode() for k in _scan(projections, DB_ASSET, prefix)]


def facet_values(projections: Any, facet: str) -> dict[str, int]:
    """Each value of ``facet`` and how many assets have it."""
    prefix = facet.encode() + SEP
    out: dict[str, int] = {}
    for k in _scan(projections, DB_ASSET, prefix):
        value = readable(k[len(prefix) :].split(SEP, 1)[0])
        out[value] = out.get(value, 0) + 1
    return out


def edges(projections: Any, asset_id: str, direction: str) -> list[tuple[str, str]]:
    """``(other asset, relation)``: parents for ``up``, children for ``down``."""
    prefix = _k(direction, asset_id) + SEP
    out = []
    for k in _scan(projections, DB_LINEAGE, prefix):
        other, relation = k[len(prefix) :].split(SEP, 1)
        out.append((other.decode(), readable(relation)))
    return out


def users(projections: Any, asset_id: str) -> list[str]:
    """Entity paths (``scenes/s#n``, ``characters/c``) whose documents name the asset."""
    prefix = key_part(asset_id) + SEP
    return [k[len(prefix) :].decode() for k in _scan(projections, DB_USES, prefix)]


def asset_ids_with_prefix(projections: Any, prefix: str) -> list[str]:
    """Registered asset ids (in the checkout) starting with ``prefix``, from the entity index's keys."""
    from comfyvn_vault.projections.index import DB_ENTITY

    start = len("assets/")
    return [k[start:].decode() for k in _scan(projections, DB_ENTITY, key_part("assets/" + prefix))]
