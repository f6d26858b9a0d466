"""What a user meets in the first hour: --version, "did you mean", plurals, colour, the pager, the author."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault import __version__
from comfyvn_vault.api import edit
from comfyvn_vault.cli.output import plural, quote, short
from comfyvn_vault.domain.suggest import close_matches, did_you_mean
from comfyvn_vault.history.author_config import parse_gitconfig_user
from comfyvn_vault.vault import Vault

ESC = "\x1b["


@pytest.fixture
def tale(tmp_path: Path) -> Path:
    """A vault with a scene ``intro`` (two nodes) and a character ``ada-lovelace``, built in-process."""
    root = tmp_path / "tale"
    v, _ = Vault.init(root)
    with v:
        edit.scene_new(v, "Intro")
        edit.node_add(v, "intro", speaker="ada", content="Hello")
        edit.node_add(v, "intro", content="Bye")
        edit.character_new(v, "Ada Lovelace")
    return root


def run_on_tty(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, str, str]:
    """Run the real CLI with stdout on a pseudo-terminal (as in a terminal window); (exit code, stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "comfyvn_vault", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**os.environ, "TERM": "xterm", **(env or {})},
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, b"".join(chunks).decode(errors="replace"), err.decode(errors="replace")


# ----------------------------------------------------------------- --version and did you mean


def test_version(cli: Any) -> None:
    r = cli("--version")
    assert r.code == 0 and r.out.strip() == f"comfyvn {__version__}"


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["stauts"], "did you mean one of 'stats', 'status'?"),  # one slip from each
        (["comit"], "did you mean 'commit'?"),
        (["scen", "list"], "did you mean 'scene'?"),
        (["scene", "nodd"], "did you mean 'node'?"),
        (["scene", "node", "add", "intro", "--type", "txt"], "did you mean 'text'?"),
    ],
)
def test_a_mistyped_verb_or_choice_gets_did_you_mean(tale: Path, cli: Any, argv: list[str], hint: str) -> None:
    r = cli("-C", tale, *argv)
    assert r.code == 2 and hint in r.err, r.err
    assert "Traceback" not in r.err


def test_a_verb_nothing_like_any_lists_the_verbs(cli: Any) -> None:
    r = cli("xyzzyq")
    assert r.code == 2 and "did you mean" not in r.err and "choose from" in r.err and "status" in r.err


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["switch", "mian"], "no branch mian; did you mean 'main'?"),
        (["branch", "-d", "mian"], "no branch mian; did you mean 'main'?"),
        (["log", "mian"], "did you mean 'main'?"),
        (["diff", "HEAD", "mani"], "did you mean 'main'?"),
        (["scene", "show", "intor"], "did you mean 'intro'?"),
        (["scene", "node", "add", "Intr"], "did you mean 'intro'?"),
        (["character", "show", "ada-lovelac"], "did you mean 'ada-lovelace'?"),
        (["character", "edit", "Ada Lovelac", "--name", "X"], "did you mean 'ada-lovelace'?"),
    ],
)
def test_a_mistyped_name_gets_did_you_mean(tale: Path, cli: Any, argv: list[str], hint: str) -> None:
    before = cli("-C", tale, "op", "log", "--json").json()["operations"][0]["id"]
    r = cli("-C", tale, *argv)
    assert r.code == 3 and hint in r.err, r.err
    assert r.err.count("\n") == 1  # one line
    assert cli("-C", tale, "op", "log", "--json").json()["operations"][0]["id"] == before  # nothing changed


def test_no_suggestion_when_nothing_is_close(tale: Path, cli: Any) -> None:
    r = cli("-C", tale, "switch", "qqqqqqq")
    assert r.code == 3 and "did you mean" not in r.err and "switch -c" in r.err
    r = cli("-C", tale, "scene", "show", "qqqqqqq")
    assert r.code == 3 and "did you mean" not in r.err


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=14)


@settings(max_examples=300, deadline=None)
@given(words, st.integers(min_value=0, max_value=13), st.sampled_from(["swap", "drop", "add", "change"]))
def test_one_slip_away_is_always_suggested(word: str, at: int, slip: str) -> None:
    i = at % (len(word) - 1)
    typo = {
        "swap": word[:i] + word[i + 1] + word[i] + word[i + 2 :],
        "drop": word[:i] + word[i + 1 :],
        "add": word[:i] + "x" + word[i:],
        "change": word[:i] + ("y" if word[i] != "y" else "z") + word[i + 1 :],
    }[slip]
    assert word in close_matches(typo, ["status", word, "checkout"])
    assert word.upper() in close_matches(typo.lower(), [word.upper()])  # case-insensitive, shown as spelt


