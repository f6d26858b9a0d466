"""Assets: the registry as a list with a half-block thumbnail, metadata and filters.

Rows honour the content filter (``sfw`` hides NSFW assets, ``warn`` marks
them). ``f`` cycles a kind filter, ``l`` opens the asset's lineage. The
preview draws the cached thumbnail with "▀" cells (top pixel as foreground,
bottom as background), so it needs no terminal graphics protocol.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.virtual_list import StaticSource, VirtualList
from comfyvn_vault.api import assets
from comfyvn_vault.errors import VaultError

if TYPE_CHECKING:
    from comfyvn_vault.api.assets import AssetRow

KINDS: Final = (None, *assets.ASSET_KINDS)
PREVIEW_COLUMNS: Final = 32


def halfblocks(path: Path, columns: int = PREVIEW_COLUMNS) -> Text:
    """A picture as text: each cell is two pixels stacked, drawn with "▀"."""
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB")
        rows = max(2, round(columns * rgb.height / max(1, rgb.width)))
        rows += rows % 2
        small = rgb.resize((columns, rows))
    px = small.load()
    assert px is not None
    text = Text()
    for y in range(0, rows, 2):
        for x in range(columns):
            top, bottom = px[x, y], px[x, y + 1]
            text.append("▀", style=Style(color=Color.from_rgb(*top[:3]), bgcolor=Color.from_rgb(*bottom[:3])))  # type: ignore[index]
        text.append("\n")
    return text


def describe(asset: AssetRow) -> Text:
    text = Text()
    text.append(f"{asset.name or asset.id[:12]}\n", style="bold")
    text.append(f"{asset.id}\n", style="dim")
    size = f"{asset.width}x{asset.height}" if asset.width else ""
    if asset.duration_ms is not None:
        size = f"{asset.duration_ms / 1000:.2f} s"
    text.append(f"{asset.kind} · {asset.mime} · {asset.bytes:,} bytes {size}\n")
    text.append(f"license {asset.meta.license or '(none)'}", style="green" if asset.meta.license else "yellow")
    if asset.meta.nsfw:
        text.append("  NSFW", style="bold red")
    text.append("\n")
    if asset.meta.tags:
        text.append(f"tags {', '.join(asset.meta.tags)}\n")
    for parent, relation in sorted(asset.parents.items()):
        text.append(f"from {parent[:12]} ({relation})\n", style="cyan")
    return text


class AssetsView(ListDetailView):
    """Browse the asset registry; enter or ``l`` shows the lineage of the highlighted asset."""

    view_key = "assets"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "cycle_kind", "Kind filter", id="assets.kind"),
        Binding("l", "lineage", "Lineage", id="assets.lineage"),
    ]

    list_id = "asset-list"
    empty_text = "(no assets: comfyvn asset add FILE…)"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind: str | None = None
        self.assets: dict[str, AssetRow] = {}

    def compose_detail(self) -> ComposeResult:
        with VerticalScroll(id="asset-detail"):
            yield Static(id="asset-preview")
            yield Static(id="asset-meta")

    def load_rows(self) -> StaticSource:
        listing = assets.list_assets(self.vault, kind=self.kind)
        rows: list[tuple[str, Text]] = []
        self.assets = {}
        for asset in sorted(listing.assets, key=lambda a: (a.kind, a.name, a.id)):
            self.assets[asset.id] = asset
            label = Text()
            label.append(f"{asset.id[:10]} ", style="dim")
            label.append(f"{asset.kind:5} ", style="cyan")
            label.append(asset.name or "")
            if asset.flagged:
                label.append(" NSFW", style="bold red")
            rows.append((asset.id, label))
        title = f"Assets ({len(rows)})" + (f" · {self.kind}" if self.kind else "") + f" · filter {listing.filter}"
        self.row_list.border_title = title + (f" · {listing.hidden} hidden" if listing.hidden else "")
        return StaticSource(rows)

    def current(self) -> AssetRow | None:
        key = self.row_list.current_key
        return self.assets.get(key) if key else None

    def show_detail(self) -> None:
        asset = self.current()
        preview = self.query_one("#asset-preview", Static)
        meta = self.query_one("#asset-meta", Static)
        if asset is None:
            preview.update("")
            meta.update(Text("Images, voice lines and music registered with `comfyvn asset add`.", style="dim italic"))
            return
        try:
            path = assets.thumbnail(self.vault, asset.id)
        except VaultError:  # hidden or removed since the list was read: the next reload drops it
            path = None
        preview.update(halfblocks(path) if path is not None else Text(f"({asset.kind})", style="dim"))
        meta.update(describe(asset))

    def open_row(self, event: VirtualList.Selected) -> None:
        self.action_lineage()

    def action_cycle_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self.reload()

    def action_lineage(self) -> None:
        asset = self.current()
        if asset is None:
            return

        async def open_lineage() -> None:
            view = await self.vapp.main.show_view("lineage")
            show = getattr(view, "show_asset", None)
            if show is not None:
                show(asset.id)

        self.app.run_worker(open_lineage())
