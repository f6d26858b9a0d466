"""The adapter functions in ``tui.api_gaps`` (they move to the core later), tested without the TUI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from comfyvn_vault import queries, story
from comfyvn_vault.store.ids import ObjectId
from comfyvn_vault.vault import Vault
from tui import api_gaps


def test_names_reads_lowercased_titles_without_documents(vault_path: Path) -> None:
    with Vault.open(vault_path) as vault:
        titles = {"intro": "the lighthouse", "morning": "morning", "stairs": "the stairs"}
        assert api_gaps.names(vault, "scenes") == titles
        assert api_gaps.names(vault, "characters") == {"alice": "alice", "bob": "bob"}


def test_story_at_a_commit_is_its_tree(vault_path: Path) -> None:
    with Vault.open(vault_path) as vault:
        rows = list(api_gaps.log_all(vault))
        stairs = next(r for r in rows if r["message"] == "New scene: The Stairs")
        paths = [p for p, _ in api_gaps.story_at(vault, ObjectId.from_hex(stairs["id"]))]
        assert paths == sorted(paths)
        assert "scenes/stairs" in paths and "scenes/morning" not in paths
        assert [p for p, _ in api_gaps.story_at(vault, ObjectId.from_hex(rows[-1]["id"]))] == []


def test_log_all_covers_every_branch_newest_first_with_head_first_on_ties(vault_path: Path) -> None:
    with Vault.open(vault_path) as vault:
        rows = list(api_gaps.log_all(vault))
        assert rows[0]["branches"] == ["main"] and rows[1]["branches"] == ["darker"]
        assert len(rows) == len({r["id"] for r in rows}) == len(queries.log(vault)["commits"]) + 1
        assert rows[-1]["message"] == "Create the vault"


def test_lanes_draw_a_fork_and_a_merge() -> None:
    lanes = api_gaps.Lanes()
    # m (merge of a and b) → a → base, b → base
    assert lanes.place("m", ["a", "b"]) == "●"
    assert lanes.place("a", ["base"]) == "● │"
    assert lanes.place("b", ["base"]) == "│ ●"
    assert lanes.place("base", []) == "● ┘"
    assert lanes.expect == []


def test_node_update_can_clear_a_speaker_and_choice_edit_changes_one_choice(vault_path: Path) -> None:
    with Vault.open(vault_path) as vault:
        saved = api_gaps.node_update(vault, "intro", "n2", fields={"speaker": None})
        assert saved.commit is not None and saved.events == 1
        assert story.need(vault, "scenes", "intro", story.Scene).nodes[1].speaker is None
        api_gaps.choice_edit(vault, "intro", "ask", "c2", text="Sleep", target="morning:", condition="tired")
        ask = story.need(vault, "scenes", "intro", story.Scene).nodes[-1]
        assert [(c.id, c.text, c.condition) for c in ask.choices] == [
            ("c1", "Climb the stairs", "courage >= 0"),
            ("c2", "Sleep", "tired"),
        ]
        shown = queries.show(vault, "HEAD")
        summaries = [e["summary"] for e in shown["event_list"]]
        assert summaries == ["ChoiceEdited scenes/intro#ask (choice c2; text, condition)"]


def test_the_adapter_does_not_import_textual() -> None:
    """api_gaps is meant to move into the core, which must never import Textual."""
    code = "import tui.api_gaps, sys; print('\\n'.join(sys.modules))"
    mods = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)


def test_store_reads_are_thread_safe_once_patched() -> None:
    """The shared zstd decompressor corrupts data (or crashes) under concurrent reads; the shim gives one per thread."""
    import os
    import threading

    from comfyvn_vault.store import compression

    api_gaps.make_store_reads_thread_safe()
    api_gaps.make_store_reads_thread_safe()  # idempotent
    payloads = [os.urandom(200) * 40 + bytes([i]) * 3000 for i in range(4)]
    frames = [(compression.compress_if_worth(p), p) for p in payloads]
    assert all(f is not None for f, _ in frames)
    problems: list[str] = []

    def read() -> None:
        for _ in range(300):
            for frame, payload in frames:
                assert frame is not None
                try:
                    if compression.decompress(frame, len(payload)) != payload:
                        problems.append("mismatch")
                except compression.DecompressError as exc:
                    problems.append(str(exc))

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
