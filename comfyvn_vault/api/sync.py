"""Verbs of the ``sync`` group: remotes, fetch, pull, push, clone and serve.

The transfers themselves are :mod:`comfyvn_vault.sync` (over any transport:
a path, ``http(s)://``, ``s3://``); the verbs here give their outcome as the
documents the CLI prints. Transports are imported only when a verb runs, so
importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

if TYPE_CHECKING:
    from comfyvn_vault.sync.ops import ProgressFactory, SyncResult
    from comfyvn_vault.vault import Vault


class RemoteAdded(msgspec.Struct, kw_only=True):
    """``comfyvn remote add``: the remote's name and url (a path is made absolute)."""

    schema: str = "comfyvn.remote/1"
    name: str
    url: str


def remote_add(
    vault: Vault, name: str, url: str, token_file: str | None = None, base: Path | None = None
) -> RemoteAdded:
    """Name another vault to sync with; a relative path is taken from ``base`` (default: the current folder)."""
    from comfyvn_vault import sync

    rc = sync.remote_add(vault, name, url, token_file, base)
    return RemoteAdded(name=rc.name, url=rc.url)


class TrackedBranch(msgspec.Struct, kw_only=True):
    """A remote's branch as last fetched, against the local branch of the same name."""

    branch: str
    ref: str
    """The remote-tracking ref: ``<remote>/<branch>``."""
    head: str
    ahead: int
    """Commits only the local branch has (what a push would send)."""
    behind: int
    """Commits only the remote's branch has (what a pull would bring)."""


class RemoteState(msgspec.Struct, kw_only=True):
    name: str
    url: str
    branches: list[TrackedBranch]
    """Empty until the remote is fetched."""


class Remotes(msgspec.Struct, kw_only=True):
    """``comfyvn remote list``: each remote with its tracked branches and ahead/behind counts."""

    schema: str = "comfyvn.remotes/1"
    remotes: list[RemoteState]


def remote_list(vault: Vault) -> Remotes:
    from comfyvn_vault import sync

    return msgspec.convert(sync.status(vault), Remotes)


class RemoteRemoved(msgspec.Struct, kw_only=True):
    """``comfyvn remote rm``: the remote forgotten, with its remote-tracking refs (``undo`` brings those back)."""

    schema: str = "comfyvn.remote-removed/1"
    name: str


def remote_remove(vault: Vault, name: str) -> RemoteRemoved:
    from comfyvn_vault import sync

    sync.remote_remove(vault, name)
    return RemoteRemoved(name=name)


class Transfer(msgspec.Struct, kw_only=True):
    """What a fetch, pull, push or clone moved."""

    schema: str
    remote: str
    objects: int = 0
    """Objects moved."""
    bytes: int = 0
    """Raw bytes of those objects."""
    updated: dict[str, str] = {}
    """Ref → new commit id: the remote-tracking refs, or the pushed branch."""
    merge: dict[str, Any] | None = None
    """A pull's merge into HEAD (as ``comfyvn merge --json`` gives it)."""


class Fetched(Transfer, kw_only=True):
    """``comfyvn fetch``: a remote's branches brought here as ``<remote>/<branch>``."""

    schema: str = "comfyvn.fetch/1"


class Pulled(Transfer, kw_only=True):
    """``comfyvn pull``: a fetch, then the merge of ``<remote>/<branch>`` into HEAD."""

    schema: str = "comfyvn.pull/1"


class Pushed(Transfer, kw_only=True):
    """``comfyvn push``: a branch sent, the remote's branch moved by compare-and-swap."""

    schema: str = "comfyvn.push/1"


class Cloned(Transfer, kw_only=True):
    """``comfyvn clone``: a new vault copied from another, which is its remote ``origin``."""

    schema: str = "comfyvn.clone/1"


@contextmanager
def _no_progress(label: str, total: int) -> Iterator[None]:
    yield None


def fetch(vault: Vault, remote: str = "origin", progress: ProgressFactory = _no_progress) -> Fetched:
    """Bring a remote's branches (as ``<remote>/<branch>``, assets and all) here; no local branch moves."""
    from comfyvn_vault import sync

    return Fetched(**_fields(sync.fetch(vault, remote, progress)))


def pull(
    vault: Vault, remote: str = "origin", branch: str | None = None, progress: ProgressFactory = _no_progress
) -> Pulled:
    """Fetch, then merge ``<remote>/<branch>`` (default: HEAD's branch name) into HEAD's branch."""
    from comfyvn_vault import sync

    return Pulled(**_fields(sync.pull(vault, remote, branch, progress)))


def push(
    vault: Vault,
    remote: str = "origin",
    branch: str | None = None,
    force: bool = False,
    progress: ProgressFactory = _no_progress,
) -> Pushed:
    """Send ``branch`` (default HEAD's); refuses a move that would drop the remote's commits unless ``force``."""
    from comfyvn_vault import sync

    return Pushed(**_fields(sync.push(vault, remote, branch, force, progress)))


def clone_folder(url: str) -> str:
    """The folder a clone of ``url`` goes to by default: its last path segment (``vault`` if it has none)."""
    return Path(url.rstrip("/").rsplit("/", 1)[-1] or "vault").name


def clone(
    url: str,
    base: Path,
    folder: str | None = None,
    token: str | None = None,
    progress: ProgressFactory = _no_progress,
) -> Cloned:
    """Copy the vault at ``url`` into ``base/folder`` (default: :func:`clone_folder`), with ``url`` as ``origin``.

    ``token`` defaults to ``COMFYVN_TOKEN``. An interrupted clone resumes when run again.
    """
    from comfyvn_vault import sync

    return Cloned(**_fields(sync.clone(url, base / (folder or clone_folder(url)), token, progress)))


def _fields(result: SyncResult) -> dict[str, Any]:
    return msgspec.structs.asdict(result)


def serve(vault: Vault, host: str = "127.0.0.1", port: int = 8765, *, access_log: bool = False) -> None:
    """Serve this vault over HTTP to fetch, push and clone (a token is required) until interrupted."""
    from comfyvn_vault.sync.server import serve

    serve(vault, host, port, access_log=access_log)


#: The result types of this module's verbs, for the generated JSON Schemas.
RESULTS: Final[tuple[type[Any], ...]] = (RemoteAdded, Remotes, RemoteRemoved, Fetched, Pulled, Pushed, Cloned)

__all__ = [
    "RESULTS",
    "Cloned",
    "Fetched",
    "Pulled",
    "Pushed",
    "RemoteAdded",
    "RemoteRemoved",
    "RemoteState",
    "Remotes",
    "TrackedBranch",
    "Transfer",
    "clone",
    "clone_folder",
    "fetch",
    "pull",
    "push",
    "remote_add",
    "remote_list",
    "remote_remove",
    "serve",
]