def test_did_you_mean_names_an_entity_once() -> None:
    spellings = ["ada lovelace", "ada-lovelace"]
    shown = {"ada lovelace": "ada-lovelace"}
    assert did_you_mean("ada lovelac", spellings, shown) == "; did you mean 'ada-lovelace'?"
    assert did_you_mean("ada lovelac", {"main": 1, "ada-lovelace": 2}) == "; did you mean 'ada-lovelace'?"
    assert did_you_mean("zzz", spellings) == ""
    assert did_you_mean("", ["a"]) == ""


# ----------------------------------------------------------------- words, ids, quoting


def test_plural_forms() -> None:
    assert [plural(n, "event") for n in (0, 1, 2)] == ["0 events", "1 event", "2 events"]
    assert plural(1, "entity") == "1 entity" and plural(3, "entity") == "3 entities"
    assert plural(2, "day") == "2 days" and plural(2, "person", "people") == "2 people"


def test_one_id_length_and_one_quoting() -> None:
    hexid = "ab" * 32
    assert short(hexid) == hexid[:12]
    assert short(f"license-{hexid}") == f"license-{hexid[:12]}"
    assert short(None) == "-"
    assert quote("it's") == '"it\'s"' and quote(None) == "null" and quote(3) == "3"


def test_human_output_uses_singular_and_plural(tale: Path, cli: Any) -> None:
    r = cli("-C", tale, "scene", "node", "edit", "intro", "n2", "--content", "Bye now")
    assert r.code == 0 and "(1 event)" in r.err and "events" not in r.err
    log = cli("-C", tale, "log", "-n", "2").out
    assert "[1 event]" in log and "[1 events]" not in log
    assert "[0 events]" in cli("-C", tale, "log").out  # the root commit
    stat = cli("-C", tale, "diff", "--stat", "HEAD~1", "HEAD").out
    assert "1 change" in stat and "1 entity changed" in stat and "(s)" not in stat
    assert cli("-C", tale, "scene", "new", "Solo").code == 0
    assert cli("-C", tale, "scene", "node", "add", "solo", "--content", "Alone").code == 0
    scenes = cli("-C", tale, "scene", "list").out
    assert "2 nodes" in scenes and "1 node " in scenes and "1 nodes" not in scenes
    ids = [line.split()[1] for line in log.splitlines()]
    assert all(len(i) == 12 for i in ids)


def test_diff_values_are_quoted_one_way(tale: Path, cli: Any) -> None:
    assert cli("-C", tale, "scene", "node", "edit", "intro", "n2", "--content", 'it\'s "done"').code == 0
    out = cli("-C", tale, "diff", "HEAD~1", "HEAD").out
    assert '- content: "Bye"' in out and '+ content: "it\'s \\"done\\""' in out


def test_default_messages_name_the_scene(tale: Path, cli: Any) -> None:
    assert cli("-C", tale, "scene", "node", "edit", "intro", "n1", "--content", "Hi").code == 0
    assert cli("-C", tale, "scene", "choice", "add", "intro", "n1", "--text", "Go", "--target", "n1").code == 0
    assert cli("-C", tale, "scene", "node", "rm", "intro", "n2").code == 0
    messages = [c["message"] for c in cli("-C", tale, "log", "-n", "3", "--json").json()["commits"]]
    assert messages == ["Remove node n2 from intro", "Add a choice to intro#n1", "Edit node n1 of intro"]


def test_switch_to_the_current_branch_says_so(tale: Path, cli: Any) -> None:
    before = cli("-C", tale, "op", "log", "--json").json()["operations"]
    r = cli("-C", tale, "switch", "main")
    assert r.code == 0 and r.err.strip() == "already on branch main"
    assert cli("-C", tale, "op", "log", "--json").json()["operations"] == before  # no operation recorded


