"""A virtualized, keyboard-driven list: only the rows on screen are ever built.

Lists in a vault can be long (10,000 scenes, a history of 100,000 commits), so
this widget never holds a widget or even a label per row. It asks a
:class:`RowSource` for the label of each visible row when it paints, so a
source may load documents lazily (a scene's title is read when its row
scrolls into view) and may grow as the cursor nears its end (the log).

Keys (every binding has an id and can be remapped): ``j``/``k`` and arrows,
``g``/``G`` and home/end, page up/down, ``enter`` to select, ``/`` to find,
``n``/``N`` for the next/previous match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Protocol, runtime_checkable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from comfyvn_tui.guard import Guarded, describe_error


class RowSource(Protocol):
    """What a :class:`VirtualList` shows: a sequence of rows, each read on demand."""

    def __len__(self) -> int: ...

    def label(self, index: int) -> Text:
        """The row's text; called only while the row is on screen."""
        ...

    def key(self, index: int) -> str:
        """A stable identity (an entity id, a commit id) to keep the cursor on across reloads."""
        ...

    def haystack(self, index: int) -> str:
        """Cheap lowercased text that ``/`` find matches against."""
        ...


@runtime_checkable
class GrowingSource(Protocol):
    """A source that loads more rows when asked (a long log, read page by page)."""

    def extend(self, upto: int) -> bool:
        """Load rows until there are at least ``upto`` (or no more); True when rows were added."""
        ...


class EmptySource:
    """No rows."""

    def __len__(self) -> int:
        return 0

    def label(self, index: int) -> Text:
        return Text()

    def key(self, index: int) -> str:
        return ""

    def haystack(self, index: int) -> str:
        return ""


