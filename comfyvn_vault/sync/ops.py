"""The sync verbs over any transport: fetch, push, pull, clone, and remote bookkeeping.

Remote-tracking refs live in the operation log's :class:`View` under
``remotes`` as ``<remote>/<branch>``: never in ``branches`` (so ``branch``,
``switch`` and merges never mistake them for local branches), undone by
``undo`` like any other ref move, and kept alive for ``gc`` through the
operation chain. Assets need no channel of their own: their records live in
the state tree and link their blobs, so the commit walk carries them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.history.objects import View
from comfyvn_vault.settings import Settings
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.sync import config, packstream
from comfyvn_vault.sync.endpoint import index_new_commits
from comfyvn_vault.sync.protocol import NonFastForward, RemoteInfo
from comfyvn_vault.sync.transport import Remote, open_remote
from comfyvn_vault.sync.walk import Graph, missing, negotiate
from comfyvn_vault.vault import STORE_DIR, Vault

#: Told the total of bytes to move, then called with each increment.
ProgressFactory = Callable[[str, int], Any]
CLONE_MARK = "clone-pending"


class SyncResult(msgspec.Struct):
    """What a fetch, push, pull or clone did."""

    remote: str
    objects: int = 0  # objects moved
    bytes: int = 0  # raw bytes of those objects
    updated: dict[str, str] = {}  # ref -> new commit id (remote-tracking refs, or the pushed branch)
    merge: dict[str, Any] | None = None


def meta(vault: Vault) -> Path:
    return vault.root / STORE_DIR


@contextmanager
def connect(vault: Vault, name: str) -> Iterator[Remote]:
    rc = config.remote(meta(vault), name)
    remote = open_remote(rc.url, rc.token(vault.settings), base=vault.root)
    try:
        yield remote
    finally:
        remote.close()


def _no_progress(label: str, total: int) -> Any:
    @contextmanager
    def none() -> Iterator[None]:
        yield None

    return none()


def _transfer(
    vault: Vault,
    remote: Remote,
    wants: list[ObjectId],
    progress: ProgressFactory,
    result: SyncResult,
) -> None:
    """Bring the commits ``wants`` and everything they reach that is missing here."""
    store = vault.store
    wants = [w for w in wants if not store.has(w)]
    if not wants:
        return
    g = Graph(store)
    view = vault.history.view()
    tips = [*view.branches.values(), *view.remotes.values()]
    acked = negotiate(g, tips, remote.has)
    offers = remote.offer(wants, acked)
    need = {oid: size for oid, size in offers if not store.has(oid)}
    if not need:
        return
    total = sum(need.values())
    with progress(f"fetch {result.remote}", total) as bar:
        ingest = packstream.Ingest(store, need, bar, skip_unasked=remote.skip_unasked)
        ingest.run(remote.stream(list(need)))
    result.objects += ingest.stored
    result.bytes += ingest.bytes


def fetch(
    vault: Vault, name: str, progress: ProgressFactory = _no_progress, remote: Remote | None = None
) -> SyncResult:
    """Bring a remote's branches (as ``<name>/<branch>``, assets and all) here; no local branch moves."""
    config.check_remote_name(name)
    if remote is None:
        with connect(vault, name) as r:
            return fetch(vault, name, progress, r)
    result = SyncResult(remote=name)
    info = _info(remote)
    tips = info.tips()
    _transfer(vault, remote, list(tips.values()), progress, result)
    g = Graph(vault.store)
    for branch, tip in tips.items():
        if not g.is_commit(tip):
            raise InputRejected(f"remote branch {branch} names {tip.hex()[:12]}, which is not a commit")
    h = vault.history
    prefix = name + "/"
    seen = h.view()
    tracked = {k: v for k, v in seen.remotes.items() if k.startswith(prefix)}
    if tracked == {prefix + b: t for b, t in tips.items()}:
        return result  # nothing moved: no transaction, no operation (a no-op fetch stays cheap)
    with vault.store.transaction() as w:
        view = h.view_in(w)
        remotes = {k: v for k, v in view.remotes.items() if not k.startswith(prefix)}
        remotes.update({prefix + b: t for b, t in tips.items()})
        if remotes != view.remotes:
            index_new_commits(vault, w, list(tips.values()), [*view.branches.values(), *view.remotes.values()])
            new = View(branches=view.branches, head=view.head, checkout=view.checkout, remotes=remotes)
            h.set_view(w, new, f"fetch {name}")
            result.updated = {prefix + b: t.hex() for b, t in tips.items() if view.remotes.get(prefix + b) != t}
    return result


