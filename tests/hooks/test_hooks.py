"""Hooks run by the real CLI: stdin JSON, a veto, a hang (time limit), a failure, no nesting."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from comfyvn_vault import hooks
from comfyvn_vault.vault import Vault
from tests.conftest import run_cli
from tests.hooks.conftest import head, install, op_count

RECORD_STDIN = (
    '#!/bin/sh\ncat > "$COMFYVN_VAULT/../{name}.json"\n'
    'echo "$COMFYVN_HOOK in $COMFYVN_VAULT" > "$COMFYVN_VAULT/../{name}.env"\n'
)


def _payload(root: Path, name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((root.parent / f"{name}.json").read_text())
    return data


def test_pre_commit_veto_refuses_an_edit_verb_with_exit_3_and_changes_nothing(root: Path) -> None:
    install(root, "pre-commit", "#!/bin/sh\necho 'checking…'\necho 'no TODOs in dialogue' >&2\nexit 1\n")
    before_head, before_ops = head(root), op_count(root)
    scene_file = (root / "scenes" / "intro.toml").read_text()
    r = run_cli("scene", "node", "add", "intro", "--content", "TODO write this", cwd=root)
    assert r.code == 3
    last = r.err.strip().splitlines()[-1]
    assert last == "comfyvn: pre-commit hook vetoed the commit: no TODOs in dialogue (exit 1); nothing was committed"
    assert "checking…" in r.err  # the hook's other output is shown above
    assert r.err.count("no TODOs in dialogue") == 1
    assert head(root) == before_head and op_count(root) == before_ops
    assert (root / "scenes" / "intro.toml").read_text() == scene_file


def test_pre_commit_veto_of_commit_leaves_the_working_copy_edit(root: Path) -> None:
    install(root, "pre-commit", "#!/bin/sh\nexit 7\n")
    intro = root / "scenes" / "intro.toml"
    edited = intro.read_text().replace("Hello.", "Hello there.")
    intro.write_text(edited)
    before = head(root)
    r = run_cli("commit", "-m", "edit", cwd=root)
    assert r.code == 3 and "pre-commit hook vetoed the commit: exit 7" in r.err
    assert head(root) == before and intro.read_text() == edited
    assert run_cli("status", "--json", cwd=root).json()["changes"][0]["file"] == "scenes/intro.toml"


def test_hooks_get_the_event_as_json_on_stdin_and_the_vault_in_their_environment(root: Path) -> None:
    install(root, "pre-commit", RECORD_STDIN.format(name="pre"))
    install(root, "post-commit", RECORD_STDIN.format(name="post"))
    r = run_cli("scene", "node", "edit", "intro", "n1", "--content", "Hello, keeper.", "--json", cwd=root)
    assert r.code == 0, r.err
    commit = r.json()["commit"]
    pre, post = _payload(root, "pre"), _payload(root, "post")
    assert pre["schema"] == post["schema"] == "comfyvn.hook/1"
    assert pre["hook"] == "pre-commit" and post["hook"] == "post-commit"
    assert pre["vault"] == str(root.resolve()) and pre["branch"] == "main"
    assert post["commit"] == commit and post["parents"] == [pre["parent"]]
    for doc in (pre, post):
        assert doc["event_count"] == 1
        (event,) = doc["events"]  # type: ignore[misc]
        assert event["type"] == "NodeEdited" and event["summary"] == "NodeEdited scenes/intro#n1 (content)"
        assert event["event"]["content"] == "Hello, keeper." and event["event"]["before"] == {"content": "Hello."}
    assert (root.parent / "pre.env").read_text().strip() == f"pre-commit in {root.resolve()}"


def test_a_failing_post_commit_hook_is_reported_and_the_commit_stands(root: Path) -> None:
    install(root, "post-commit", "#!/bin/sh\necho 'lint: 2 problems'\nexit 1\n")
    before = head(root)
    r = run_cli("scene", "new", "Morning", "--id", "morning", "--json", cwd=root)
    assert r.code == 0
    assert r.json()["commit"] != before and head(root) == r.json()["commit"]
    assert "comfyvn: post-commit hook failed: lint: 2 problems (exit 1)" in r.err
    assert "lint" not in r.out  # hooks talk on stderr; stdout stays one JSON document


def test_a_hanging_hook_is_killed_at_its_time_limit_with_everything_it_started(root: Path) -> None:
    pidfile = root.parent / "child.pid"
    install(root, "pre-commit", f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\nsleep 300\n")
    before = head(root)
    start = time.monotonic()
    r = run_cli("scene", "new", "Morning", "--id", "morning", cwd=root, env={"COMFYVN_HOOK_TIMEOUT": "1"})
    took = time.monotonic() - start
    assert r.code == 3 and "pre-commit hook vetoed the commit: timed out after 1 s and was killed" in r.err
    assert took < 15
    assert head(root) == before
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "the hook's background child survived the time limit"
        time.sleep(0.05)


def test_a_hanging_post_commit_hook_does_not_undo_the_commit(root: Path) -> None:
    install(root, "post-commit", "#!/bin/sh\nsleep 300\n")
    r = run_cli("scene", "new", "Morning", "--id", "morning", "--json", cwd=root, env={"COMFYVN_HOOK_TIMEOUT": "0.5"})
    assert r.code == 0 and "post-commit hook failed: timed out" in r.err
    assert head(root) == r.json()["commit"]


def test_a_hook_that_cannot_run_is_reported(root: Path) -> None:
    install(root, "post-commit", "#!/nonexistent/interpreter\n")
    r = run_cli("scene", "new", "Morning", "--id", "morning", cwd=root)
    assert r.code == 0 and "post-commit hook failed: cannot run" in r.err


def test_commands_run_by_a_hook_run_no_hooks_and_their_commits_name_the_hook(root: Path) -> None:
    log = root.parent / "calls.log"
    install(
        root,
        "post-commit",
        f"#!/bin/sh\necho run >> {log}\n"
        "sed -i 's/Hello./Hello from the hook./' scenes/intro.toml\n"
        "comfyvn commit -m 'hook fix-up'\n",
    )
    r = run_cli("scene", "new", "Morning", "--id", "morning", cwd=root, env=_with_comfyvn_on_path())
    assert r.code == 0, r.err
    assert log.read_text() == "run\n"  # the hook's own commit ran no hook
    with Vault.open(root) as v:
        tip = v.history.head()
        assert tip is not None
        c = v.history.commit(tip)
        assert c.message == "hook fix-up"
        ((_, event),) = v.history.events_of(c)
        assert event.cause.kind == "hook" and event.cause.ref == "post-commit"


def test_post_merge_runs_after_a_merge(root: Path) -> None:
    install(root, "post-merge", RECORD_STDIN.format(name="merge"))
    assert run_cli("switch", "-c", "dark", cwd=root).code == 0
    assert run_cli("scene", "node", "edit", "intro", "n1", "--content", "Dark.", cwd=root).code == 0
    assert run_cli("switch", "main", cwd=root).code == 0
    assert run_cli("scene", "new", "Morning", "--id", "morning", cwd=root).code == 0
    r = run_cli("merge", "dark", "--json", cwd=root)
    assert r.code == 0, r.err
    doc = _payload(root, "merge")
    assert doc["hook"] == "post-merge" and doc["kind"] == "merge" and doc["rev"] == "dark"
    assert doc["commit"] == r.json()["commit"] and doc["conflicts"] == []


def test_no_hook_costs_nothing_and_non_executables_are_ignored(root: Path, tmp_path: Path) -> None:
    assert hooks.find_hook(root, "pre-commit") is None  # no hooks folder at all
    path = install(root, "pre-commit", "#!/bin/sh\nexit 1\n")
    path.chmod(0o644)  # a sample copied without chmod +x
    assert hooks.find_hook(root, "pre-commit") is None
    assert run_cli("scene", "new", "Morning", "--id", "morning", cwd=root).code == 0
    path.chmod(0o755)
    assert hooks.find_hook(root, "pre-commit") == path


def test_run_hook_reports_through_the_vaults_reporter(root: Path) -> None:
    install(root, "post-export", '#!/bin/sh\nread line\necho "got $line"\n')
    seen: list[hooks.HookResult] = []
    with Vault.open(root) as v:
        v.hook_reporter = seen.append
        result = hooks.run_hook(v, "post-export", {"format": "renpy", "out": "build/"})
        assert hooks.run_hook(v, "post-import", {}) is None  # none installed
    assert result is not None and result.ok and seen == [result]
    assert result.output.startswith('got {"schema":"comfyvn.hook/1","hook":"post-export"')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its (re)parent counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _with_comfyvn_on_path() -> dict[str, str]:
    import sys

    return {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
