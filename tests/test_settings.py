"""Settings: what the environment tunes, read once at open and passed to every part that uses it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comfyvn_vault.domain import Cause, Scene, SceneCreated
from comfyvn_vault.errors import UsageError
from comfyvn_vault.hooks import hook_cause
from comfyvn_vault.settings import Settings
from comfyvn_vault.vault import Vault


def test_defaults_when_the_environment_says_nothing() -> None:
    assert Settings.from_env({}) == Settings()
    assert Settings().lock_timeout == 30 and Settings().hook_timeout == 30 and Settings().map_size == 1 << 36


def test_every_variable_is_read() -> None:
    s = Settings.from_env(
        {
            "COMFYVN_TIME_MS": "1700000000000",
            "COMFYVN_AUTHOR": " Ada <ada@example.com> ",
            "COMFYVN_LOCK_TIMEOUT": "0",
            "COMFYVN_MAP_SIZE": "1048576",
            "COMFYVN_HOOK_TIMEOUT": "2.5",
            "COMFYVN_TOKEN": "t",
            "COMFYVN_SERVE_TOKEN": "rw",
            "COMFYVN_SERVE_READ_TOKEN": "ro",
            "COMFYVN_SERVE_MAX_PUSH": "1000",
            "COMFYVN_HOOK": "post-commit",
        }
    )
    assert s == Settings(
        time_ms=1_700_000_000_000,
        author="Ada <ada@example.com>",
        lock_timeout=0,
        map_size=1 << 20,
        hook_timeout=2.5,
        token="t",
        serve_token="rw",
        serve_read_token="ro",
        serve_max_push=1000,
        running_hook="post-commit",
    )
    assert s.now_ms() == 1_700_000_000_000
    assert hook_cause(s) == Cause(kind="hook", ref="post-commit") and hook_cause(Settings()) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMFYVN_TIME_MS", "soon"),
        ("COMFYVN_TIME_MS", "-5"),
        ("COMFYVN_TIME_MS", "٣"),  # a digit, but not an ASCII one
        ("COMFYVN_LOCK_TIMEOUT", "-1"),
        ("COMFYVN_LOCK_TIMEOUT", "nan"),
        ("COMFYVN_MAP_SIZE", "1000"),
        ("COMFYVN_HOOK_TIMEOUT", "0"),
        ("COMFYVN_HOOK_TIMEOUT", "inf"),
        ("COMFYVN_SERVE_MAX_PUSH", "1e9"),
    ],
)
def test_a_bad_value_is_a_usage_error_naming_its_variable(name: str, value: str) -> None:
    with pytest.raises(UsageError, match=name):
        Settings.from_env({name: value})


@given(st.dictionaries(st.sampled_from(["COMFYVN_TIME_MS", "COMFYVN_LOCK_TIMEOUT", "COMFYVN_MAP_SIZE",
                                        "COMFYVN_HOOK_TIMEOUT", "COMFYVN_SERVE_MAX_PUSH", "COMFYVN_AUTHOR"]),
                       st.text(max_size=12)))  # fmt: skip
def test_any_environment_gives_settings_or_a_usage_error(env: dict[str, str]) -> None:
    try:
        s = Settings.from_env(env)
    except UsageError as exc:
        assert exc.message.split(" ")[0] in env
    else:
        assert s.lock_timeout >= 0 and s.hook_timeout > 0 and s.map_size >= 1 << 20


def test_a_vault_takes_its_clock_and_author_from_the_settings_it_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMFYVN_AUTHOR", "From The Environment")
    monkeypatch.setenv("COMFYVN_TIME_MS", "5")
    given_settings = Settings(time_ms=1_234_000, author="Given Author")
    vault, _ = Vault.init(tmp_path / "v", settings=given_settings)
    with vault:
        rec = vault.record([SceneCreated(scene=Scene(id="intro"), cause=Cause(kind="user"))], "a scene")
        assert (rec.commit.author, rec.commit.time) == ("Given Author", 1_234_000)
        assert vault.history.op_head() is not None
    with Vault.open(tmp_path / "v") as reopened:  # no settings given: the environment's
        rec = reopened.record([SceneCreated(scene=Scene(id="outro"), cause=Cause(kind="user"))], "another")
        assert (rec.commit.author, rec.commit.time) == ("From The Environment", 5)


def _import_time_environ_reads(tree: ast.AST) -> list[int]:
    """Lines that read ``os.environ`` / ``os.getenv`` outside any function body (run at import)."""
    found: list[int] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return
        named_os = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os"
        if named_os and node.attr in ("environ", "getenv"):  # type: ignore[attr-defined]
            found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_nothing_reads_the_environment_at_import_time() -> None:
    root = Path(__file__).resolve().parent.parent
    offenders = [
        f"{path.relative_to(root)}:{line}"
        for package in ("comfyvn_vault", "comfyvn_tui")
        for path in sorted((root / package).rglob("*.py"))
        for line in _import_time_environ_reads(ast.parse(path.read_text()))
    ]
    assert not offenders, offenders
    sample = ast.parse("import os\nLIMIT = int(os.environ.get('X', '1'))\ndef f():\n    return os.environ['Y']\n")
    assert _import_time_environ_reads(sample) == [2]
