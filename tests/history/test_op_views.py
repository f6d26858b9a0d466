"""Operations hold their view inline; operations written before that link a View object, and both read the same."""

from __future__ import annotations

from pathlib import Path

from comfyvn_vault.api import edit
from comfyvn_vault.history.objects import Operation, View
from comfyvn_vault.history.refs import OPS_HEAD
from comfyvn_vault.store import codec
from comfyvn_vault.vault import Vault


def test_new_operations_hold_their_view_inline(tmp_path: Path) -> None:
    v, _ = Vault.init(tmp_path / "v")
    with v:
        edit.scene_new(v, "Harbour", "harbour")
        op_id = v.history.op_head()
        assert op_id is not None
        op = codec.decode_as(v.store.get(op_id), Operation)
        assert op.view is None and op.state is not None
        assert op.state.branches["main"] == v.history.head()
        assert not any(isinstance(codec.decode(v.store.get(oid)), View) for oid in codec.links(v.store.get(op_id)))


def test_an_operation_linking_its_view_reads_and_undoes_like_an_inline_one(tmp_path: Path) -> None:
    v, _ = Vault.init(tmp_path / "v")
    with v:
        edit.scene_new(v, "Harbour", "harbour")
        first = v.history.head()
        edit.scene_new(v, "Stairs", "stairs")
        current = v.history.view()
        # An operation as an older comfyvn wrote it: the same view, as a separate linked object.
        with v.store.transaction() as w:
            parent = w.ref(OPS_HEAD)
            view_id = w.put_object(current)
            old_style = Operation(parent=parent, view=view_id, description="older", time=1, author="old", back=parent)
            w.set_ref(OPS_HEAD, w.put_object(old_style), parent)
    with Vault.open(tmp_path / "v") as again:
        assert again.history.view() == current
        assert [op.description for _, op in again.history.op_log(1)] == ["older"]
        again.undo()  # restores the view before "older": the same view
        assert again.history.view() == current
        again.undo()
        assert again.history.head() == first
        assert again.reindex(verify=True)["identical"]
        assert not again.fsck().problems
