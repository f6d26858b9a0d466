"""Conflict markers in working-copy files and what a merge leaves at each conflict, by property.

* every conflict and word-merge review records what the merge left at its place,
  so ``changed_since_merge`` is false right after the merge;
* a file rendered with markers for a merge's conflicts is valid TOML and reads
  back as exactly the merged entity, settling nothing;
* taking one marker out of the file (replacing it by any value) settles exactly
  that conflict, and nothing else.
"""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain import Node, Scene
from comfyvn_vault.domain.conflicts import Conflict
from comfyvn_vault.domain.merge import merge_entity
from comfyvn_vault.domain.resolve import changed_since_merge
from comfyvn_vault.worktree.format import MalformedFile, parse_marked, render
from tests.domain.strategies import edited_scenes, scenes

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REL = "scenes/s1.toml"


def _tomlable(scene: Scene) -> bool:
    return all(v is not None for m in [scene.meta, *(n.meta for n in scene.nodes)] for v in m.values())


@st.composite
def merges(draw: st.DrawFn) -> tuple[Scene, Scene, Scene]:
    base = draw(scenes("s1"))
    return base, draw(edited_scenes(base, {})), draw(edited_scenes(base, {}))


@PROPERTY
@given(merges())
def test_markers_read_back_as_the_merged_entity(sides: tuple[Scene, Scene, Scene]) -> None:
    base, ours, theirs = sides
    assume(all(_tomlable(s) for s in sides))
    merged = merge_entity("scenes/s1", base, ours, theirs)
    assume(merged.entity is not None)
    entity = merged.entity
    assert isinstance(entity, Scene)
    for c in [*merged.conflicts, *merged.reviews]:
        assert c.kept is not None and not changed_since_merge(entity, c), c
    text = render(entity, [*merged.conflicts, *merged.reviews])
    tomllib.loads(text)  # valid TOML
    assert parse_marked(REL, text, entity, merged.conflicts) == (entity, [])
    for c in merged.conflicts:
        assert c.id in text


CONTENT = """\
title = "Intro"

[[nodes]]
id = "n1"
content = "Hello"
"""


def _conflicted() -> tuple[Scene, list[Conflict], str]:
    base = Scene("s1", "Intro", nodes=[Node("n1", content="lamp"), Node("n2", speaker="Bob")])
    ours = Scene("s1", "Intro", nodes=[Node("n1", content="cold lamp"), Node("n2", speaker="Carol")])
    theirs = Scene("s1", "Intro", nodes=[Node("n1", content="wet lamp"), Node("n2", speaker="Dave")])
    merged = merge_entity("scenes/s1", base, ours, theirs, word_level=False)
    assert merged.entity is not None and len(merged.conflicts) == 2
    assert isinstance(merged.entity, Scene)
    return merged.entity, list(merged.conflicts), render(merged.entity, merged.conflicts)


def test_replacing_one_marker_settles_exactly_that_conflict() -> None:
    entity, conflicts, text = _conflicted()
    content, _speaker = sorted(conflicts, key=lambda c: c.locator)
    start = text.index("[nodes.content]")
    end = text.index("[[nodes]]", start)
    edited = text[:start] + text[end:]
    edited = edited.replace('id = "n1"\n', 'id = "n1"\ncontent = "cold wet lamp"\n', 1)
    got, settled = parse_marked(REL, edited, entity, conflicts)
    assert settled == [content]
    assert isinstance(got, Scene) and got.nodes[0].content == "cold wet lamp" and got.nodes[1].speaker == "Carol"


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (('ours = "Carol"', 'ours = "Caroline"'), "was edited"),
        (('conflict = "', 'conflict = "0'), "not an open conflict"),
    ],
)
def test_an_edited_or_stray_marker_is_refused_with_what_to_do(edit: tuple[str, str], reason: str) -> None:
    entity, conflicts, text = _conflicted()
    with pytest.raises(MalformedFile, match=reason) as info:
        parse_marked(REL, text.replace(*edit), entity, conflicts)
    assert "restore" in str(info.value) or "replace its marker" in str(info.value)
    assert info.value.line is not None and not text.splitlines()[info.value.line - 1].startswith("#")


def test_a_marker_without_its_conflict_is_refused() -> None:
    entity, _, text = _conflicted()
    with pytest.raises(MalformedFile, match="not an open conflict"):
        parse_marked(REL, text, entity, [])


def test_a_whole_node_conflict_is_listed_and_an_edit_under_it_is_refused() -> None:
    base = Scene("s1", nodes=[Node("n1", content="a"), Node("n2", content="b")])
    ours = Scene("s1", nodes=[Node("n1", content="a")])
    theirs = Scene("s1", nodes=[Node("n1", content="a"), Node("n2", content="b, edited")])
    merged = merge_entity("scenes/s1", base, ours, theirs)
    (conflict,) = merged.conflicts
    assert merged.entity is not None
    text = render(merged.entity, merged.conflicts)
    assert "[[conflicts]]" in text and 'at = "nodes/n2"' in text
    assert parse_marked(REL, text, merged.entity, merged.conflicts) == (merged.entity, [])
    # bringing the node back while the entry is still there is refused
    with pytest.raises(MalformedFile, match="delete the entry"):
        parse_marked(
            REL,
            text.replace('content = "a"\n\n[[conflicts]]', 'content = "a"\n\n[[nodes]]\nid = "n2"\n\n[[conflicts]]'),
            merged.entity,
            [conflict],
        )
    # deleting the entry settles it with what the file holds
    kept = text[: text.index("\n[[conflicts]]\n")]
    assert parse_marked(REL, kept, merged.entity, [conflict]) == (merged.entity, [conflict])
