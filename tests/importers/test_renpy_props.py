"""Properties of the renpy importer: whatever it is given, it plans events that apply, or refuses.

Random bytes (as a script and as an archive), random text in Ren'Py's
alphabet, generated scripts mutated at random, archives mutated at random
(their bytes, and the pickle of their index before it is compressed) and
projects with a mutated file never make the importer raise anything but
:class:`InputRejected`; every plan it returns passes ``check_plan`` on an
empty story. Generated scripts, unmutated, import with every line of
dialogue, in order, with its speaker.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.adapters import Plan, Source, check_plan
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.renpy import RenpyImporter, RenpyOptions
from comfyvn_vault.importers.renpy.rpa import build
from tests.adapters.helpers import story
from tests.importers.renpy_helpers import dialogue, scenes_of

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPEAKERS = {"e": "Eileen", "l": "Lucy"}
HEADER = 'define e = Character("Eileen")\ndefine l = Character(_("Lucy"))\ndefault flag = False\n'
WORD = st.text(alphabet=st.sampled_from("abcdefXYZ019,.!?'é漢"), min_size=1, max_size=6)
RENPY_TEXT = st.lists(
    st.sampled_from([*"abc e:=$()[]{}\"'`\\#\n.,-@", "    ", "label ", "menu:", "if ", "jump ", '"x"', "\t"]),
    max_size=60,
).map("".join)
KEYWORDS = {"as", "at", "if", "in", "behind", "call", "expression", "hide", "image", "init", "jump", "menu", "onlayer"}
KEYWORDS |= {"python", "return", "scene", "show", "with", "while", "zorder", "transform", "label", "pass"}


class _Files:
    """A project in memory, as ``source.files``."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def names(self) -> list[str]:
        return sorted(self.files)

    def read(self, name: str) -> bytes:
        return self.files[name]


def _plan(source: Source, options: RenpyOptions | None = None) -> Plan | None:
    """The plan, checked to apply to an empty story, or ``None`` when the importer refused the source."""
    try:
        plan = RenpyImporter().plan(source, options or RenpyOptions(), story().lookup)
    except InputRejected as exc:
        assert "\n" not in str(exc)
        return None
    view = story()
    check_plan(plan, view.lookup, view.listing)
    return plan


@st.composite
def texts(draw: st.DrawFn) -> tuple[str, str]:
    """A string literal's body and the text Ren'Py shows for it (tags kept, ``\\"`` a quote)."""
    words = draw(st.lists(st.one_of(WORD, st.just("{b}bold{/b}"), st.just('\\"q\\"')), min_size=1, max_size=4))
    literal = " ".join(words)
    return literal, literal.replace('\\"', '"')


@st.composite
def blocks(draw: st.DrawFn, labels: list[str], depth: int, said: list[tuple[str, str]]) -> list[str]:
    """Lines of a block (indented by ``depth``), appending each line of dialogue to ``said`` in order."""
    pad = "    " * depth
    out: list[str] = []
    kinds = ["say", "say", "narrate", "show", "python", "jump"] + (["menu", "if"] if depth < 3 else [])
    for kind in draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=5)):
        if kind in ("say", "narrate"):
            literal, shown = draw(texts())
            who = draw(st.sampled_from(sorted(SPEAKERS))) if kind == "say" else ""
            out.append(f'{pad}{who + " " if who else ""}"{literal}"')
            said.append((who, shown))
        elif kind == "show":
            out.append(
                pad + draw(st.sampled_from(["show eileen happy at left", "scene bg room with fade", "with dissolve"]))
            )
        elif kind == "python":
            out.append(f"{pad}$ flag = {draw(st.booleans())}")
        elif kind == "jump":
            out.append(f"{pad}jump {draw(st.sampled_from(labels))}")
            break
        elif kind == "menu":
            out.append(f"{pad}menu:")
            for _ in range(draw(st.integers(1, 3))):
                literal, _shown = draw(texts())
                condition = " if flag" if draw(st.booleans()) else ""
                out.append(f'{pad}    "{literal}"{condition}:')
                out.extend(draw(blocks(labels, depth + 2, said)))
        else:
            out.append(f"{pad}if flag:")
            out.extend(draw(blocks(labels, depth + 1, said)))
            if draw(st.booleans()):
                out.append(f"{pad}else:")
                out.extend(draw(blocks(labels, depth + 1, said)))
    return out


