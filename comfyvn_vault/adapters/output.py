"""Writing an export plan's files under one folder, and nowhere else.

The paths were checked when the files were planned
(:func:`~comfyvn_vault.adapters.exporter.check_output_path`); here the folder
on disk is checked too: no folder on the way to a file may be a symbolic link,
so a link planted in the export folder cannot send a file elsewhere. Each file
is written to a temporary name beside it and renamed into place, so a reader
never sees half a file and a failed writer leaves the old one.
"""

from __future__ import annotations

import os
from pathlib import Path

from comfyvn_vault.adapters.exporter import ExportPlan, OutputFile, check_output_path
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.fsutil import os_error


def write_export(plan: ExportPlan, folder: Path) -> list[str]:
    """Write every file of ``plan`` under ``folder`` (created if need be); the paths written, in order."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for f in plan.files:
            _write(folder, f)
    except OSError as exc:
        raise os_error(exc, "write the export") from None
    return [f.path for f in plan.files]


def _write(folder: Path, f: OutputFile) -> None:
    parts = check_output_path(f.path).split("/")
    here = folder
    for part in parts[:-1]:
        here = here / part
        if here.is_symlink():
            raise InputRejected(f"cannot write {f.path}: {here} is a symbolic link")
        here.mkdir(exist_ok=True)
    target = here / parts[-1]
    tmp = here / f".{parts[-1]}.{os.getpid()}.tmp"
    try:
        with open(tmp, "xb") as out:
            if isinstance(f.content, bytes):
                out.write(f.content)
            else:
                f.content(out)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
