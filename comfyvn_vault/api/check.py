"""``comfyvn check``: story checks, as a compiler checks a program, with the file and line of each finding.

The story is read from the checkout (HEAD's tree) and checked by the pure
:func:`comfyvn_vault.domain.runtime.checks.check_story` (its docstring defines
every check). Each finding gets the working-copy file it is about
(``scenes/harbour.toml``) and the line there, as
:func:`~comfyvn_vault.worktree.format.render` writes the committed scene: the
line of the node's ``id = "n3"``, of the choice's ``id = "c2"``, or 1 for the
whole file. Check refuses while merge conflicts remain, as play does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

import msgspec

from comfyvn_vault.domain.entities import Character, Scene, Timeline, Variable
from comfyvn_vault.domain.paths import ASSETS, CHARACTERS, SCENES, TIMELINES, VARIABLES

if TYPE_CHECKING:
    from comfyvn_vault.domain.runtime.checks import Finding
    from comfyvn_vault.vault import Vault


class CheckFinding(msgspec.Struct, frozen=True, kw_only=True):
    """One finding: ``severity`` (``error`` or ``warning``), ``kind``, the entity path and the place in it,
    the working-copy file and line, and a sentence saying what is wrong."""

    severity: str
    kind: str
    path: str
    locator: str
    file: str
    line: int
    message: str


class StoryChecked(msgspec.Struct, frozen=True, kw_only=True):
    """What ``comfyvn check`` found, sorted by file and line, with the number of errors and warnings."""

    schema: str = "comfyvn.check/1"
    findings: list[CheckFinding]
    errors: int
    warnings: int


RESULTS: Final[tuple[type[Any], ...]] = (StoryChecked,)


def check(vault: Vault) -> StoryChecked:
    """Check the checked-out story (see the module docstring)."""
    return located(*story_findings(vault, "check"))


def story_findings(vault: Vault, what: str) -> tuple[dict[str, Scene], list[Finding]]:
    """The checked-out story's scenes by id and what the checks find in it (``what`` names the verb that asks)."""
    from comfyvn_vault.adapters.apply import story_view
    from comfyvn_vault.api.merge import require_no_conflicts
    from comfyvn_vault.domain.runtime.checks import check_story

    require_no_conflicts(vault, what)
    story = story_view(vault.history)
    scenes = {s.id: s for s in story.documents(SCENES, Scene)}
    found = check_story(
        scenes.values(),
        story.documents(CHARACTERS, Character),
        story.documents(VARIABLES, Variable),
        story.documents(TIMELINES, Timeline),
        {path.partition("/")[2] for path in story.listing(ASSETS)},
    )
    return scenes, found


def located(scenes: dict[str, Scene], found: Iterable[Finding]) -> StoryChecked:
    """``found`` with the file and line of each finding (each scene with findings rendered once)."""
    from comfyvn_vault.worktree.format import file_of

    lines: dict[str, dict[str, int]] = {}
    out: list[CheckFinding] = []
    for f in found:
        folder, _, entity_id = f.path.partition("/")
        line = 1
        if f.locator and folder == SCENES and entity_id in scenes:
            if entity_id not in lines:
                lines[entity_id] = id_lines(scenes[entity_id])
            line = lines[entity_id].get(f.locator, 1)
        out.append(
            CheckFinding(
                severity=f.severity,
                kind=f.kind,
                path=f.path,
                locator=f.locator,
                file=file_of(f.path),
                line=line,
                message=f.message,
            )
        )
    errors = sum(f.severity == "error" for f in out)
    return StoryChecked(findings=out, errors=errors, warnings=len(out) - errors)


def id_lines(scene: Scene) -> dict[str, int]:
    """The 1-based line of each node's (``n3``) and choice's (``n3/c2``) ``id = ...`` in the scene's file.

    Reads the text :func:`~comfyvn_vault.worktree.format.render` writes: every node is a ``[[nodes]]``
    table and every choice a ``[[nodes.choices]]`` table, in story order, each with its id first.
    Lines inside a multi-line string are skipped (they may look like anything).
    """
    from comfyvn_vault.worktree.format import render

    out: dict[str, int] = {}
    nodes = iter(scene.nodes)
    node = None
    choices: Any = iter(())
    pending: str | None = None
    in_string = False
    for number, text in enumerate(render(scene).splitlines(), start=1):
        if in_string:
            in_string = _opens_string(text, in_string)
            continue
        if text == "[[nodes]]":
            node = next(nodes, None)
            choices = iter(node.choices) if node is not None else iter(())
            pending = node.id if node is not None else None
        elif text == "[[nodes.choices]]":
            choice = next(choices, None)
            pending = f"{node.id}/{choice.id}" if node is not None and choice is not None else None
        elif pending is not None and text.startswith("id = "):
            out[pending] = number
            pending = None
        in_string = _opens_string(text, in_string)
    return out


def _opens_string(text: str, inside: bool) -> bool:
    """Whether a multi-line string is open after ``text`` (an odd number of unescaped ``\"\"\"`` flips it)."""
    count = text.replace('\\"', "").count('"""')
    return inside != (count % 2 == 1)
