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
