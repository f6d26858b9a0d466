"""Play: the story played line by line, typed out, with its menus, its variables and its seed.

The playthrough is :func:`comfyvn_vault.api.play.session`, the walk ``comfyvn
play`` runs to its stop, taken here a line at a time: the lines typed out are
the transcript ``comfyvn play --seed N --choose I,J --json`` prints, character
for character. It starts where ``comfyvn play`` starts (the first timeline's
first scene); enter on a scene of the list starts there instead. At a menu the
number keys pick an option (elsewhere they switch views as usual); the panel
on the right lists every variable and marks those the last step changed. The
header shows the seed and the ``comfyvn play`` command that plays the same.
A playthrough keeps the story as it was when it began; ``r`` starts it again
(on the story as it is now), ``s`` with a new seed, ``S`` with a seed typed in.
"""

from __future__ import annotations

import random
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from comfyvn_tui.rows import EntityRows
from comfyvn_tui.screens.form import FormScreen, field
from comfyvn_tui.targets import Target
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.typewriter import Typewriter
from comfyvn_tui.widgets.virtual_list import VirtualList
from comfyvn_vault.api import ObjectId, edit, play
from comfyvn_vault.domain.paths import SCENES
from comfyvn_vault.domain.runtime.expr import Value
from comfyvn_vault.domain.runtime.play import Session
from comfyvn_vault.errors import VaultError

#: New seeds are drawn below this, so they stay short enough to type (any seed below 2^64 plays).
NEW_SEEDS = 1_000_000


