"""``export renpy`` on real vaults, with Ren'Py itself as the judge.

Ren'Py's lint (``renpy-lint``) must find nothing wrong with what the export
writes, even for a story full of hostile text, and Ren'Py's own dialogue
table (``renpy-dialogue``) must hold every line with its speaker exactly as
the story has it. A game imported from Ren'Py and exported again reads, to
Ren'Py, as the same lines spoken by the same characters. Ren'Py takes
seconds to start, so each project is read once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from comfyvn_vault.adapters import Source, apply_import
from comfyvn_vault.adapters.archive import FolderFiles
from comfyvn_vault.adapters.output import write_export
from comfyvn_vault.api import advisory, assets, edit, exports
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Choice, Node, Scene, Variable
from comfyvn_vault.domain.paths import entity_path
from comfyvn_vault.errors import InputRejected, StoryHasErrors
from comfyvn_vault.exporters.renpy import RenpyExporter, RenpyExportOptions
from comfyvn_vault.importers.renpy import RenpyImporter, RenpyOptions
from comfyvn_vault.vault import Vault
from tests.adapters.helpers import story as view_of
from tests.exporters.renpy_stories import stories
from tests.exporters.test_renpy_text import HOSTILE
from tests.importers.renpy_helpers import MINI

TOOLS = Path(os.environ.get("RENPY_TOOLS", "/work/shared/tools"))
THE_QUESTION = Path("/usr/share/games/renpy/the_question")
SAMPLES = Path(__file__).resolve().parents[2] / "comfyvn_vault" / "demo" / "samples"

pytestmark = pytest.mark.skipif(not (TOOLS / "renpy-lint").is_file(), reason="the Ren'Py tools are not here")


def lint(project: Path) -> str:
    done = subprocess.run([TOOLS / "renpy-lint", project], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return done.stdout


def dialogue(project: Path) -> list[tuple[str, str]]:
    """``(who, what)`` of every line Ren'Py reads, in file and line order (``what`` as Ren'Py text)."""
    done = subprocess.run([TOOLS / "renpy-dialogue", project], capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = []
    for line in done.stdout.decode("utf-8").split("\n")[1:]:  # bytes: a \r in a line is the line's own
        if not line:
            continue
        _ident, who, what, filename, number, _code = line.split("\t")
        rows.append((filename, int(number), who, unescape_tab(what)))
    return [(who, what) for _f, _n, who, what in sorted(rows)]


def unescape_tab(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def renpy_text(text: str) -> str:
    """Story text as Ren'Py holds it once read: brackets, braces and percents doubled (shown single)."""
    return text.replace("[", "[[").replace("{", "{{").replace("%", "%%")


def import_game(vault: Vault, root: Path, name: str) -> None:
    source = Source(b"", name=name, files=FolderFiles(root))
    apply_import(vault, RenpyImporter(), source, RenpyOptions())


# --------------------------------------------------------------------------- a story of the vault's own


def hostile_story(vault: Vault) -> list[tuple[str, str]]:
    """A branching story full of hostile text; the lines Ren'Py must read, as ``(who, text)``."""
    edit.character_new(vault, 'Zoë "the [great]" {b}', character_id="zoe")
    edit.character_new(vault, "Len", character_id="len")  # a name Python keeps for itself
    edit.var_set(vault, "trust", "0")
    scene_trust = Variable(id="scene-trust", name="trust", value=1, scope="scene")  # two variables of one name
    edit.save(vault, {entity_path("variables", "scene-trust"): scene_trust}, "A scene's own trust")
    edit.var_set(vault, "title", "the 100% [best]")
    edit.var_set(vault, "seen", "false", scope="session")
    added = assets.add(vault, [SAMPLES / "bg_harbor_night.png", SAMPLES / "chime.wav"], license="CC0-1.0")
    bg, chime = (a.id for a in added.assets)
    lines = [("zoe", text) for text in HOSTILE] + [("len", "Me? %s"), (None, "Narration: {w} [p]"), ("Mina", "Who?")]
    nodes = [
        Node(id="bg", type="action", directives={"scene": bg, "music": f"asset:{chime}", "mood": "grim\nand dark"}),
        *(Node(id=f"l{i}", speaker=who, content=text) for i, (who, text) in enumerate(lines)),
        Node(id="cond", speaker="len", content="Only when trusted.", conditions=["trust > 0", "not seen"]),
        Node(
            id="ask",
            type="choice",
            speaker="zoe",
            content='Pick [one] "now"',
            effects="seen = true",
            choices=[
                Choice(
                    id="c1", text="Climb {up} 50%", target="up", condition="global.trust >= 0", effects="trust += 1"
                ),
                Choice(id="c2", text='Wait "here"', target="harbour:", condition='trust < 5 and title != "x"'),
            ],
        ),
        Node(id="up", content="Up the stairs.", next=["dice"]),
        Node(id="skipped", content="Never said."),
        Node(
            id="dice",
            type="choice",
            choices=[
                Choice(id="a", text="heads", target="harbour:end", weight=3, effects="trust -= 1"),
                Choice(id="b", text="tails", target="harbour:", weight=1, condition="trust > 100"),
            ],
        ),
    ]
    harbour = [Node(id="start", content="The harbour."), Node(id="end", content="The end.")]
    edit.save(vault, {entity_path("scenes", "harbour"): Scene(id="harbour", title="Harbour", nodes=harbour)}, "Harbour")
    lighthouse = Scene(id="lighthouse-1", title="Light [house]", nodes=nodes)
    edit.save(vault, {entity_path("scenes", "lighthouse-1"): lighthouse}, "A hostile story")
    edit.timeline_new(vault, "Main", ["lighthouse-1", "harbour"])
    who = {"zoe": "zoe", "len": "c_len", None: "", "Mina": '"Mina"'}
    said = [(who[w], renpy_text(t)) for w, t in lines]
    said += [("c_len", "Only when trusted."), ("zoe", renpy_text('Pick [one] "now"'))]
    said += [("", "Up the stairs."), ("", "Never said."), ("", "The harbour."), ("", "The end.")]
    return said


