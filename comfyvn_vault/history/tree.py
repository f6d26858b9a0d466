"""State trees: a Merkle hash-trie from entity path to entity-document id.

A tree node holds its entries directly while the subtree has at most
``LEAF_MAX`` of them; above that it branches 16 ways on the next hex digit of
BLAKE3(path). The shape depends only on the set of entries, never on the order
edits arrived in, so equal states have equal root ids (merges and replays rely
on it). A change rewrites only the nodes on the changed paths (a commit costs
what it changed), and a diff descends only where child ids differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, Protocol

import blake3

from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.paths import check_tree_path
from comfyvn_vault.store.codec import StoredObject, decode_as, encode
from comfyvn_vault.store.ids import ObjectId, hash_bytes

LEAF_MAX: Final = 48
MAX_DEPTH: Final = 64  # hex digits in a BLAKE3-256 digest


class TreeNode(StoredObject, frozen=True, tag="Tree"):
    """Either a leaf (``entries``) or a branch (``children`` by hex digit), with the entry count."""

    count: int = 0
    entries: dict[str, ObjectId] = {}
    children: dict[str, ObjectId] = {}


EMPTY: Final = TreeNode()
_DIGITS: Final = frozenset("0123456789abcdef")


def check_tree_node(node: TreeNode) -> TreeNode:
    """Return ``node`` if it is well formed; raise :class:`Rejected` for a path no vault writes.

    Every entry path is checked by :func:`check_tree_path` (the same check that
    runs before a working-copy file is written), so a tree from another vault
    cannot name a file outside the working copy; a branch keys its children by
    one hex digit and holds no entries.
    """
    if node.children and node.entries:
        raise Rejected("a tree node holds both entries and children")
    for digit in node.children:
        if digit not in _DIGITS:
            raise Rejected(f"a tree node keys a child by {digit[:8]!r}, not by a hex digit")
    for path in node.entries:
        check_tree_path(path)
    return node


class ObjectSource(Protocol):
    def get(self, oid: ObjectId) -> bytes: ...


class ObjectSink(Protocol):
    def put_object(self, obj: StoredObject) -> ObjectId: ...


def _digit(path: str, depth: int) -> str:
    return blake3.blake3(path.encode()).hexdigest()[depth]


class TreeReader:
    """Reads trees from a store, caching decoded nodes (they are immutable)."""

    def __init__(self, source: ObjectSource, cache_size: int = 8_192) -> None:
        self.source = source
        self.cache: dict[ObjectId, TreeNode] = {}
        self.cache_size = cache_size

    def node(self, oid: ObjectId) -> TreeNode:
        node = self.cache.get(oid)
        if node is None:
            node = decode_as(self.source.get(oid), TreeNode)
            if len(self.cache) >= self.cache_size:
                self.cache.clear()
            self.cache[oid] = node
        return node

    def remember(self, oid: ObjectId, node: TreeNode) -> None:
        if len(self.cache) < self.cache_size:
            self.cache[oid] = node

    def get(self, root: ObjectId, path: str) -> ObjectId | None:
        node = self.node(root)
        depth = 0
        digest = ""
        while node.children:
            if not digest:
                digest = blake3.blake3(path.encode()).hexdigest()
            child = node.children.get(digest[depth])
            if child is None:
                return None
            node = self.node(child)
            depth += 1
        return node.entries.get(path)

    def items(self, root: ObjectId, prefix: str = "") -> Iterator[tuple[str, ObjectId]]:
        """Every (path, id) under ``root`` whose path starts with ``prefix``, in hash order."""
        stack = [root]
        while stack:
            node = self.node(stack.pop())
            if node.children:
                stack.extend(node.children[k] for k in sorted(node.children, reverse=True))
            else:
                for path in sorted(node.entries):
                    if path.startswith(prefix):
                        yield path, node.entries[path]

    def count(self, root: ObjectId) -> int:
        return self.node(root).count

    def diff(self, a: ObjectId | None, b: ObjectId | None) -> Iterator[tuple[str, ObjectId | None, ObjectId | None]]:
        """(path, old id, new id) for every path that differs, skipping equal subtrees."""
        if a == b:
            return
        na = self.node(a) if a is not None else EMPTY
        nb = self.node(b) if b is not None else EMPTY
        if not na.children and not nb.children:
            for path in sorted(na.entries.keys() | nb.entries.keys()):
                old, new = na.entries.get(path), nb.entries.get(path)
                if old != new:
                    yield path, old, new
            return
        if na.children and nb.children:
            for d in sorted(na.children.keys() | nb.children.keys()):
                yield from self.diff(na.children.get(d), nb.children.get(d))
            return
        # One side is a leaf, the other a branch: compare flattened.
        fa = dict(self.items(a)) if a is not None else {}
        fb = dict(self.items(b)) if b is not None else {}
        for path in sorted(fa.keys() | fb.keys()):
            old, new = fa.get(path), fb.get(path)
            if old != new:
                yield path, old, new


class TreeWriter:
    """Applies path changes to a tree, writing only the nodes that change."""

    def __init__(self, reader: TreeReader, sink: ObjectSink) -> None:
        self.reader = reader
        self.sink = sink
        # Nodes written through this writer may not be readable from the store
        # until its transaction commits, so keep them at hand.
        self.written: dict[ObjectId, TreeNode] = {}

    def empty(self) -> ObjectId:
        return self._put(EMPTY)

    def _put(self, node: TreeNode) -> ObjectId:
        oid = self.sink.put_object(node)
        self.written[oid] = node
        self.reader.remember(oid, node)
        return oid

    def _node(self, oid: ObjectId) -> TreeNode:
        node = self.written.get(oid)
        return node if node is not None else self.reader.node(oid)

    def _items(self, oid: ObjectId) -> Iterator[tuple[str, ObjectId]]:
        stack = [oid]
        while stack:
            node = self._node(stack.pop())
            stack.extend(node.children.values())
            yield from node.entries.items()

    def update(self, root: ObjectId | None, changes: Mapping[str, ObjectId | None]) -> ObjectId:
        """The root of ``root`` with ``changes`` applied (None deletes a path)."""
        if not changes:
            return root if root is not None else self.empty()
        keyed = {p: (blake3.blake3(p.encode()).hexdigest(), v) for p, v in changes.items()}
        return self._update(root, keyed, 0)

    def _update(self, oid: ObjectId | None, changes: dict[str, tuple[str, ObjectId | None]], depth: int) -> ObjectId:
        node = self._node(oid) if oid is not None else EMPTY
        if not node.children:
            entries = dict(node.entries)
            for path, (_, value) in changes.items():
                if value is None:
                    entries.pop(path, None)
                else:
                    entries[path] = value
            return self._build(entries, depth)
        groups: dict[str, dict[str, tuple[str, ObjectId | None]]] = {}
        for path, item in changes.items():
            groups.setdefault(item[0][depth], {})[path] = item
        children = dict(node.children)
        total = node.count
        for d, group in groups.items():
            old_child = children.get(d)
            new_child = self._update(old_child, group, depth + 1)
            count = self._node(new_child).count
            total += count - (self._node(old_child).count if old_child is not None else 0)
            if count == 0:
                children.pop(d, None)
            else:
                children[d] = new_child
        if total <= LEAF_MAX:
            # Shrunk below the split point: collapse to a leaf so the shape stays canonical.
            merged: dict[str, ObjectId] = {}
            for c in children.values():
                merged.update(self._items(c))
            return self._put(TreeNode(count=len(merged), entries=merged))
        return self._put(TreeNode(count=total, children=children))

    def _build(self, entries: dict[str, ObjectId], depth: int) -> ObjectId:
        if len(entries) <= LEAF_MAX or depth >= MAX_DEPTH:
            return self._put(TreeNode(count=len(entries), entries=entries))
        groups: dict[str, dict[str, ObjectId]] = {}
        for path, value in entries.items():
            groups.setdefault(_digit(path, depth), {})[path] = value
        children = {d: self._build(g, depth + 1) for d, g in groups.items()}
        return self._put(TreeNode(count=len(entries), children=children))


def tree_id_of(entries: Mapping[str, ObjectId]) -> ObjectId:
    """The root id a tree with exactly these entries has (for tests and checks; writes nothing)."""

    class _Null:
        def put_object(self, obj: StoredObject) -> ObjectId:
            return hash_bytes(encode(obj))

    class _NoSource:
        def get(self, oid: ObjectId) -> bytes:
            raise KeyError(oid)

    return TreeWriter(TreeReader(_NoSource()), _Null())._build(dict(entries), 0)
