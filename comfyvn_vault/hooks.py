"""Hooks: executables in ``.comfyvn/hooks/`` that the vault runs at its events.

A hook is named for its event (:data:`HOOK_NAMES`). It gets a JSON description
of the event on stdin (``{"schema": "comfyvn.hook/1", "hook", "vault", …}``),
the vault's folder as its working directory and in ``COMFYVN_VAULT``, and its
own name in ``COMFYVN_HOOK``, and a ``PATH`` that starts with the folder of
the Python running comfyvn (so ``comfyvn`` and ``python3`` there are the ones
of this installation; samples use :func:`read_payload` and :func:`comfyvn`).
Its output (stdout and stderr, in order) is
handed to the vault's reporter, which prints it on stderr: a hook talks to the
user, never to a script reading ``--json`` on stdout.

* ``pre-commit`` runs before a commit takes the writer lock; a non-zero exit
  vetoes the commit (:class:`HookVetoed`, exit 3) and nothing is written.
* ``post-commit``, ``post-merge``, ``post-import``, ``post-export`` run after
  the change is durable and the lock released, so a hook may call ``comfyvn``
  itself. A failing post-hook is reported and the change stands.

Every hook runs in its own process group under a time limit
(``COMFYVN_HOOK_TIMEOUT`` seconds, default 30); past it the whole group is
killed and the hook counts as failed (for ``pre-commit``: a veto). Commands a
hook runs do not run hooks again (``COMFYVN_HOOK`` is set in their
environment), so a post-commit hook that commits cannot loop; their commits
carry the cause ``hook`` naming it.

The check costs one ``stat`` of the hooks folder when it does not exist
(commit throughput is benchmarked), and the event is described only when a
hook will actually read it.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from comfyvn_vault.errors import InputRejected

# subprocess and signal are imported where a hook runs: every `comfyvn` start imports this module.
if TYPE_CHECKING:
    import subprocess

    from comfyvn_vault.domain.events import Cause, Event
    from comfyvn_vault.history.repo import CommitRecord
    from comfyvn_vault.settings import Settings
    from comfyvn_vault.vault import Vault

HOOK_NAMES: Final = ("pre-commit", "post-commit", "post-merge", "post-import", "post-export")
HOOKS_DIR: Final = "hooks"  # inside .comfyvn/
SCHEMA: Final = "comfyvn.hook/1"
ENV_HOOK: Final = "COMFYVN_HOOK"
ENV_VAULT: Final = "COMFYVN_VAULT"
KILL_GRACE: Final = 2.0  # seconds between SIGTERM and SIGKILL for a hook past its limit
OUTPUT_LIMIT: Final = 64 * 1024  # characters of a hook's output kept (the tail)
EVENTS_LIMIT: Final = 10_000  # events described in one payload; ``event_count`` has the total


class HookVetoed(InputRejected):
    """The ``pre-commit`` hook refused the commit (exit 3); nothing was written."""

    def __init__(self, result: HookResult) -> None:
        super().__init__(f"pre-commit hook vetoed the commit: {result.reason()}; nothing was committed")
        self.result = result


class HookResult(msgspec.Struct, frozen=True):
    """What one hook run did. ``code`` is None when it could not start or was killed."""

    name: str
    path: str
    code: int | None
    output: str
    seconds: float
    timed_out: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.code == 0 and not self.timed_out

    @property
    def vetoes(self) -> bool:
        """A failed ``pre-commit``: the :class:`HookVetoed` error carries the reason, not the report."""
        return self.name == "pre-commit" and not self.ok

    def details(self) -> list[str]:
        """The output lines a report shows (the last one goes into :meth:`reason` when it failed)."""
        lines = self.output.splitlines()
        if not self.ok and not self.timed_out and self.error is None and lines:
            return lines[:-1]
        return lines

    def reason(self) -> str:
        """One line: why the hook failed (its last line of output, or how it ended)."""
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s and was killed"
        if self.error is not None:
            return self.error
        last = next((ln.strip() for ln in reversed(self.output.splitlines()) if ln.strip()), "")
        how = f"exit {self.code}" if self.code is not None and self.code >= 0 else f"signal {-(self.code or 0)}"
        return f"{last} ({how})" if last else how

    def summary(self) -> str:
        return f"{self.name} hook {'ok' if self.ok else 'failed: ' + self.reason()}"


Reporter = Callable[[HookResult], None]


def print_report(result: HookResult) -> None:
    """The default reporter: the hook's output, then one line when it failed, on stderr."""
    for line in result.details():
        print(line, file=sys.stderr)
    if not result.ok and not result.vetoes:
        print(f"comfyvn: {result.summary()}", file=sys.stderr)
    sys.stderr.flush()


