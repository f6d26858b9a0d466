"""``watch`` with real watchfiles on temp dirs: each settled edit becomes one commit of fine-grained events."""

from __future__ import annotations

import os
from pathlib import Path

from comfyvn_vault.domain.paths import SCENES
from comfyvn_vault.vault import Vault
from tests.watch.conftest import commit_count, wait_until, watching


def _scene(vault: Vault, name: str) -> Path:
    return vault.root / SCENES / f"{name}.toml"


def _events_of_head(vault: Vault) -> list[str]:
    from comfyvn_vault.history.describe import describe

    head = vault.history.head()
    assert head is not None
    return [describe(e) for _, e in vault.history.events_of(vault.history.commit(head))]


def test_an_edit_becomes_a_commit_of_node_events_with_a_watch_cause(vault: Vault) -> None:
    before = commit_count(vault)
    path = _scene(vault, "intro")
    with watching(vault) as w:
        path.write_text(path.read_text().replace("Who lit it?", "Who lit it, Bob?"))
        r = w.next()
    assert r.commit is not None and r.files == ["scenes/intro.toml"] and not r.rejected
    assert r.events == ["NodeEdited scenes/intro#n2 (content)"]
    assert commit_count(vault) == before + 1
    head = vault.history.head()
    assert head is not None and head.hex() == r.commit
    c = vault.history.commit(head)
    assert c.message == "watch: scenes/intro.toml"
    ((_, event),) = vault.history.events_of(c)
    assert event.cause.kind == "watch" and event.cause.ref == "scenes/intro.toml"
    assert vault.changes() == []


def test_a_deleted_file_deletes_the_scene(vault: Vault) -> None:
    with watching(vault) as w:
        _scene(vault, "aside").unlink()
        r = w.next()
    assert r.commit is not None and r.events == ["SceneDeleted scenes/aside"]
    assert vault.history.entity(vault.checkout_tree(), "scenes/aside") is None  # type: ignore[arg-type]


def test_a_renamed_file_is_one_commit_deleting_the_old_id_and_creating_the_new(vault: Vault) -> None:
    before = commit_count(vault)
    with watching(vault) as w:
        os.rename(_scene(vault, "aside"), _scene(vault, "gulls"))
        r = w.next()
    assert r.commit is not None
    assert sorted(r.files) == ["scenes/aside.toml", "scenes/gulls.toml"]
    assert any(e.startswith("SceneDeleted scenes/aside") for e in r.events)
    assert any(e.startswith("SceneCreated scenes/gulls") for e in r.events)
    assert commit_count(vault) == before + 1
    tree = vault.checkout_tree()
    assert tree is not None
    assert vault.history.entity(tree, "scenes/gulls") is not None
    assert vault.history.entity(tree, "scenes/aside") is None


def test_a_burst_of_writes_is_one_settled_commit(vault: Vault) -> None:
    before = commit_count(vault)
    intro, aside = _scene(vault, "intro"), _scene(vault, "aside")
    original = intro.read_text()
    with watching(vault, quiet=0.6) as w:
        for i in range(40):
            intro.write_text(original.replace("Who lit it?", f"Who lit it? ({i})"))
            aside.write_text(aside.read_text().replace("Gulls.", "Gulls!") if i == 20 else aside.read_text())
        r = w.next()
        assert w.quiet_for(1.0) == []
    assert r.commit is not None and sorted(r.files) == ["scenes/aside.toml", "scenes/intro.toml"]
    assert commit_count(vault) == before + 1
    tree = vault.checkout_tree()
    assert tree is not None
    intro_doc = vault.history.entity(tree, "scenes/intro")
    assert intro_doc is not None and intro_doc.nodes[1].content == "Who lit it? (39)"  # type: ignore[union-attr]


