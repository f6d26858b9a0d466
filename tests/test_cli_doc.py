"""docs/cli.md against the real argument parser: every verb, option and argument documented, nothing stale.

The doc gives each runnable verb a section headed ``### comfyvn VERB [SUBVERB…]``
(the text up to the next heading of that level or above); the root parser's
options belong in ``## Global options``. Each section must name every option
string of its verb (``-m`` and ``--message`` both), every positional argument
(its metavar or upper-cased name, or all of its choices) and every choice of
an option; the usage line (the section's first code block) may write only
options the verb has; every ``### comfyvn …`` heading must be a verb, and
every ``comfyvn …`` command written in code, here and in the README and the
other docs, must start with one.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from comfyvn_vault.cli.main import build_parser

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
GLOBAL_SECTION = "Global options"
HELP = frozenset({"-h", "--help"})
#: Root options that take a value (skipped with it when a code line is read as a command).
GLOBAL_WITH_VALUE = frozenset({"-C"})
#: A word standing for a value in a usage line: ``VERB``, ``SUBVERB…``, ``…``.
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_|-]*…?|…|\.\.\.")


@dataclass
class Verb:
    path: tuple[str, ...]
    parser: argparse.ArgumentParser
    children: dict[str, Verb] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return " ".join(("comfyvn", *self.path))

    def actions(self) -> list[argparse.Action]:
        return [a for a in self.parser._actions if not isinstance(a, argparse._SubParsersAction)]


def _tree(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Verb:
    verb = Verb(path, parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                verb.children[name] = _tree(sub, (*path, name))
    return verb


def _leaves(verb: Verb) -> list[Verb]:
    if not verb.children:
        return [verb]
    return [leaf for child in verb.children.values() for leaf in _leaves(child)]


ROOT = _tree(build_parser())
LEAVES = _leaves(ROOT)


# ----------------------------------------------------------------- reading the doc

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def sections(text: str) -> dict[str, str]:
    """Each heading's title (backticks dropped) and the text under it, up to a heading of its level or above."""
    lines = text.splitlines()
    heads: list[tuple[int, int, str]] = []  # (line index, level, title)
    in_code = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_code = not in_code
            continue
        m = None if in_code else _HEADING.match(line)
        if m:
            heads.append((i, len(m.group(1)), m.group(2).replace("`", "").strip()))
    out: dict[str, str] = {}
    for n, (i, level, title) in enumerate(heads):
        end = next((j for j, lv, _ in heads[n + 1 :] if lv <= level), len(lines))
        assert title not in out, f"docs/cli.md has two sections headed {title!r}"
        out[title] = "\n".join(lines[i + 1 : end])
    return out


def code_texts(text: str) -> list[str]:
    """Every fenced code line and every inline code span of the doc."""
    found: list[str] = []
    in_code = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
        elif in_code:
            found.append(line)
        else:
            found.extend(re.findall(r"`([^`]+)`", line))
    return found