def test_a_hostile_story_is_a_lint_clean_project_with_every_line(vault: Vault, tmp_path: Path) -> None:
    expected = hostile_story(vault)
    out = tmp_path / "game-out"
    result = exports.export(vault, "renpy", out)
    assert result.exporter == "renpy@1"
    assert "game/story.rpy" in result.files
    assert {"game/images/bg_harbor_night.png", "game/audio/chime.wav"} <= set(result.files)
    assert any("mood" in n for n in result.notes)  # a directive with no statement is said, not dropped silently
    script = (out / "game" / "story.rpy").read_text()
    assert "label start:\n    jump lighthouse_1" in script
    assert "scene bg_harbor_night" in script and 'play music "audio/chime.wav"' in script
    # a name of its own per variable, scoped only when two share one; a bare name is the closest scope's
    assert "if ((scene_trust > 0)) and ((not seen)):" in script
    assert "default global_trust = 0" in script and "default scene_trust = 1" in script
    assert "jump expression comfyvn_pick(" in script
    assert "The game contains 1 menus" in lint(out)
    assert Counter(dialogue(out)) == Counter(expected)


def test_the_export_refuses_a_story_with_errors_unless_forced(vault: Vault, tmp_path: Path) -> None:
    broken = Scene(id="broken", nodes=[Node(id="n1", content="Hi", conditions=["x >>= ("])])
    edit.save(vault, {entity_path("scenes", "broken"): broken}, "A condition that does not read")
    with pytest.raises(StoryHasErrors) as refused:
        exports.export(vault, "renpy", tmp_path / "out")
    assert refused.value.exit_code == 1 and "1 error" in str(refused.value)
    assert not (tmp_path / "out").exists()
    forced = exports.export(vault, "renpy", tmp_path / "out", force=True)
    assert any("condition kept out" in n for n in forced.notes)
    assert [f.kind for f in forced.findings] == ["bad-condition"]
    lint(tmp_path / "out")


def test_an_sfw_export_leaves_nsfw_media_and_the_scenes_using_them_out(vault: Vault, tmp_path: Path) -> None:
    added = assets.add(vault, [SAMPLES / "alice_neutral.png", SAMPLES / "bob_worried.png"], license="CC0-1.0")
    nsfw = assets.add(vault, [SAMPLES / "bg_lighthouse.png"], license="CC0-1.0", nsfw=True).assets[0].id
    kept = added.assets[0].id
    scenes = {
        "safe": Scene(
            id="safe",
            nodes=[
                Node(id="n1", type="action", directives={"show": kept}),
                Node(id="n2", content="Safe.", next=["risky:"]),
            ],
        ),
        "risky": Scene(
            id="risky",
            nodes=[
                Node(id="n1", type="action", directives={"scene": nsfw}),
                Node(id="n2", content="Not for everyone."),
            ],
        ),
    }
    for key in ("risky", "safe"):
        edit.save(vault, {entity_path("scenes", key): scenes[key]}, f"Scene {key}")
    edit.timeline_new(vault, "Main", ["safe", "risky"])
    result = exports.export(vault, "renpy", tmp_path / "sfw")
    assert not any("bg_lighthouse" in f for f in result.files)
    assert any("NSFW asset" in n for n in result.notes) and any("risky" in n for n in result.notes)
    said = dialogue(tmp_path / "sfw")
    assert ("", "Safe.") in said and ("", "Not for everyone.") not in said
    lint(tmp_path / "sfw")
    advisory.set_filter(vault, "warn")
    result = exports.export(vault, "renpy", tmp_path / "warn")
    assert any("bg_lighthouse" in f for f in result.files)
    assert ("", "Not for everyone.") in dialogue(tmp_path / "warn")


def test_an_unknown_option_is_refused(vault: Vault, tmp_path: Path) -> None:
    edit.scene_new(vault, "One", "one")
    with pytest.raises(InputRejected):
        exports.export(vault, "renpy", tmp_path / "out", options={"colour": "red"})


# --------------------------------------------------------------------------- round trips through Ren'Py


@pytest.mark.skipif(not (THE_QUESTION / "game" / "script.rpy").is_file(), reason="renpy-thequestion is missing")
@pytest.mark.parametrize("game", [THE_QUESTION, MINI], ids=["the-question", "mini"])
def test_an_imported_game_exports_as_the_same_lines_by_the_same_characters(
    game: Path, vault: Vault, tmp_path: Path
) -> None:
    project = tmp_path / "original"
    shutil.copytree(game, project, ignore=shutil.ignore_patterns("*.rpyc", "cache", "saves"))
    import_game(vault, project, game.name)
    out = tmp_path / "exported"
    result = exports.export(vault, "renpy", out)
    assert not [f for f in result.findings if f.severity == "error"]
    lint(out)
    original, exported = dialogue(project), dialogue(out)
    assert len(exported) == len(original) > 0
    assert Counter(exported) == Counter(original)


@given(docs=stories(max_scenes=8, max_nodes=8))
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_stories_with_any_text_are_lint_clean_and_say_every_line(
    docs: dict[str, Document], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp("random")
    write_export(RenpyExporter().plan(view_of(docs), RenpyExportOptions()), out)
    lint(out)
    lines = {
        renpy_text(n.content)
        for d in docs.values()
        if isinstance(d, Scene)
        for n in d.nodes
        if n.type == "text" or (n.type == "choice" and n.content)
    }
    assert {what for _who, what in dialogue(out)} == lines
