"""Reading Ren'Py script: logical lines and blocks, strings as Ren'Py shows them, and the statements."""

from __future__ import annotations

import pytest

from comfyvn_vault.importers.renpy import parser as p
from comfyvn_vault.importers.renpy.lexer import MAX_DEPTH, Scanner, ScriptError, lex, logical_lines, say_string


def test_logical_lines_run_on_inside_brackets_strings_and_after_a_backslash() -> None:
    text = (
        "label start:  # a comment\n"
        "\n"
        "    # a line that is only a comment\n"
        '    $ bag = [ "a",  # inside brackets\n'
        '        "b" ]\n'
        '    e "A string\n'
        '        over two lines."\n'
        "    $ x = 1 + \\\n"
        "        2\n"
        '    e """One\n\n    two"""\n'
    )
    lines = logical_lines(text)
    assert [(first, last) for first, last, _ in lines] == [(1, 1), (4, 5), (6, 7), (8, 9), (10, 12)]
    assert lines[0][2] == "label start:"
    assert lines[1][2] == '    $ bag = [ "a",  \n        "b" ]'
    assert "\\\n" in lines[3][2]


def test_blocks_follow_indentation() -> None:
    top = lex('label a:\n    "one"\n    menu:\n        "x":\n            pass\n    "two"\nlabel b:\n    return\n')
    assert [line.text for line in top] == ["label a:", "label b:"]
    assert [line.text for line in top[0].block] == ['"one"', "menu:", '"two"']
    assert top[0].block[1].block[0].block[0].text == "pass"
    assert top[0].last == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('label a:\n\t"tab"\n', "tab character"),
        ('label a:\n    "never closed\n', "unterminated string"),
        ("$ x = (1, 2]\n", "unmatched"),
        ("$ x = 1)\n", "unmatched"),
        ("$ x = (1,\n", "unterminated|never closed|unmatched"),
        ('    "indented first"\n', "unexpected indentation"),
        ('label a:\n        "deep"\n    "back to no level"\n', "dedent"),
        ("$ x = 1 \\ 2\n", "backslash"),
        ('label a:\n    "bell \x07"\n    e \x07\n', "control character"),
    ],
)
def test_what_ren_py_refuses_to_read_is_a_script_error(text: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        lex(text)


def test_nesting_past_the_cap_is_refused() -> None:
    text = (
        "".join(f"{'    ' * depth}label l{depth}:\n" for depth in range(MAX_DEPTH + 2))
        + "    " * (MAX_DEPTH + 2)
        + "pass\n"
    )
    with pytest.raises(ScriptError, match="nested deeper"):
        lex(text)


@pytest.mark.parametrize(
    ("literal", "shown"),
    [
        (r'"plain"', "plain"),
        (r'"a \"quote\" and a \\ backslash"', 'a "quote" and a \\ backslash'),
        (r'"new\nline"', "new\nline"),
        (r'"\{not a tag} and {b}a tag{/b} [name]"', "{{not a tag} and {b}a tag{/b} [name]"),
        (r'"100\% and \[x]"', "100%% and [[x]"),
        (r'"caf\u00e9"', "café"),
        ('"runs   of\n    space"', "runs of space"),
        (r"'single \' quote'", "single ' quote"),
        (r'r"raw \n stays"', r"raw \n stays"),
        ("`backtick`", "backtick"),
    ],
)
def test_strings_are_what_ren_py_shows(literal: str, shown: str) -> None:
    assert say_string(literal) == shown


def test_the_scanner_reads_simple_expressions_as_ren_py_does() -> None:
    s = Scanner("eileen happy at left, slide(0.5) with Dissolve(.5) behind bg", 1)
    assert [s.image_component(), s.image_component(), s.image_component()] == ["eileen", "happy", None]
    assert s.keyword("at")
    assert s.simple_expression_list() == ["left", "slide(0.5)"]
    assert s.keyword("with")
    assert s.simple_expression() == "Dissolve(.5)"
    assert s.keyword("behind") and s.name() == "bg" and s.eol()
    s = Scanner('"a" + b.c[1] (x) if y == ":" :', 1)
    assert s.simple_expression() == '"a" + b.c[1] (x)'
    assert s.keyword("if")
    assert s.python_until(":") == 'y == ":"'
    assert s.literal(":") and s.eol()


def _only(text: str) -> p.Statement:
    script = p.parse(text)
    assert len(script.statements) == 1, script.statements
    return script.statements[0]


def test_say_statements() -> None:
    say = _only('e happy -sad @ wink "Hi" with vpunch id greet_1 (what_color="#f00") nointeract\n')
    assert isinstance(say, p.Say)
    assert (say.who, say.what, say.attributes, say.temporary) == ("e", "Hi", "happy -sad", "wink")
    assert (say.with_, say.identifier, say.arguments, say.interact) == (
        "vpunch",
        "greet_1",
        '(what_color="#f00")',
        False,
    )
    narration = _only('"Just narration."\n')
    assert isinstance(narration, p.Say) and narration.who is None
    named = _only('"Eileen" "A one-off name."\n')
    assert isinstance(named, p.Say) and named.who == '"Eileen"' and named.what == "A one-off name."


def test_a_triple_quoted_say_is_a_monologue_split_on_blank_lines() -> None:
    script = p.parse('e """\n    First, over\n    two lines.\n\n    Second.\n    """\n')
    assert [(s.who, s.what) for s in script.statements if isinstance(s, p.Say)] == [
        ("e", "First, over two lines."),
        ("e", "Second."),
    ]
    single = p.parse('rpy monologue single\ne """\n    One\n    Two\n    """\n')
    assert [s.what for s in single.statements if isinstance(s, p.Say)] == ["One", "Two"]


def test_menus() -> None:
    menu = _only(
        "menu pick (screen='choice'):\n"
        "    set chosen\n"
        "    with dissolve\n"
        '    e "Which one?"\n'
        '    "Left" if x > 1:\n'
        "        jump left\n"
        '    "Right" (big=True):\n'
        "        pass\n"
    )
    assert isinstance(menu, p.Menu)
    assert (menu.name, menu.arguments, menu.set_, menu.with_) == ("pick", "(screen='choice')", "chosen", "dissolve")
    assert menu.say is not None and (menu.say.who, menu.say.what, menu.say.interact) == ("e", "Which one?", False)
    assert [(c.text, c.condition, c.arguments) for c in menu.choices] == [
        ("Left", "x > 1", None),
        ("Right", None, "(big=True)"),
    ]
    assert isinstance(menu.choices[0].block[0], p.Jump)
    captioned = _only('menu:\n    "A caption."\n    "Go":\n        return\n')
    assert isinstance(captioned, p.Menu) and captioned.captions == ["A caption."] and captioned.say is None


def test_if_elif_else_and_flow() -> None:
    script = p.parse(
        "label a:\n"
        "    if x == ':':\n"
        "        jump expression target\n"
        "    elif y:\n"
        "        call b(1, k=2) from _call_b\n"
        "    else:\n"
        "        return x\n"
        "    jump .local\n"
        "    label .local:\n"
        "        pass\n"
    )
    label = script.statements[0]
    assert isinstance(label, p.Label)
    branch = label.block[0]
    assert isinstance(branch, p.If)
    assert [b.condition for b in branch.branches] == ["x == ':'", "y", None]
    jump, call, ret = (b.block[0] for b in branch.branches)
    assert jump == p.Jump(3, 3, 8, "target", expression=True)
    assert call == p.Call(5, 5, 8, "b", arguments="(1, k=2)", from_="_call_b")
    assert ret == p.Return(7, 7, 8, "x")
    assert label.block[1] == p.Jump(8, 8, 4, "a.local")
    inner = label.block[2]
    assert isinstance(inner, p.Label) and inner.name == "a.local"


def test_images_audio_and_python() -> None:
    script = p.parse(
        "scene onlayer back bg room at truecenter with fade\n"
        "show expression Text('x') as t zorder 2 behind bg onlayer top\n"
        "show eileen:\n"
        "    xalign 0.5\n"
        "hide eileen with dissolve\n"
        "scene\n"
        "with None\n"
        'play music ["a.ogg", "b.ogg"] fadein 1.0 fadeout 0.5 loop if_changed volume 0.5\n'
        'queue sound "c.ogg" noloop\n'
        "stop music fadeout 2.0\n"
        'voice "v1.ogg"\n'
        "voice sustain\n"
        "pause 0.5\n"
        "pause\n"
        "$ renpy.pause(1)\n"
        "python hide:\n"
        "    x = 1\n"
        'image eileen happy = "eileen_happy.png"\n'
        "image spin:\n"
        '    "a.png"\n'
        'define 2 config.name = "Mini"\n'
        "define e = Character('Eileen')\n"
        "define config.keymap['x'] += ['y']\n"
        "default menu = 1\n"
    )
    kinds = [type(s).__name__ for s in script.statements]
    assert kinds == [
        *("Show", "Show", "Show", "Show", "Show", "With"),
        *("Audio", "Audio", "Audio", "Audio", "Audio", "Pause", "Pause", "Python", "Python"),
        *("Image", "Image", "Define", "Define", "Define", "Define"),
    ]
    scene, expr, atl, hide, empty = script.statements[:5]
    assert isinstance(scene, p.Show) and scene.image == "bg room"
    assert scene.clauses == {"onlayer": "back", "at": "truecenter", "with": "fade"}
    assert isinstance(expr, p.Show) and expr.expression and expr.image == "Text('x')"
    assert expr.clauses == {"as": "t", "zorder": "2", "behind": "bg", "onlayer": "top"}
    assert isinstance(atl, p.Show) and atl.clauses == {"atl": "xalign 0.5"}
    assert isinstance(hide, p.Show) and hide.verb == "hide" and hide.clauses == {"with": "dissolve"}
    assert isinstance(empty, p.Show) and empty.image is None
    play = script.statements[6]
    assert isinstance(play, p.Audio) and (play.channel, play.file) == ("music", '["a.ogg", "b.ogg"]')
    assert play.clauses == {"fadein": "1.0", "fadeout": "0.5", "loop": "true", "if_changed": "true", "volume": "0.5"}
    block = script.statements[14]
    assert isinstance(block, p.Python) and block.block and block.code == "x = 1" and block.header == "hide"
    priority, character, plus, keyword = script.statements[-4:]
    assert isinstance(priority, p.Define) and (priority.name, priority.priority) == ("config.name", 2)
    assert isinstance(character, p.Define) and character.value == "Character('Eileen')"
    assert isinstance(plus, p.Define) and (plus.operator, plus.index) == ("+=", "'x'")
    assert isinstance(keyword, p.Define) and keyword.default and keyword.name == "menu"


def test_everything_else_is_kept_as_written_with_what_it_declares() -> None:
    text = (
        "init python:\n"
        "    # a comment stays\n"
        '    e = Character("Eileen",\n'
        '                  color="#fff")\n'
        "screen hello():\n"
        '    text "Hi"\n'
        "init:\n"
        '    image bg = "bg.png"\n'
        "window show\n"
        "elif x:\n"
        "    pass\n"
    )
    script = p.parse(text)
    init, screen, old, window, orphan = script.statements
    assert isinstance(init, p.Raw) and init.keyword == "init"
    assert init.characters == [("e", 'Character("Eileen",\n              color="#fff")', 3)]
    assert script.source(init) == "\n".join(text.split("\n")[:4])
    assert isinstance(screen, p.Raw) and screen.keyword == "screen" and script.source(screen).endswith('text "Hi"')
    assert isinstance(old, p.Raw) and [type(s).__name__ for s in old.inner] == ["Image"]
    assert isinstance(window, p.Raw) and window.keyword == "window"
    assert isinstance(orphan, p.Raw) and orphan.keyword == "elif"
    assert [n for _, n in script.notes] == ["'elif' statement not understood ('elif' without an 'if'): kept as written"]


def test_a_creator_defined_statement_with_a_block_of_script_is_read_into_it() -> None:
    script = p.parse('label a:\n    example big:\n        e "Inside."\n')
    label = script.statements[0]
    assert isinstance(label, p.Label)
    example = label.block[0]
    assert isinstance(example, p.Raw) and example.script and example.head == 2
    assert isinstance(example.inner[0], p.Say)


@pytest.mark.parametrize(
    "line",
    [
        "show\n",
        "jump\n",
        "menu:\n    pass\n",
        'menu:\n    "no block":\n',
        "if:\n    pass\n",
        "scene bg with\n",
        "play music\n",
        'play music "a.ogg" sideways\n',
        "define = 1\n",
        "image = 1\n",
        "label :\n",
        "return\n    pass\n",
        'e "say" with\n',
    ],
)
def test_a_statement_that_does_not_parse_is_kept_as_written_and_noted(line: str) -> None:
    script = p.parse(line)
    assert [type(s).__name__ for s in script.statements] == ["Raw"]
    assert len(script.notes) == 1