def test_log_graph_draws_merge_lines(tale: Path, cli: Any) -> None:
    assert cli("-C", tale, "switch", "-c", "side").code == 0
    assert cli("-C", tale, "scene", "node", "edit", "intro", "n2", "--content", "Side").code == 0
    assert cli("-C", tale, "switch", "main").code == 0
    assert cli("-C", tale, "scene", "node", "edit", "intro", "n1", "--content", "Main").code == 0
    assert cli("-C", tale, "merge", "side").code == 0
    lines = cli("-C", tale, "log", "--graph").out.splitlines()
    assert lines[0].startswith("* ") and "Merge" in lines[0]
    assert lines[1] == "|\\"  # the merge forks into its two parents …
    assert sorted([lines[2][:4], lines[3][:4]]) == ["* | ", "| * "]
    assert lines[4] == "|/"  # … which meet again at the fork point
    assert lines[5].startswith("* ")
    commit_rows = [line for line in lines if line not in ("|\\", "|/")]
    assert len(commit_rows) == len(cli("-C", tale, "log", "--json").json()["commits"])


# ----------------------------------------------------------------- colour and the pager


def test_piped_output_has_no_colour(tale: Path, cli: Any) -> None:
    for argv in (["log"], ["status"], ["branch"], ["diff", "HEAD~1", "HEAD"], ["log", "--graph"]):
        r = cli("-C", tale, *argv)
        assert r.code == 0 and ESC not in r.out and ESC not in r.err


def test_a_terminal_gets_colour_unless_no_color(tale: Path) -> None:
    code, out, _ = run_on_tty("--no-pager", "-C", tale, "log")
    assert code == 0 and ESC in out and "Add node n2 to intro" in out
    code, out, _ = run_on_tty("--no-pager", "-C", tale, "diff", "HEAD~1", "HEAD")
    assert code == 0 and f"{ESC}32m" in out  # the added line in green
    code, out, _ = run_on_tty("--no-pager", "-C", tale, "log", env={"NO_COLOR": "1"})
    assert code == 0 and ESC not in out and "Add node n2 to intro" in out
    code, out, _ = run_on_tty("-C", tale, "log", "--json", env={"PAGER": "cat"})
    assert code == 0 and ESC not in out


def _marker_pager(tmp_path: Path) -> tuple[str, Path]:
    marker = tmp_path / "paged.txt"
    script = tmp_path / "pager.sh"
    script.write_text(f"#!/bin/sh\ncat > '{marker}'\n")
    script.chmod(0o755)
    return str(script), marker


def test_pager_runs_on_a_terminal_only(tale: Path, tmp_path: Path, cli: Any) -> None:
    pager, marker = _marker_pager(tmp_path)
    code, out, err = run_on_tty("-C", tale, "log", env={"PAGER": pager})
    assert code == 0, err
    assert "Add node n2 to intro" in marker.read_text() and "Add node n2" not in out  # through the pager
    marker.unlink()

    r = cli("-C", tale, "log", env={"PAGER": pager})
    assert r.code == 0 and "Add node n2 to intro" in r.out and not marker.exists()  # piped: never paged
    code, _, _ = run_on_tty("--no-pager", "-C", tale, "log", env={"PAGER": pager})
    assert code == 0 and not marker.exists()
    code, out, _ = run_on_tty("-C", tale, "log", "--json", env={"PAGER": pager})
    assert code == 0 and not marker.exists() and '"commits"' in out
    code, _, _ = run_on_tty("-C", tale, "status", env={"PAGER": pager})
    assert code == 0 and not marker.exists()  # short verbs are not paged


def test_comfyvn_pager_wins_and_empty_or_cat_turns_paging_off(tale: Path, tmp_path: Path) -> None:
    pager, marker = _marker_pager(tmp_path)
    code, _, _ = run_on_tty("-C", tale, "diff", "HEAD~1", "HEAD", env={"PAGER": "false", "COMFYVN_PAGER": pager})
    assert code == 0 and "CharacterCreated" in marker.read_text()
    marker.unlink()
    for off in ("", "cat"):
        code, out, _ = run_on_tty("-C", tale, "log", env={"PAGER": pager, "COMFYVN_PAGER": off})
        assert code == 0 and not marker.exists() and "Add node n2 to intro" in out
    code, out, err = run_on_tty("-C", tale, "log", env={"COMFYVN_PAGER": str(tmp_path / "no-such-pager")})
    assert code == 0 and "Add node n2 to intro" in out and "cannot run the pager" in err


