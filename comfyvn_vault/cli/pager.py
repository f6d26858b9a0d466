"""The pager long output goes through on a terminal, as git's does (imported only by verbs that page)."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys

from comfyvn_vault.cli.output import colour_enabled, say


class Pager:
    """A running pager that stdout is connected to; :meth:`close` waits for the user to quit it."""

    def __init__(self, proc: subprocess.Popen[bytes], saved_stdout: int) -> None:
        self.proc, self.saved_stdout = proc, saved_stdout

    def close(self) -> None:
        # The user may have quit the pager before the end: what is left unflushed is not wanted.
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.flush()
        os.dup2(self.saved_stdout, sys.stdout.fileno())  # the pager sees end of input
        os.close(self.saved_stdout)
        try:
            self.proc.wait()
        except KeyboardInterrupt:  # pragma: no cover - ^C reaches the pager too
            self.proc.wait()


def pager_command() -> str | None:
    """``COMFYVN_PAGER``, else ``PAGER``, else ``less``; None when paging is off (empty or ``cat``)."""
    for var in ("COMFYVN_PAGER", "PAGER"):
        if var in os.environ:
            command = os.environ[var].strip()
            break
    else:
        command = "less"
    return None if command in ("", "cat") else command


def start_pager() -> Pager | None:
    """Send stdout through the pager, as git does: only when stdout is a terminal.

    ``less`` gets ``LESS=FRX`` unless set (so output shorter than a screen is just
    printed, and colour passes through). None when there is no terminal, paging
    is off or the pager cannot be started.
    """
    try:
        if not os.isatty(sys.stdout.fileno()):
            return None
    except (AttributeError, OSError, ValueError):
        return None
    command = pager_command()
    if command is None:
        return None
    colour_enabled(sys.stdout)  # decided for the terminal, before stdout becomes the pager's pipe
    env = {**os.environ}
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        program = command
    if shutil.which(program) is None:
        say(f"comfyvn: cannot run the pager {program!r}; printing instead (set PAGER or use --no-pager)")
        return None
    try:
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return None
    assert proc.stdin is not None
    sys.stdout.flush()
    saved = os.dup(sys.stdout.fileno())
    os.dup2(proc.stdin.fileno(), sys.stdout.fileno())
    proc.stdin.close()
    return Pager(proc, saved)
