"""State trees: history-independent shape, structural sharing, correct diffs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.history.tree import LEAF_MAX, TreeReader, TreeWriter, tree_id_of
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.store.memory import MemoryObjectStore

paths = st.integers(min_value=0, max_value=400).map(lambda i: f"scenes/s{i}")
values = st.integers(min_value=0, max_value=5).map(lambda i: hash_bytes(str(i).encode()))
change_sets = st.lists(st.dictionaries(paths, st.none() | values, max_size=120), min_size=1, max_size=6)


def _apply(store: MemoryObjectStore, reader: TreeReader, root: ObjectId | None, changes: dict) -> ObjectId:
    with store.transaction() as w:
        return TreeWriter(reader, w).update(root, changes)


@settings(max_examples=60, deadline=None)
@given(change_sets)
def test_shape_depends_only_on_contents(batches: list[dict[str, ObjectId | None]]) -> None:
    store = MemoryObjectStore()
    reader = TreeReader(store)
    root = None
    model: dict[str, ObjectId] = {}
    for changes in batches:
        old_root, old_model = root, dict(model)
        root = _apply(store, reader, root, changes)
        for p, v in changes.items():
            if v is None:
                model.pop(p, None)
            else:
                model[p] = v
        assert root == tree_id_of(model)
        assert dict(reader.items(root)) == model
        assert reader.count(root) == len(model)
        expected = {p for p in old_model.keys() | model.keys() if old_model.get(p) != model.get(p)}
        got = list(reader.diff(old_root, root))
        assert {p for p, _, _ in got} == expected
        for p, old, new in got:
            assert old == old_model.get(p) and new == model.get(p)
    for p, v in model.items():
        assert reader.get(root, p) == v
    assert reader.get(root, "scenes/missing") is None


def test_a_change_rewrites_only_its_path() -> None:
    store = MemoryObjectStore()
    reader = TreeReader(store)
    entries = {f"scenes/s{i}": hash_bytes(str(i).encode()) for i in range(5000)}
    root = _apply(store, reader, None, entries)
    before = store.count()
    _apply(store, reader, root, {"scenes/s17": hash_bytes(b"edited")})
    new_nodes = store.count() - before
    # One leaf plus its ancestors: depth is about log16(5000 / LEAF_MAX) + 1.
    assert 1 <= new_nodes <= 4, new_nodes
    assert LEAF_MAX < 5000
