"""``comfyvn play``: a seeded, non-interactive playthrough of the checked-out story.

The story is read from the checkout (HEAD's tree), the walk itself is the pure
:func:`comfyvn_vault.domain.runtime.play.play`; :func:`session` is the same walk
taken a line at a time (the TUI's Play view). Without a scene, play starts
where :meth:`~comfyvn_vault.adapters.exporter.StoryView.start_scene` says: the
first scene of the first timeline, the Ren'Py label ``start``, or the first scene by id.
Play refuses while merge conflicts remain (the story is not one story then).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

from comfyvn_vault.domain.entities import Scene, Variable
from comfyvn_vault.domain.paths import SCENES, VARIABLES, scene_path
from comfyvn_vault.errors import InputRejected

if TYPE_CHECKING:
    from comfyvn_vault.adapters.exporter import StoryView
    from comfyvn_vault.domain.assets import PlaythroughRecord
    from comfyvn_vault.domain.runtime.play import Line, Session
    from comfyvn_vault.vault import Vault


class SaidLine(msgspec.Struct, frozen=True):
    """One line of a transcript: who says it (None: narration), the text, and the node it came from."""

    speaker: str | None
    text: str
    node: str

    @property
    def shown(self) -> str:
        """The line as ``comfyvn play`` prints it and the TUI shows it: ``Speaker: text``, or the text alone."""
        return f"{self.speaker}: {self.text}" if self.speaker else self.text


class MenuOption(msgspec.Struct, frozen=True):
    """An option of the menu a playthrough stopped at: its number for ``--choose``, the choice, its text."""

    number: int
    choice: str
    text: str


class Played(msgspec.Struct, frozen=True, kw_only=True):
    """What ``comfyvn play`` printed: the seed, where it went, what was said, the choices and variables.

    ``path`` lists the nodes visited as ``SCENE:NODE``; ``stopped`` is ``end``,
    ``menu`` (the choices ran out at ``menu``), ``dead-end`` (nowhere to go) or
    ``limit`` (``max_steps`` reached).
    """

    schema: str = "comfyvn.play/1"
    seed: int
    start: str
    path: list[str]
    transcript: list[SaidLine]
    choices: list[int]
    variables: dict[str, int | bool | str | list[Any] | None]
    stopped: str
    menu: list[MenuOption] = []
    #: With ``--record``: the playthrough's id (for ``replay``), and whether it was recorded before.
    recorded: str | None = None
    already: bool = False


class Replayed(msgspec.Struct, frozen=True, kw_only=True):
    """What ``comfyvn replay`` found: whether the story still plays as recorded, and where it stops doing so.

    ``diverged_at`` is the index (from 0) of the first step whose node differs
    between ``path`` as recorded and as played now, or of the first line that
    differs; ``recorded`` and ``now`` are those two (None past the end).
    """

    schema: str = "comfyvn.replay/1"
    id: str
    identical: bool
    story: str
    diverged_at: int | None = None
    recorded: str | None = None
    now: str | None = None
    played: Played


RESULTS: Final[tuple[type[Any], ...]] = (Played, Replayed)
#: The most steps ``comfyvn play`` takes (a story may loop forever).
MAX_STEPS: Final = 100_000


def play(
    vault: Vault,
    scene: str | None = None,
    *,
    seed: int = 0,
    choose: Sequence[int] = (),
    max_steps: int = MAX_STEPS,
    record: bool = False,
) -> Played:
    """Play the checked-out story from ``scene`` (see the module docstring); ``record`` keeps the playthrough
    in history as a ``PlaythroughRecorded`` event, for :func:`replay`."""
    from comfyvn_vault.adapters.apply import story_view
    from comfyvn_vault.api.entities import find_id

    story = story_view(vault.history)
    start = find_id(vault, SCENES, scene) if scene is not None else story.start_scene()
    played = _play(vault, story, start, seed, choose, max_steps)
    if record:
        return _record(vault, played)
    return played


def session(vault: Vault, scene: str | None = None, *, seed: int = 0, max_steps: int = MAX_STEPS) -> Session:
    """A playthrough of the checked-out story to take a line at a time (the TUI's Play view).

    It is the walk :func:`play` runs to its stop (:class:`~comfyvn_vault.domain.runtime.play.Session`),
    starting where ``play`` starts, refused as ``play`` is while merge conflicts remain; it keeps reading
    the story as it was checked out when it began. :func:`played` gives what it said so far as ``play``
    gives it.
    """
    from comfyvn_vault.adapters.apply import story_view
    from comfyvn_vault.api.entities import find_id

    story = story_view(vault.history)
    start = find_id(vault, SCENES, scene) if scene is not None else story.start_scene()
    return _session(vault, story, start, seed, max_steps)


def _session(vault: Vault, story: StoryView, start: str, seed: int, max_steps: int) -> Session:
    from comfyvn_vault.api.merge import require_no_conflicts
    from comfyvn_vault.domain.runtime.play import Session

    require_no_conflicts(vault, "play")
    if not 0 <= seed < 2**64:
        raise InputRejected(f"seed {seed} is not between 0 and 2^64-1")

    def scenes(sid: str) -> Scene | None:
        doc = story.lookup(scene_path(sid))
        return doc if isinstance(doc, Scene) else None

    variables = list(story.documents(VARIABLES, Variable))
    return Session(scenes, variables, start, seed, max_steps=max_steps)


def _play(vault: Vault, story: StoryView, start: str, seed: int, choose: Sequence[int], max_steps: int) -> Played:
    walk = _session(vault, story, start, seed, max_steps)
    walk.run(choose)
    return played(walk)


def said_line(line: Line) -> SaidLine:
    """A line of the runtime's transcript as ``play`` gives it (its node as ``SCENE:NODE``)."""
    return SaidLine(line.speaker, line.text, f"{line.scene}:{line.node}")


def played(walk: Session) -> Played:
    """What the playthrough ``walk`` went through so far, as :func:`play` returns it."""
    p = walk.playthrough()
    return Played(
        seed=p.seed,
        start=p.start,
        path=p.path,
        transcript=[said_line(line) for line in p.transcript],
        choices=p.choices,
        variables=p.variables,
        stopped=p.stopped,
        menu=[MenuOption(o.number, o.choice, o.text) for o in p.menu],
    )


def _record(vault: Vault, played: Played) -> Played:
    from comfyvn_vault.adapters.apply import story_view
    from comfyvn_vault.domain.asset_events import PlaythroughRecorded
    from comfyvn_vault.domain.assets import PlayedLine, PlaythroughRecord, playthrough_path
    from comfyvn_vault.domain.cause import Cause
    from comfyvn_vault.store.ids import hash_bytes

    head = vault.history.head()
    story = head.hex() if head is not None else ""
    # The same playthrough (start, seed, choices, and what they gave) is one record, whatever else changed.
    key = [played.start, played.seed, played.choices, played.path, played.transcript, played.stopped]
    pid = hash_bytes(msgspec.json.encode(key)).hex()[:16]
    if story_view(vault.history).lookup(playthrough_path(pid)) is not None:
        return msgspec.structs.replace(played, recorded=pid, already=True)
    rec = PlaythroughRecord(
        id=pid,
        start=played.start,
        seed=played.seed,
        story=story,
        path=played.path,
        transcript=[PlayedLine(line.speaker, line.text, line.node) for line in played.transcript],
        stopped=played.stopped,
        choices=played.choices,
        variables=msgspec.json.encode(played.variables).decode(),
    )
    cause = Cause(kind="user", note="play --record")
    with vault.change(f"Record playthrough {pid} from {played.start} (seed {played.seed})", cause=cause) as ch:
        ch.record([PlaythroughRecorded(record=rec, cause=cause)])
    return msgspec.structs.replace(played, recorded=pid)


def recorded(vault: Vault, ref: str) -> PlaythroughRecord:
    """The recorded playthrough whose id is or starts with ``ref`` (exit 3 when none or several)."""
    from comfyvn_vault.adapters.apply import story_view
    from comfyvn_vault.domain.assets import PlaythroughRecord
    from comfyvn_vault.domain.paths import PLAYTHROUGHS

    records = story_view(vault.history).documents(PLAYTHROUGHS, PlaythroughRecord)
    found = [r for r in records if r.id.startswith(ref)]
    if not ref or not found:
        raise InputRejected(f"no recorded playthrough {ref[:40]!r}; `comfyvn play --record` records one")
    if len(found) > 1:
        raise InputRejected(f"{len(found)} playthroughs start with {ref!r}: give more of the id")
    return found[0]


def replay(vault: Vault, ref: str) -> Replayed:
    """Play a recorded playthrough again on the checked-out story and say whether, and where, it diverges."""
    from comfyvn_vault.adapters.apply import story_view

    rec = recorded(vault, ref)
    now = _play(vault, story_view(vault.history), rec.start, rec.seed, rec.choices, MAX_STEPS)
    was = [_said(line.node, line.speaker, line.text) for line in rec.transcript]
    got = [_said(line.node, line.speaker, line.text) for line in now.transcript]
    at = _first_difference(rec.path, now.path)
    said_at = _first_difference(was, got)
    identical = at is None and said_at is None and rec.stopped == now.stopped
    if at is not None:
        before, after = _item(rec.path, at), _item(now.path, at)
    elif said_at is not None:
        at, before, after = said_at, _item(was, said_at), _item(got, said_at)
    else:
        before = after = None
    return Replayed(
        id=rec.id, identical=identical, story=rec.story, diverged_at=at, recorded=before, now=after, played=now
    )


def _said(node: str, speaker: str | None, text: str) -> str:
    return f"{node} {speaker}: {text!r}" if speaker else f"{node} {text!r}"


def _first_difference(a: Sequence[str], b: Sequence[str]) -> int | None:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def _item(items: Sequence[str], i: int) -> str | None:
    return items[i] if i < len(items) else None
