"""The verb table the entry point imports by: every verb's module, and nothing else at start-up."""

from __future__ import annotations

import argparse
import subprocess
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

from comfyvn_vault.cli import main


class _Recorder:
    def __init__(self) -> None:
        self.names: list[str] = []

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        self.names.append(name)
        return main._Skip()


def test_the_verb_table_names_the_module_that_registers_each_verb() -> None:
    registered: dict[str, str] = {}
    common = argparse.ArgumentParser(add_help=False)
    for path in sorted(Path(main.__file__).parent.glob("*_cmds.py")):
        recorder = _Recorder()
        import_module(f"comfyvn_vault.cli.{path.stem}").register(recorder, common)
        registered.update(dict.fromkeys(recorder.names, path.stem))
    assert registered == main.VERBS


def test_status_imports_only_what_it_needs(tmp_path: Path) -> None:
    """``comfyvn status`` loads its own verb module, and none of the others or the write path."""
    subprocess.run([sys.executable, "-m", "comfyvn_vault", "init", str(tmp_path)], check=True, capture_output=True)
    probe = (
        "import sys, runpy; sys.argv = ['comfyvn', 'status']\n"
        "try:\n    runpy.run_module('comfyvn_vault', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    loaded = set(proc.stderr.split())
    assert "comfyvn_vault.cli.history_cmds" in loaded
    unwanted = {f"comfyvn_vault.cli.{m}" for m in main.VERB_MODULES if m != "history_cmds"} | {
        "comfyvn_vault.history.author_config",
        "dataclasses",
        "typing_extensions",
        "inspect",
        "difflib",
        "subprocess",
        "shutil",
    }
    assert not unwanted & loaded, sorted(unwanted & loaded)


def test_the_known_plugin_verbs_are_the_entry_points_the_project_declares() -> None:
    import tomllib

    from comfyvn_vault.cli import plugins

    pyproject = tomllib.loads((Path(main.__file__).parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"][plugins.GROUP] == plugins.KNOWN


def test_help_and_the_tui_verb_do_not_scan_the_installed_packages() -> None:
    probe = (
        "import sys\nfrom comfyvn_vault.cli.main import build_parser\n"
        "build_parser(None); build_parser('tui')\n"
        "print('importlib.metadata' in sys.modules, 'textual' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "False"]  # nor is the TUI itself imported to list its verb
