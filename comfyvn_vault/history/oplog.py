"""The operation log (as in Jujutsu): views, ``set_view``, ``undo`` and ``redo``.

Every command that moves refs or the working copy appends an
:class:`~comfyvn_vault.history.objects.Operation` whose view (every branch,
HEAD and the checkout) is the truth; branch refs mirror it and are written in
the same transaction. ``undo`` appends an operation restoring the previous
view; ``redo`` undoes an undo; nothing is ever destroyed (old views stay
reachable through the operation chain, which is itself reachable from
``ops/head``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

from comfyvn_vault.errors import InputRejected
from comfyvn_vault.history.author import Author
from comfyvn_vault.history.objects import Operation, View
from comfyvn_vault.history.reads import Reads
from comfyvn_vault.history.refs import DEFAULT_BRANCH, HEADS, OPS_HEAD
from comfyvn_vault.settings import Settings
from comfyvn_vault.store.base import ObjectStore, Writer
from comfyvn_vault.store.codec import decode_as
from comfyvn_vault.store.ids import ObjectId

if TYPE_CHECKING:
    import lmdb

#: Called inside the index transaction of a write that moved the checkout: (lmdb txn, old view, new view).
ViewHook = Callable[["lmdb.Transaction[bytes]", View, View], None]

#: Views of operations kept decoded (an operation is immutable, so its view never changes).
VIEW_CACHE: Final = 1_000


class OperationLog(Reads):
    """The operation log of one store: the view in force, and the operations that move it."""

    def __init__(self, store: ObjectStore, settings: Settings | None = None) -> None:
        super().__init__(store)
        settings = Settings.from_env() if settings is None else settings
        self._views: dict[ObjectId, View] = {}
        self.view_hooks: list[ViewHook] = []
        #: The time writes record (``settings.time_ms`` when fixed).
        self.clock: Callable[[], int] = settings.now_ms
        #: Who writes: the Vault sets one that reads its config too (author.py).
        self.author: Callable[[], str] = Author(fixed=settings.author)

    def forget(self) -> None:
        super().forget()
        self._views.clear()

    # ----------------------------------------------------------------- reading

    def op_head(self) -> ObjectId | None:
        r: ObjectId | None = self.store.ref(OPS_HEAD)
        return r

    def operation(self, oid: ObjectId) -> Operation:
        return decode_as(self.store.get(oid), Operation)

    def view(self) -> View:
        op = self.op_head()
        if op is None:
            return View(branches={}, head=DEFAULT_BRANCH)
        return self.view_of(op)

    def head_branch(self) -> str:
        return self.view().head

    def head(self) -> ObjectId | None:
        return self.branch_tip(self.head_branch())

    def view_in(self, w: Writer) -> View:
        op = w.ref(OPS_HEAD)
        if op is None:
            return View(branches={}, head=DEFAULT_BRANCH)
        return self.view_of(op)

    def view_of(self, op_id: ObjectId) -> View:
        """The view operation ``op_id`` left in force (cached: operations are immutable)."""
        cached = self._views.get(op_id)
        if cached is None:
            cached = self.op_view(self.operation(op_id))
            if len(self._views) > VIEW_CACHE:
                self._views.clear()
            self._views[op_id] = cached
        return cached

    def op_view(self, op: Operation) -> View:
        """The view ``op`` left in force: inline, or (operations written before views were inlined) linked."""
        if op.state is not None:
            return op.state
        if op.view is None:
            raise InputRejected("an operation without a view")
        return decode_as(self.store.get(op.view), View)

    def op_log(self, limit: int | None = None) -> Iterator[tuple[ObjectId, Operation]]:
        oid = self.op_head()
        n = 0
        while oid is not None and (limit is None or n < limit):
            op = self.operation(oid)
            yield oid, op
            oid = op.parent
            n += 1

    def label(self, op_id: ObjectId) -> str:
        """What an operation did, seen through undo/redo: the normal operation whose view is in force."""
        op = self.operation(op_id)
        while op.kind != "op" and op.restores is not None:
            op = self.operation(op.restores)
        return repr(op.description)

    # ----------------------------------------------------------------- writing

    def _put_view(
        self, w: Writer, old: View, new: View, description: str, notify: bool = True, **op_fields: Any
    ) -> ObjectId:
        """Write ``new`` as the current view: mirror branch refs, append the operation."""
        for name in old.branches.keys() | new.branches.keys():
            before, after = old.branches.get(name), new.branches.get(name)
            if before != after:
                w.set_ref(HEADS + name, after, w.ref(HEADS + name))
        parent = w.ref(OPS_HEAD)
        op = Operation(
            parent=parent,
            view=None,
            description=description,
            time=self.clock(),
            author=self.author(),
            state=new,
            **op_fields,
        )
        op_id = w.put_object(op)
        w.set_ref(OPS_HEAD, op_id, parent)
        self._views[op_id] = new
        if notify and old.checkout != new.checkout and self.view_hooks:
            hooks = list(self.view_hooks)

            def checkout_moved(txn: lmdb.Transaction[bytes]) -> None:
                for hook in hooks:
                    hook(txn, old, new)

            w.on_commit(checkout_moved)
        return op_id

    def set_view(self, w: Writer, new: View, description: str, **op_fields: Any) -> ObjectId:
        """Move branches / HEAD / checkout to ``new`` as one operation."""
        old = self.view_in(w)
        return self._put_view(w, old, new, description, back=w.ref(OPS_HEAD), **op_fields)

    def undo(self, w: Writer) -> tuple[View, View]:
        """Restore the view before the last operation still in effect; returns (old, new) views."""
        current = w.ref(OPS_HEAD)
        if current is None:
            raise InputRejected("nothing to undo")
        cur_op = self.operation(current)
        target = cur_op.back
        if target is None:
            raise InputRejected("nothing to undo")
        t_op = self.operation(target)
        old, new = self.view_in(w), self.op_view(t_op)
        label = self.label(current)
        self._put_view(w, old, new, f"undo {label}", kind="undo", back=t_op.back, forward=current, restores=target)
        return old, new

    def redo(self, w: Writer) -> tuple[View, View]:
        current = w.ref(OPS_HEAD)
        cur_op = self.operation(current) if current is not None else None
        if cur_op is None or cur_op.forward is None:
            raise InputRejected("nothing to redo")
        target = cur_op.forward
        t_op = self.operation(target)
        old, new = self.view_in(w), self.op_view(t_op)
        label = self.label(target)
        self._put_view(w, old, new, f"redo {label}", kind="redo", back=t_op.back, forward=t_op.forward, restores=target)
        return old, new


__all__ = ["VIEW_CACHE", "OperationLog", "ViewHook"]
