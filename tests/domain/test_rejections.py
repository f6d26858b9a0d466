"""Each reason ``apply`` rejects an event, with the message a user would read."""

from __future__ import annotations

import pytest

from comfyvn_vault.domain import (
    START,
    Cause,
    Character,
    CharacterDeleted,
    CharacterEdited,
    CharacterFields,
    Choice,
    ChoiceAdded,
    ChoiceEdited,
    ChoiceFields,
    ChoiceMoved,
    ChoiceRemoved,
    Entity,
    Event,
    Node,
    NodeAdded,
    NodeEdited,
    NodeFields,
    NodeMoved,
    NodeRemoved,
    Rejected,
    Scene,
    SceneCreated,
    SceneDeleted,
    SceneRetitled,
    Timeline,
    TimelineCreated,
    TimelineEdited,
    TimelineFields,
    Variable,
    VariableDeleted,
    VariableSet,
    apply_all,
    path_of,
)
from comfyvn_vault.domain.apply import apply
from comfyvn_vault.errors import InputRejected

U = Cause(kind="user")
INTRO = Scene(
    "intro",
    "Intro",
    nodes=[
        Node("a", content="Hi", next=["b"]),
        Node("b", type="choice", choices=[Choice("c1", "Stay", "a"), Choice("c2", "Leave", "end:")]),
        Node("z"),
    ],
)
END = Scene("end", "The end", nodes=[Node("fin")])
ALICE = Character("alice", "Alice")
MAIN = Timeline("main", "Main", scene_order=["intro"])
HP = Variable("hp", "HP", 10)
STATE: dict[str, Entity] = {path_of(doc): doc for doc in (INTRO, END, ALICE, MAIN, HP)}


def edit_a(**changes: object) -> NodeEdited:
    before = {name: getattr(INTRO.nodes[0], name) for name in changes}
    return NodeEdited(scene_id="intro", node_id="a", **changes, before=NodeFields(**before), cause=U)  # type: ignore[arg-type]


