"""How the CLI speaks: one JSON document on stdout with --json, messages on stderr.

Every human-output convention lives here, in one place: plurals (:func:`plural`),
the length ids are shortened to (:func:`short`), colour (:func:`paint`, only on a
terminal and never with ``NO_COLOR``) and the pager long output goes through
(:func:`start_pager`, as git does).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
from typing import IO, Any, Final

#: How many hex digits of an id human output shows (``--json`` always has the full id).
ID_LEN: Final = 12


def emit_json(doc: object) -> None:
    """Print a verb's result (or any msgspec-encodable value) as one line of JSON on stdout."""
    # Imported here: ``comfyvn --help`` should not pay for msgspec.
    from comfyvn_vault.api.documents import encode_json

    sys.stdout.buffer.write(encode_json(doc) + b"\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """A human message: stderr, so stdout stays clean for data."""
    print(message, file=sys.stderr)


def out(message: str) -> None:
    print(message)


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


# ----------------------------------------------------------------- words and ids


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 event``, ``2 events``, ``0 entities``: the count and the word in the form it takes."""
    if n == 1:
        return f"{n} {word}"
    if many is None:
        many = word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
    return f"{n} {many}"


def short(oid: Any) -> str:
    """An id as human output shows it: ``ID_LEN`` hex digits; ``kind-<hex>`` keeps its kind.

    Takes an :class:`~comfyvn_vault.api.ObjectId`, a hex string, or None
    (shown as ``-``).
    """
    if oid is None:
        return "-"
    text = oid if isinstance(oid, str) else oid.hex()
    head, sep, tail = text.rpartition("-")
    if sep and tail and all(c in "0123456789abcdef" for c in tail):
        return f"{head}-{tail[:ID_LEN]}"
    return text[:ID_LEN]


def quote(value: Any) -> str:
    """A field value in diff-like output, quoted one way: JSON (strings in double quotes, null, true)."""
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


# ----------------------------------------------------------------- colour

_STYLES: Final = {
    "id": "33",  # yellow, as git shows commit ids
    "branch": "1;32",
    "remote": "1;31",
    "added": "32",
    "removed": "31",
    "changed": "33",
    "graph": "36",
    "error": "1;31",
    "dim": "2",
}
_colour: dict[int, bool] = {}


def colour_enabled(stream: IO[str] | None = None) -> bool:
    """Colour for ``stream`` (stdout by default): on a terminal, unless ``NO_COLOR`` is set or TERM is dumb."""
    stream = sys.stdout if stream is None else stream
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    if fd not in _colour:
        _colour[fd] = not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb" and os.isatty(fd)
    return _colour[fd]


def paint(text: str, style: str, stream: IO[str] | None = None) -> str:
    """``text`` in ``style`` (a key of the style table) when ``stream`` gets colour, else as it is."""
    if not text or not colour_enabled(stream):
        return text
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m"


# ----------------------------------------------------------------- pager


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
