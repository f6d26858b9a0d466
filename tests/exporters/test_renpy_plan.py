"""The Ren'Py exporter's plan, by property: any story gives scripts whose every jump lands on a label."""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import HealthCheck, given, settings

from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Character, Scene
from comfyvn_vault.exporters.renpy import RenpyExporter, RenpyExportOptions
from tests.adapters.helpers import story
from tests.exporters.renpy_stories import stories
from tests.exporters.test_renpy_export import renpy_text
from tests.importers.renpy_helpers import label_scenes, plan_bytes, scenes_of

LABEL = re.compile(r"^\s*label ([A-Za-z_][A-Za-z0-9_]*)(\(.*\))?( hide)?:$")
JUMP = re.compile(r"^\s*(jump|call) ([A-Za-z_][A-Za-z0-9_.]*)")
PICKED = re.compile(r"\('([A-Za-z_][A-Za-z0-9_]*)', \d+\)")


def scripts(docs: dict[str, Document]) -> list[str]:
    plan = RenpyExporter().plan(story(docs), RenpyExportOptions(media=False))
    return [line for f in plan.files for line in f.content.decode().split("\n")]  # type: ignore[union-attr]


@given(stories())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_jump_and_pick_lands_on_a_label_declared_once(docs: dict[str, Document]) -> None:
    lines = scripts(docs)
    labels = [m.group(1) for line in lines if (m := LABEL.match(line))]
    assert len(labels) == len(set(labels)), labels
    assert "start" in labels
    for line in lines:
        # one physical line each: no control character or line break (past U+FFFF there are none)
        assert all(ch.isprintable() or ord(ch) > 0xFFFF for ch in line), repr(line)
        m = JUMP.match(line)
        if m and m.group(2) != "expression":
            assert m.group(2) in labels, line
        for name in PICKED.findall(line):
            assert name in labels, line
    # every block but a label's holds a statement (a comment is none)
    for i, line in enumerate(lines):
        if line.endswith(":") and not LABEL.match(line) and not line.lstrip().startswith("#"):
            depth = len(line) - len(line.lstrip())
            body = [x for x in lines[i + 1 :] if x.strip()]
            inner = []
            for x in body:
                if len(x) - len(x.lstrip()) <= depth:
                    break
                inner.append(x)
            assert any(not x.lstrip().startswith("#") for x in inner), (line, inner[:3])


@given(stories(max_scenes=2, max_nodes=3))
@settings(max_examples=50, deadline=None)
def test_planning_is_deterministic(docs: dict[str, Document]) -> None:
    assert scripts(docs) == scripts(docs)


def _said(scenes: list[Scene], names: dict[str, str]) -> Counter[tuple[str | None, str]]:
    """``(speaker's name, text)`` of every line and menu line of ``scenes`` (speakers by id or name)."""
    out: Counter[tuple[str | None, str]] = Counter()
    for scene in scenes:
        for n in scene.nodes:
            if n.type == "text" or (n.type == "choice" and n.content):
                speaker = None if n.speaker is None else names.get(n.speaker, n.speaker)
                out[(speaker, n.content)] += 1
    return out


@given(stories(max_scenes=3, max_nodes=5))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_ren_py_importer_reads_back_every_line_with_its_speaker(docs: dict[str, Document]) -> None:
    plan = RenpyExporter().plan(story(docs), RenpyExportOptions(media=False))
    (script,) = [f for f in plan.files if f.path == "game/story.rpy"]
    assert isinstance(script.content, bytes)
    back = scenes_of(plan_bytes(script.content, "story.rpy"))
    names = {c.id: c.name for c in docs.values() if isinstance(c, Character)}
    names.update({c.name.casefold(): c.name for c in docs.values() if isinstance(c, Character)})
    original = _said(
        [d for d in docs.values() if isinstance(d, Scene)], {**names, **{k.casefold(): v for k, v in names.items()}}
    )
    expected = Counter({(None if s is None else renpy_text(s), renpy_text(t)): k for (s, t), k in original.items()})
    assert _said(label_scenes(back.values()), {}) == expected
