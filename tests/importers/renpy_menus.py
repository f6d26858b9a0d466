"""Ren'Py's own reading of the menus in some scripts, for the importer's tests (an oracle, not a test).

Run by the Python Ren'Py is installed for, with Ren'Py's folder first::

    /usr/bin/python3 renpy_menus.py /usr/share/games/renpy game/script.rpy ...

It parses each script with Ren'Py's parser (nothing of the game runs) and
prints, as JSON, every menu: its line, the say statement shown with it, its
captions, and each choice's text, condition and (when its block is only a
jump) the label it jumps to; and the scripts it could not parse this way
(screens and transforms need the game's start-up, which does not run here).
"""

import json
import sys
import types

sys.path.insert(0, sys.argv[1])

import renpy

renpy.import_all()  # every module of Ren'Py, renpy.parser and renpy.ast among them

# Just enough of a running game for the parser: no init phase, no compiled-code cache.
renpy.game.contexts = [types.SimpleNamespace(init_phase=False)]
renpy.game.script = types.SimpleNamespace(all_pyexpr=None, record_pycode=False, all_pycode=[])


def blocks(node):
    if isinstance(node, renpy.ast.Menu):
        return [b for _, _, b in node.items if b]
    if isinstance(node, renpy.ast.If):
        return [b for _, b in node.entries]
    block = getattr(node, "block", None)
    return [block] if isinstance(block, list) else []


def walk(block, name, out):
    for i, node in enumerate(block):
        if isinstance(node, renpy.ast.Menu):
            before = block[i - 1] if i else None
            said = None
            if isinstance(before, renpy.ast.Say) and not before.interact:
                said = [before.who or "", before.what, before.linenumber]
            choices = []
            captions = []
            for label, condition, body in node.items:
                if body is None:
                    captions.append(label)
                    continue
                jump = None
                if len(body) == 1 and isinstance(body[0], renpy.ast.Jump) and not body[0].expression:
                    jump = body[0].target
                choices.append([label, None if condition == "True" else condition, jump])
            out.append({"file": name, "line": node.linenumber, "say": said, "captions": captions, "choices": choices})
        for inner in blocks(node):
            walk(inner, name, out)


found = []
unparsed = []
for path in sys.argv[2:]:
    del renpy.parser.parse_errors[:]
    statements = renpy.parser.parse(path)
    if statements is None:  # screen language and ATL need the game's start-up, which does not run here
        unparsed.append(path)
        continue
    walk(statements, path, found)
print(json.dumps({"menus": found, "unparsed": unparsed}))