class PlayView(ListDetailView):
    """Play the story: ``space`` shows the rest of a line (again: the next line), ``1``-``9`` pick at a menu."""

    view_key = "play"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "skip", "Next", id="play.skip"),
        Binding("r", "restart", "Restart", id="play.restart"),
        Binding("s", "new_seed", "New seed", id="play.new_seed"),
        Binding("S", "set_seed", "Seed…", show=False, id="play.set_seed"),
        *(Binding(str(n), f"choose({n})", f"Pick option {n}", show=False, id=f"play.choose_{n}") for n in range(1, 10)),
    ]

    DEFAULT_CSS = """
    PlayView #play-scenes { width: 22%; min-width: 18; max-width: 30; }
    PlayView #play-main { width: 1fr; }
    PlayView #play-head { height: auto; padding: 0 1; background: $panel; }
    PlayView #play-menu { height: auto; padding: 0 1; }
    PlayView #play-variables { width: 28%; min-width: 22; max-width: 40; padding: 0 1; }
    """

    list_id = "play-scenes"
    list_title = "Start at"
    empty_text = "(no scenes to play)"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session: Session | None = None
        self.seed = 0
        self.start: str | None = None
        #: The commit the playthrough reads the story of (the checkout when it began).
        self.story: ObjectId | None = None
        #: Why the story cannot be played (merge conflicts, no scene), shown instead of a playthrough.
        self.problem: str | None = None
        #: The variables now, before their last change, and the names that change set.
        self.before: dict[str, Value] = {}
        self.was: dict[str, Value] = {}
        self.changed: set[str] = set()

    def compose_detail(self) -> ComposeResult:
        with Vertical(id="play-main") as main:
            main.border_title = "Playing"
            yield Static(id="play-head")
            yield Typewriter(id="transcript")
            yield Static(id="play-menu")
        variables = VerticalScroll(Static(id="variables-text"), id="play-variables")
        variables.border_title = "Variables"
        yield variables

    @property
    def typewriter(self) -> Typewriter:
        return self.query_one("#transcript", Typewriter)

    # ----------------------------------------------------------------- the list of start scenes

    def load_rows(self) -> EntityRows:
        return EntityRows(self.vault, edit.entries(self.vault, SCENES), names=lambda: edit.names(self.vault, SCENES))

    def start_key(self) -> str | None:
        return self.start

    def reload(self) -> None:
        """The scene list again; the first time (or after a refusal) a playthrough from the default start."""
        if self.session is None:
            self.begin(self.start, self.seed)
        super().reload()
        if self.session is not None and self.problem is None:
            self._show_head()

    def open_row(self, event: VirtualList.Selected) -> None:
        self.begin(event.key, self.seed)

    def highlighted(self) -> None:
        """Moving the cursor only picks where enter would start."""

    # ----------------------------------------------------------------- playing

    def begin(self, start: str | None, seed: int) -> None:
        """A new playthrough from ``start`` (None: where ``comfyvn play`` starts) with ``seed``."""
        self.seed = seed
        self.typewriter.clear()
        self.query_one("#play-menu", Static).update("")
        try:
            self.session = play.session(self.vault, start, seed=seed)
        except VaultError as exc:
            self.session, self.problem = None, exc.message
            self._show_problem()
            return
        self.problem, self.start, self.story = None, self.session.start, self.vault.history.head()
        self.before, self.was, self.changed = self.session.variables, {}, set()
        self._show_head()
        self._show_variables()
        self._say_next()

    def _say_next(self) -> None:
        """Walk to the next line and type it, or show where the walk stopped."""
        session = self.session
        if session is None:
            return
        try:
            line = session.advance()
        except VaultError as exc:  # a target that names nothing (`comfyvn check` finds these)
            self.problem = exc.message
            self._show_problem()
            return
        self._show_variables()
        self._show_head()
        if line is not None:
            self.lead(Target(SCENES, line.scene, line.node))
            self.typewriter.type_line(play.said_line(line))
        else:
            self._show_stop()

    @on(Typewriter.Finished)
    def _line_shown(self, event: Typewriter.Finished) -> None:
        event.stop()
        if self.typewriter.busy:
            return  # a line began meanwhile (a choice, a restart): this one's turn is over
        if self.session is not None and self.session.stopped is None:
            self._say_next()
        else:
            self._show_stop()

    def _show_stop(self) -> None:
        """The menu the walk stopped at, or why it stopped (once the last line is shown)."""
        session, menu = self.session, self.query_one("#play-menu", Static)
        if session is None or self.typewriter.busy:
            return
        text = Text()
        if session.stopped == "menu":
            for option in session.menu:
                text.append(f"{option.number} ", style="bold yellow")
                text.append(f"{option.text}\n")
            text.append("press a number to choose", style="dim")
        elif session.stopped == "end":
            text.append("— the end —  ", style="bold green")
            text.append("r plays again · s with a new seed", style="dim")
        elif session.stopped == "dead-end":
            path = session.path
            text.append(f"stopped at {path[-1] if path else '?'}: no choice can be taken there", style="bold red")
        elif session.stopped == "limit":
            text.append(f"stopped after {len(session.path)} steps (the story may loop)", style="bold yellow")
        menu.update(text)
        self._show_head()

    def _show_problem(self) -> None:
        text = Text()
        text.append("⚠ ", style="bold red")
        text.append(f"{self.problem}\n", style="bold yellow")
        text.append("r tries again", style="dim")
        self.query_one("#play-head", Static).update(text)
        self.query_one("#play-menu", Static).update("")
        self.query_one("#variables-text", Static).update("")

    def _show_head(self) -> None:
        session = self.session
        if session is None:
            return
        text = Text()
        text.append(f"{session.start}", style="bold")
        text.append(f"  seed {session.seed}", style="bold magenta")
        taken = session.choices
        text.append(f"  ·  {len(session.transcript)} lines, {len(session.path)} steps")
        command = f"comfyvn play {session.start} --seed {session.seed}"
        if taken:
            command += f" --choose {','.join(map(str, taken))}"
        text.append(f"\n{command}", style="dim")
        if self.story != self.vault.history.head():
            text.append("\nthe story changed since: r plays it as it is now", style="yellow")
        self.query_one("#play-head", Static).update(text)

    def _show_variables(self) -> None:
        session = self.session
        if session is None:
            return
        now = session.variables
        if now != self.before:  # the last change stays marked until the next one
            self.changed = {k for k, v in now.items() if k not in self.before or self.before[k] != v}
            self.was, self.before = self.before, now
        text = Text()
        if not now:
            text.append("(the story defines no variables)", style="dim italic")
        for name, value in now.items():
            mark = name in self.changed
            text.append(f"{name} ", style="bold yellow" if mark else "")
            text.append(f"= {_value(value)}", style="bold yellow" if mark else "cyan")
            if mark and name in self.was:
                text.append(f"  (was {_value(self.was[name])})", style="dim")
            text.append("\n")
        self.query_one("#variables-text", Static).update(text)

    # ----------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            # Only at a menu: elsewhere the number keys switch views.
            return self.session is not None and self.session.stopped == "menu"
        return True

    def action_choose(self, number: int) -> None:
        session = self.session
        if session is None or session.stopped != "menu":
            return
        if number > len(session.menu):
            self.notify(f"the menu has {len(session.menu)} option(s)", severity="warning")
            return
        self.typewriter.settle()  # a caption still typing is shown in full
        try:
            session.choose(number)
        except VaultError as exc:
            self.problem = exc.message
            self._show_problem()
            return
        self.query_one("#play-menu", Static).update("")
        self._say_next()

    def action_skip(self) -> None:
        if not self.typewriter.skip() and self.session is not None and self.session.stopped == "menu":
            self.notify("pick an option with its number")

    def action_restart(self) -> None:
        self.begin(self.start, self.seed)

    def action_new_seed(self) -> None:
        seed = self.seed
        while seed == self.seed:
            seed = random.randrange(NEW_SEEDS)
        self.begin(self.start, seed)

    def action_set_seed(self) -> None:
        def chosen(values: dict[str, str] | None) -> None:
            text = (values or {}).get("seed", "").strip()
            if not text:
                return
            if not text.isdigit():
                self.notify(f"{text!r} is not a seed (0 or more)", severity="error")
                return
            self.begin(self.start, int(text))

        self.app.push_screen(FormScreen("Play with the seed", [field("seed", "Seed", str(self.seed))]), chosen)

    def go_to(self, target: Target) -> None:
        """Play from the start of ``target``'s scene (the Map view's ``p``)."""
        if target.folder == SCENES:
            self.move_to(target.id)
            self.begin(target.id, self.seed)


def _value(value: Value) -> str:
    """A variable's value as the story language writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)