def push(
    vault: Vault,
    name: str,
    branch: str | None = None,
    force: bool = False,
    progress: ProgressFactory = _no_progress,
    remote: Remote | None = None,
) -> SyncResult:
    """Send ``branch`` (default HEAD's, assets and all); move the remote branch by compare-and-swap."""
    config.check_remote_name(name)
    if remote is None:
        with connect(vault, name) as r:
            return push(vault, name, branch, force, progress, r)
    h = vault.history
    branch = branch or h.head_branch()
    tip = h.branch_tip(branch)
    if tip is None:
        raise ObjectNotFound(f"no branch {branch} to push")
    result = SyncResult(remote=name)
    info = _info(remote)
    tips = info.tips()
    old = tips.get(branch)
    g = Graph(vault.store)
    if old is not None and old != tip and not force:
        if not g.has(old):
            raise NonFastForward(f"the remote's {branch} has commits you do not have; pull first or use --force")
        if not h.is_ancestor(old, tip):
            raise NonFastForward(f"pushing {branch} would drop remote commits; pull first or use --force")
    haves = [t for t in tips.values() if g.has(t)]
    offers = missing(g, [tip] if old != tip else [], haves)
    ids = [oid for oid, _ in offers]
    present = remote.has(ids) if ids else []
    send = [oid for oid, yes in zip(ids, present, strict=True) if not yes]
    if send:
        sizes = dict(offers)
        total = sum(sizes[i] for i in send)
        with progress(f"push {name}", total) as bar:
            remote.send(vault.store, send, bar)
        result.objects, result.bytes = len(send), total
    if old != tip:
        remote.update_ref(branch, old, tip, force)
        result.updated[f"{name}/{branch}"] = tip.hex()
    with vault.store.transaction() as w:
        view = h.view_in(w)
        key = f"{name}/{branch}"
        if view.remotes.get(key) != tip:
            remotes = {**view.remotes, key: tip}
            h.set_view(
                w, View(branches=view.branches, head=view.head, checkout=view.checkout, remotes=remotes), f"push {key}"
            )
    return result


def pull(vault: Vault, name: str, branch: str | None = None, progress: ProgressFactory = _no_progress) -> SyncResult:
    """Fetch, then merge ``<name>/<branch>`` (default: HEAD's branch name) into HEAD's branch."""
    from comfyvn_vault.api import merge

    result = fetch(vault, name, progress)
    branch = branch or vault.history.head_branch()
    key = f"{name}/{branch}"
    theirs = vault.history.view().remotes.get(key)
    if theirs is None:
        raise ObjectNotFound(f"the remote {name} has no branch {branch}")
    merged = merge.merge(vault, key, message=f"Merge {key} into {vault.history.head_branch()}")
    result.merge = merged.embedded()
    return result