class StaticSource:
    """Rows known up front (short lists: branches, a scene's nodes, search hits)."""

    def __init__(self, rows: list[tuple[str, Text]]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def label(self, index: int) -> Text:
        return self.rows[index][1]

    def key(self, index: int) -> str:
        return self.rows[index][0]

    def haystack(self, index: int) -> str:
        return self.rows[index][1].plain.lower()


class VirtualList(Guarded, ScrollView, can_focus=True):
    """A cursor over a :class:`RowSource`, painted one visible line at a time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "cursor_top", "First", show=False, id="list.top"),
        Binding("G,end", "cursor_bottom", "Last", show=False, id="list.bottom"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("enter", "select", "Open", id="list.select"),
        Binding("slash", "find", "Find", show=False, id="list.find"),
        Binding("n", "find_next", "Next match", show=False, id="list.find_next"),
        Binding("N", "find_previous", "Previous match", show=False, id="list.find_previous"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"virtual-list--cursor", "virtual-list--empty"}

    DEFAULT_CSS = """
    VirtualList {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    VirtualList > .virtual-list--cursor {
        background: $primary 30%;
    }
    VirtualList:focus > .virtual-list--cursor {
        background: $primary;
        color: $text;
        text-style: bold;
    }
    VirtualList > .virtual-list--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class RowMessage(Message):
        """Something happened on row ``index`` (row ``key``) of ``virtual_list``."""

        def __init__(self, virtual_list: VirtualList, index: int, key: str) -> None:
            super().__init__()
            self.virtual_list, self.index, self.key = virtual_list, index, key

        @property
        def control(self) -> VirtualList:
            return self.virtual_list

    class Highlighted(RowMessage):
        """The cursor moved to ``index`` (row ``key``)."""

    class Selected(RowMessage):
        """``enter`` (or a click) on row ``index``."""

    def __init__(
        self,
        source: RowSource | None = None,
        *,
        empty_text: str = "(nothing here)",
        on_select: Callable[[VirtualList.Selected], None] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source: RowSource = source if source is not None else EmptySource()
        self.empty_text = empty_text
        self.on_select = on_select
        self.find_text = ""
        self._last_posted: tuple[int, str] | None = None
        self._paint_styles: tuple[Style, Style, Style] = (Style(), Style(), Style())

    # ----------------------------------------------------------------- data

    def set_source(self, source: RowSource, keep_key: str | None = None) -> None:
        """Show ``source``; the cursor stays on the row whose key is ``keep_key`` when it still exists."""
        self.source = source
        index = 0
        if keep_key:
            found = self.index_of(keep_key)
            index = found if found is not None else min(self.cursor, max(len(source) - 1, 0))
        self._update_size()
        self._last_posted = None
        self.cursor = index
        self.refresh()

    def index_of(self, key: str) -> int | None:
        """The row with ``key``, searching only rows already loaded."""
        for i in range(len(self.source)):
            if self.source.key(i) == key:
                return i
        return None

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor (None for an empty list)."""
        if not len(self.source):
            return None
        return self.source.key(self.cursor)

    def _update_size(self) -> None:
        self.virtual_size = Size(self.size.width, max(len(self.source), 1))

    def on_resize(self, event: events.Resize) -> None:
        self._update_size()

    # ----------------------------------------------------------------- cursor

    def validate_cursor(self, value: int) -> int:
        growing = isinstance(self.source, GrowingSource) and value >= len(self.source) - 1
        if growing and self.source.extend(value + max(self.size.height, 50)):  # type: ignore[attr-defined]
            self._update_size()
        return max(0, min(value, len(self.source) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True, force=True)
        self.refresh()
        if len(self.source):
            key = self.source.key(new)
            if self._last_posted != (new, key):
                self._last_posted = (new, key)
                self.post_message(self.Highlighted(self, new, key))

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_top(self) -> None:
        self.cursor = 0

    def action_cursor_bottom(self) -> None:
        if isinstance(self.source, GrowingSource):
            # Load everything: "last" means the real last row.
            while self.source.extend(len(self.source) + 1000):
                pass
            self._update_size()
        self.cursor = len(self.source) - 1

    def action_page_down(self) -> None:
        self.cursor += max(self.size.height - 1, 1)

    def action_page_up(self) -> None:
        self.cursor -= max(self.size.height - 1, 1)

    def action_select(self) -> None:
        """Open the row: ``on_select`` runs at once when given (else a Selected message is posted).

        Running it at once matters for type-ahead: with a message, a key typed
        right after enter would reach this list before the handler moved focus.
        """
        if not len(self.source):
            return
        selected = self.Selected(self, self.cursor, self.source.key(self.cursor))
        if self.on_select is not None:
            self.on_select(selected)
        else:
            self.post_message(selected)

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.source):
            self.cursor = index
            if event.chain > 1:
                self.action_select()

    # ----------------------------------------------------------------- find

    def action_find(self) -> None:
        from comfyvn_tui.screens.form import FormScreen, field

        def found(values: dict[str, str] | None) -> None:
            if values and values["text"].strip():
                self.find_text = values["text"].strip().lower()
                self.action_find_next()

        self.app.push_screen(FormScreen("Find", [field("text", "Find", self.find_text)], submit="Find"), found)

    def find(self, forward: bool = True) -> bool:
        """Move to the next (or previous) row containing the find text, wrapping around."""
        n = len(self.source)
        if not self.find_text or not n:
            return False
        step = 1 if forward else -1
        for offset in range(1, n + 1):
            i = (self.cursor + step * offset) % n
            if self.find_text in self.source.haystack(i):
                self.cursor = i
                return True
        self.notify(f"no row matches {self.find_text!r}", severity="warning")
        return False

    def action_find_next(self) -> None:
        self.find(True)

    def action_find_previous(self) -> None:
        self.find(False)

    # ----------------------------------------------------------------- painting

    def render_lines(self, crop: Region) -> list[Strip]:
        # Resolve the styles once per paint, not once per line: it is most of a line's cost.
        base = self.rich_style
        self._paint_styles = (
            base,
            base + self.get_component_rich_style("virtual-list--cursor"),
            base + self.get_component_rich_style("virtual-list--empty"),
        )
        return super().render_lines(crop)

    def _label(self, index: int) -> Text:
        """The row's label; a row that cannot be read shows why (and is reported) instead of breaking the paint."""
        try:
            return self.source.label(index).copy()
        except Exception as error:
            survive = getattr(self.app, "survive", None)
            if survive is None or not survive(error, f"{type(self).__name__} row {index}"):
                raise
            return Text(f"⚠ row {index + 1} cannot be shown: {describe_error(error).summary}", style="bold red")

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = int(scroll_y) + y
        width = self.size.width
        base, cursor_style, empty_style = self._paint_styles
        if not len(self.source):
            if y == 0:
                return Strip([Segment(self.empty_text, empty_style)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(self.source):
            return Strip.blank(width, base)
        text = self._label(index)
        text.no_wrap = True
        text.end = ""
        style: Style = cursor_style if index == self.cursor else base
        text.stylize_before(style)
        segments = list(text.render(self.app.console))
        strip = Strip(segments).crop_extend(int(scroll_x), int(scroll_x) + width, style)
        return strip.apply_offsets(int(scroll_x), index)
