"""Asset projections: assets by kind, tag, license and NSFW flag, lineage edges both ways, and uses.

Kept like every state projection (:mod:`.base`): :func:`record_keys` and
:func:`node_keys` say which keys a document contributes, and the façade adds
and removes the difference when a document changes, so ``reindex`` rebuilds
them byte for byte. The reads are functions of the open databases.

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

from collections.abc import Iterable, Iterator
from typing import Final

from comfyvn_vault.domain.assets import Asset, asset_refs
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Character, Node
from comfyvn_vault.projections.base import SEP, Databases, Delta, Key, Projection, reading
from comfyvn_vault.projections.entities import DB_ENTITY
from comfyvn_vault.projections.keys import key_part, readable

DB_ASSET: Final = b"p.asset"
DB_LINEAGE: Final = b"p.lineage"
DB_USES: Final = b"p.uses"
ASSET_DBS: Final = (DB_ASSET, DB_LINEAGE, DB_USES)
UNLICENSED: Final = "(none)"


def _k(*parts: str) -> bytes:
    """A composite key: each part through :func:`~.keys.key_part`, so tags and licenses of any length fit."""
    return SEP.join(map(key_part, parts))


def facet_keys(asset: Asset) -> Iterator[Key]:
    yield DB_ASSET, _k("kind", asset.kind, asset.id)
    yield DB_ASSET, _k("mime", asset.mime, asset.id)
    yield DB_ASSET, _k("license", (asset.meta.license or UNLICENSED).lower(), asset.id)
    yield DB_ASSET, _k("nsfw", "yes" if asset.meta.nsfw else "no", asset.id)
    for tag in asset.meta.tags:
        yield DB_ASSET, _k("tag", tag.lower(), asset.id)
    for parent, relation in asset.parents.items():
        yield DB_LINEAGE, _k("up", asset.id, parent, relation)
        yield DB_LINEAGE, _k("down", parent, asset.id, relation)


def record_keys(path: str, doc: Document) -> Iterator[Key]:
    """Keys an asset record or a character (portrait, expressions) contributes."""
    if isinstance(doc, Asset):
        yield from facet_keys(doc)
    elif isinstance(doc, Character):
        values = [doc.portrait_asset_id or "", *doc.expressions.values()]
        for value in values:
            for ref in asset_refs(value):
                yield DB_USES, _k(ref, path)


def node_keys(scene_id: str, node: Node) -> Iterator[Key]:
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


class Assets(Projection):
    """Asset facets and lineage from asset records; asset uses from characters and nodes."""

    databases = ASSET_DBS

    @staticmethod
    def doc_keys(path: str, doc: Document) -> Iterable[Key]:
        return record_keys(path, doc)

    @staticmethod
    def node_keys(scene_id: str, node: Node) -> Iterable[Key]:
        return node_keys(scene_id, node)

    @classmethod
    def node_delta(cls, scene_id: str, node_id: str, old: Node | None, new: Node | None, delta: Delta) -> None:
        """A node names assets only in its directives and meta: a node whose both are equal changes nothing here."""
        if old is not None and new is not None and old.directives == new.directives and old.meta == new.meta:
            return
        super().node_delta(scene_id, node_id, old, new, delta)


# -- reading


@reading
def assets_with(projections: Databases, facet: str, value: str) -> list[str]:
    """Asset ids with ``facet`` = ``value`` (kind image, tag hero, license cc-by-4.0, nsfw yes)."""
    prefix = _k(facet, value.lower()) + SEP
    return [k[len(prefix) :].decode() for k in projections.scan(DB_ASSET, prefix)]


@reading
def facet_values(projections: Databases, facet: str) -> dict[str, int]:
    """Each value of ``facet`` and how many assets have it."""
    prefix = facet.encode() + SEP
    out: dict[str, int] = {}
    for k in projections.scan(DB_ASSET, prefix):
        value = readable(k[len(prefix) :].split(SEP, 1)[0])
        out[value] = out.get(value, 0) + 1
    return out


@reading
def edges(projections: Databases, asset_id: str, direction: str) -> list[tuple[str, str]]:
    """``(other asset, relation)``: parents for ``up``, children for ``down``."""
    prefix = _k(direction, asset_id) + SEP
    out = []
    for k in projections.scan(DB_LINEAGE, prefix):
        other, relation = k[len(prefix) :].split(SEP, 1)
        out.append((other.decode(), readable(relation)))
    return out


@reading
def users(projections: Databases, asset_id: str) -> list[str]:
    """Entity paths (``scenes/s#n``, ``characters/c``) whose documents name the asset."""
    prefix = key_part(asset_id) + SEP
    return [k[len(prefix) :].decode() for k in projections.scan(DB_USES, prefix)]


@reading
def asset_ids_with_prefix(projections: Databases, prefix: str) -> list[str]:
    """Registered asset ids (in the checkout) starting with ``prefix``, from the entity index's keys."""
    start = len("assets/")
    return [k[start:].decode() for k in projections.scan(DB_ENTITY, key_part("assets/" + prefix))]
