"""The sync verbs in-process over path remotes: clone, remotes, fetch, push, pull, and refusals."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from comfyvn_vault.api import Vault, history, sync
from comfyvn_vault.domain.entities import Node, Scene
from comfyvn_vault.errors import InputRejected, ObjectNotFound, UsageError
from tests.api.conftest import write


def say(root: Path, line: str) -> str:
    """Commit a scene holding ``line`` in the vault at ``root``; the new head."""
    with Vault.open(root) as vault:
        write(vault, Scene(id="intro", title="Intro", nodes=[Node(id="n1", content=line)]))
        done = history.commit(vault, line)
        assert done.commit is not None
        return done.commit


@pytest.fixture
def origin(vault_dir: Path) -> Path:
    say(vault_dir, "first")
    return vault_dir


def test_clone_goes_to_the_urls_last_folder_and_names_origin(origin: Path, tmp_path: Path) -> None:
    assert sync.clone_folder("https://example.org/studio/tale/") == "tale"
    assert sync.clone_folder("/") == "vault"
    copies = tmp_path / "copies"
    copies.mkdir()
    cloned = sync.clone(str(origin), copies)
    assert isinstance(cloned, sync.Cloned) and cloned.remote == "origin" and cloned.objects > 0
    assert msgspec.to_builtins(cloned)["schema"] == "comfyvn.clone/1"
    copy = copies / origin.name
    with Vault.open(copy) as vault:
        remotes = sync.remote_list(vault)
        assert [(r.name, r.url) for r in remotes.remotes] == [("origin", str(origin.resolve()))]
        [tracked] = remotes.remotes[0].branches
        assert (tracked.ref, tracked.ahead, tracked.behind) == ("origin/main", 0, 0)
    with pytest.raises(InputRejected, match="not empty"):
        sync.clone(str(origin), copies)


def test_fetch_push_and_pull_between_two_vaults(origin: Path, tmp_path: Path) -> None:
    sync.clone(str(origin), tmp_path, "copy")
    copy = tmp_path / "copy"
    ahead = say(copy, "second")
    with Vault.open(copy) as vault:
        assert sync.remote_list(vault).remotes[0].branches[0].ahead == 1
        pushed = sync.push(vault, "origin")
        assert isinstance(pushed, sync.Pushed) and pushed.updated == {"origin/main": ahead}
        fetched = sync.fetch(vault)
        assert fetched.objects == 0 and fetched.updated == {}  # nothing new
    third = say(origin, "third")
    with Vault.open(copy) as vault:
        pulled = sync.pull(vault)
        assert pulled.merge is not None and pulled.updated == {"origin/main": third}
        assert msgspec.to_builtins(pulled)["schema"] == "comfyvn.pull/1"
        assert history.log(vault).commits[0].id == third


def test_remote_add_and_rm_and_their_refusals(origin: Path, tmp_path: Path) -> None:
    with Vault.open(origin) as vault:
        head = history.log(vault).commits[0].id
    other = tmp_path / "other"
    Vault.init(other)[0].close()
    with Vault.open(other) as vault:
        added = sync.remote_add(vault, "home", "../vault", base=other)
        assert added.url == str(origin.resolve())
        assert sync.fetch(vault, "home").updated == {"home/main": head}
        assert history.branches(vault, remotes=True).remotes
        with pytest.raises(ObjectNotFound):
            sync.push(vault, "home", "no-such-branch")
        assert sync.remote_remove(vault, "home").name == "home"
        assert sync.remote_list(vault).remotes == []
        assert history.branches(vault, remotes=True).remotes == []
        with pytest.raises(UsageError, match="no remote"):
            sync.fetch(vault, "home")
        with pytest.raises(InputRejected):
            sync.remote_add(vault, "bad name", str(origin))