def hooks_dir(root: Path) -> Path:
    from comfyvn_vault.store.layout import STORE_DIR

    return root / STORE_DIR / HOOKS_DIR


def find_hook(root: Path, name: str) -> Path | None:
    """The executable for hook ``name``, or None (one ``stat`` when there is no hooks folder)."""
    folder = hooks_dir(root)
    try:
        os.stat(folder)
    except OSError:
        return None
    path = folder / name
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or not os.access(path, os.X_OK):
        return None
    return path


def hook_cause(settings: Settings) -> Cause | None:
    """``Cause(kind="hook", ref=NAME)`` when this process was started by a hook, else None."""
    name = settings.running_hook
    if not name:
        return None
    from comfyvn_vault.domain.events import Cause

    return Cause(kind="hook", ref=name)


def run_hook(
    vault: Vault, name: str, payload: dict[str, Any] | Callable[[], dict[str, Any]], *, timeout: float | None = None
) -> HookResult | None:
    """Run hook ``name`` if the vault has one; None when it has not.

    ``payload`` may be a function, called only when the hook exists. The result
    goes to ``vault.hook_reporter`` (default :func:`print_report`) and is
    returned; this never raises for a failing hook.
    """
    if vault.settings.running_hook is not None:
        return None  # inside a hook's own process (``COMFYVN_HOOK`` set): hooks do not nest
    path = find_hook(vault.root, name)
    if path is None:
        return None
    doc = payload() if callable(payload) else payload
    limit = vault.settings.hook_timeout if timeout is None else timeout
    result = execute(path, name, vault.root, {"schema": SCHEMA, "hook": name, "vault": str(vault.root), **doc}, limit)
    (vault.hook_reporter or print_report)(result)
    return result


def execute(path: Path, name: str, root: Path, doc: dict[str, Any], timeout: float) -> HookResult:
    """Run one hook executable with ``doc`` as JSON on stdin, under a time limit."""
    import subprocess

    from comfyvn_vault.store.codec import json_enc_hook

    data = msgspec.json.encode(doc, enc_hook=json_enc_hook)
    path_var = os.pathsep.join(p for p in (os.path.dirname(sys.executable), os.environ.get("PATH")) if p)
    env = {**os.environ, ENV_HOOK: name, ENV_VAULT: str(root), "PATH": path_var}
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            [str(path)],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout kills everything it started
        )
    except OSError as exc:
        return HookResult(name, str(path), None, "", 0.0, error=f"cannot run {path}: {exc.strerror or exc}")
    timed_out = False
    try:
        out, _ = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        out = _kill_group(proc)
    except BaseException:
        _kill_group(proc)  # Ctrl-C while a hook runs: take it down with us
        raise
    text = out.decode("utf-8", errors="replace")[-OUTPUT_LIMIT:]
    code = None if timed_out else proc.returncode
    return HookResult(name, str(path), code, text, time.monotonic() - start, timed_out)


def _kill_group(proc: subprocess.Popen[bytes]) -> bytes:
    """SIGTERM the hook's process group, SIGKILL it after a grace period; the output so far."""
    import signal
    import subprocess

    for sig, wait in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, KILL_GRACE)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            out, _ = proc.communicate(timeout=wait)
            return out or b""
        except subprocess.TimeoutExpired:
            continue
    # Something outside the group still holds the pipe: stop reading it.
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    proc.wait()
    return b""