def clone(
    url: str,
    dest: Path,
    token: str | None = None,
    progress: ProgressFactory = _no_progress,
    settings: Settings | None = None,
) -> SyncResult:
    """Make ``dest`` a copy of the vault at ``url``, with it as remote ``origin``.

    ``token`` defaults to the settings' (``COMFYVN_TOKEN``). Interrupted clones
    resume: running the same clone again reuses what arrived.
    """
    settings = Settings.from_env() if settings is None else settings
    dest = dest.resolve()
    mark = dest / STORE_DIR / CLONE_MARK
    resuming = mark.is_file() and mark.read_text() == url
    if not resuming and dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputRejected(f"{dest}: exists and is not empty")
    remote = open_remote(url, token or settings.token, base=Path.cwd())
    try:
        info = _info(remote)  # a wrong url or token fails here, before anything is created
        created = not dest.exists()
        vault, _ = Vault.init(dest, settings)
        try:
            if not resuming:
                mark.write_text(url)
                config.add_remote(meta(vault), "origin", local_url(url, Path.cwd()))
            try:
                result = fetch(vault, "origin", progress, remote)
            except InputRejected:
                if not resuming:
                    vault.close()
                    _remove_clone(dest, created)
                raise
            tips = info.tips()
            head = info.head if info.head in tips else next(iter(sorted(tips)), None)
            if head is not None:
                h = vault.history
                with vault.store.transaction() as w:
                    view = h.view_in(w)
                    new = View(branches={head: tips[head]}, head=head, checkout=tips[head], remotes=view.remotes)
                    h.set_view(w, new, f"clone {url}")
            mark.unlink(missing_ok=True)
            return result
        finally:
            vault.close()
    finally:
        remote.close()


def _remove_clone(dest: Path, created: bool) -> None:
    """Undo a fresh clone the remote's data was refused for: nothing of it stays."""
    import shutil

    shutil.rmtree(dest / STORE_DIR, ignore_errors=True)
    for child in ("scenes", "characters", "timelines", "variables"):
        shutil.rmtree(dest / child, ignore_errors=True)
    if created:
        shutil.rmtree(dest, ignore_errors=True)


def _info(remote: Remote) -> RemoteInfo:
    return remote.info()


def local_url(url: str, base: Path) -> str:
    """A path remote as an absolute path (so it means the same from any folder); other urls as they are."""
    from urllib.parse import urlparse

    scheme = urlparse(url).scheme
    if scheme and len(scheme) > 1:
        return url
    return str((base / url).resolve())


def remote_add(
    vault: Vault, name: str, url: str, token_file: str | None = None, base: Path | None = None
) -> config.RemoteConfig:
    return config.add_remote(meta(vault), name, local_url(url, base or Path.cwd()), token_file)


def remote_list(vault: Vault) -> list[config.RemoteConfig]:
    return sorted(config.remotes(meta(vault)).values(), key=lambda r: r.name)


def remote_remove(vault: Vault, name: str) -> None:
    """Forget a remote and its remote-tracking refs (one operation; ``undo`` brings the refs back)."""
    config.remove_remote(meta(vault), name)
    h = vault.history
    with vault.store.transaction() as w:
        view = h.view_in(w)
        remotes = {k: v for k, v in view.remotes.items() if not k.startswith(name + "/")}
        if remotes != view.remotes:
            h.set_view(
                w,
                View(branches=view.branches, head=view.head, checkout=view.checkout, remotes=remotes),
                f"remote rm {name}",
            )


def ahead_behind(vault: Vault, local: ObjectId | None, remote: ObjectId | None) -> tuple[int, int]:
    """(commits only on ``local``, commits only on ``remote``): what a push and a pull would bring."""
    from comfyvn_vault.sync.walk import new_commits

    if local is None or remote is None:
        return (0, 0)
    g = Graph(vault.store)
    return len(new_commits(g, [local], [remote])), len(new_commits(g, [remote], [local]))


def status(vault: Vault) -> dict[str, Any]:
    """Remotes with their tracked branches and ahead/behind counts against the local branches."""
    view = vault.history.view()
    out = []
    for rc in remote_list(vault):
        branches = []
        for key, tip in sorted(view.remotes.items()):
            if not key.startswith(rc.name + "/"):
                continue
            branch = key[len(rc.name) + 1 :]
            ahead, behind = ahead_behind(vault, view.branches.get(branch), tip)
            branches.append({"branch": branch, "ref": key, "head": tip.hex(), "ahead": ahead, "behind": behind})
        out.append({"name": rc.name, "url": rc.url, "branches": branches})
    return {"schema": "comfyvn.remotes/1", "remotes": out}


__all__ = ["SyncResult", "clone", "fetch", "pull", "push", "remote_add", "remote_list", "remote_remove", "status"]
