"""Story-editing verbs: scene, character, timeline, var. Each commits at once
(message with ``-m``) unless ``--no-commit``, which only rewrites the file."""

from __future__ import annotations

import argparse
from typing import Any

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out, plural, say, short


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    edit = argparse.ArgumentParser(add_help=False, parents=[common])
    edit.add_argument("-m", "--message", help="commit message (a default describes the edit)")
    edit.add_argument("--no-commit", action="store_true", help="only write the working-copy file")

    scene = sub.add_parser("scene", help="scenes, their nodes and choices")
    sv = scene.add_subparsers(dest="scene_verb", metavar="VERB", required=True)
    p = sv.add_parser("new", parents=[edit], help="create a scene")
    p.add_argument("title")
    p.add_argument("--id", dest="entity_id")
    p.set_defaults(run=_verb("scene_new", lambda a: ((a.title,), {"scene_id": a.entity_id})))
    p = sv.add_parser("list", parents=[common], help="every scene")
    p.set_defaults(run=cmd_scene_list)
    p = sv.add_parser("show", parents=[common], help="one scene document")
    p.add_argument("scene")
    p.set_defaults(run=_show("scene_show"))
    p = sv.add_parser("rm", parents=[edit], help="delete a scene")
    p.add_argument("scene")
    p.set_defaults(run=_verb("scene_rm", lambda a: ((a.scene,), {})))

    node = sv.add_parser("node", help="nodes of a scene")
    nv = node.add_subparsers(dest="node_verb", metavar="VERB", required=True)
    p = nv.add_parser("add", parents=[edit], help="add a node")
    p.add_argument("scene")
    p.add_argument("--type", choices=("text", "choice", "action"), default="text")
    p.add_argument("--speaker")
    p.add_argument("--content", default="")
    p.add_argument("--after", metavar="NODE")
    p.add_argument("--id", dest="entity_id")
    p.set_defaults(
        run=_verb(
            "node_add",
            lambda a: (
                (a.scene,),
                {"type": a.type, "speaker": a.speaker, "content": a.content, "after": a.after, "node_id": a.entity_id},
            ),
        )
    )
    p = nv.add_parser("edit", parents=[edit], help="edit a node's speaker, content, type or effects")
    p.add_argument("scene")
    p.add_argument("node")
    p.add_argument("--speaker")
    p.add_argument("--no-speaker", action="store_true", help="make it narration (no speaker)")
    p.add_argument("--content")
    p.add_argument("--type", choices=("text", "choice", "action"))
    p.add_argument("--effects", metavar="STMTS", help="run when the node is reached, e.g. 'trust += 1'")
    p.add_argument("--no-effects", action="store_true", help="change no variable here")
    p.set_defaults(
        run=_verb(
            "node_edit",
            lambda a: (
                (a.scene, a.node),
                {
                    "speaker": a.speaker,
                    "content": a.content,
                    "type": a.type,
                    "effects": a.effects,
                    "clear": [f for f, on in (("speaker", a.no_speaker), ("effects", a.no_effects)) if on],
                },
            ),
        )
    )
    p = nv.add_parser("rm", parents=[edit], help="remove a node")
    p.add_argument("scene")
    p.add_argument("node")
    p.set_defaults(run=_verb("node_rm", lambda a: ((a.scene, a.node), {})))

    choice = sv.add_parser("choice", help="choices of a node")
    cv = choice.add_subparsers(dest="choice_verb", metavar="VERB", required=True)
    p = cv.add_parser("add", parents=[edit], help="add a choice")
    p.add_argument("scene")
    p.add_argument("node")
    p.add_argument("--text", required=True)
    p.add_argument("--target", required=True, metavar="NODE", help="node id, SCENE:NODE or SCENE:")
    p.add_argument("--condition", metavar="EXPR", help="offer it only when EXPR is true (docs/expressions.md)")
    p.add_argument("--effects", metavar="STMTS", help="run when picked, e.g. 'trust += 1; met = true'")
    p.add_argument("--weight", type=int, metavar="W", help="picked at random by weight instead of by the player")
    p.add_argument("--id", dest="entity_id")
    p.set_defaults(
        run=_verb(
            "choice_add",
            lambda a: (
                (a.scene, a.node),
                {
                    "text": a.text,
                    "target": a.target,
                    "condition": a.condition,
                    "effects": a.effects,
                    "weight": a.weight,
                    "choice_id": a.entity_id,
                },
            ),
        )
    )
    p = cv.add_parser("edit", parents=[edit], help="change a choice's text, target, condition, effects or weight")
    p.add_argument("scene")
    p.add_argument("node")
    p.add_argument("choice")
    p.add_argument("--text")
    p.add_argument("--target", metavar="NODE", help="node id, SCENE:NODE or SCENE:")
    p.add_argument("--condition", metavar="EXPR")
    p.add_argument("--no-condition", action="store_true", help="always offer it")
    p.add_argument("--effects", metavar="STMTS")
    p.add_argument("--no-effects", action="store_true", help="change no variable when picked")
    p.add_argument("--weight", type=int, metavar="W")
    p.add_argument("--no-weight", action="store_true", help="back to the default weight")
    p.set_defaults(
        run=_verb(
            "choice_edit",
            lambda a: (
                (a.scene, a.node, a.choice),
                {
                    "text": a.text,
                    "target": a.target,
                    "condition": a.condition,
                    "effects": a.effects,
                    "weight": a.weight,
                    "clear": [
                        f
                        for f, on in (("condition", a.no_condition), ("effects", a.no_effects), ("weight", a.no_weight))
                        if on
                    ],
                },
            ),
        )
    )
    p = cv.add_parser("rm", parents=[edit], help="remove a choice")
    p.add_argument("scene")
    p.add_argument("node")
    p.add_argument("choice")
    p.set_defaults(run=_verb("choice_rm", lambda a: ((a.scene, a.node, a.choice), {})))

    character = sub.add_parser("character", help="the cast")
    chv = character.add_subparsers(dest="character_verb", metavar="VERB", required=True)
    p = chv.add_parser("new", parents=[edit], help="create a character")
    p.add_argument("name")
    p.add_argument("--trait", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--id", dest="entity_id")
    p.set_defaults(run=_verb("character_new", lambda a: ((a.name, _pairs(a.trait)), {"character_id": a.entity_id})))
    p = chv.add_parser("list", parents=[common], help="every character")
    p.set_defaults(run=_list("character_list", "characters"))
    p = chv.add_parser("show", parents=[common], help="one character")
    p.add_argument("character")
    p.set_defaults(run=_show("character_show"))
    p = chv.add_parser("edit", parents=[edit], help="rename or change traits")
    p.add_argument("character")
    p.add_argument("--name")
    p.add_argument("--trait", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--unset", action="append", default=[], metavar="KEY")
    p.set_defaults(
        run=_verb(
            "character_edit",
            lambda a: ((a.character,), {"name": a.name, "traits": _pairs(a.trait), "unset": a.unset}),
        )
    )

    timeline = sub.add_parser("timeline", help="orderings of scenes")
    tv = timeline.add_subparsers(dest="timeline_verb", metavar="VERB", required=True)
    p = tv.add_parser("new", parents=[edit], help="create a timeline")
    p.add_argument("name")
    p.add_argument("scenes", nargs="*")
    p.add_argument("--id", dest="entity_id")
    p.set_defaults(run=_verb("timeline_new", lambda a: ((a.name, a.scenes), {"timeline_id": a.entity_id})))
    p = tv.add_parser("list", parents=[common], help="every timeline")
    p.set_defaults(run=_list("timeline_list", "timelines"))
    p = tv.add_parser("show", parents=[common], help="one timeline")
    p.add_argument("timeline")
    p.set_defaults(run=_show("timeline_show"))
    p = tv.add_parser("edit", parents=[edit], help="add, remove or reorder scenes")
    p.add_argument("timeline")
    p.add_argument("--add", action="append", default=[], metavar="SCENE")
    p.add_argument("--remove", action="append", default=[], metavar="SCENE")
    p.add_argument("--order", nargs="+", metavar="SCENE")
    p.add_argument("--name")
    p.set_defaults(
        run=_verb(
            "timeline_edit",
            lambda a: ((a.timeline,), {"add": a.add, "remove": a.remove, "order": a.order, "name": a.name}),
        )
    )

    var = sub.add_parser("var", help="story variables")
    vv = var.add_subparsers(dest="var_verb", metavar="VERB", required=True)
    p = vv.add_parser("set", parents=[edit], help="create or change a variable")
    p.add_argument("name")
    p.add_argument("value")
    p.add_argument("--scope", choices=("global", "session", "scene"), default="global")
    p.set_defaults(run=_verb("var_set", lambda a: ((a.name, a.value), {"scope": a.scope})))
    p = vv.add_parser("list", parents=[common], help="every variable")
    p.set_defaults(run=_list("var_list", "variables"))
    p = vv.add_parser("show", parents=[common], help="one variable")
    p.add_argument("variable")
    p.set_defaults(run=_show("var_show"))
    p = vv.add_parser("rm", parents=[edit], help="delete a variable")
    p.add_argument("name")
    p.set_defaults(run=_verb("var_rm", lambda a: ((a.name,), {})))


def _pairs(items: list[str]) -> dict[str, str]:
    from comfyvn_vault.errors import UsageError

    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"expected KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def _verb(name: str, split: Any) -> Any:
    """A handler calling ``edit.<name>(vault, *args, **kwargs, message=…, commit=…)`` and printing the result."""

    def run(args: argparse.Namespace, ctx: Context) -> int:
        from comfyvn_vault.api import edit

        positional, keywords = split(args)
        with ctx.vault() as vault:
            saved = getattr(edit, name)(vault, *positional, **keywords, message=args.message, commit=not args.no_commit)
        if args.json:
            emit_json(saved)
        elif saved.commit:
            say(f"{saved.id}: committed {short(saved.commit)} ({plural(saved.events, 'event')})")
        elif saved.events:
            pending = plural(saved.events, "event")
            say(f"{saved.id}: written to the working copy ({pending} pending; comfyvn commit -m MSG)")
        else:
            say(f"{saved.id}: nothing changed")
        return 0

    return run


def _show(name: str) -> Any:
    """A handler printing ``edit.<name>(vault, ref)``: the entity's file text, or its document with --json."""

    def run(args: argparse.Namespace, ctx: Context) -> int:
        from comfyvn_vault.api import edit

        ref = next(v for k, v in vars(args).items() if k in ("scene", "character", "timeline", "variable"))
        with ctx.vault() as vault:
            shown = getattr(edit, name)(vault, ref)
        if args.json:
            emit_json(shown)
        else:
            out(edit.file_text(shown))
        return 0

    return run


def _list(name: str, key: str) -> Any:
    """A handler printing ``edit.<name>(vault)``: one line per row (its fields), or the document with --json."""

    def run(args: argparse.Namespace, ctx: Context) -> int:
        import msgspec

        from comfyvn_vault.api import edit

        with ctx.vault() as vault:
            listed = getattr(edit, name)(vault)
        if args.json:
            emit_json(listed)
        else:
            for row in getattr(listed, key):
                out("  ".join(str(v) for v in msgspec.structs.astuple(row)))
        return 0

    return run


def cmd_scene_list(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import edit

    with ctx.vault() as vault:
        listed = edit.scene_list(vault)
    if args.json:
        emit_json(listed)
    else:
        for s in listed.scenes:
            out(f"{s.id:<24} {plural(s.nodes, 'node'):>9}  {s.title}")
    return 0
