"""History over an object store: the one object callers use for commits, branches, HEAD and the operation log.

:class:`History` is assembled from the parts, each in its own module:

* :mod:`.reads` — commits, documents, trees and branch tips, through bounded caches;
* :mod:`.oplog` — the operation log: views, ``set_view``, ``undo``, ``redo``, ``op_log``, labels;
* :mod:`.revisions` — ``resolve_rev``: git-style revisions (``main~2^2``);
* :mod:`.commits` — creating commits: ``initialize``, ``record`` and :class:`CommitRecord`;
* :mod:`.refs` — the ref names (``heads/<branch>``, ``ops/head``) and branch-name checks.
"""

from __future__ import annotations

from comfyvn_vault.domain.document import Document
from comfyvn_vault.history.commits import CommitHook, CommitRecord, Commits
from comfyvn_vault.history.oplog import ViewHook
from comfyvn_vault.history.refs import DEFAULT_BRANCH, HEADS, OPS_HEAD, check_branch_name
from comfyvn_vault.history.revisions import RevisionError, Revisions, parse_rev
from comfyvn_vault.store.codec import StoredObject


class History(Commits, Revisions):
    """Commits, branches and the operation log of one store."""


__all__ = [
    "DEFAULT_BRANCH",
    "HEADS",
    "OPS_HEAD",
    "CommitHook",
    "CommitRecord",
    "Document",
    "History",
    "RevisionError",
    "StoredObject",
    "ViewHook",
    "check_branch_name",
    "parse_rev",
]