# ----------------------------------------------------------------- the vault's call points


def describe_events(events: Sequence[Event]) -> dict[str, Any]:
    """The ``events`` part of a payload: a summary line and the event itself, for each."""
    from comfyvn_vault.history.describe import describe
    from comfyvn_vault.store.codec import json_enc_hook

    return {
        "event_count": len(events),
        "events": [
            {
                "type": type(e).__name__,
                "summary": describe(e),
                "touched": e.touched(),
                "event": msgspec.to_builtins(e, enc_hook=json_enc_hook),
            }
            for e in events[:EVENTS_LIMIT]
        ],
    }


def pre_commit(vault: Vault, events: Sequence[Event], message: str, parent: Any = None) -> None:
    """Run ``pre-commit`` for a commit about to be made; raise :class:`HookVetoed` if it refuses."""

    def payload() -> dict[str, Any]:
        return {
            "branch": vault.history.head_branch(),
            "parent": parent.hex() if parent is not None else None,
            "message": message,
            **describe_events(events),
        }

    result = run_hook(vault, "pre-commit", payload)
    if result is not None and not result.ok:
        raise HookVetoed(result)


def post_commit(vault: Vault, rec: CommitRecord) -> None:
    """Run ``post-commit`` for a commit that is now durable."""
    run_hook(
        vault,
        "post-commit",
        lambda: {
            "branch": rec.branch,
            "commit": rec.commit_id.hex(),
            "parents": [p.hex() for p in rec.commit.parents],
            "message": rec.commit.message,
            "author": rec.commit.author,
            **describe_events(rec.events),
        },
    )


def post_merge(vault: Vault, doc: dict[str, Any]) -> None:
    """Run ``post-merge`` after ``merge`` (``doc``: kind, commit, rev, conflicts)."""
    run_hook(vault, "post-merge", {"branch": vault.history.head_branch(), **doc})


def post_import(vault: Vault, doc: dict[str, Any]) -> None:
    """Run ``post-import`` after an import landed; ``doc`` is the import verb's ``--json`` document.

    The call point for the importers (``comfyvn import …``): call it after the
    import's commit, outside the writer lock.
    """
    run_hook(vault, "post-import", doc)


def post_export(vault: Vault, doc: dict[str, Any]) -> None:
    """Run ``post-export`` after an export was written; ``doc`` names the format and the output path.

    The call point for the exporters (``comfyvn export …``).
    """
    run_hook(vault, "post-export", doc)


# ----------------------------------------------------------------- for hook scripts


def read_payload() -> dict[str, Any]:
    """Inside a hook: the event description on stdin ({} when there is none)."""
    import json

    data = sys.stdin.read()
    doc: dict[str, Any] = json.loads(data) if data.strip() else {}
    return doc


def comfyvn(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Inside a hook: run this installation's ``comfyvn`` on the hook's vault, capturing its output."""
    import subprocess

    root = os.environ.get(ENV_VAULT) or os.getcwd()
    return subprocess.run(
        [sys.executable, "-m", "comfyvn_vault", "-C", root, *args],
        capture_output=True,
        text=True,
        check=check,
        stdin=subprocess.DEVNULL,
    )


def has_verb(*words: str) -> bool:
    """Inside a hook: whether this comfyvn has the verb ``words`` (samples skip verbs of later versions)."""
    return comfyvn(*words, "--help").returncode == 0


def has_exporter(kind: str) -> bool:
    """Inside a hook: whether this comfyvn's ``export`` knows ``kind`` (``renpy``, ``bundle``…)."""
    from comfyvn_vault.adapters.registry import EXPORTERS

    return kind in EXPORTERS.kinds()


def scenes_touched(doc: dict[str, Any]) -> list[str]:
    """Inside a hook: the scene ids a commit payload's events touched, in order."""
    seen: dict[str, None] = {}
    for e in doc.get("events", []):
        for path in e.get("touched", []):
            folder, _, rest = path.partition("/")
            if folder == "scenes" and rest:
                seen[rest.split("#", 1)[0]] = None
    return list(seen)