CASES: list[tuple[str, Event, str]] = [
    # missing things
    ("missing scene", SceneRetitled(scene_id="nope", title="x", before="", cause=U), "there is no scene 'nope'"),
    ("missing node", NodeMoved(scene_id="intro", node_id="q", after=None, cause=U), "scene 'intro' has no node 'q'"),
    (
        "missing choice",
        ChoiceEdited(scene_id="intro", node_id="b", choice_id="c9", text="x", before=ChoiceFields(text=""), cause=U),
        "node 'b' of scene 'intro' has no choice 'c9'",
    ),
    (
        "missing character",
        CharacterEdited(character_id="bob", name="B", before=CharacterFields(name=""), cause=U),
        "there is no character 'bob'",
    ),
    # duplicate ids
    ("duplicate scene", SceneCreated(scene=Scene("intro"), cause=U), "scene 'intro' already exists"),
    ("duplicate node", NodeAdded(scene_id="intro", node=Node("a"), cause=U), "already has a node 'a'"),
    (
        "duplicate choice",
        ChoiceAdded(scene_id="intro", node_id="b", choice=Choice("c1", "x", "a"), cause=U),
        "already has a choice 'c1'",
    ),
    ("two nodes one id", SceneCreated(scene=Scene("s", nodes=[Node("x"), Node("x")]), cause=U), "two nodes"),
    (
        "two choices one id",
        NodeAdded(scene_id="intro", node=Node("q", choices=[Choice("k", "", "a"), Choice("k", "", "b")]), cause=U),
        "two choices with id 'k'",
    ),
    ("next twice", NodeAdded(scene_id="intro", node=Node("q", next=["a", "a"]), cause=U), "lists 'a' twice in next"),
    # links that do not resolve
    (
        "choice to a missing node",
        ChoiceAdded(scene_id="intro", node_id="b", choice=Choice("c3", "x", "ghost"), cause=U),
        "points at 'ghost', but scene 'intro' has no node 'ghost'",
    ),
    (
        "next to a missing scene",
        NodeAdded(scene_id="intro", node=Node("q", next=["nowhere:"]), cause=U),
        "there is no scene 'nowhere'",
    ),
    (
        "next to a missing node of another scene",
        edit_a(next=["b", "end:ghost"]),
        "points at 'end:ghost', but scene 'end' has no node 'ghost'",
    ),
    ("malformed target", edit_a(next=["a:b:c"]), "target node id 'b:c' contains ':'"),
    ("new scene with a dangling link", SceneCreated(scene=Scene("s", nodes=[Node("x", next=["y"])]), cause=U), "'y'"),
    (
        "removing a node still linked",
        NodeRemoved(scene_id="intro", node_id="a", before=INTRO.nodes[0], cause=U),
        "node 'a' of scene 'intro' is still the target of b (choice 'c1')",
    ),
    # ids
    ("empty id", SceneCreated(scene=Scene(""), cause=U), "scene id '' is empty"),
    ("dot id", NodeAdded(scene_id="intro", node=Node(".x"), cause=U), "node id '.x' starts with '.'"),
    ("long id", SceneCreated(scene=Scene("x" * 65), cause=U), "has 65 characters"),
    ("slash id", CharacterDeleted(character_id="a/b", before=ALICE, cause=U), "contains '/'"),
    ("space id", NodeAdded(scene_id="intro", node=Node("a b"), cause=U), "contains ' '"),
    (
        "asset id",
        CharacterEdited(
            character_id="alice", portrait_asset_id="x y", before=CharacterFields(portrait_asset_id=None), cause=U
        ),
        "portrait asset id",
    ),
    # stale and empty edits
    (
        "stale node edit",
        NodeEdited(scene_id="intro", node_id="a", content="Yo", before=NodeFields(content="Hello"), cause=U),
        "stale edit of node 'a' of scene 'intro': content is 'Hi', not 'Hello'",
    ),
    (
        "before of another shape",
        NodeEdited(scene_id="intro", node_id="a", content="Yo", before=NodeFields(speaker=None), cause=U),
        "sets content but its before names speaker",
    ),
    (
        "edit changes nothing",
        NodeEdited(scene_id="intro", node_id="a", before=NodeFields(), cause=U),
        "changes nothing",
    ),
    ("edit to the same value", edit_a(content="Hi"), "sets content to 'Hi', which it already is"),
    ("stale retitle", SceneRetitled(scene_id="intro", title="X", before="Old", cause=U), "stale edit of scene 'intro'"),
    ("stale node removal", NodeRemoved(scene_id="intro", node_id="z", before=Node("z", content="?"), cause=U), "stale"),
    (
        "stale choice removal",
        ChoiceRemoved(scene_id="intro", node_id="b", choice_id="c2", before=Choice("c2", "Leave", "a"), cause=U),
        "stale removal of choice 'c2'",
    ),
    ("stale scene delete", SceneDeleted(scene_id="end", before=Scene("end"), cause=U), "stale removal of scene 'end'"),
    # positions
    ("anchor missing", NodeAdded(scene_id="intro", node=Node("q"), after="ghost", cause=U), "no node 'ghost' to place"),
    ("move after itself", NodeMoved(scene_id="intro", node_id="a", after="a", cause=U), "cannot move after itself"),
    ("move to where it is", NodeMoved(scene_id="intro", node_id="a", after=START, cause=U), "already there"),
    (
        "choice index out of range",
        ChoiceAdded(scene_id="intro", node_id="b", choice=Choice("c3", "", "a"), index=3, cause=U),
        "cannot go at index 3: the node has 2 choices",
    ),
    (
        "choice move out of range",
        ChoiceMoved(scene_id="intro", node_id="b", choice_id="c1", index=2, cause=U),
        "cannot move to index 2",
    ),
    ("choice move to itself", ChoiceMoved(scene_id="intro", node_id="b", choice_id="c1", index=0, cause=U), "already"),
    (
        "negative weight",
        ChoiceEdited(
            scene_id="intro", node_id="b", choice_id="c1", weight=-1, before=ChoiceFields(weight=None), cause=U
        ),
        "weight -1; weights are 0 or more",
    ),
    # timelines
    (
        "timeline with a missing scene",
        TimelineCreated(timeline=Timeline("t", scene_order=["intro", "ghost"]), cause=U),
        "timeline 't' names scene 'ghost', which does not exist",
    ),
    (
        "timeline naming a scene twice",
        TimelineEdited(
            timeline_id="main", scene_order=["intro", "intro"], before=TimelineFields(scene_order=["intro"]), cause=U
        ),
        "lists scene 'intro' twice",
    ),
    # variables
    (
        "variable of the wrong type",
        VariableSet(variable=Variable("hp", "HP", "ten"), before=HP, cause=U),
        "variable 'hp' holds int values, not str",
    ),
    ("bool is not int", VariableSet(variable=Variable("hp", "HP", True), before=HP, cause=U), "not bool"),
    ("float value", VariableSet(variable=Variable("x", "X", 1.5), before=None, cause=U), "cannot hold a float"),  # type: ignore[arg-type]
    ("stale variable", VariableSet(variable=Variable("hp", "HP", 3), before=None, cause=U), "stale set of variable"),
    ("variable unchanged", VariableSet(variable=HP, before=HP, cause=U), "already set"),
    ("missing variable", VariableDeleted(variable_id="mp", before=HP, cause=U), "there is no variable 'mp'"),
]


