"""Three-way merge of asset, finding and policy records (they have no working-copy files).

The rules are simple because these records change through few, well-defined
events: a side that did not change takes the other's version; when both
changed an asset, lineage parents and tags are united and *ours* wins every
other field; for findings and the policy ours wins. The result is recorded as
one :class:`RecordMerged` event so the merge commit, like any commit, replays
from its first parent.
"""

from __future__ import annotations

from msgspec.structs import replace

from comfyvn_vault.domain.asset_events import RecordMerged
from comfyvn_vault.domain.assets import Asset, Record, same_record
from comfyvn_vault.domain.cause import Cause


def merge_record(
    path: str, base: Record | None, ours: Record | None, theirs: Record | None, cause: Cause
) -> list[RecordMerged]:
    """The events turning ``ours`` into the merge of ``ours`` and ``theirs`` over ``base`` at ``path``."""
    if same_record(ours, theirs) or same_record(base, theirs):
        return []
    if same_record(base, ours):
        result = theirs
    elif isinstance(ours, Asset) and isinstance(theirs, Asset):
        tags = sorted({*ours.meta.tags, *theirs.meta.tags})
        result = replace(ours, parents={**theirs.parents, **ours.parents}, meta=replace(ours.meta, tags=tags))
    else:
        result = ours if ours is not None else theirs
    if same_record(result, ours):
        return []
    return [RecordMerged(path=path, record=result, before=ours, cause=cause)]
