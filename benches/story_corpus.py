"""Deterministic stories for the history benchmarks, and the same story as git sees it.

A :class:`Story` is ``scenes`` scenes of ``nodes`` dialogue lines each, with
seeded random text. :meth:`Story.edits` draws single-node edits (a random line
of a random scene gets a new text) and applies them, so each edit knows the
text it replaces (the ``before`` of comfyvn's ``NodeEdited``). Git gets one
file per scene holding exactly what comfyvn's working copy would hold
(``scenes/<id>.toml``, rendered by comfyvn's own renderer), written by
``git fast-import`` streams built here.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final

from benches.corpus import _NAMES, _WORDS

if TYPE_CHECKING:
    from comfyvn_vault.domain.entities import Scene
    from comfyvn_vault.domain.events import Cause, NodeEdited, SceneCreated

COMMITTER: Final = b"Bench <bench@example.invalid>"
#: Commit times in the fast-import streams: one second apart from here.
EPOCH: Final = 1_700_000_000


@dataclass(frozen=True, slots=True)
class Edit:
    """Line ``node`` of scene ``scene`` changes from ``before`` to ``after``."""

    scene: int
    node: int
    before: str
    after: str


def scene_id(i: int) -> str:
    return f"s{i:04d}"


def node_id(j: int) -> str:
    return f"n{j:02d}"


def scene_file(i: int) -> str:
    """The working-copy file of scene ``i``, relative to the vault (and the git repository)."""
    return f"scenes/{scene_id(i)}.toml"


class Story:
    """The current text of every line; scenes, files and events are built from it on demand."""

    def __init__(self, scenes: int, nodes: int, seed: str = "history") -> None:
        self.rng = random.Random(seed)
        self.n_scenes, self.n_nodes = scenes, nodes
        self.titles = [f"Scene {i}: {self._words(2, 4)}" for i in range(scenes)]
        self.speakers = [[_NAMES[(i * 7 + j) % len(_NAMES)] for j in range(nodes)] for i in range(scenes)]
        self.lines = [[self.line() for _ in range(nodes)] for _ in range(scenes)]
        self.edited = 0

    def clone(self) -> Story:
        """An independent copy in the same state (same text, same random sequence ahead)."""
        other = Story.__new__(Story)
        other.rng = random.Random()
        other.rng.setstate(self.rng.getstate())
        other.n_scenes, other.n_nodes = self.n_scenes, self.n_nodes
        other.titles, other.speakers = self.titles, self.speakers
        other.lines = [list(row) for row in self.lines]
        other.edited = self.edited
        return other

    def _words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(low, high)))

    def line(self) -> str:
        """A line of dialogue: 5-14 words, capitalised, with closing punctuation (no quotes to escape)."""
        text = self._words(5, 14)
        return text[0].upper() + text[1:] + self.rng.choice(".!?…")

    def scene(self, i: int) -> Scene:
        from comfyvn_vault.domain.entities import Node, Scene

        nodes = [
            Node(id=node_id(j), speaker=self.speakers[i][j], content=self.lines[i][j]) for j in range(self.n_nodes)
        ]
        return Scene(id=scene_id(i), title=self.titles[i], nodes=nodes)

    def render(self, i: int) -> bytes:
        """Scene ``i`` as comfyvn's working copy writes it."""
        from comfyvn_vault.worktree.format import render

        return render(self.scene(i)).encode()

    def edits(self, count: int, tag: str = "") -> list[Edit]:
        """Draw ``count`` random single-line edits and apply them to this story."""
        out: list[Edit] = []
        for _ in range(count):
            i, j = self.rng.randrange(self.n_scenes), self.rng.randrange(self.n_nodes)
            after = self.line()
            self.edited += 1
            if tag:
                after = f"{after} ({tag} {self.edited})"
            out.append(Edit(i, j, self.lines[i][j], after))
            self.lines[i][j] = after
        return out


def scene_created_events(story: Story, cause: Cause) -> list[SceneCreated]:
    from comfyvn_vault.domain.events import SceneCreated

    return [SceneCreated(scene=story.scene(i), cause=cause) for i in range(story.n_scenes)]


def node_edited(edit: Edit, cause: Cause) -> NodeEdited:
    from comfyvn_vault.domain.events import NodeEdited, NodeFields

    return NodeEdited(
        scene_id=scene_id(edit.scene),
        node_id=node_id(edit.node),
        content=edit.after,
        before=NodeFields(content=edit.before),
        cause=cause,
    )


# ------------------------------------------------------------------ git fast-import


class FastImportStream:
    """Writes a ``git fast-import`` stream of commits on one branch to a file."""

    def __init__(self, out: BinaryIO, ref: str = "refs/heads/main", parent: str | None = None) -> None:
        self.out, self.ref = out, ref.encode()
        #: The first commit continues from ``parent`` (e.g. ``refs/heads/main^0``); later ones chain on their own.
        self.parent = parent
        self.commits = 0

    def commit(self, message: str, files: Iterable[tuple[str, bytes]], when: int | None = None) -> None:
        w = self.out.write
        msg = message.encode()
        stamp = EPOCH + self.commits if when is None else when
        w(b"commit " + self.ref + b"\ncommitter " + COMMITTER + b" %d +0000\n" % stamp)
        w(b"data %d\n" % len(msg) + msg + b"\n")
        if self.parent is not None and self.commits == 0:
            w(b"from " + self.parent.encode() + b"\n")
        for path, data in files:
            w(b"M 100644 inline " + path.encode() + b"\ndata %d\n" % len(data) + data + b"\n")
        w(b"\n")
        self.commits += 1


def write_story_stream(path: Path, story: Story, message: str = "Create the story") -> None:
    """One commit adding every scene file of ``story`` as it is now."""
    with open(path, "wb") as f:
        FastImportStream(f).commit(message, ((scene_file(i), story.render(i)) for i in range(story.n_scenes)))


def write_edit_stream(path: Path, story: Story, edits: Sequence[Edit], parent: str) -> None:
    """One commit per edit (each rewriting one scene file), continuing from ``parent``.

    ``story`` must be in the state before ``edits``; the edits are re-applied to it here.
    """
    with open(path, "wb") as f:
        stream = FastImportStream(f, parent=parent)
        for k, e in enumerate(edits):
            story.lines[e.scene][e.node] = e.after
            stream.commit(
                f"Edit {node_id(e.node)} of {scene_id(e.scene)} ({k})", [(scene_file(e.scene), story.render(e.scene))]
            )


def write_batch_stream(path: Path, story: Story, edits: Sequence[Edit], parent: str, message: str) -> int:
    """One commit holding the result of all ``edits`` (every scene they touch rewritten); returns the file count.

    ``story`` must be in the state before ``edits``; the edits are re-applied to it here.
    """
    touched: set[int] = set()
    for e in edits:
        story.lines[e.scene][e.node] = e.after
        touched.add(e.scene)
    with open(path, "wb") as f:
        FastImportStream(f, parent=parent).commit(message, ((scene_file(i), story.render(i)) for i in sorted(touched)))
    return len(touched)
