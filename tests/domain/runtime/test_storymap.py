"""The story map: DOT that Graphviz reads for any story, with choices, marks and missing targets."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain.entities import Choice, Node, Scene
from comfyvn_vault.domain.runtime.checks import check_story
from comfyvn_vault.domain.runtime.storymap import graph_dot, story_dot, story_graph

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz is not installed (make setup installs it)")


def _graphviz_reads(dot: str) -> None:
    assert DOT is not None
    done = subprocess.run([DOT, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, (done.stderr.decode()[-500:], dot[:2000])


HOSTILE = 'He said "run" \\ then {left} [now]\n; -> } { "" \\" \\n <b>&amp;</b> ☃ ' + "x" * 300

STORY = [
    Scene(
        id="harbour",
        title=HOSTILE,
        nodes=[
            Node(id="n1", speaker='Mi"na', content=HOSTILE),
            Node(
                id="ask",
                type="choice",
                content="What now?",
                choices=[
                    Choice(id="c1", text=HOSTILE, target="tower:", condition='x == "a\\"b"', weight=2),
                    Choice(id="c2", text="Stuck", target="ask", condition="false"),
                    Choice(id="c3", text="Nowhere", target="gone:n1"),
                ],
            ),
        ],
    ),
    Scene(id="tower", nodes=[Node(id="t1", content="Up.")]),
    Scene(id="island", nodes=[Node(id="i1", content="No one comes here.")]),
]


def test_choices_are_labelled_edges_with_conditions_and_weights() -> None:
    dot = story_dot(STORY, check_story(STORY))
    assert '"harbour:ask" -> "tower:t1" [label=' in dot and "(weight 2)" in dot
    assert '"harbour:n1" -> "harbour:ask";' in dot  # the following node
    assert '"missing gone:n1"' in dot  # a target that is not there is drawn, in red
    assert 'label="island"; style="dashed"' in dot  # unreachable scene


def test_the_graph_both_maps_are_drawn_from() -> None:
    graph = story_graph(STORY, check_story(STORY))
    assert [s.id for s in graph.scenes] == ["harbour", "tower", "island"]
    assert [s.unreachable for s in graph.scenes] == [False, False, True]
    assert [n.mark for n in graph.scenes[2].nodes] == ["unreachable"]
    ways = [(e.source, e.kind, e.target, e.to) for e in graph.edges]
    assert ways == [
        ("harbour:n1", "following", "harbour:ask", "ask"),
        ("harbour:ask", "choice", "tower:t1", "tower:"),
        ("harbour:ask", "choice", "harbour:ask", "ask"),
        ("harbour:ask", "choice", None, "gone:n1"),  # names nothing there is
    ]
    climb = graph.edges[1]
    assert climb.choice == "c1" and climb.weight == 2 and climb.label.endswith('[x == "a\\"b"] (weight 2)')
    assert graph_dot(graph) == story_dot(STORY, check_story(STORY))


def test_a_node_with_conditions_also_leads_past_itself() -> None:
    scene = Scene(id="s", nodes=[Node(id="a", conditions=["x"], next=["c"]), Node(id="b"), Node(id="c")])
    kinds = [(e.kind, e.target, e.label) for e in story_graph([scene]).edges if e.source == "s:a"]
    assert kinds == [("next", "s:c", ""), ("fallthrough", "s:b", "when its conditions fail")]


@needs_dot
def test_graphviz_reads_the_map_of_a_story_full_of_hostile_text() -> None:
    _graphviz_reads(story_dot(STORY, check_story(STORY)))


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
ids = st.sampled_from(["a", "b", "c"])


@st.composite
def stories(draw: st.DrawFn) -> list[Scene]:
    out = []
    for sid in draw(st.lists(ids, unique=True, min_size=1, max_size=3)):
        nodes = []
        for nid in draw(st.lists(ids, unique=True, max_size=3)):
            target = draw(st.one_of(ids, ids.map(lambda s: f"{s}:"), st.tuples(ids, ids).map(":".join)))
            choices = draw(st.lists(st.builds(Choice, id=ids, text=texts, target=st.just(target)), max_size=2))
            nodes.append(Node(id=nid, speaker=draw(st.none() | texts), content=draw(texts), choices=choices))
        out.append(Scene(id=sid, title=draw(texts), nodes=nodes))
    return out


@needs_dot
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories())
def test_any_story_maps_to_dot_graphviz_reads(story: list[Scene]) -> None:
    _graphviz_reads(story_dot(story, check_story(story)))
