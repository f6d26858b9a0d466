"""A character's card: name, id, traits, expressions and portrait, as a read-only panel."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from comfyvn_tui.guard import Guarded
from comfyvn_vault.domain.entities import Character


class CharacterCard(Guarded, Static):
    """Shows one :class:`Character` (or a hint when none is selected)."""

    DEFAULT_CSS = """
    CharacterCard { height: auto; padding: 0 1; }
    """

    def show(self, character: Character | None) -> None:
        self.update(self.render_card(character))

    @staticmethod
    def render_card(character: Character | None) -> RenderableType:
        if character is None:
            return Text("(no character selected: A creates one)", style="dim italic")
        title = Text()
        title.append(character.name or character.id, style="bold")
        title.append(f"  characters/{character.id}", style="dim")
        parts: list[RenderableType] = [title]
        parts.append(_pairs("Traits", character.traits, "(no traits: t sets one)"))
        parts.append(_pairs("Expressions", character.expressions, "(no expressions)"))
        if character.portrait_asset_id:
            parts.append(Text(f"Portrait  {character.portrait_asset_id[:16]}", style="dim"))
        return Group(*parts)


def _pairs(title: str, values: dict[str, str], empty: str) -> RenderableType:
    table = Table(title=title, title_justify="left", title_style="bold", box=None, show_header=False, expand=False)
    table.add_column("key", style="cyan", no_wrap=True)
    table.add_column("value")
    if not values:
        table.add_row(Text(empty, style="dim italic"), "")
    for key, value in sorted(values.items()):
        table.add_row(key, value)
    return table
