"""Branches and the operation log's moves: list, create, delete, switch, undo, redo.

Part of the ``history`` group (:mod:`comfyvn_vault.api.history` lists its
verbs). The moves themselves are transactions of
:class:`~comfyvn_vault.vault.Vault` (merges, the watcher and scripts move refs
too); a verb here adds what the command reports about the move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from msgspec import UNSET, UnsetType

if TYPE_CHECKING:
    from comfyvn_vault.vault import Vault


class BranchHead(msgspec.Struct, kw_only=True):
    name: str
    head: str


class Branches(msgspec.Struct, kw_only=True):
    """``comfyvn branch``: the local branches (and with ``-a`` the remote-tracking refs), by name."""

    schema: str = "comfyvn.branches/1"
    current: str
    """HEAD's branch."""
    branches: list[BranchHead]
    remotes: list[BranchHead] | UnsetType = UNSET


def branches(vault: Vault, *, remotes: bool = False) -> Branches:
    view = vault.history.view()
    listed = Branches(
        current=view.head, branches=[BranchHead(name=k, head=v.hex()) for k, v in sorted(view.branches.items())]
    )
    if remotes:
        listed.remotes = [BranchHead(name=k, head=v.hex()) for k, v in sorted(view.remotes.items())]
    return listed


class BranchCreated(msgspec.Struct, kw_only=True):
    """``comfyvn branch NAME [AT]``: the new branch and the commit it starts at."""

    schema: str = "comfyvn.branch/1"
    name: str
    head: str


def branch_create(vault: Vault, name: str, at: str | None = None) -> BranchCreated:
    """A new branch at ``at`` (default: HEAD); HEAD stays where it is."""
    return BranchCreated(name=name, head=vault.branch_create(name, at).hex())


class BranchDeleted(msgspec.Struct, kw_only=True):
    """``comfyvn branch -d NAME``: the branch removed and the commit it pointed at (``undo`` brings it back)."""

    schema: str = "comfyvn.branch-deleted/1"
    name: str
    head: str


def branch_delete(vault: Vault, name: str) -> BranchDeleted:
    return BranchDeleted(name=name, head=vault.branch_delete(name).hex())


def is_merged(vault: Vault, branch: str, into: str | None = None) -> bool:
    """Whether ``into`` (default: HEAD's branch) holds every commit of ``branch``, so merging it changes nothing."""
    tips = vault.history.view().branches
    tip, target = tips.get(branch), tips.get(into or vault.history.head_branch())
    return tip is not None and target is not None and vault.history.is_ancestor(tip, target)


def head_branch(vault: Vault) -> str:
    """HEAD's branch (named even before its first commit)."""
    return vault.history.head_branch()


class Switched(msgspec.Struct, kw_only=True):
    """``comfyvn switch``: the branch now checked out and its tip."""

    schema: str = "comfyvn.switch/1"
    branch: str
    head: str | None
    already: bool = False
    """HEAD was on this branch already."""


def switch(vault: Vault, branch: str, *, create: bool = False) -> Switched:
    """Check out ``branch`` (creating it at HEAD with ``create``); the files follow."""
    already = not create and vault.history.head_branch() == branch
    view = vault.switch(branch, create=create)
    head = view.checkout.hex() if view.checkout is not None else None
    return Switched(branch=view.head, head=head, already=already)


# ----------------------------------------------------------------- undo and redo


class Undone(msgspec.Struct, kw_only=True):
    """``comfyvn undo``: the operation that restored the view before the last one, and where HEAD is now."""

    schema: str = "comfyvn.undo/1"
    operation: str
    """The new operation's description (``undo: …``)."""
    branch: str
    head: str | None


class Redone(msgspec.Struct, kw_only=True):
    """``comfyvn redo``: the operation that undid the last undo, and where HEAD is now."""

    schema: str = "comfyvn.redo/1"
    operation: str
    branch: str
    head: str | None


def undo(vault: Vault) -> Undone:
    """Restore the view before the last operation (a new operation: nothing is destroyed)."""
    _, new = vault.undo()
    tip = new.branches.get(new.head)
    return Undone(operation=_current_description(vault), branch=new.head, head=tip.hex() if tip else None)


def redo(vault: Vault) -> Redone:
    """Undo the last undo."""
    _, new = vault.redo()
    tip = new.branches.get(new.head)
    return Redone(operation=_current_description(vault), branch=new.head, head=tip.hex() if tip else None)


def _current_description(vault: Vault) -> str:
    op = vault.history.op_head()
    assert op is not None, "an undo or redo is an operation"
    return vault.history.operation(op).description