def test_an_editors_save_by_rename_is_an_edit_not_a_delete_and_create(vault: Vault) -> None:
    intro = _scene(vault, "intro")
    with watching(vault) as w:
        # Like most editors: write a temp file beside it, fsync, rename over the original.
        tmp = intro.with_name("intro.toml.tmp4821")
        tmp.write_text(intro.read_text().replace("The lamp turned tonight.", "The lamp turned, tonight."))
        os.replace(tmp, intro)
        r = w.next()
        assert r.events == ["NodeEdited scenes/intro#n1 (content)"]
        # Like vim with backupcopy=no: move the original to a backup, write anew, drop the backup.
        backup = intro.with_name("intro.toml~")
        text = intro.read_text()
        os.rename(intro, backup)
        intro.write_text(text.replace("Who lit it?", "Who lit it now?"))
        backup.unlink()
        r = w.next()
    assert r.commit is not None and r.events == ["NodeEdited scenes/intro#n2 (content)"]
    assert not any(p.name.startswith(("intro.toml.", "intro.toml~")) for p in intro.parent.iterdir())


def test_a_malformed_edit_is_reported_with_its_line_and_never_touched(vault: Vault) -> None:
    intro, aside = _scene(vault, "intro"), _scene(vault, "aside")
    head = vault.history.head()
    bad = intro.read_text().replace('content = "Who lit it?"', 'content = "Who lit it?')
    with watching(vault) as w:
        intro.write_text(bad)
        aside.write_text(aside.read_text().replace("Gulls.", "Gulls, everywhere."))
        r = w.next()
        (problem,) = r.rejected
        assert problem.file == "scenes/intro.toml" and problem.line == 12
        assert problem.message.startswith("scenes/intro.toml:12: ") and "\n" not in problem.message
        # The good file of the same burst is still recorded; the bad one is not.
        assert r.files == ["scenes/aside.toml"] and r.commit is not None
        assert intro.read_text() == bad
        # Fixing the file records it.
        intro.write_text(bad.replace('"Who lit it?', '"Who lit it?!"'))
        r = w.next()
        assert r.commit is not None and not r.rejected and r.events == ["NodeEdited scenes/intro#n2 (content)"]
    assert head != vault.history.head()


def test_an_edit_that_breaks_the_story_is_refused_and_left_in_place(vault: Vault) -> None:
    intro = _scene(vault, "intro")
    head = vault.history.head()
    dangling = intro.read_text().replace('content = "Who lit it?"', 'content = "Who lit it?"\nnext = ["nowhere"]')
    with watching(vault) as w:
        intro.write_text(dangling)
        r = w.next()
    assert r.commit is None and [p.file for p in r.rejected] == ["scenes/intro.toml"]
    assert "nowhere" in r.rejected[0].message
    assert vault.history.head() == head and intro.read_text() == dangling


def test_pending_mode_lists_events_and_commits_nothing(vault: Vault) -> None:
    intro = _scene(vault, "intro")
    head = vault.history.head()
    with watching(vault, mode="pending") as w:
        intro.write_text(intro.read_text().replace("Who lit it?", "Who?"))
        r = w.next()
    assert r.mode == "pending" and r.commit is None
    assert r.events == ["NodeEdited scenes/intro#n2 (content)"]
    assert vault.history.head() == head and [c.path for c in vault.changes()] == ["scenes/intro"]


def test_edits_made_before_the_watch_started_are_recorded_first(vault: Vault) -> None:
    intro = _scene(vault, "intro")
    intro.write_text(intro.read_text().replace("Who lit it?", "Who lit it first?"))
    with watching(vault, initial=True) as w:
        r = w.next()
    assert r.commit is not None and r.files == ["scenes/intro.toml"]


def test_files_rewritten_by_other_commands_record_nothing(vault: Vault) -> None:
    from comfyvn_vault.api import edit

    before = commit_count(vault)
    with watching(vault) as w:
        edit.node_edit(vault, "intro", "n1", content="Edited by the CLI.")
        vault.switch("dark", create=True)
        edit.node_edit(vault, "intro", "n2", content="Edited on a branch.")
        vault.switch("main")
        assert w.quiet_for(1.0) == []
    assert commit_count(vault) == before + 1
    wait_until(lambda: vault.changes() == [], "a clean working copy")
