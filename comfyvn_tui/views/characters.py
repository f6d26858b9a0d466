"""Characters: the cast, each one's traits and expressions, and the scenes they speak in.

"Appears in" is ``edit.appearances``, read from the speaker index: no scene
is read to build it. Edits use ``character new|edit`` like the CLI.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label

from comfyvn_tui.rows import EntityRows
from comfyvn_tui.screens.form import FormScreen, field
from comfyvn_tui.targets import Target
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.character_card import CharacterCard
from comfyvn_tui.widgets.virtual_list import StaticSource, VirtualList
from comfyvn_vault.api import edit
from comfyvn_vault.domain.entities import Character
from comfyvn_vault.domain.paths import CHARACTERS, SCENES


class CharactersView(ListDetailView):
    """Browse the cast; enter on a scene in "appears in" opens it."""

    view_key = "characters"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("A", "add_character", "New character", id="characters.add"),
        Binding("t", "set_trait", "Set trait", id="characters.set_trait"),
        Binding("T", "unset_trait", "Remove trait", show=False, id="characters.unset_trait"),
        Binding("r", "rename", "Rename", show=False, id="characters.rename"),
        Binding("e", "edit_external", "$EDITOR", id="characters.edit_external"),
    ]

    DEFAULT_CSS = """
    CharactersView #character-detail { width: 2fr; }
    CharactersView #appears { height: 1fr; }
    CharactersView #character-detail:focus-within { border: round $primary; }
    """

    list_id = "character-list"
    list_title = "Characters"
    empty_text = "(no characters: A creates one)"
    back_from = "appears"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.character: Character | None = None

    def compose_detail(self) -> ComposeResult:
        with Vertical(id="character-detail"):
            yield CharacterCard(id="card")
            yield Label("Appears in", classes="pane-title")
            yield VirtualList(empty_text="(speaks in no scene)", on_select=self._open_scene, id="appears")

    @property
    def appears(self) -> VirtualList:
        return self.query_one("#appears", VirtualList)

    def load_rows(self) -> EntityRows:
        entries = edit.entries(self.vault, CHARACTERS)
        rows = EntityRows(self.vault, entries, names=lambda: edit.names(self.vault, CHARACTERS))
        self.row_list.border_title = f"Characters ({len(rows)})"
        return rows

    def show_detail(self) -> None:
        rows = self.row_list.source
        doc = rows.entity(self.row_list.cursor) if isinstance(rows, EntityRows) and len(rows) else None
        self.character = doc if isinstance(doc, Character) else None
        self.query_one("#card", CharacterCard).show(self.character)
        appearances: list[tuple[str, Text]] = []
        if self.character is not None:
            for seen in edit.appearances(self.vault, self.character):
                label = Text()
                label.append(seen.scene, style="bold")
                label.append(f"  {seen.title}")
                label.append(f"  {seen.lines} line{'s' if seen.lines != 1 else ''}", style="dim")
                appearances.append((seen.scene, label))
        self.appears.set_source(StaticSource(appearances), keep_key=self.appears.current_key)

    def open_row(self, event: VirtualList.Selected) -> None:
        self.screen.set_focus(self.appears)

    def _open_scene(self, event: VirtualList.Selected) -> None:
        self.vapp.go_to(Target(SCENES, event.key))

    def go_to(self, target: Target) -> None:
        if self.move_to(target.id):
            self.show_detail()
        self.screen.set_focus(self.row_list)

    # ----------------------------------------------------------------- actions

    def action_add_character(self) -> None:
        def create(values: dict[str, str] | None) -> None:
            if not values or not values["name"].strip():
                return
            name = values["name"].strip()
            self.vapp.save_edit(
                f"New character: {name}",
                lambda msg: edit.character_new(self.vault, name, message=msg),
                after=lambda saved: self.go_to(Target(CHARACTERS, saved.id)),
            )

        self.app.push_screen(FormScreen("New character", [field("name", "Name")], submit="Create"), create)

    def action_set_trait(self) -> None:
        ch = self.character
        if ch is None:
            return

        def set_trait(values: dict[str, str] | None) -> None:
            if not values or not values["key"].strip():
                return
            key, value = values["key"].strip(), values["value"]
            self.vapp.save_edit(
                f"Edit character {ch.id}",
                lambda msg: edit.character_edit(self.vault, ch.id, traits={key: value}, message=msg),
            )

        self.app.push_screen(
            FormScreen(f"Set a trait of {ch.name}", [field("key", "Trait"), field("value", "Value")], submit="Set"),
            set_trait,
        )

    def action_unset_trait(self) -> None:
        ch = self.character
        if ch is None or not ch.traits:
            return

        def unset(values: dict[str, str] | None) -> None:
            key = (values or {}).get("key", "").strip()
            if not key:
                return
            self.vapp.confirm(
                f"Remove trait {key!r} from {ch.name}?",
                lambda: self.vapp.save_edit(
                    f"Edit character {ch.id}",
                    lambda msg: edit.character_edit(self.vault, ch.id, unset=[key], message=msg),
                ),
                "remove",
            )

        self.app.push_screen(
            FormScreen(f"Remove a trait of {ch.name}", [field("key", f"Trait ({', '.join(sorted(ch.traits))})")]),
            unset,
        )

    def action_rename(self) -> None:
        ch = self.character
        if ch is None:
            return

        def rename(values: dict[str, str] | None) -> None:
            if not values or not values["name"].strip() or values["name"].strip() == ch.name:
                return
            name = values["name"].strip()
            self.vapp.save_edit(
                f"Rename {ch.id} to {name}",
                lambda msg: edit.character_edit(self.vault, ch.id, name=name, message=msg),
            )

        self.app.push_screen(FormScreen(f"Rename {ch.id}", [field("name", "Name", ch.name)]), rename)

    def action_edit_external(self) -> None:
        if self.character is not None:
            self.vapp.run_editor(f"{CHARACTERS}/{self.character.id}.toml")
