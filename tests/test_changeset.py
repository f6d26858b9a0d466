"""The one write path: what a changeset stores, checks, refuses and which hooks each kind runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comfyvn_vault.api import edit, history
from comfyvn_vault.changeset import HOOKS
from comfyvn_vault.domain.entities import Node, Scene
from comfyvn_vault.domain.errors import Rejected
from comfyvn_vault.domain.events import Cause, NodeAdded, SceneCreated
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.hooks import HookVetoed
from comfyvn_vault.store.ids import hash_bytes
from comfyvn_vault.vault import Vault
from tests.hooks.conftest import install

CAUSE = Cause(kind="user")


def _scene(sid: str = "intro") -> SceneCreated:
    return SceneCreated(scene=Scene(id=sid, title=sid.title()), cause=CAUSE)


def _recording_hooks(root: Path, *names: str) -> Path:
    """Hooks that append their name and stdin to one log, in the order they ran."""
    log = root.parent / "hooks.log"
    for name in names:
        install(root, name, f'#!/bin/sh\nprintf "%s " "$COMFYVN_HOOK" >> "{log}"\ncat >> "{log}"\necho >> "{log}"\n')
    return log


def _ran(log: Path) -> list[str]:
    return [line.split(" ", 1)[0] for line in log.read_text().splitlines()] if log.exists() else []


def test_blobs_and_events_land_in_one_commit_with_the_working_copy_file(vault: Vault) -> None:
    data = b"a portrait, say"
    with vault.change("Add a scene and a blob") as ch:
        oid = ch.add_blob(data)
        ch.record([_scene()])
    assert oid == hash_bytes(data) and vault.store.get(oid) == data
    assert ch.commit is not None and vault.history.head() == ch.commit.commit_id
    assert ch.commit.commit.message == "Add a scene and a blob"
    assert (vault.root / "scenes" / "intro.toml").is_file()


def test_nothing_recorded_is_no_commit_and_no_hook(vault: Vault) -> None:
    log = _recording_hooks(vault.root, "pre-commit", "post-commit")
    before = vault.history.head()
    with vault.change("nothing") as ch:
        assert ch.events == []
    assert ch.commit is None and vault.history.head() == before
    assert _ran(log) == []


def test_an_error_in_the_block_lands_nothing(vault: Vault) -> None:
    before, ops = vault.history.head(), history.operation_id(vault)
    with pytest.raises(RuntimeError), vault.change("half") as ch:
        oid = ch.add_blob(b"never stored")
        ch.record([_scene()])
        raise RuntimeError("the writer failed")
    assert vault.history.head() == before and history.operation_id(vault) == ops
    assert not vault.store.has(oid) and not (vault.root / "scenes" / "intro.toml").exists()


def test_check_is_a_dry_run_and_refuses_what_does_not_apply(vault: Vault) -> None:
    with vault.change("scene") as ch:
        ch.record([_scene()])
    before = vault.history.head()
    node = NodeAdded(scene_id="nowhere", node=Node(id="n1", content="Hi."), cause=CAUSE)
    with vault.change("bad") as ch:
        with pytest.raises(Rejected):
            ch.check([node])
        ch.check([NodeAdded(scene_id="intro", node=Node(id="n1", content="Hi."), cause=CAUSE)])
    assert ch.commit is None and vault.history.head() == before


def test_a_veto_stores_nothing(vault: Vault) -> None:
    install(vault.root, "pre-commit", "#!/bin/sh\necho no >&2\nexit 1\n")
    before = vault.history.head()
    with pytest.raises(HookVetoed), vault.change("vetoed") as ch:
        oid = ch.add_blob(b"vetoed bytes")
        ch.record([_scene()])
    assert vault.history.head() == before and not vault.store.has(oid)


def test_a_file_that_changed_since_it_was_identified_is_refused(vault: Vault, tmp_path: Path) -> None:
    path = tmp_path / "line.txt"
    path.write_bytes(b"first")
    expected = hash_bytes(b"first")
    path.write_bytes(b"second")
    before = vault.history.head()
    with pytest.raises(InputRejected, match="changed while it was being added"), vault.change("file") as ch:
        ch.add_file(path, expected)
        ch.record([_scene()])
    assert vault.history.head() == before


def test_after_commit_steps_run_before_the_post_hooks(vault: Vault) -> None:
    log = _recording_hooks(vault.root, "post-commit", "post-import")
    order: list[str] = []
    with vault.change("import", kind="import") as ch:
        ch.record([_scene()])
        ch.after_commit(lambda: order.append(f"step {_ran(log)}"))
        ch.report(lambda rec: {"commit": rec.commit_id.hex() if rec else None})
    assert order == ["step []"]
    assert _ran(log) == ["post-commit", "post-import"]
    doc = json.loads(log.read_text().splitlines()[1].split(" ", 1)[1])
    assert ch.commit is not None and doc["commit"] == ch.commit.commit_id.hex()


def test_each_kind_runs_its_hooks(vault: Vault) -> None:
    assert HOOKS["merge"].pre_commit and HOOKS["merge"].after == ("post-merge",)
    log = _recording_hooks(vault.root, "pre-commit", "post-commit", "post-merge", "post-export")
    for kind, expected in (
        ("commit", ["pre-commit", "post-commit"]),
        ("export", ["pre-commit", "post-commit", "post-export"]),
    ):
        log.unlink(missing_ok=True)
        with vault.change(kind, kind=kind) as ch:  # type: ignore[arg-type]
            ch.record([_scene(kind)])
        assert _ran(log) == expected, kind


def test_a_merge_commit_passes_the_pre_commit_veto(vault: Vault) -> None:
    edit.scene_new(vault, "Intro", "intro")
    vault.switch("alt", create=True)
    edit.scene_new(vault, "Alt", "alt")
    vault.switch("main")
    edit.scene_new(vault, "Main", "main-only")
    from comfyvn_vault.api import merge

    install(vault.root, "pre-commit", "#!/bin/sh\ngrep -q '\"Merge alt' && exit 1\nexit 0\n")
    before = vault.history.head()
    with pytest.raises(HookVetoed):
        merge.merge(vault, "alt")
    assert vault.history.head() == before
    log = _recording_hooks(vault.root, "pre-commit", "post-commit", "post-merge")
    result = merge.merge(vault, "alt")
    assert result.kind == "merge" and _ran(log) == ["pre-commit", "post-merge"]


def test_a_fast_forward_runs_post_merge_only(vault: Vault) -> None:
    edit.scene_new(vault, "Intro", "intro")
    vault.switch("alt", create=True)
    edit.scene_new(vault, "Alt", "alt")
    vault.switch("main")
    log = _recording_hooks(vault.root, "pre-commit", "post-commit", "post-merge")
    from comfyvn_vault.api import merge

    result = merge.merge(vault, "alt")
    assert result.kind == "fast-forward" and _ran(log) == ["post-merge"]
    assert (vault.root / "scenes" / "alt.toml").is_file()