@pytest.mark.parametrize(("event", "reason"), [(e, r) for _, e, r in CASES], ids=[name for name, _, _ in CASES])
def test_rejected_with_a_clear_reason(event: Event, reason: str) -> None:
    with pytest.raises(Rejected) as info:
        apply(STATE.get, event)
    assert reason in info.value.message
    assert "\n" not in info.value.message
    assert isinstance(info.value, InputRejected) and info.value.exit_code == 3


def test_a_document_of_the_wrong_kind_is_rejected() -> None:
    def lookup(path: str) -> Entity | None:
        return ALICE

    with pytest.raises(Rejected, match="scenes/intro holds a Character, not a Scene"):
        apply(lookup, SceneRetitled(scene_id="intro", title="x", before="Intro", cause=U))


def test_a_non_event_is_rejected() -> None:
    with pytest.raises(Rejected, match="not an event: Scene"):
        apply(STATE.get, INTRO)  # type: ignore[arg-type]


def test_links_kept_from_before_are_not_rechecked() -> None:
    # "end" was deleted elsewhere; editing b's text must not fail on c2's old link to it
    state = {p: d for p, d in STATE.items() if p != "scenes/end"}
    event = ChoiceEdited(
        scene_id="intro", node_id="b", choice_id="c2", text="Go", before=ChoiceFields(text="Leave"), cause=U
    )
    assert apply(state.get, event)["scenes/intro"] is not None


def test_a_node_may_link_itself_and_still_be_removed() -> None:
    scene = Scene("loop", nodes=[Node("x", next=["x"], choices=[Choice("k", "again", "loop:x")])])
    changes = apply(
        {"scenes/loop": scene}.get, NodeRemoved(scene_id="loop", node_id="x", before=scene.nodes[0], cause=U)
    )
    assert changes == {"scenes/loop": Scene("loop")}


def test_apply_all_names_the_failing_event() -> None:
    events: list[Event] = [
        SceneRetitled(scene_id="intro", title="One", before="Intro", cause=U),
        SceneRetitled(scene_id="intro", title="Two", before="Intro", cause=U),
    ]
    with pytest.raises(Rejected, match=r"^event 1 \(SceneRetitled\): stale edit of scene 'intro'"):
        apply_all(STATE.get, events)
