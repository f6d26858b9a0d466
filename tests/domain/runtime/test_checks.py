"""Story checks: one small story per check and its exact findings; any story checks without raising."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from comfyvn_vault.domain.entities import Character, Choice, Entity, Node, Scene, Timeline, Variable
from comfyvn_vault.domain.runtime.checks import KINDS, Finding, asset_refs, check_story
from comfyvn_vault.projections import assets as asset_projection
from tests.domain import strategies as s

MINA = Character(id="mina", name="Mina")
TRUST = Variable(id="trust", name="trust", value=0)
ASSET = "ab" * 32
#: Where the stories below start (a timeline's scenes that do not exist are passed over).
MAIN = Timeline(id="main", scene_order=["harbour", "start"])


def harbour(*nodes: Node, **fields: object) -> Scene:
    return Scene(id="harbour", nodes=list(nodes), **fields)  # type: ignore[arg-type]


def found(*scenes: Scene, **kwargs: object) -> list[tuple[str, str, str, str, str]]:
    kwargs.setdefault("characters", [MINA])
    kwargs.setdefault("variables", [TRUST])
    kwargs.setdefault("timelines", [MAIN])
    out = check_story(scenes, **kwargs)  # type: ignore[arg-type]
    return [(f.severity, f.kind, f.path, f.locator, f.message) for f in out]


def kinds(*scenes: Scene, **kwargs: object) -> list[tuple[str, str]]:
    return [(kind, locator) for _, kind, _, locator, _ in found(*scenes, **kwargs)]


def test_a_clean_story_gives_no_findings() -> None:
    scene = harbour(
        Node(id="n1", speaker="Mina", content="The lamp is out.", directives={"bg": f"asset:{ASSET}"}),
        Node(
            id="ask",
            type="choice",
            content="What now?",
            effects="trust += 1",
            choices=[
                Choice(id="c1", text="Climb", target="up", condition="global.trust > 0"),
                Choice(id="c2", text="Wait", target="dock:", effects="trust = 0"),
            ],
        ),
        Node(id="up", speaker="MINA", content="Up we go.", conditions=["trust > 2"]),
        Node(id="end", content="The end."),
    )
    dock = Scene(id="dock", nodes=[Node(id="n1", content="Water.", next=["harbour:end"])])
    assert found(scene, dock, assets={ASSET}) == []


def test_conditions_and_effects_that_do_not_parse_are_errors_with_the_column() -> None:
    scene = harbour(
        Node(
            id="n3",
            type="choice",
            conditions=["trust >"],
            choices=[Choice(id="c2", text="x", target="n3", condition="x >>= (", effects="trust +=")],
        ),
        Node(id="n4", effects="trust = (1"),
    )
    assert found(scene) == [
        ("error", "bad-condition", "scenes/harbour", "n3", 'node n3: condition "trust >": column 8: '
         "expected an expression after '>', found the end"),
        ("error", "bad-condition", "scenes/harbour", "n3/c2", 'choice c2 of n3: condition "x >>= (": column 4: '
         "expected an expression after '>', found '>='"),
        ("error", "bad-effects", "scenes/harbour", "n3/c2", 'choice c2 of n3: effects "trust +=": column 9: '
         "expected an expression after '+=', found the end"),
        ("error", "bad-effects", "scenes/harbour", "n4", 'node n4: effects "trust = (1": column 11: '
         "expected ')' to close the '(' of column 9, found the end"),
    ]  # fmt: skip


def test_ren_py_conditions_are_warnings() -> None:
    said = Node(id="n1", type="choice", directives={"renpy": "if"}, choices=[
        Choice(id="c1", text="if", target="n2", condition="renpy.seen_label('x')"),
        Choice(id="c2", text="if", target="n2", condition="met_bob"),
    ])  # fmt: skip
    assert found(harbour(said, Node(id="n2"))) == [
        ("warning", "foreign-condition", "scenes/harbour", "n1/c1", "choice c1 of n1: condition "
         "\"renpy.seen_label('x')\": column 6: '.' may only follow a scope (global, session or scene), not 'renpy' "
         "(it came from Ren'Py: rewrite it in the story language)"),
        ("warning", "undefined-variable", "scenes/harbour", "n1/c2",
         "choice c2 of n1: the condition reads met_bob, which no variable defines"),
    ]  # fmt: skip
    # a scene imported from Ren'Py marks all of its nodes
    labelled = harbour(Node(id="n1", conditions=["a b"]), meta={"renpy_label": "start"})
    assert kinds(labelled) == [("foreign-condition", "n1")]


def test_undefined_variables_scoped_and_bare() -> None:
    variables = [TRUST, Variable(id="mood", name="mood", value="calm", scope="scene")]
    scene = harbour(
        Node(id="n1", conditions=["trust > 0 and scene.mood == 'x'", "global.mood", "session.trust"]),
        Node(id="n2", effects="luck += 1; scene.trust = 2; mood = 'ok'"),
    )
    assert found(scene, variables=variables) == [
        ("error", "undefined-variable", "scenes/harbour", "n1",
         "node n1: the condition reads global.mood, which no variable defines"),
        ("error", "undefined-variable", "scenes/harbour", "n1",
         "node n1: the condition reads session.trust, which no variable defines"),
        ("error", "undefined-variable", "scenes/harbour", "n2",
         "node n2: the effects reads and sets luck, which no variable defines"),
        ("error", "undefined-variable", "scenes/harbour", "n2",
         "node n2: the effects sets scene.trust, which no variable defines"),
    ]  # fmt: skip


def test_missing_targets() -> None:
    scene = harbour(
        Node(id="n1", next=["nowhere"]),
        Node(id="n2", choices=[Choice(id="c1", text="a", target="dock:n9"), Choice(id="c2", text="b", target="x:")]),
        Node(id="n3", next=["empty:", "a b"]),
    )
    dock, empty = Scene(id="dock", nodes=[Node(id="n1")]), Scene(id="empty")
    # what the broken links would have led to is not reached: the other scenes, the nodes after n1
    assert kinds(dock, empty, scene)[:4] == [
        ("unreachable-scene", ""),
        ("unreachable-scene", ""),
        ("missing-target", "n1"),
        ("unreachable-node", "n2"),
    ]
    assert [f for f in found(dock, empty, scene) if f[1] == "missing-target"] == [
        ("error", "missing-target", "scenes/harbour", "n1",
         'node n1: the next "nowhere" names node nowhere, which scene harbour does not have'),
        ("error", "missing-target", "scenes/harbour", "n2/c1",
         'choice c1 of n2: the target "dock:n9" names node n9, which scene dock does not have'),
        ("error", "missing-target", "scenes/harbour", "n2/c2",
         'choice c2 of n2: the target "x:" names scene x, which does not exist'),
        ("error", "missing-target", "scenes/harbour", "n3",
         'node n3: the next "empty:" names the start of scene empty, which has no node'),
        ("error", "missing-target", "scenes/harbour", "n3",
         "node n3: the next \"a b\" is not a link target (target node id 'a b' contains ' ' "
         "(allowed: A-Z a-z 0-9 _ . -))"),
    ]  # fmt: skip


def test_unreachable_nodes_and_scenes() -> None:
    scene = harbour(
        Node(id="n1", next=["n3"]),
        Node(id="n2", content="skipped by next"),
        Node(
            id="n3",
            conditions=["trust > 1"],
            choices=[
                Choice(id="c1", text="a", target="n5"),
                Choice(id="c2", text="never", target="n6", condition="false"),
                Choice(id="c3", text="zero", target="n7", weight=0),
            ],
        ),
        Node(id="n4", content="after n3: its conditions may pass it over"),
        Node(id="n5", content="chosen", next=["dock:"]),
        Node(id="n6"),
        Node(id="n7"),
    )
    dock = Scene(id="dock", nodes=[Node(id="n1"), Node(id="n2", next=["lost:n2"])])
    lost = Scene(id="lost", nodes=[Node(id="n1"), Node(id="n2")])
    assert kinds(scene, dock, lost) == [
        ("unreachable-node", "n2"),
        ("unreachable-node", "n6"),
        ("unreachable-node", "n7"),
        ("unreachable-node", "n1"),  # lost: entered at n2 only
    ]
    assert check_story([scene, dock, lost], timelines=[MAIN])[-1].path == "scenes/lost"
    # without a timeline the first scene by id is the start (dock: harbour is never reached)
    assert kinds(scene, dock, lost, timelines=[]) == [("unreachable-scene", ""), ("unreachable-node", "n1")]
    # with timelines every scene they list is a start
    timelines = [Timeline(id="main", scene_order=["lost", "gone"]), Timeline(id="side", scene_order=["dock"])]
    assert kinds(scene, dock, lost, timelines=timelines) == [("unreachable-scene", "")]


def test_dead_ends() -> None:
    scene = harbour(
        Node(
            id="n1",
            type="choice",
            choices=[
                Choice(id="c1", text="a", target="n2", condition="false"),
                Choice(id="c2", text="b", target="n2", weight=0),
            ],
        ),
        Node(id="n2", type="choice", content="An empty menu"),
        Node(id="n3", type="choice", choices=[Choice(id="c1", text="a", target="n4", condition="trust > 9")]),
        Node(id="n4", content="The end."),
    )
    assert found(scene) == [
        ("warning", "dead-end", "scenes/harbour", "n1",
         "node n1: none of its choices can ever be taken (each has the condition false or the weight 0), "
         "so the story stops there"),
        ("warning", "dead-end", "scenes/harbour", "n2", "node n2 is a choice node without any choice to pick"),
        ("warning", "unreachable-node", "scenes/harbour", "n2",
         "node n2 can never be reached when the story is played"),
        ("warning", "unreachable-node", "scenes/harbour", "n3",
         "node n3 can never be reached when the story is played"),
        ("warning", "unreachable-node", "scenes/harbour", "n4",
         "node n4 can never be reached when the story is played"),
    ]  # fmt: skip


def test_ren_py_jumps_the_import_could_not_follow_are_dead_ends() -> None:
    start = Scene(
        id="start",
        meta={"renpy_label": "start"},
        nodes=[
            Node(id="n1", type="action", directives={"renpy": "jump", "label": "start"}),
            Node(id="n2", type="action", directives={"renpy": "jump", "label": "chapter2"}, next=["n4"]),
            Node(id="n3", type="action", directives={"renpy": "jump", "expression": "target"}),
            Node(id="n4", type="action", directives={"renpy": "end"}),
        ],
    )
    assert found(start) == [
        ("warning", "dead-end", "scenes/start", "n2",
         'node n2 jumps to the Ren\'Py label "chapter2", which the story does not have, so the story ends there'),
        ("warning", "dead-end", "scenes/start", "n3",
         "node n3 jumps to a computed label (target), which the import could not follow, so the story ends there"),
        ("warning", "unreachable-node", "scenes/start", "n3", "node n3 can never be reached when the story is played"),
    ]  # fmt: skip


def test_ren_py_label_start_labels_and_calls_lead_into_scenes() -> None:
    # the scene of a script file (its labels in file order) runs at start-up: it is no start, and never unreachable
    label = Node(id="n1", type="action", directives={"renpy": "label", "scene": "z"})
    file_scene = Scene(id="file-a", meta={"renpy_file": "game/a.rpy"}, nodes=[label])
    start = Scene(
        id="start",
        meta={"renpy_label": "start"},
        nodes=[
            Node(id="n1", type="action", directives={"renpy": "call", "label": "y", "scene": "y"}),
            Node(id="n2", type="action", directives={"renpy": "label", "scene": "x"}),
        ],
    )
    scenes = [file_scene, start, *(Scene(id=sid, nodes=[Node(id="n1")]) for sid in ("x", "y", "z"))]
    out = check_story(scenes)
    assert [(f.kind, f.path) for f in out] == [("unreachable-scene", "scenes/z")]
    alone = check_story([file_scene, Scene(id="z", nodes=[Node(id="n1")])])  # no label start: the first other scene
    assert alone == []


def test_unknown_speakers_once_per_scene_and_speaker() -> None:
    scene = harbour(
        Node(id="n1", speaker="Bob"),
        Node(id="n2", speaker="mina"),  # the id
        Node(id="n3", speaker="mINA"),  # the name, in any case
        Node(id="n4", speaker="Bob"),
        Node(id="n5", speaker="Eve"),
    )
    assert found(scene) == [
        ("warning", "unknown-speaker", "scenes/harbour", "n1",
         'the speaker "Bob" is no character\'s id or name (2 nodes in this scene, the first here)'),
        ("warning", "unknown-speaker", "scenes/harbour", "n5",
         'the speaker "Eve" is no character\'s id or name (1 node in this scene, the first here)'),
    ]  # fmt: skip
    assert found(harbour(Node(id="n1", speaker="MINA")), characters=[Character(id="MINA")]) == []  # ids exactly


def test_missing_assets_from_directives_and_meta() -> None:
    other = "cd" * 32
    scene = harbour(
        Node(id="n1", directives={"bg": ASSET, "music": f"asset:{other}", "x": "not an id"}),
        Node(id="n2", meta={"portraits": [f" {other} ", "x"], "n": 3, "seen": ASSET}),
    )
    assert found(scene, assets={ASSET}) == [
        ("error", "missing-asset", "scenes/harbour", "n1",
         f"node n1: the directive music names asset {other}, which is not in the vault"),
        ("error", "missing-asset", "scenes/harbour", "n2",
         f"node n2: the meta portraits names asset {other}, which is not in the vault"),
    ]  # fmt: skip


def test_asset_refs_read_as_the_asset_projection_reads_them() -> None:
    for value in [ASSET, f"asset:{ASSET}", f" {ASSET}\n", ASSET.upper(), ASSET[:-1], f"x{ASSET}", "asset:", ""]:
        assert list(asset_refs(value)) == list(asset_projection.asset_refs(value))


def test_findings_are_sorted_by_path_then_story_order() -> None:
    scenes = [
        Scene(id="b", nodes=[Node(id=f"n{i}", speaker=f"S{i}") for i in range(1, 12)]),
        Scene(id="a", nodes=[Node(id="n1", next=["x"])]),
    ]
    out = check_story(scenes)
    assert [(f.path, f.locator) for f in out] == [("scenes/a", "n1")] + [("scenes/b", "")] + [
        ("scenes/b", f"n{i}") for i in range(1, 12)
    ]


def test_a_long_story_is_checked_in_linear_time() -> None:
    scenes = [
        Scene(
            id=f"s{i:05d}",
            nodes=[
                Node(id="n1", speaker="Mina", content="Hello."),
                Node(
                    id="n2",
                    type="choice",
                    choices=[
                        Choice(
                            id="c1", text="on", target=f"s{i + 1:05d}:" if i < 1999 else "n1", condition="trust > 2"
                        ),
                        Choice(id="c2", text="again", target="n1", effects="trust += 1"),
                    ],
                ),
            ],
        )
        for i in range(2000)
    ]
    assert check_story(scenes, [MINA], [TRUST]) == []
    broken = [replace(sc, nodes=[replace(sc.nodes[0], speaker="Bob")]) for sc in scenes]
    out = check_story(broken, [MINA], [TRUST])
    assert len(out) == 2000 + 1999  # an unknown speaker in each; every scene after the first unreachable


# ----------------------------------------------------------------- any story


@st.composite
def raw_stories(draw: st.DrawFn) -> list[Entity]:
    """Stories whose links may dangle and whose conditions may not read (as hand-written files can)."""
    scene_ids = draw(st.lists(st.sampled_from(s.SCENE_IDS), unique=True, max_size=3))
    docs: list[Entity] = []
    for sid in scene_ids:
        node_ids = draw(st.lists(st.sampled_from(s.NODE_IDS), unique=True, max_size=5))
        nodes = [s.draw_node(draw, nid, tuple(node_ids)) for nid in node_ids]
        code = st.none() | st.sampled_from(["false", "x >>= (", "trust += 1", "hp = hp - 1", "global.hp", ""])
        nodes = [
            replace(
                n,
                effects=draw(code),
                choices=[replace(c, condition=draw(code), effects=draw(code)) for c in n.choices],
            )
            for n in nodes
        ]
        docs.append(Scene(id=sid, nodes=nodes, meta=draw(s.metas)))
    return docs


@settings(max_examples=150, deadline=None)
@given(st.one_of(s.states().map(lambda state: list(state.values())), raw_stories()), st.data())
def test_any_story_checks_without_raising_and_names_existing_paths(docs: list[Entity], data: st.DataObject) -> None:
    scenes = [d for d in docs if isinstance(d, Scene)]
    characters = [d for d in docs if isinstance(d, Character)] or data.draw(st.lists(s.characters, max_size=2))
    variables = [d for d in docs if isinstance(d, Variable)] or data.draw(st.lists(s.variables, max_size=2))
    timelines = [d for d in docs if isinstance(d, Timeline)]
    out = check_story(scenes, characters, variables, timelines, set(s.ASSET_IDS[:1]))
    paths = {f"scenes/{sc.id}": sc for sc in scenes}
    for f in out:
        assert isinstance(f, Finding) and f.severity in ("error", "warning") and f.kind in KINDS
        assert f.path in paths and f.message
        if f.locator:
            node_id, _, choice_id = f.locator.partition("/")
            node = next(n for n in paths[f.path].nodes if n.id == node_id)
            assert not choice_id or any(c.id == choice_id for c in node.choices)
    assert out == check_story(list(reversed(scenes)), characters, variables, timelines, set(s.ASSET_IDS[:1]))