def mentions(text: str, word: str) -> bool:
    """``word`` as a whole token: ``--tag`` is not found in ``--tags``, ``SCENE`` not in ``SCENES``."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def commands(text: str) -> list[list[str]]:
    """The words after ``comfyvn`` of every command written in code (``comfyvn_vault``, ``comfyvn.x/1`` are not)."""
    found = []
    for code in code_texts(text):
        for m in re.finditer(r"(?<![\w.-])comfyvn((?:[ \t]+[^\s`;#&|()][^\s`]*)*)", code):
            found.append(m.group(1).split())
    return found


def stale(words: list[str]) -> str | None:
    """Why a command the doc writes names no verb, or None when it does."""
    it = iter(words)
    verb = ROOT
    for written in it:
        word = written.strip("[]")
        if PLACEHOLDER.fullmatch(word):
            return None  # ``comfyvn VERB …``: a verb is not named
        if word.startswith("-"):
            if verb is ROOT and word in GLOBAL_WITH_VALUE:
                next(it, None)
            if verb is ROOT:
                continue
            return None  # options of a verb: not a verb name
        if not verb.children:
            return None  # arguments of a runnable verb
        names = word.split("|")
        unknown = [n for n in names if n not in verb.children]
        if unknown:
            return f"{verb.name} has no verb {unknown[0]!r}"
        verb = verb.children[names[0]]
    return None


# ----------------------------------------------------------------- the checks

TEXT = DOC.read_text(encoding="utf-8")
SECTIONS = sections(TEXT)


def _section(verb: Verb) -> str:
    title = GLOBAL_SECTION if verb is ROOT else verb.name
    assert title in SECTIONS, f"docs/cli.md has no section headed '### {title}'"
    return SECTIONS[title]


def _missing(verb: Verb, section: str) -> list[str]:
    missing = []
    for action in verb.actions():
        if action.option_strings:
            missing += [o for o in action.option_strings if o not in HELP and not mentions(section, o)]
            missing += [f"{action.option_strings[-1]} {c}" for c in action.choices or () if not mentions(section, c)]
            continue
        name = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
        choices = [str(c) for c in action.choices or ()]
        if not mentions(section, name) and not (choices and all(mentions(section, c) for c in choices)):
            missing.append(name)
    return missing


@pytest.mark.parametrize("verb", [ROOT, *LEAVES], ids=lambda v: v.name)
def test_every_verb_has_a_section_naming_its_options_and_arguments(verb: Verb) -> None:
    missing = _missing(verb, _section(verb))
    assert not missing, f"docs/cli.md, section {verb.name!r}, does not name: {', '.join(missing)}"


def usage_options(section: str) -> set[str]:
    """The option strings the section's first code block (its usage line) writes."""
    block = re.search(r"^\s*```[^\n]*\n(.*?)^\s*```", section, re.S | re.M)
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", block.group(1))) if block else set()


def _unknown_options(verb: Verb, section: str) -> set[str]:
    known = {o for a in verb.actions() for o in a.option_strings}
    return usage_options(section) - known - HELP


@pytest.mark.parametrize("verb", LEAVES, ids=lambda v: v.name)
def test_every_option_a_usage_line_writes_exists(verb: Verb) -> None:
    unknown = _unknown_options(verb, _section(verb))
    assert not unknown, f"docs/cli.md, usage of {verb.name!r}, names options it lacks: {', '.join(sorted(unknown))}"


def test_every_verb_heading_is_a_verb() -> None:
    verbs = {leaf.name for leaf in LEAVES}
    stale_headings = sorted(t for t in SECTIONS if t.split()[:1] == ["comfyvn"] and t not in verbs)
    assert not stale_headings, f"docs/cli.md documents verbs the parser does not have: {', '.join(stale_headings)}"


#: The docs whose commands must name real verbs (docs/cli.md, the README and the rest of docs/).
DOCS = sorted({DOC, DOC.parents[1] / "README.md", *DOC.parent.glob("*.md")})


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_command_in_code_starts_with_a_verb(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    problems = [f"`comfyvn {' '.join(w)}`: {why}" for w in commands(text) if (why := stale(w))]
    assert not problems, f"{doc.name} names verbs that do not exist:\n" + "\n".join(problems)


def test_the_checks_see_a_missing_option_and_an_invented_option_or_verb() -> None:
    """The checks can fail, whatever the doc says today: they are run on made-up sections."""
    add = next(v for v in LEAVES if v.path == ("asset", "add"))
    section = "```\ncomfyvn asset add FILE… [--nsfw] [--quietly]\n```\n"
    assert "--strict" in _missing(add, section) and "--nsfw" not in _missing(add, section)
    assert _unknown_options(add, section) == {"--quietly"}
    invented = "## Story editing\n\n### comfyvn scene teleport\n\n```\ncomfyvn scene teleport SCENE\n```\n"
    assert "comfyvn scene teleport" in sections(invented)
    assert "comfyvn scene teleport" not in {leaf.name for leaf in LEAVES}
    assert [stale(w) for w in commands(invented)] == ["comfyvn scene has no verb 'teleport'"]
