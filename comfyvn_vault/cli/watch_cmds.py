"""The ``watch`` verb: record working-copy edits as they happen, and run the hooks.

Messages go to stderr; with ``--json`` (or ``--json-lines``) stdout carries one
``comfyvn.watch/1`` JSON line per settled change. Ctrl-C (or SIGTERM) stops
cleanly: a change still settling is recorded first, and the exit code is 0.
"""

from __future__ import annotations

import argparse
import signal
from typing import TYPE_CHECKING, Any

from comfyvn_vault.cli.context import Context
from comfyvn_vault.cli.output import emit_json, plural, say, short

if TYPE_CHECKING:
    from comfyvn_vault.api import Vault
    from comfyvn_vault.api.history import Settled


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("watch", parents=[common], help="record working-copy edits as they happen and run hooks")
    p.add_argument("--json-lines", action="store_true", dest="json", help="one JSON line per settled change")
    p.add_argument(
        "--pending",
        action="store_true",
        help="do not commit: validate each change and list the events it would record (commit later)",
    )
    p.add_argument(
        "--settle",
        type=int,
        default=300,
        metavar="MS",
        help="record a change once its files were quiet this long (default 300)",
    )
    p.add_argument("--no-initial", action="store_true", help="leave edits made before the watch started alone")
    p.add_argument("--poll", action="store_true", help="poll the files instead of using OS notifications")
    p.add_argument("--hook-timeout", type=float, metavar="S", help="time limit of each hook (default 30 s)")
    p.set_defaults(run=cmd_watch)


def cmd_watch(args: argparse.Namespace, ctx: Context) -> int:
    from comfyvn_vault.api import history

    with ctx.vault() as vault:
        watcher = history.watch(
            vault,
            lambda r: _report(vault, r, as_json=args.json),
            pending=args.pending,
            settle_ms=args.settle,
            poll=args.poll,
            hook_timeout=args.hook_timeout,
        )

        def stop(signum: int, frame: Any) -> None:
            watcher.stop()
            # A second Ctrl-C while the last change is recorded interrupts for real.
            signal.signal(signal.SIGINT, signal.default_int_handler)

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            watcher.run(
                initial=not args.no_initial, on_ready=lambda: say(f"watch: watching {vault.root} (Ctrl-C to stop)")
            )
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    say("watch: stopped")
    return 0


def _report(vault: Vault, r: Settled, *, as_json: bool) -> None:
    from comfyvn_vault.api import history

    if as_json:
        emit_json(r)
    for p in r.rejected:
        say(f"watch: {p.message}; not recorded (the file is left as it is)")
    if r.error:
        say(f"watch: {r.error}" + ("; trying again" if r.retry else ""))
    if as_json:
        return
    if r.commit:
        files = ", ".join(r.files)
        say(f"[{history.head_branch(vault)} {short(r.commit)}] {files} ({plural(len(r.events), 'event')})")
    elif r.mode == "pending" and r.files:
        say(f"pending: {', '.join(r.files)} (commit with `comfyvn commit -m MSG`)")
        for line in r.events:
            say(f"    {line}")
