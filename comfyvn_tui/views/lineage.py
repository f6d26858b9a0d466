"""Lineage: an asset's graph back to its sources, with the events that produced and touched it.

The same document ``comfyvn lineage --json`` prints (:func:`comfyvn_vault.api.provenance.lineage`),
drawn as one block per asset: its parents, then its events oldest first.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from comfyvn_tui.views.base import View
from comfyvn_vault.api.provenance import Lineage, LineageAsset, LineageEvent, lineage
from comfyvn_vault.errors import VaultError


def render(doc: Lineage) -> Text:
    text = Text()
    events = {n.id: n for n in doc.nodes if isinstance(n, LineageEvent)}
    for node in (n for n in doc.nodes if isinstance(n, LineageAsset)):
        name = node.name or ("(removed from the registry)" if node.missing else "")
        style = "bold green" if node.id in doc.sources else "bold"
        text.append(f"● {node.id[:12]}  {name}\n", style=style)
        for edge in (e for e in doc.edges if e.to == node.id):
            ev = events.get(edge.from_)
            if ev is not None:
                extra = " ".join(f"{k}={v}" for k, v in ev.details().items())
                text.append(f"  ├ {edge.relation:9} ", style="cyan")
                text.append(f"{ev.type} {edge.from_[:10]}", style="")
                text.append(f"  commit {ev.commit[:10]} {extra}\n", style="dim")
            else:
                text.append(f"  ├ from {edge.from_[:12]} ({edge.relation})\n", style="magenta")
    if doc.verified:
        problems = doc.verified.problems
        style = "bold red" if problems else "green"
        text.append(f"\nverified {doc.verified.objects} objects, {len(problems)} problem(s)\n", style=style)
    return text


class LineageView(View):
    """Shows the lineage of the asset picked in the Assets view (``v`` re-hashes every object)."""

    view_key = "lineage"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "verify", "Verify", id="lineage.verify"),
    ]

    DEFAULT_CSS = """
    LineageView #lineage-graph { border: round $panel-lighten-2; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.asset_id: str | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="lineage-graph"):
            yield Static(id="lineage-text")

    def show_asset(self, asset_id: str, verify: bool = False) -> None:
        self.asset_id = asset_id
        self._draw(verify)

    def reload(self) -> None:
        self._draw(False)

    def _draw(self, verify: bool) -> None:
        out = self.query_one("#lineage-text", Static)
        box = self.query_one("#lineage-graph", VerticalScroll)
        if self.asset_id is None:
            box.border_title = "Lineage"
            out.update(Text("Pick an asset in the Assets view and press l.", style="dim italic"))
            return
        try:
            doc = lineage(self.vault, self.asset_id, verify=verify)
        except VaultError as exc:
            out.update(Text(exc.message, style="yellow"))
            return
        box.border_title = f"Lineage of {self.asset_id[:12]}"
        out.update(render(doc))

    def action_verify(self) -> None:
        self._draw(True)