def test_a_pager_quit_early_is_not_an_error(tale: Path, tmp_path: Path) -> None:
    script = tmp_path / "head.sh"
    script.write_text("#!/bin/sh\nhead -c 10 > /dev/null\n")
    script.chmod(0o755)
    v = Vault.open(tale)
    with v:
        for i in range(300):
            edit.node_add(v, "intro", content=f"line {i}")
    code, _, err = run_on_tty("-C", tale, "log", env={"PAGER": str(script)})
    assert code == 0 and "Traceback" not in err and "internal error" not in err


# ----------------------------------------------------------------- the author


def _author_of_last_commit(cli: Any, root: Path, env: dict[str, str]) -> str:
    r = cli("-C", root, "scene", "node", "add", "intro", "--content", "more", env=env)
    assert r.code == 0, r.err
    author: str = cli("-C", root, "log", "-n", "1", "--json").json()["commits"][0]["author"]
    return author


def _bare_env(home: Path, **extra: str) -> dict[str, str]:
    """No COMFYVN_AUTHOR, and git sees only ``home``'s config."""
    home.mkdir(exist_ok=True)
    return {
        "COMFYVN_AUTHOR": "",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        **extra,
    }


def test_author_from_the_vault_config(tale: Path, tmp_path: Path, cli: Any) -> None:
    (tale / ".comfyvn" / "config.toml").write_text('[user]\nname = "Ada Lovelace"\nemail = "ada@example.com"\n')
    env = _bare_env(tmp_path / "home")
    (tmp_path / "home" / ".gitconfig").write_text("[user]\n\tname = Git Person\n")
    assert _author_of_last_commit(cli, tale, env) == "Ada Lovelace <ada@example.com>"
    assert cli("-C", tale, "op", "log", "-n", "1", "--json").json()["operations"][0]["author"].startswith("Ada")
    assert "Ada Lovelace " in cli("-C", tale, "log", "-n", "1").out  # the name, without the email
    assert _author_of_last_commit(cli, tale, {**env, "COMFYVN_AUTHOR": "Env Author"}) == "Env Author"


def test_author_from_git_config_in_home(tale: Path, tmp_path: Path, cli: Any) -> None:
    env = _bare_env(tmp_path / "home")
    (tmp_path / "home" / ".gitconfig").write_text(
        '[core]\n\teditor = vi\n[user]\n\tname = "Grace Hopper" ; the admiral\n\temail = grace@example.com\n'
    )
    assert _author_of_last_commit(cli, tale, env) == "Grace Hopper <grace@example.com>"
    # Without git on PATH, ~/.gitconfig is read directly.
    nogit = tmp_path / "empty-bin"
    nogit.mkdir()
    assert _author_of_last_commit(cli, tale, {**env, "PATH": str(nogit)}) == "Grace Hopper <grace@example.com>"


def test_author_falls_back_to_the_login_name(tale: Path, tmp_path: Path, cli: Any) -> None:
    import getpass

    nogit = tmp_path / "empty-bin"
    nogit.mkdir()
    env = _bare_env(tmp_path / "home", PATH=str(nogit))
    assert _author_of_last_commit(cli, tale, env) == getpass.getuser()


def test_a_malformed_vault_config_is_a_clear_error(tale: Path, cli: Any) -> None:
    (tale / ".comfyvn" / "config.toml").write_text("[user\nname=")
    before = cli("-C", tale, "log", "--json").json()
    r = cli("-C", tale, "scene", "node", "add", "intro", "--content", "x", env={"COMFYVN_AUTHOR": ""})
    assert r.code == 3 and "config.toml" in r.err and r.err.count("\n") == 1
    assert cli("-C", tale, "log", "--json").json() == before


def test_gitconfig_parsing() -> None:
    text = (
        "# top\n[user]\n  name = Plain Name\n  email=a@b.c # comment\n"
        '[includeIf "gitdir:~/work/"]\n  path = x\n[user] name = "Quoted \\"Q\\" Name"\n'
        "[alias]\n  name = not-this\n"
    )
    assert parse_gitconfig_user(text) == {"name": 'Quoted "Q" Name', "email": "a@b.c"}
    assert parse_gitconfig_user("[User]\nName = Case\n") == {"name": "Case"}
    assert parse_gitconfig_user("") == {}
