"""A transcript that types its newest line out a few characters at a time (the Play view's text).

Lines already said are one block of text; the line being said is another,
redrawn at each tick of a timer with the next characters revealed, in order
and without gaps, until it reads exactly as the playthrough said it. A short
pause follows, then :class:`Typewriter.Finished` asks for the next line.
:meth:`skip` shows the rest of the line at once, or ends the pause. Only the
typing line is redrawn per tick, so a long transcript costs nothing to type
into.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from comfyvn_tui.guard import Guarded
from comfyvn_vault.api.play import SaidLine


def styled(line: SaidLine, upto: int | None = None) -> Text:
    """The line as shown (``line.shown``), its first ``upto`` characters only; the speaker in bold."""
    shown = line.shown if upto is None else line.shown[:upto]
    text = Text(shown, style="" if line.speaker else "italic")
    if line.speaker:
        text.stylize("bold cyan", 0, min(len(line.speaker) + 1, len(shown)))
    return text


class Typewriter(Guarded, VerticalScroll):
    """Lines said so far, the newest one typed out; :attr:`lines` is their text as shown."""

    DEFAULT_CSS = """
    Typewriter { height: 1fr; padding: 0 1; }
    Typewriter > Static { width: 1fr; }
    """

    #: Seconds between two ticks, and the characters one tick reveals (about 65 a second).
    TICK_S: ClassVar[float] = 0.03
    CHARS_PER_TICK: ClassVar[int] = 2
    #: Ticks to wait after a line is shown before asking for the next one.
    PAUSE_TICKS: ClassVar[int] = 18
    #: Lines kept on screen; earlier ones are counted above them (the playthrough keeps every line).
    KEEP_LINES: ClassVar[int] = 2000

    class Finished(Message):
        """The line being typed is shown in full and its pause is over: time for the next one."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.done: list[SaidLine] = []
        self.current: SaidLine | None = None
        self.revealed = 0
        self.pause = 0
        self.timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="said")
        yield Static(id="typing")

    # ----------------------------------------------------------------- what is shown

    @property
    def lines(self) -> list[str]:
        """The text of every line shown, as the transcript says it; the last one may still be typing."""
        out = [line.shown for line in self.done]
        if self.current is not None:
            out.append(self.current.shown[: self.revealed])
        return out

    @property
    def busy(self) -> bool:
        """A line is being typed, or its pause is not over."""
        return self.current is not None

    # ----------------------------------------------------------------- typing

    def clear(self) -> None:
        """Forget every line (a new playthrough)."""
        self.done, self.current, self.revealed, self.pause = [], None, 0, 0
        if self.timer is not None:
            self.timer.pause()
        self._draw_said()
        self._draw_typing()

    def type_line(self, line: SaidLine) -> None:
        """Start typing ``line`` (one still typing is shown in full first)."""
        self._settle()
        self.current, self.revealed, self.pause = line, 0, 0
        self._draw_typing()
        if self.timer is None:
            self.timer = self.set_interval(self.TICK_S, self.tick, name="typewriter")
        else:
            self.timer.resume()

    def skip(self) -> bool:
        """Show the rest of the line at once, or (when it is all shown) end its pause; False when idle."""
        if self.current is None:
            return False
        if self.revealed < len(self.current.shown):
            self.revealed = len(self.current.shown)
            self._draw_typing()
        else:
            self._finish()
        return True

    def tick(self) -> None:
        """Reveal the next characters, or count down the pause once the line is shown."""
        if self.current is None:
            if self.timer is not None:
                self.timer.pause()
            return
        if self.revealed < len(self.current.shown):
            self.revealed = min(self.revealed + self.CHARS_PER_TICK, len(self.current.shown))
            self._draw_typing()
        elif self.pause < self.PAUSE_TICKS:
            self.pause += 1
        else:
            self._finish()

    def _finish(self) -> None:
        self._settle()
        if self.timer is not None:
            self.timer.pause()
        self.post_message(self.Finished())

    def settle(self) -> None:
        """Show the line being typed in full among the lines said, without asking for the next one."""
        self._settle()
        if self.timer is not None:
            self.timer.pause()

    def _settle(self) -> None:
        """Move the line being typed, in full, to the lines said."""
        if self.current is None:
            return
        self.done.append(self.current)
        self.current, self.revealed, self.pause = None, 0, 0
        self._draw_said()
        self._draw_typing()

    # ----------------------------------------------------------------- drawing

    def _draw_said(self) -> None:
        shown = self.done[-self.KEEP_LINES :]
        text = Text()
        if len(self.done) > len(shown):
            text.append(f"({len(self.done) - len(shown)} earlier lines)\n", style="dim")
        for i, line in enumerate(shown):
            text.append_text(styled(line))
            if i + 1 < len(shown):
                text.append("\n")
        said = self.query_one("#said", Static)
        said.update(text)
        said.display = bool(self.done)

    def _draw_typing(self) -> None:
        typing = self.query_one("#typing", Static)
        typing.update(styled(self.current, self.revealed) if self.current is not None else "")
        self.scroll_end(animate=False, immediate=False)
