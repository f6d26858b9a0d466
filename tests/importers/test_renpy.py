"""The renpy importer: what a game imports as (scenes, flow, characters, variables, assets, lineage)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from comfyvn_vault.adapters import Source, apply_import, check_plan, story_view
from comfyvn_vault.adapters.archive import FolderFiles
from comfyvn_vault.domain.asset_events import AssetImported
from comfyvn_vault.domain.assets import Asset
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Character, Node, Scene, Variable
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers import BUILTIN
from comfyvn_vault.importers.renpy import RenpyImporter, RenpyOptions
from comfyvn_vault.importers.renpy.rpa import build
from comfyvn_vault.store.ids import hash_bytes
from comfyvn_vault.vault import Vault
from tests.adapters.helpers import applied, story
from tests.importers.renpy_helpers import MINI, plan_bytes, plan_folder, scenes_of


def _game(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    for name, data in files.items():
        path = tmp_path / "game" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return tmp_path


def _by_line(scene: Scene) -> dict[int, Node]:
    return {int(n.meta["source_line"]): n for n in scene.nodes if "source_line" in n.meta}  # type: ignore[arg-type]


def _findings(plan: object) -> list[str]:
    return [str(f) for f in plan.summary.findings]  # type: ignore[attr-defined]


def test_the_kind_is_registered() -> None:
    assert BUILTIN["renpy"] == "comfyvn_vault.importers.renpy:RenpyImporter"


def test_the_fixture_game_plans_a_scene_per_label_and_per_file() -> None:
    plan = plan_folder(MINI)
    view = story()
    check_plan(plan, view.lookup, view.listing)
    assert plan.summary.scenes == ["file-options.rpy", "file-script.rpy", "start", "choose.leave", "lucy", "ending"]
    assert plan.summary.characters == ["eileen", "lucy", "ryan", "mystery"]
    assert _findings(plan) == [
        "game/script.rpy, line 9: default inventory = [] is not a story variable (int, text or bool): kept as written"
    ]
    assert plan.message() == "Import mini with renpy@1: 6 scenes, 4 characters, 8 assets"


def test_say_statements_are_lines_with_their_speaker_and_ren_py_text() -> None:
    start = scenes_of(plan_folder(MINI))["start"]
    lines = _by_line(start)
    assert (lines[25].speaker, lines[25].content) == ("Eileen", 'Hello, {b}world{/b}! Say "hi" to [player].')
    assert lines[25].meta["who"] == "e" and lines[25].meta["source_file"] == "game/script.rpy"
    assert (lines[26].speaker, lines[26].content, lines[26].meta["who"]) == ("Eileen", " And welcome.", "extend")
    assert lines[27].content == "A line that spans two lines." and lines[27].directives == {"attributes": "happy"}
    assert lines[29].directives == {"temporary_attributes": "happy"}
    assert lines[30].speaker is None and "who" not in lines[30].meta
    assert lines[30].content == "Narration with \\ a backslash, {{ a brace, 100%% and a\nnewline."
    assert (lines[31].speaker, lines[31].meta["who"]) == (None, "n")  # Character(None): narration
    lucy = _by_line(scenes_of(plan_folder(MINI))["lucy"])
    assert lucy[65].directives == {"with": "vpunch"}
    assert (lucy[67].speaker, lucy[67].meta["who"]) == ("Mystery", '"Mystery"')
    assert [n.content for n in scenes_of(plan_folder(MINI))["lucy"].nodes if n.meta.get("source_line") == 68] == [
        "A monologue, told over",
        "two lines.",
    ]


def test_a_menu_is_a_choice_node_whose_choices_lead_to_their_blocks() -> None:
    scenes = scenes_of(plan_folder(MINI))
    start = scenes["start"]
    menu = _by_line(start)[36]
    assert (menu.type, menu.content, menu.meta["menu_caption"]) == ("choice", "What now?", "caption")
    assert menu.directives == {"renpy": "menu", "label": "choose"}
    assert menu.meta["choice_arguments"] == ["", '("big")', ""]
    visit, stay, leave = menu.choices
    assert (visit.text, visit.condition, visit.target) == ("Visit Lucy", "not met_lucy", "n13")
    assert [start.nodes[12].directives, start.nodes[13].directives] == [
        {"renpy": "python", "code": "met_lucy = True"},
        {"renpy": "jump", "label": "lucy"},
    ]
    assert start.nodes[13].next == ["lucy:"]
    assert (stay.text, stay.target) == ("Stay", "n15")
    assert start.nodes[14].next == []  # on to "After the menu."
    assert leave.target == "choose.leave:"  # a block that only jumps leads where it jumps
    said = next(n for n in scenes["lucy"].nodes if n.type == "choice")
    assert (said.speaker, said.content, said.meta["menu_caption"], said.meta["caption_line"]) == (
        "Lucy",
        "Come with me?",
        "say",
        81,
    )
    assert [c.target for c in said.choices] == ["choose.leave:", "n11"]


def test_if_elif_else_is_a_choice_node_on_conditions_and_branches_rejoin() -> None:
    start = scenes_of(plan_folder(MINI))["start"]
    lines = _by_line(start)
    first = lines[47]
    assert first.directives == {"renpy": "if"}
    assert [(c.text, c.condition, c.target) for c in first.choices] == [
        ("if points > 2", "points > 2", "n19"),
        ("elif points > 1", "points > 1", "n20"),
        ("else", None, "n21"),
    ]
    assert [lines[48].next, lines[50].next, lines[52].next] == [["n22"], ["n22"], []]
    second = lines[53]
    assert second.meta["implicit_else"] is True
    assert [(c.text, c.condition, c.target) for c in second.choices] == [
        ("if met_lucy", "met_lucy", "n23"),
        ("else", None, "n24"),
    ]


def test_a_label_inside_a_label_is_a_scene_entered_and_left_where_it_stands() -> None:
    scenes = scenes_of(plan_folder(MINI))
    marker = _by_line(scenes["start"])[55]
    assert marker.directives == {"renpy": "label", "scene": "choose.leave"}
    assert marker.next == ["choose.leave:"]
    assert [n.next for n in scenes["choose.leave"].nodes] == [["start:n25"]]
    assert scenes["choose.leave"].meta["renpy_label"] == "choose.leave"


def test_statements_are_actions_with_their_parts_as_directives() -> None:
    plan = plan_folder(MINI)
    assets = {e.asset.name: e.asset.id for e in plan.events if isinstance(e, AssetImported)}
    lines = _by_line(scenes_of(plan)["start"])
    assert lines[22].directives == {
        "renpy": "play",
        "channel": "music",
        "file": '"audio/theme.wav"',
        "asset": assets["game/audio/theme.wav"],
        "fadein": "1.0",
        "loop": "true",
    }
    assert lines[23].directives == {
        "renpy": "scene",
        "image": "bg room",
        "asset": assets["game/images/bg room.png"],
        "with": "fade",
    }
    assert lines[24].directives["at"] == "left, slide"
    assert lines[24].directives["asset"] == assets["game/images/eileen happy.png"]
    assert lines[32].directives == {"renpy": "python", "code": "points += 1"}
    assert lines[33].directives == {"renpy": "python", "code": "ok = True\npoints = points * 2", "block": "true"}
    assert lines[46].directives == {"renpy": "call", "label": "lucy", "from": "_call_lucy", "scene": "lucy"}
    assert (lines[57].directives, lines[57].content) == ({"renpy": "raw", "statement": "window"}, "window show")
    assert lines[58].directives == {"renpy": "pause", "delay": "1.0"}
    assert lines[59].directives == {"renpy": "hide", "image": "eileen", "with": "dissolve"}
    assert lines[60].directives == {"renpy": "stop", "channel": "music", "fadeout": "2.0"}
    assert lines[61].directives == {"renpy": "return"}


def test_each_file_is_a_scene_of_its_top_level_statements() -> None:
    scenes = scenes_of(plan_folder(MINI))
    script = scenes["file-script.rpy"]
    assert script.title == "game/script.rpy" and script.meta["renpy_file"] == "game/script.rpy"
    kinds = [n.directives["renpy"] for n in script.nodes]
    assert kinds == [*["define"] * 3, *["default"] * 4, "image", "image", "raw", "raw", *["label"] * 3]
    assert script.nodes[0].directives == {
        "renpy": "define",
        "name": "e",
        "value": 'Character("Eileen", image="eileen", color="#c8ffc8")',
        "character": "eileen",
    }
    assert script.nodes[3].directives["variable"] == "points"
    assert script.nodes[10].content == "transform slide:\n    xalign 0.0\n    linear 1.0 xalign 1.0"
    assert [n.directives.get("scene") for n in script.nodes[-3:]] == ["start", "lucy", "ending"]
    options = scenes["file-options.rpy"]
    screen = next(n for n in options.nodes if n.directives.get("statement") == "screen")
    assert screen.content == 'screen hello():\n    text "Hello" xalign 0.5'
    about = next(n for n in options.nodes if n.directives.get("name") == "gui.about")
    assert about.directives["value"] == '_("""Made for\nthe tests.""")'


def test_characters_variables_and_their_images() -> None:
    docs = applied(plan_folder(MINI))
    eileen = docs["characters/eileen"]
    assert isinstance(eileen, Character) and eileen.name == "Eileen"
    assert set(eileen.expressions) == {"happy"} and eileen.meta["renpy_image"] == "eileen"
    assert eileen.meta["renpy_var"] == "e" and eileen.meta["renpy_define"].startswith("Character(")  # type: ignore[union-attr]
    ryan = docs["characters/ryan"]
    assert isinstance(ryan, Character) and ryan.meta["renpy_var"] == "r"  # from an init python block
    assert [(v.name, v.value) for v in docs.values() if isinstance(v, Variable)] == [
        ("points", 0),
        ("met_lucy", False),
        ("player", "Sam"),
    ]


def test_media_translations_and_scripts_are_assets_and_the_folder_a_manifest() -> None:
    plan = plan_folder(MINI)
    assets = {e.asset.name: (e.asset, e.source) for e in plan.events if isinstance(e, AssetImported)}
    assert set(assets) == {
        "mini",
        "game/audio/theme.wav",
        "game/images/bg room.png",
        "game/images/eileen happy.png",
        "game/images/lucy.png",
        "game/options.rpy",
        "game/script.rpy",
        "game/tl/french/script.rpy",
    }
    assert len(plan.summary.assets) == len(assets) == 8
    kinds = {name: (a.kind, a.mime) for name, (a, _) in assets.items()}
    assert kinds["game/images/lucy.png"] == ("image", "image/png")
    assert kinds["game/audio/theme.wav"] == ("audio", "audio/wav")
    assert kinds["game/tl/french/script.rpy"] == ("text", "text/x-renpy")
    assert {src for _, src in assets.values()} == {"mini"}
    manifest = plan.blobs[assets["mini"][0].blob].decode()
    files = sorted(p.relative_to(MINI).as_posix() for p in MINI.rglob("*") if p.is_file())
    assert manifest.splitlines()[1:] == [f"{hash_bytes((MINI / f).read_bytes()).hex()}  {f}" for f in files]
    assert plan.source_asset == assets["mini"][0].id
    start = scenes_of(plan)["start"]
    assert start.meta["source_asset"] == plan.source_asset
    assert start.meta["source_script"] == assets["game/script.rpy"][0].id


def test_the_manifest_is_the_same_for_the_same_files(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(MINI, copy)
    assert plan_folder(copy, "mini").source_asset == plan_folder(MINI).source_asset
    (copy / "game" / "extra.txt").write_text("more")
    assert plan_folder(copy, "mini").source_asset != plan_folder(MINI).source_asset


def test_options_leave_out_media_translations_and_scripts() -> None:
    plan = plan_folder(MINI, assets=False, translations=False, scripts=False)
    names = [e.asset.name for e in plan.events if isinstance(e, AssetImported)]
    assert names == ["mini"]
    start = scenes_of(plan)["start"]
    assert "source_script" not in start.meta
    assert "asset" not in _by_line(start)[23].directives


def test_a_lone_script_is_its_own_source(vault: Vault) -> None:
    data = b'define e = Character("Eileen")\nlabel start:\n    e "Alone."\n'
    result = apply_import(vault, RenpyImporter(), Source(data, "path/to/intro.rpy"), RenpyOptions())
    view = story_view(vault.history)
    scene = view.lookup("scenes/start")
    assert isinstance(scene, Scene)
    assert scene.meta["source_asset"] == hash_bytes(data).hex() and "source_script" not in scene.meta
    assert scene.nodes[0].meta == {"source_line": 3, "source_file": "game/intro.rpy", "who": "e"}
    source = view.lookup(f"assets/{hash_bytes(data).hex()}")
    assert isinstance(source, Asset) and source.kind == "text" and source.name == "path/to/intro.rpy"
    assert result.summary.scenes == ["file-intro.rpy", "start"]


def test_the_game_folder_itself_or_a_folder_holding_one_project_is_read(tmp_path: Path) -> None:
    nested = tmp_path / "games" / "mini"
    shutil.copytree(MINI, nested)
    assert plan_folder(tmp_path, "games").summary.scenes == plan_folder(MINI).summary.scenes
    assert plan_folder(MINI / "game", "game").summary.scenes == plan_folder(MINI).summary.scenes
    shutil.copytree(MINI, tmp_path / "games" / "other")
    with pytest.raises(InputRejected, match="several Ren'Py projects"):
        plan_folder(tmp_path, "games")


def test_flow_falls_through_labels_and_ends_at_an_end_node(tmp_path: Path) -> None:
    script = (
        "label a:\n"
        '    "In a."\n'
        "label b:\n"
        "    menu:\n"
        '        "Stop":\n'
        "            return\n"
        '        "Go on":\n'
        '            "Went on."\n'
        "label empty:\n"
        "label c:\n"
        "    jump nowhere\n"
    )
    plan = plan_folder(_game(tmp_path, {"script.rpy": script}), "flow")
    scenes = scenes_of(plan)
    assert [n.next for n in scenes["a"].nodes] == [["b:"]]
    b = scenes["b"]
    assert [(n.type, n.directives.get("renpy"), n.next) for n in b.nodes] == [
        ("choice", "menu", []),
        ("action", "return", ["n4"]),
        ("text", None, ["empty:"]),
        ("action", "end", []),
    ]
    assert b.nodes[3].meta == {"implicit": True}
    assert [c.target for c in b.nodes[0].choices] == ["n2", "n3"]
    assert [(n.directives, n.next) for n in scenes["empty"].nodes] == [({"renpy": "pass"}, ["c:"])]
    assert scenes["c"].nodes[0].next == []
    assert "game/script.rpy, line 11: jump to label 'nowhere', which the scripts do not define" in _findings(plan)


def test_statements_after_a_label_at_the_top_level_belong_to_its_scene(tmp_path: Path) -> None:
    script = (
        "label a:\n"
        '    "Inside."\n'
        '"After the block, still a."\n'
        "define x = 1\n"
        "example:\n"
        '    "In an example block."\n'
        "label b:\n"
        "    return\n"
    )
    scenes = scenes_of(plan_folder(_game(tmp_path, {"script.rpy": script}), "top"))
    a = scenes["a"]
    assert [(n.content, n.meta.get("renpy_toplevel"), n.meta.get("renpy_block")) for n in a.nodes] == [
        ("Inside.", None, None),
        ("After the block, still a.", True, None),
        ("example:", True, None),
        ("In an example block.", True, "n3"),
    ]
    assert a.nodes[2].directives == {"renpy": "raw", "statement": "example", "block": "script"}
    assert a.nodes[-1].next == ["b:"]
    assert [n.directives["renpy"] for n in scenes["file-script.rpy"].nodes] == ["label", "define", "label"]


def test_local_labels_and_menu_names_are_jump_targets(tmp_path: Path) -> None:
    script = (
        "label a:\n"
        "    jump .end\n"
        "label .end:\n"
        "    jump a.end\n"
        "label b:\n"
        '    "Before."\n'
        "    menu ask:\n"  # a menu's name is a label, and local labels now follow it
        '        "Again":\n'
        "            jump ask\n"
        '        "On":\n'
        "            jump .on\n"
        "label .on:\n"
        "    return\n"
    )
    scenes = scenes_of(plan_folder(_game(tmp_path, {"script.rpy": script}), "local"))
    assert scenes["a"].nodes[0].next == ["a.end:"]
    assert scenes["a.end"].nodes[0].next == ["n1"]  # a jump to its own scene's start
    assert [c.target for c in scenes["b"].nodes[1].choices] == ["n2", "ask.on:"]


def test_an_existing_story_keeps_its_scenes_and_cast(tmp_path: Path) -> None:
    start = Scene(id="start", title="Someone else's", nodes=[Node(id="n1", content="Theirs.")])
    eileen = Character(id="eileen", name="Eileen")
    ryan = Character(id="ryan", name="Ryan the other")
    docs: dict[str, Document | None] = {"scenes/start": start, "characters/eileen": eileen, "characters/ryan": ryan}
    source = Source(b"", name="mini", files=FolderFiles(MINI))
    plan = RenpyImporter().plan(source, RenpyOptions(), story(docs).lookup)
    view = story(docs)
    check_plan(plan, view.lookup, view.listing)
    after = applied(plan, docs)
    assert after["scenes/start"] == start
    moved = after["scenes/start-2"]
    assert isinstance(moved, Scene) and moved.meta["renpy_label"] == "start"
    assert after["characters/eileen"] == eileen  # same name: the same character
    assert isinstance(after["characters/ryan-2"], Character)  # another Ryan
    lucy = after["scenes/lucy"]
    assert isinstance(lucy, Scene)
    assert lucy.nodes[-2].choices[0].target == "choose.leave:"
    marker = next(n for n in moved.nodes if n.directives.get("renpy") == "label")
    assert marker.next == ["choose.leave:"]
    jump = next(n for n in moved.nodes if n.directives.get("renpy") == "jump")
    assert jump.next == ["lucy:"]


def test_an_import_is_one_commit_with_the_working_copy_written(vault: Vault) -> None:
    result = apply_import(vault, RenpyImporter(), Source(b"", name="mini", files=FolderFiles(MINI)), RenpyOptions())
    assert result.commit is not None and result.importer == "renpy@1"
    view = story_view(vault.history)
    assert {s.id for s in view.scenes()} == set(result.summary.scenes)
    assert (vault.root / "scenes" / "start.toml").is_file()
    assert vault.store.has(hash_bytes((MINI / "game" / "images" / "lucy.png").read_bytes()))


def test_a_script_that_is_not_utf8_or_does_not_lex_is_noted_and_kept_as_text(tmp_path: Path) -> None:
    root = _game(
        tmp_path,
        {
            "script.rpy": 'label start:\n    "Fine."\n',
            "latin1.rpy": b'label l:\n    "caf\xe9"\n',
            "tabs.rpy": 'label t:\n\t"tab"\n',
            "long.rpy": "label x:\n    " + "#" * ((1 << 20) + 1) + "\n",
        },
    )
    plan = plan_folder(root, "odd")
    assert plan.summary.scenes == ["file-script.rpy", "start"]
    kept = "the script is not read, only kept as a text asset"
    assert _findings(plan) == [
        f"game/latin1.rpy: not UTF-8 text (byte 17): {kept}",
        f"game/long.rpy: line 2 is longer than {1 << 20} characters: {kept}",
        f"game/tabs.rpy, line 2: a tab character outside a string (Ren'Py refuses it): {kept}",
    ]
    names = {e.asset.name for e in plan.events if isinstance(e, AssetImported)}
    assert {"game/latin1.rpy", "game/tabs.rpy", "game/long.rpy"} <= names
    with pytest.raises(InputRejected, match=r"latin1\.rpy: not UTF-8"):
        plan_folder(root, "odd", strict=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'label a:\n    "caf\xe9"\n', "not UTF-8"),
        (b'label a:\n\t"tab"\n', "tab character"),
        (b"label a:\n    " + b"x" * ((1 << 20) + 1) + b"\n", "longer than"),
        (b'label a:\n    "open\n', "unterminated string"),
    ],
)
def test_a_lone_script_ren_py_would_not_read_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(InputRejected, match=message):
        plan_bytes(data)


def test_a_folder_with_nothing_to_import_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a game")
    with pytest.raises(InputRejected, match="no Ren'Py project here"):
        plan_folder(tmp_path, "x")
    root = _game(tmp_path / "fonts", {"x.ttf": b"\0", "a.rpa": build({"y.ttf": b"\0"})})
    with pytest.raises(InputRejected, match="no Ren'Py script, image or sound"):
        plan_folder(root, "x")


def test_compiled_scripts_without_source_are_noted(tmp_path: Path) -> None:
    root = _game(tmp_path, {"script.rpy": 'label start:\n    "x"\n', "script.rpyc": b"\0", "other.rpyc": b"\0"})
    assert "1 compiled script(s) (.rpyc) without their .rpy not read: only source is imported" in _findings(
        plan_folder(root, "x")
    )


def test_speakers_no_script_defines_are_characters_by_that_name(tmp_path: Path) -> None:
    script = 'label a:\n    x "Who?"\n    x "Again."\n    define y = Character(player_name)\n    y "Dynamic."\n'
    plan = plan_folder(_game(tmp_path, {"script.rpy": script}), "x")
    docs = applied(plan)
    assert [c.name for c in docs.values() if isinstance(c, Character)] == ["y", "x"]
    found = _findings(plan)
    assert (
        "game/script.rpy, line 2: speaker 'x' is not a Character the scripts define: its lines are spoken by 'x'"
        in found
    )
    assert "game/script.rpy, line 4: character 'y' has a computed name: its lines are spoken by 'y'" in found


def test_plain_defines_and_defaults_of_ints_text_and_bools_are_variables(tmp_path: Path) -> None:
    script = (
        "define max_points = 10\n"
        'define title = "The Mini"\n'
        "define config.name = 'kept'\n"
        "define pair = (1, 2)\n"
        "default persistent.seen = False\n"
        "default -1 flag = True\n"
        "label a:\n"
        "    return\n"
    )
    plan = plan_folder(_game(tmp_path, {"script.rpy": script}), "x")
    variables = [v for v in applied(plan).values() if isinstance(v, Variable)]
    assert [(v.id, v.name, v.value, v.meta["renpy"]) for v in variables] == [
        ("max_points", "max_points", 10, "define"),
        ("title", "title", "The Mini", "define"),
        ("flag", "flag", True, "default"),
    ]
    nodes = scenes_of(plan)["file-script.rpy"].nodes
    assert [n.directives.get("variable") for n in nodes[:6]] == ["max_points", "title", None, None, None, "flag"]
    assert nodes[5].directives["priority"] == "-1"
    assert _findings(plan) == []


def test_speakers_of_one_name_are_one_character(tmp_path: Path) -> None:
    script = (
        'define e = Character("Eileen")\n'
        'define e_shout = Character("Eileen", what_bold=True)\n'
        "label a:\n"
        '    e "Hi."\n'
        '    e_shout "HI."\n'
        '    "eileen" "hi."\n'
    )
    plan = plan_folder(_game(tmp_path, {"script.rpy": script}), "x")
    cast = [c for c in applied(plan).values() if isinstance(c, Character)]
    assert [(c.id, c.name, c.meta["renpy_var"], c.meta["renpy_also"]) for c in cast] == [
        ("eileen", "Eileen", "e", ["e_shout"])
    ]
    assert [(n.speaker, n.meta["who"]) for n in scenes_of(plan)["a"].nodes] == [
        ("Eileen", "e"),
        ("Eileen", "e_shout"),
        ("eileen", '"eileen"'),
    ]


def test_many_findings_are_counted_past_the_first_ones(tmp_path: Path) -> None:
    script = "label a:\n" + "".join(f"    jump nowhere{i}\n" for i in range(80))
    found = _findings(plan_folder(_game(tmp_path, {"script.rpy": script}), "x"))
    assert len(found) == 51 and found[-1] == "30 more findings like these"