@st.composite
def scripts(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    """A well-formed script and its dialogue, in order, as ``(who, text)``."""
    name = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in KEYWORDS)
    labels = draw(st.lists(name, min_size=1, max_size=4, unique=True))
    said: list[tuple[str, str]] = []
    lines = [HEADER]
    for label in labels:
        lines.append(f"label {label}:")
        lines.extend(draw(blocks(labels, 1, said)))
    return "\n".join(lines) + "\n", said


def _mutate(draw: Callable[[st.SearchStrategy[Any]], Any], data: bytes, extra: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(out)))
        how = draw(st.sampled_from(["insert", "delete", "duplicate", "flip"]))
        if how == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=4) | st.sampled_from(extra))
        elif how == "delete":
            del out[at : at + draw(st.integers(1, 8))]
        elif how == "duplicate":
            out[at:at] = out[at : at + draw(st.integers(1, 16))]
        elif at < len(out):
            out[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(out)


@st.composite
def mutated_scripts(draw: st.DrawFn) -> bytes:
    data = draw(scripts())[0].encode()
    return _mutate(draw, data, [b":", b"\n", b"    ", b"\t", b'"', b"(", b"]", b"\\", b"\xff", b"label x:\n"])


@st.composite
def archives(draw: st.DrawFn) -> dict[str, bytes]:
    script = draw(scripts())[0].encode()
    return {"script.rpy": script, "images/bg room.png": draw(st.binary(max_size=32)), "x.txt": b"data"}


@given(st.binary(max_size=400), st.sampled_from(["script.rpy", "game.rpa"]))
@FAST
def test_random_bytes_plan_or_are_refused(data: bytes, name: str) -> None:
    _plan(Source(data, name))
    _plan(Source(b"RPA-3.0 " + data, name))


@given(RENPY_TEXT)
@FAST
def test_random_renpy_like_text_plans_or_is_refused(text: str) -> None:
    _plan(Source(text.encode(), "script.rpy"))
    _plan(Source(text.encode(), "script.rpy"), RenpyOptions(strict=True))


@given(scripts())
@FAST
def test_generated_scripts_import_every_line_with_its_speaker(script: tuple[str, list[tuple[str, str]]]) -> None:
    text, said = script
    plan = _plan(Source(text.encode(), "script.rpy"))
    assert plan is not None
    assert [(who, what) for _, _, who, what in dialogue(scenes_of(plan).values())] == said


@given(mutated_scripts())
@FAST
def test_mutated_scripts_plan_or_are_refused(data: bytes) -> None:
    _plan(Source(data, "script.rpy"))
    _plan(Source(b"", "proj", _Files({"game/script.rpy": data, "game/ok.rpy": b'label ok:\n    "Fine."\n'})))


@given(archives(), st.sampled_from(["RPA-3.0", "RPA-2.0"]), st.data())
@FAST
def test_mutated_archives_plan_or_are_refused(members: dict[str, bytes], version: str, data: st.DataObject) -> None:
    archive = build(members, version=version)
    assert _plan(Source(archive, "game.rpa")) is not None
    mutated = _mutate(data.draw, archive, [b"\n", b" ", b"RPA-3.0 ", b"\x78\x9c", b"\x00" * 8])
    _plan(Source(mutated, "game.rpa"))
    _plan(Source(b"", "proj", _Files({"game/archive.rpa": mutated, "game/images/a.png": b"png"})))


@given(st.data())
@FAST
def test_mutated_index_pickles_plan_or_are_refused(data: st.DataObject) -> None:
    body = b'Made with Ren\'Py.label a:\n    "From the archive."\n'
    index = {"script.rpy": [(17 + 34, len(body) - 17, b"")], "images/x.png": [(34, 5, b"pre")]}
    pickled = pickle.dumps(index, protocol=data.draw(st.sampled_from([0, 1, 2, 4, 5])))
    mutated = _mutate(data.draw, pickled, [b"c", b"R", b"\x93", b"b", b"(", b"os\nsystem\n", b"\x8c\x02os"])
    archive = f"RPA-3.0 {34 + len(body):016x} {0:08x}\n".encode() + body + zlib.compress(mutated)
    _plan(Source(archive, "game.rpa"))
