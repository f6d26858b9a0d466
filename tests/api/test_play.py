"""``play`` on real vaults: the start scene, menus, effects written through the edit verbs, refusals."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from comfyvn_vault.api import edit, merge, play
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.vault import Vault
from tests.conftest import assert_refused, cli_ok, fork_story, run_cli


@pytest.fixture
def story(vault: Vault) -> Vault:
    edit.scene_new(vault, "Harbour", "harbour")
    edit.node_add(vault, "harbour", speaker="Mina", content="The lamp is out.")
    edit.node_add(vault, "harbour", type="choice", content="What now?", node_id="ask")
    edit.node_add(
        vault,
        "harbour",
        content="Up we go.",
        node_id="up",
    )
    edit.scene_new(vault, "Dock", "dock")
    edit.node_add(vault, "dock", content="We wait by the water.")
    edit.var_set(vault, "trust", "1")
    edit.choice_add(vault, "harbour", "ask", text="Climb", target="up", effects="trust += 2")
    edit.choice_add(vault, "harbour", "ask", text="Wait", target="dock:", condition="trust < 5")
    edit.choice_add(vault, "harbour", "ask", text="Only if trusted", target="up", condition="trust > 5")
    return vault


def test_play_starts_at_the_first_scene_and_stops_at_the_menu(story: Vault) -> None:
    p = play.play(story)
    assert p.start == "dock"  # no timeline: the first scene by id
    p = play.play(story, "Harbour")  # a title finds the scene too
    assert [(line.speaker, line.text) for line in p.transcript] == [("Mina", "The lamp is out."), (None, "What now?")]
    assert p.stopped == "menu" and [o.text for o in p.menu] == ["Climb", "Wait"]
    assert p.variables == {"global.trust": 1}


def test_the_first_timeline_decides_the_start(story: Vault) -> None:
    edit.timeline_new(story, "Main", ["harbour", "dock"])
    assert play.play(story).start == "harbour"


def test_choices_effects_and_the_json_document(story: Vault) -> None:
    p = play.play(story, "harbour", seed=5, choose=[1])
    assert p.choices == [1] and p.variables == {"global.trust": 3} and p.stopped == "end"
    doc = msgspec.json.decode(msgspec.json.encode(p))
    assert list(doc)[:8] == ["schema", "seed", "start", "path", "transcript", "choices", "variables", "stopped"]
    assert doc["schema"] == "comfyvn.play/1" and doc["transcript"][-1] == {
        "speaker": None,
        "text": "Up we go.",
        "node": "harbour:up",
    }
    p = play.play(story, "harbour", choose=[2])
    assert p.path[-1] == "dock:n1" and p.transcript[-1].text == "We wait by the water."


def test_play_refuses_while_merge_conflicts_remain(vault: Vault) -> None:
    forked = fork_story(vault)
    edit.node_edit(forked, "intro", "n1", content="Ours.")
    forked.switch("alt")
    edit.node_edit(forked, "intro", "n1", content="Theirs.")
    forked.switch("main")
    merge.merge(forked, "alt")
    with pytest.raises(InputRejected, match="cannot play: 1 unresolved merge conflict"):
        play.play(forked)
    with pytest.raises(InputRejected, match="cannot play: 1 unresolved merge conflict"):
        play.session(forked)  # a session is refused as play is


def test_a_session_plays_the_same_lines_a_step_at_a_time(story: Vault) -> None:
    walk = play.session(story, "harbour", seed=5)
    said = []
    while (line := walk.advance()) is not None:
        said.append(play.said_line(line))
    assert walk.stopped == "menu" and play.played(walk) == play.play(story, "harbour", seed=5)
    walk.choose(1)
    while (line := walk.advance()) is not None:
        said.append(play.said_line(line))
    whole = play.play(story, "harbour", seed=5, choose=[1])
    assert play.played(walk) == whole and said == whole.transcript
    assert [line.shown for line in said] == ["Mina: The lamp is out.", "What now?", "Up we go."]
    assert play.session(story).start == "dock"  # where play starts without a scene
    with pytest.raises(InputRejected, match="seed -1 is not between"):
        play.session(story, seed=-1)


@pytest.mark.parametrize(
    ("where", "field", "text", "column"),
    [
        ("choice", "condition", "trust >>= banana((", "column 8"),
        ("choice", "effects", "trust += ", "column 10"),
        ("node", "effects", "trust = (1", "column 11"),
    ],
)
def test_conditions_and_effects_that_do_not_parse_are_refused_when_written(
    story: Vault, where: str, field: str, text: str, column: str
) -> None:
    head = story.history.head()
    with pytest.raises(InputRejected, match=column):
        if where == "choice":
            edit.choice_add(story, "harbour", "ask", text="x", target="up", **{field: text})
        else:
            edit.node_edit(story, "harbour", "up", **{field: text})
    assert story.history.head() == head


def test_the_play_verb_prints_the_transcript_and_refuses_bad_input(story: Vault, vault_dir: Path) -> None:
    story.close()
    r = cli_ok(vault_dir, "play", "harbour")
    assert r.out.splitlines() == ["Mina: The lamp is out.", "What now?", "  1. Climb", "  2. Wait"]
    assert "--choose N" in r.err
    assert cli_ok(vault_dir, "play", "harbour", "--choose", "1").out.splitlines()[-1] == "Up we go."
    assert_refused(run_cli("-C", vault_dir, "play", "harbour", "--choose", "3"), 3, "menu has 2")
    assert_refused(run_cli("-C", vault_dir, "play", "nowhere"), 3, "nowhere")
    assert run_cli("-C", vault_dir, "play", "--choose", "a,b").code == 2
    assert run_cli("-C", vault_dir, "play", "--choose", "0").code == 2
    assert run_cli("-C", vault_dir, "play", "--seed", "-3").code == 2
    r = run_cli("-C", vault_dir, "scene", "choice", "add", "harbour", "ask", "--text", "x", "--target", "up",
                "--condition", "trust >>= banana((")  # fmt: skip
    assert_refused(r, 3, "column 8")


def test_a_recorded_playthrough_replays_and_says_where_an_edit_made_it_diverge(story: Vault) -> None:
    p = play.play(story, "harbour", seed=3, choose=[1], record=True)
    assert p.recorded is not None and not p.already
    head = story.history.head()
    again = play.play(story, "harbour", seed=3, choose=[1], record=True)
    assert again.recorded == p.recorded and again.already and story.history.head() == head  # nothing new
    r = play.replay(story, p.recorded[:6])
    assert r.identical and r.diverged_at is None and r.played.transcript == p.transcript
    edit.node_edit(story, "harbour", "up", content="Down we go.")
    r = play.replay(story, p.recorded)
    assert not r.identical and r.diverged_at == 2
    assert r.recorded == "harbour:up 'Up we go.'" and r.now == "harbour:up 'Down we go.'"
    story.undo()
    story.undo()  # the recording was one operation: undo removes it
    with pytest.raises(InputRejected, match="no recorded playthrough"):
        play.replay(story, p.recorded)


def test_replay_and_record_from_the_command_line(story: Vault, vault_dir: Path) -> None:
    story.close()
    r = cli_ok(vault_dir, "play", "harbour", "--choose", "1", "--record")
    pid = r.err.split()[1]
    assert cli_ok(vault_dir, "replay", pid).out.splitlines()[-1] == "Up we go."
    cli_ok(vault_dir, "scene", "node", "edit", "harbour", "up", "--content", "Down.")
    r = run_cli("-C", vault_dir, "replay", pid)
    assert r.code == 1 and f"playthrough {pid} diverges at step 2" in r.err
    assert_refused(run_cli("-C", vault_dir, "replay", "nope"), 3, "no recorded playthrough")
    assert cli_ok(vault_dir, "fsck").code == 0
