"""Imports: what the branch was imported from, and importing more.

The list is ``api.imports.list_imports`` (each import the branch holds: an
undone one is gone). ``i`` asks for a kind and a file or folder and shows what
the import would create (``import_source(..., dry_run=True)``, nothing written);
``enter`` in that preview starts it in a worker with a progress bar, holding the
app's vault gate; the outcome, its findings and what it made are shown, and
enter on an import goes to the first scene it made.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from comfyvn_tui.screens.form import FormScreen, field
from comfyvn_tui.targets import Target
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.virtual_list import StaticSource, VirtualList
from comfyvn_vault.api import imports
from comfyvn_vault.errors import VaultError

if TYPE_CHECKING:
    from comfyvn_vault.api.imports import Imported, ImportRow

#: Findings shown in the detail pane; the rest are counted.
FINDINGS_SHOWN = 30


class ImportsView(ListDetailView):
    """``i`` imports a file or folder (a preview first, then enter to run it); enter goes to what an import made."""

    view_key = "imports"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "new_import", "Import…", id="imports.new"),
        Binding("y", "confirm", "Run the import", id="imports.confirm", show=False),
    ]

    DEFAULT_CSS = """
    ImportsView #import-progress { height: 1; }
    """

    list_id = "import-list"
    list_title = "Imports"
    empty_text = "(nothing imported yet: press i)"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[ImportRow] = []
        #: The previewed import waiting for ``y``: (kind, path, options, what it would make).
        self.pending: tuple[str, Path, dict[str, str], Imported] | None = None
        self.busy = False

    def compose_detail(self) -> ComposeResult:
        with Vertical(id="import-detail"):
            yield Static(id="import-state")
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static(id="import-info")

    def load_rows(self) -> StaticSource:
        self.rows = imports.list_imports(self.vault).imports
        lines = []
        for row in self.rows:
            label = Text()
            label.append(f"{row.source} ", style="bold")
            label.append(f"{row.importer}@{row.version} ", style="cyan")
            label.append(f"{len(row.scenes)} scenes, {len(row.characters)} characters", style="dim")
            lines.append((row.id, label))
        return StaticSource(lines)

    def current(self) -> ImportRow | None:
        key = self.row_list.current_key
        return next((r for r in self.rows if r.id == key), None)

    def show_detail(self) -> None:
        if self.pending is not None:
            return
        row = self.current()
        info = self.query_one("#import-info", Static)
        if row is None:
            info.update(Text("i imports a chat, a character card, a Ren'Py game or a pack.", style="dim italic"))
            return
        text = Text()
        text.append(f"{row.source}\n", style="bold")
        text.append(f"{row.importer}@{row.version} · import {row.id[:12]}\n")
        if row.options:
            text.append("options " + ", ".join(f"{k}={v}" for k, v in row.options.items()) + "\n", style="dim")
        _made(text, row.scenes, row.characters, row.assets)
        if row.scenes:
            text.append("\nenter goes to the first scene", style="dim")
        info.update(text)

    def open_row(self, event: VirtualList.Selected) -> None:
        row = self.current()
        if row is not None and row.scenes:
            self.vapp.go_to(Target("scenes", row.scenes[0]))

    # ----------------------------------------------------------------- importing

    def action_new_import(self) -> None:
        if self.busy:
            self.notify("an import is already running")
            return
        kinds = ", ".join(imports.importer_kinds())

        def chosen(values: dict[str, str] | None) -> None:
            if values is None:
                return
            kind, where = values.get("kind", "").strip(), values.get("path", "").strip()
            if not kind or not where:
                return
            try:
                options = imports.parse_settings(values.get("options", "").split())
                path = Path(where).expanduser()
                path = path if path.is_absolute() else self.vault.root / path
                preview = imports.import_source(self.vault, kind, path, options, dry_run=True)
            except VaultError as exc:
                self.notify(exc.message, severity="error", timeout=8)
                return
            self.pending = (kind, path, options, preview)
            self._show_preview(preview)

        form = FormScreen(
            "Import",
            [
                field("kind", f"Kind ({kinds})", "roleplay"),
                field("path", "File or folder (relative to the vault)", placeholder="chat.jsonl"),
                field("options", "Options (KEY=VALUE …, optional)"),
            ],
            submit="Preview",
        )
        self.app.push_screen(form, chosen)

    def _show_preview(self, preview: Imported) -> None:
        text = Text()
        if preview.already:
            text.append(f"{preview.source} was already imported with these options: nothing new\n", style="yellow")
            self.pending = None
        else:
            text.append(f"{preview.source} with {preview.importer} would create:\n", style="bold")
            _made(text, preview.scenes, preview.characters, preview.assets)
            text.append(f"{preview.events} events in one commit (undo removes it)\n", style="dim")
            _findings(text, preview.findings)
            text.append("\ny runs the import · esc or another key leaves it", style="bold green")
        self.query_one("#import-state", Static).update("preview")
        self.query_one("#import-info", Static).update(text)

    def action_confirm(self) -> None:
        if self.pending is None or self.busy:
            return
        kind, path, options, _ = self.pending
        self.pending = None
        self.busy = True
        self.query_one("#import-state", Static).update(f"importing {path.name}…")
        self._run(kind, path, options)

    def back(self) -> bool:
        if self.pending is not None:
            self.pending = None
            self.query_one("#import-state", Static).update("")
            self.show_detail()
            return True
        return super().back()

    @work(thread=True, exclusive=True, group="import")
    def _run(self, kind: str, path: Path, options: dict[str, str]) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        size = path.stat().st_size if path.is_file() else 0
        self.app.call_from_thread(bar.update, total=max(size, 1), progress=0)

        def advance(n: int) -> None:
            self.app.call_from_thread(bar.advance, n)

        try:
            with self.vapp.vault_gate:
                result = imports.import_source(self.vault, kind, path, options, progress=advance)
            self.app.call_from_thread(self._done, result, None)
        except VaultError as exc:
            self.app.call_from_thread(self._done, None, exc.message)

    def _done(self, result: Imported | None, error: str | None) -> None:
        self.busy = False
        state = self.query_one("#import-state", Static)
        if result is None:
            state.update(Text(f"import failed: {error}", style="red"))
            self.notify(error or "import failed", severity="error", timeout=8)
            return
        text = Text()
        text.append(f"imported {result.source} with {result.importer}", style="bold green")
        text.append(f" (commit {(result.commit or '')[:12]})\n" if result.commit else "\n")
        _made(text, result.scenes, result.characters, result.assets)
        _findings(text, result.findings)
        state.update("done")
        self.vapp.vault_changed()
        if result.job is not None:
            self.move_to(result.job)
        self.query_one("#import-info", Static).update(text)
        self.notify(f"imported {result.source}", timeout=4)


def _made(text: Text, scenes: list[str], characters: list[str], assets: list[str]) -> None:
    for label, ids in (("scenes", scenes), ("characters", characters), ("assets", assets)):
        if ids:
            shown = ", ".join(i if len(i) < 20 else i[:12] for i in ids[:8])
            more = f" and {len(ids) - 8} more" if len(ids) > 8 else ""
            text.append(f"{len(ids)} {label}: {shown}{more}\n")


def _findings(text: Text, findings: list[str]) -> None:
    if not findings:
        return
    text.append(f"\n{len(findings)} notes about the source:\n", style="yellow")
    for line in findings[:FINDINGS_SHOWN]:
        text.append(f"  {line}\n", style="dim")
    if len(findings) > FINDINGS_SHOWN:
        text.append(f"  … and {len(findings) - FINDINGS_SHOWN} more\n", style="dim")
