"""Playing a story: transcripts, menus, conditions, effects, weighted picks and seeds."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain.entities import Choice, Node, Scene, Variable
from comfyvn_vault.domain.runtime.play import Line, Session, play
from comfyvn_vault.errors import InputRejected

VARIABLES = [
    Variable(id="trust", name="trust", value=0),
    Variable(id="met", name="met", value=False, scope="session"),
    Variable(id="mood", name="mood", value="calm", scope="scene"),
]

HARBOUR = Scene(
    id="harbour",
    nodes=[
        Node(id="n1", speaker="Mina", content="The lamp is out."),
        Node(id="n2", content="Wind rattles the glass.", effects="met = true; mood = 'tense'"),
        Node(
            id="n3",
            type="choice",
            content="What now?",
            choices=[
                Choice(id="c1", text="Climb", target="n4", effects="trust += 2"),
                Choice(id="c2", text="Wait", target="n5"),
                Choice(id="c3", text="Trust her", target="n4", condition="trust > 5"),
            ],
        ),
        Node(id="n4", speaker="Mina", content="Up we go.", next=["tower:"]),
        Node(id="n5", speaker="Mina", content="We wait.", conditions=["not met"]),
        Node(id="n6", content="Dawn comes."),
    ],
)
TOWER = Scene(
    id="tower",
    nodes=[
        Node(id="t1", content="Stairs.", conditions=["mood == 'calm'"]),
        Node(id="t2", speaker="Mina", content="We made it.", conditions=["trust >= 2"]),
    ],
)
SCENES = {s.id: s for s in (HARBOUR, TOWER)}


def _play(start: str = "harbour", seed: int = 1, choose: tuple[int, ...] = ()) -> object:
    return play(SCENES.get, VARIABLES, start, seed, choose)


def test_a_playthrough_stops_at_a_menu_and_lists_its_visible_options() -> None:
    p = play(SCENES.get, VARIABLES, "harbour", 7)
    assert [(line.speaker, line.text) for line in p.transcript] == [
        ("Mina", "The lamp is out."),
        (None, "Wind rattles the glass."),
        (None, "What now?"),
    ]
    assert p.stopped == "menu"
    assert [(o.number, o.choice, o.text) for o in p.menu] == [(1, "c1", "Climb"), (2, "c2", "Wait")]  # c3 hidden
    assert p.variables == {"global.trust": 0, "scene.mood": "tense", "session.met": True}
    assert p.path == ["harbour:n1", "harbour:n2", "harbour:n3"]


def test_choices_run_their_effects_and_follow_their_targets_across_scenes() -> None:
    p = play(SCENES.get, VARIABLES, "harbour", 7, [1])
    assert p.choices == [1]
    # Entering the tower put the scene variable back to its defined value ("calm"), so t1 is shown.
    assert [line.text for line in p.transcript][-3:] == ["Up we go.", "Stairs.", "We made it."]
    assert p.variables["global.trust"] == 2 and p.stopped == "end"
    assert p.path[-3:] == ["harbour:n4", "tower:t1", "tower:t2"]


def test_a_node_whose_conditions_fail_is_passed_over() -> None:
    p = play(SCENES.get, VARIABLES, "harbour", 7, [2])
    assert [line.text for line in p.transcript][-1] == "Dawn comes."
    assert "We wait." not in [line.text for line in p.transcript]  # met is true by then


def test_a_choice_number_outside_the_menu_is_refused_with_its_place() -> None:
    with pytest.raises(InputRejected, match=r"choice 3 at harbour:n3: the menu has 2 option"):
        play(SCENES.get, VARIABLES, "harbour", 7, [3])


def test_an_unknown_start_scene_is_refused() -> None:
    with pytest.raises(InputRejected, match="no scene 'nowhere'"):
        play(SCENES.get, VARIABLES, "nowhere", 1)


def test_a_loop_stops_at_the_step_limit() -> None:
    loop = Scene(id="loop", nodes=[Node(id="a", content="again", effects="trust += 1", next=["a"])])
    p = play({"loop": loop}.get, VARIABLES, "loop", 1, max_steps=50)
    assert p.stopped == "limit" and len(p.path) == 50 and p.variables["global.trust"] == 50


def test_all_choices_hidden_is_a_dead_end() -> None:
    stuck = Scene(id="stuck", nodes=[Node(id="a", choices=[Choice(id="c", text="x", target="a", condition="false")])])
    assert play({"stuck": stuck}.get, [], "stuck", 1).stopped == "dead-end"


WEIGHTS = (1, 3, 6)
COIN = Scene(
    id="coin",
    nodes=[
        Node(
            id="flip",
            choices=[Choice(id=f"c{i}", text=f"w{w}", target=f"r{i}", weight=w) for i, w in enumerate(WEIGHTS)]
            + [Choice(id="never", text="zero", target="r0", weight=0)],
        ),
        *(Node(id=f"r{i}", content=f"result {i}") for i in range(len(WEIGHTS))),
    ],
)


@settings(max_examples=60)
@given(seed=st.integers(min_value=0, max_value=2**64 - 1), choose=st.lists(st.integers(1, 2), max_size=3))
def test_the_same_seed_and_choices_give_the_same_playthrough(seed: int, choose: list[int]) -> None:
    scenes = {**SCENES, "coin": COIN}
    first = play(scenes.get, VARIABLES, "coin", seed, choose)
    assert play(scenes.get, VARIABLES, "coin", seed, choose) == first
    harbour = play(scenes.get, VARIABLES, "harbour", seed, choose)
    assert play(scenes.get, VARIABLES, "harbour", seed, choose) == harbour


def test_weighted_picks_follow_the_weights_over_many_seeds() -> None:
    n = 6000
    counts = Counter(play({"coin": COIN}.get, [], "coin", seed).transcript[0].text for seed in range(n))
    total = sum(WEIGHTS)
    assert set(counts) <= {f"result {i}" for i in range(len(WEIGHTS))}  # the zero-weight choice never
    for i, w in enumerate(WEIGHTS):
        p = w / total
        sigma = (n * p * (1 - p)) ** 0.5
        assert abs(counts[f"result {i}"] - n * p) <= 4 * sigma, (i, counts)


def _step_by_step(scenes: dict[str, Scene], start: str, seed: int, choose: list[int]) -> tuple[Session, list[Line]]:
    """A session taken a line at a time, answering menus from ``choose`` as a player would."""
    session = Session(scenes.get, VARIABLES, start, seed)
    said: list[Line] = []
    pending = list(choose)
    while True:
        line = session.advance()
        if line is not None:
            said.append(line)
            continue
        if session.stopped == "menu" and pending:
            session.choose(pending.pop(0))
            continue
        return session, said


def test_a_session_says_one_line_at_a_time_and_waits_at_the_menu() -> None:
    session = Session(SCENES.get, VARIABLES, "harbour", 7)
    first = session.advance()
    assert first is not None and first.text == "The lamp is out." and session.stopped is None
    assert session.variables["session.met"] is False
    assert session.advance() is not None and session.variables["session.met"] is True  # n2's effects ran
    caption = session.advance()
    assert caption is not None and caption.text == "What now?" and session.stopped == "menu"  # said, then stopped
    assert [o.text for o in session.menu] == ["Climb", "Wait"]
    assert session.advance() is None and len(session.transcript) == 3  # waiting: nothing more is said
    with pytest.raises(InputRejected, match=r"choice 3 at harbour:n3: the menu has 2 option"):
        session.choose(3)
    session.choose(1)
    assert session.stopped is None and session.menu == [] and session.variables["global.trust"] == 2
    assert session.advance() is not None and session.choices == [1]


def test_choosing_without_a_menu_is_refused() -> None:
    session = Session(SCENES.get, VARIABLES, "harbour", 7)
    with pytest.raises(InputRejected, match="not at a menu"):
        session.choose(1)


def test_a_session_stops_at_the_step_limit_as_play_does() -> None:
    loop = Scene(id="loop", nodes=[Node(id="a", effects="trust += 1", next=["a"])])  # says nothing, forever
    session = Session({"loop": loop}.get, VARIABLES, "loop", 1, max_steps=20)
    assert session.advance() is None and session.stopped == "limit" and len(session.path) == 20
    assert session.playthrough() == play({"loop": loop}.get, VARIABLES, "loop", 1, max_steps=20)


@settings(max_examples=60)
@given(seed=st.integers(min_value=0, max_value=2**64 - 1), choose=st.lists(st.integers(1, 2), max_size=3))
def test_playing_step_by_step_is_the_same_playthrough(seed: int, choose: list[int]) -> None:
    scenes = {**SCENES, "coin": COIN, "again": AGAIN}
    for start in ("harbour", "coin", "again"):
        session, said = _step_by_step(scenes, start, seed, choose)
        whole = play(scenes.get, VARIABLES, start, seed, choose)
        assert session.playthrough() == whole
        assert said == whole.transcript  # each line came once, in order


#: A menu that leads to a weighted pick and back to itself: choices, the RNG and effects interleave.
AGAIN = Scene(
    id="again",
    nodes=[
        Node(
            id="m",
            type="choice",
            content="Again?",
            effects="trust += 1",
            choices=[Choice(id="y", text="Yes", target="flip"), Choice(id="n", text="No", target="done")],
        ),
        Node(
            id="flip",
            choices=[
                Choice(id="h", text="h", target="m", weight=1, effects="mood = 'heads'"),
                Choice(id="t", text="t", target="done", weight=1),
            ],
        ),
        Node(id="done", content="Done."),
    ],
)
