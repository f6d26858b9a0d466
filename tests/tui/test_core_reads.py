"""Queries and edit verbs the TUI leans on: names, story_at, log --all, lanes, node_set, choice_edit."""

from __future__ import annotations

from pathlib import Path

from comfyvn_vault.api import edit, history
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.history.graph import Lanes
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.vault import Vault


def test_names_reads_lowercased_titles_without_documents(vault_path: Path) -> None:
    with Vault.open(vault_path) as vault:
        titles = {"intro": "the lighthouse", "morning": "morning", "stairs": "the stairs"}
        assert vault.projections.names("scenes") == titles
        assert vault.projections.names("characters") == {"alice": "alice", "bob": "bob"}


def test_story_at_a_commit_is_its_tree(vault_path: Path) -> None:
    with Vault.open(vault_path) as vault:
        rows = list(history.log_all(vault))
        stairs = next(r for r in rows if r.message == "New scene: The Stairs")
        paths = [p for p, _ in history.story_at(vault, ObjectId.from_hex(stairs.id))]
        assert paths == sorted(paths)
        assert "scenes/stairs" in paths and "scenes/morning" not in paths
        assert [p for p, _ in history.story_at(vault, ObjectId.from_hex(rows[-1].id))] == []


def test_log_all_covers_every_branch_newest_first_with_head_first_on_ties(vault_path: Path) -> None:
    with Vault.open(vault_path) as vault:
        rows = list(history.log_all(vault))
        assert rows[0].branches == ["main"] and rows[1].branches == ["darker"]
        assert len(rows) == len({r.id for r in rows}) == len(history.log(vault).commits) + 1
        assert rows[-1].message == "Create the vault"


def test_lanes_draw_a_fork_and_a_merge() -> None:
    lanes = Lanes("●", "│", "┘")
    # m (merge of a and b) → a → base, b → base
    assert lanes.place("m", ["a", "b"]) == "●"
    assert lanes.place("a", ["base"]) == "● │"
    assert lanes.place("b", ["base"]) == "│ ●"
    assert lanes.place("base", []) == "● ┘"
    assert lanes.expect == []


def test_node_update_can_clear_a_speaker_and_choice_edit_changes_one_choice(vault_path: Path) -> None:
    with Vault.open(vault_path) as vault:
        saved = edit.node_set(vault, "intro", "n2", {"speaker": None})
        assert saved.commit is not None and saved.events == 1
        assert edit.need(vault, "scenes", "intro", Scene).nodes[1].speaker is None
        edit.choice_edit(vault, "intro", "ask", "c2", text="Sleep", target="morning:", condition="tired")
        ask = edit.need(vault, "scenes", "intro", Scene).nodes[-1]
        assert [(c.id, c.text, c.condition) for c in ask.choices] == [
            ("c1", "Climb the stairs", "courage >= 0"),
            ("c2", "Sleep", "tired"),
        ]
        shown = history.show(vault, "HEAD")
        assert isinstance(shown, history.ShownCommit)
        summaries = [e.summary for e in shown.event_list]
        assert summaries == ["ChoiceEdited scenes/intro#ask (choice c2; text, condition)"]


def test_cli_offers_what_the_tui_does(vault_path: Path) -> None:
    """`log --all`, `show REV:PATH`, `--no-speaker` and `scene choice edit`: the TUI has no verb the CLI lacks."""

    from comfyvn_vault.cli.main import main

    def run(*argv: str) -> int:
        return main(["-C", str(vault_path), *argv])

    assert run("scene", "node", "edit", "intro", "n2", "--no-speaker") == 0
    assert run("scene", "choice", "edit", "intro", "ask", "c1", "--no-condition", "--text", "Up") == 0
    with Vault.open(vault_path) as vault:
        ask = edit.need(vault, "scenes", "intro", Scene).nodes[-1]
        assert (ask.choices[0].text, ask.choices[0].condition) == ("Up", None)
        assert edit.need(vault, "scenes", "intro", Scene).nodes[1].speaker is None
        all_ids = [r.id for r in history.log_all(vault)]
        assert len(all_ids) > len(history.log(vault).commits)
        first = history.show(vault, f"{all_ids[-1]}:")
        assert isinstance(first, history.ShownTree) and first.entries == []
        then = history.show(vault, "HEAD~2:scenes/intro")
        assert isinstance(then, history.ShownDocument) and then.document["nodes"][1]["speaker"] is not None
    assert run("scene", "choice", "edit", "intro", "ask", "c1") == 3
    assert run("show", "HEAD:scenes/nowhere") == 3
