"""``comfyvn play [SCENE] --seed N [--choose I,J,...] [--record]`` and ``comfyvn replay ID``: play the story
non-interactively and print the transcript; record a playthrough and check it still plays the same."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, out, say
from comfyvn_vault.errors import UsageError

if TYPE_CHECKING:
    from comfyvn_vault.api import play


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "play",
        parents=[common],
        help="play the story with a seed and print what is said",
        description="Play the checked-out story from SCENE (default: the first timeline's first scene, else the "
        "first scene) and print the transcript. Menus take the options given by --choose in turn (1 is the first "
        "option shown); play stops at the first menu the choices do not reach. Weighted choices are picked by "
        "the seeded RNG, so the same seed and choices always give the same playthrough.",
    )
    p.add_argument("scene", nargs="?", metavar="SCENE", help="the scene to start at (id or title)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="the RNG seed (default 0)")
    p.add_argument("--choose", type=_numbers, default=[], metavar="I,J,...", help="menu options to take, in order")
    p.add_argument("--record", action="store_true", help="keep the playthrough in history (for replay)")
    p.set_defaults(run=cmd_play)
    p = sub.add_parser(
        "replay",
        parents=[common],
        help="play a recorded playthrough again and say where it diverges",
        description="Play the playthrough recorded as ID (or an id prefix) again on the checked-out story, with "
        "its seed and choices. Exit 0 when it goes exactly as recorded; exit 1, naming the first step that "
        "differs, when the story has changed since.",
    )
    p.add_argument("id", metavar="ID", help="the playthrough's id, as `play --record` printed it")
    p.set_defaults(run=cmd_replay)


def _numbers(text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of option numbers such as 1,2,1") from None
    if any(n < 1 for n in numbers):
        raise argparse.ArgumentTypeError("option numbers start at 1")
    return numbers


def cmd_play(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import play

    if args.seed < 0:
        raise UsageError("--seed is 0 or more")
    with ctx.vault() as vault:
        result = play.play(vault, args.scene, seed=args.seed, choose=args.choose, record=args.record)
    if args.json:
        emit_json(result)
        return 0
    _show(result)
    if result.recorded is not None:
        done = "was already recorded" if result.already else "recorded"
        say(f"playthrough {result.recorded} {done}; `comfyvn replay {result.recorded}` plays it again")
    return 0


def cmd_replay(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import play

    with ctx.vault() as vault:
        result = play.replay(vault, args.id)
    if args.json:
        emit_json(result)
    elif result.identical:
        _show(result.played)
        say(f"playthrough {result.id} replays exactly as recorded ({len(result.played.path)} steps)")
    else:
        say(
            f"playthrough {result.id} diverges at step {result.diverged_at}: "
            f"recorded {result.recorded or '(the end)'!s}, now {result.now or '(the end)'!s}"
        )
    return 0 if result.identical else 1


def _show(result: play.Played) -> None:
    for line in result.transcript:
        out(line.shown)
    if result.stopped == "menu":
        for option in result.menu:
            out(f"  {option.number}. {option.text}")
        taken = ",".join(map(str, result.choices))
        more = f"--choose {taken + ',' if taken else ''}N"
        say(f"stopped at a menu after {len(result.path)} steps: pick an option with {more}")
    elif result.stopped == "dead-end":
        say(f"stopped at {result.path[-1]}: no choice can be taken there (`comfyvn check` finds dead ends)")
    elif result.stopped == "limit":
        say(f"stopped after {len(result.path)} steps (the story may loop)")
