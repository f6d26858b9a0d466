"""Every read verb on a vault holding every kind of document a tree can hold, and lookups of any text.

The vault has scenes, a character, a timeline, a variable, an asset (with its
license finding) and an unresolved merge conflict, so every commit after the
``asset add`` has records in its tree: ``diff``, ``show``, ``log`` and the rest
must handle each kind, with ``--json`` and without, never exit 70.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.cli.main import main
from tests.conftest import cli_ok, run_cli

TITLE = "The Lighthouse"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scenes, a character, a timeline, a variable, an asset with its finding, and a merge conflict."""
    from PIL import Image

    base = tmp_path_factory.mktemp("mixed")
    root = base / "v"
    assert run_cli("init", root).code == 0
    cli_ok(root, "scene", "new", TITLE, "--id", "intro")
    cli_ok(root, "scene", "node", "add", "intro", "--speaker", "Alice", "--content", "The lamp turned tonight.")
    cli_ok(root, "scene", "node", "add", "intro", "--speaker", "Bob", "--content", "Who lit it?")
    cli_ok(root, "scene", "new", "Two Words", "--id", "second")
    cli_ok(root, "character", "new", "Alice Smith")
    cli_ok(root, "timeline", "new", "Main Line", "intro")
    cli_ok(root, "var", "set", "courage", "0")
    png = base / "red.png"
    Image.new("RGB", (4, 4), (255, 0, 0)).save(png)
    cli_ok(root, "asset", "add", str(png), "--tag", "hero")
    cli_ok(root, "branch", "alt")
    cli_ok(root, "scene", "node", "edit", "intro", "n2", "--speaker", "Carol")
    cli_ok(root, "switch", "alt")
    cli_ok(root, "scene", "node", "edit", "intro", "n2", "--speaker", "Dave")
    cli_ok(root, "switch", "main")
    merged = run_cli("-C", root, "merge", "alt")
    assert merged.code == 1, merged.err  # recorded with a conflict
    return root


def _tree(root: Path, rev: str = "HEAD") -> list[str]:
    return [e["path"] for e in cli_ok(root, "show", f"{rev}:", "--json").json()["entries"]]


def _read_verbs(root: Path) -> list[tuple[str, ...]]:
    paths = _tree(root)
    kinds = {p.split("/", 1)[0] for p in paths}
    assert {"scenes", "characters", "timelines", "variables", "assets", "findings", "conflicts"} <= kinds
    asset = next(p for p in paths if p.startswith("assets/")).split("/", 1)[1]
    conflict = next(p for p in paths if p.startswith("conflicts/")).split("/", 1)[1]
    verbs: list[tuple[str, ...]] = [
        ("status",),
        ("log",),
        ("log", "--all"),
        ("log", "--graph"),
        ("log", "-n", "2", "main^2"),
        ("show", "HEAD"),
        ("show", "HEAD~1"),
        ("show", "main^"),
        ("show", "main^2"),
        ("show", "main~1^1~1"),
        ("show", "HEAD:"),
        ("show", "HEAD~3:scenes/"),
        ("show", conflict),
        ("show", conflict[:8]),
        ("show", TITLE),
        ("show", "alice smith"),
        ("show", "Main Line"),
        ("show", "scenes/intro#n2"),
        ("diff",),
        ("diff", "HEAD~1"),
        ("diff", "main~9", "main"),
        ("diff", "main", "main~9"),
        ("diff", "alt", "main", "--stat"),
        ("blame", TITLE),
        ("blame", "intro", "--rev", "alt"),
        ("search", "lamp"),
        ("search", "who lit"),
        ("scene", "show", TITLE),
        ("scene", "show", "two words"),
        ("scene", "list"),
        ("character", "show", "Alice Smith"),
        ("character", "list"),
        ("timeline", "show", "Main Line"),
        ("asset", "list"),
        ("asset", "show", asset[:12]),
        ("lineage", asset[:12]),
        ("op", "log", "-n", "3"),
    ]
    for path in paths:
        verbs += [("show", path), ("show", f"HEAD:{path}"), ("log", "--entity", path)]
    # every commit against its first parent, as the TUI's history view asks
    commits = cli_ok(root, "log", "--all", "--json").json()["commits"]
    verbs += [("diff", c["parents"][0], c["id"]) for c in commits if c["parents"]]
    verbs += [("show", c["id"][:10]) for c in commits]
    return verbs


def test_every_read_verb_reads_every_record_kind(mixed: Path) -> None:
    failures = []
    for verb in _read_verbs(mixed):
        for extra in ((), ("--json",)):
            r = run_cli("-C", mixed, *verb, *extra)
            if r.code != 0 or "internal error" in r.err:
                failures.append((verb, extra, r.code, r.err.strip()[:200]))
                continue
            if extra:
                doc = json.loads(r.out)
                assert isinstance(doc, dict) and doc.get("schema", "").startswith("comfyvn."), (verb, r.out[:200])
            elif verb[0] not in ("search",):
                assert r.out.strip() or verb[0] in ("diff", "status"), verb  # something was printed
    assert not failures, failures


def test_diff_and_show_present_records_field_by_field(mixed: Path) -> None:
    doc = cli_ok(mixed, "diff", "main~9", "main", "--json").json()
    by_path = {e["path"]: e for e in doc["entities"]}
    asset = next(e for p, e in by_path.items() if p.startswith("assets/"))
    assert asset["kind"] == "added" and asset["type"] == "Asset"
    assert asset["changes"][0]["event"] == "AssetAdded"
    conflict = next(e for p, e in by_path.items() if p.startswith("conflicts/"))
    assert conflict["type"] == "Conflict" and "edited on both sides" in conflict["changes"][0]["summary"]
    assert by_path["scenes/intro"]["type"] == "Scene"  # entities keep their fine-grained events
    assert {c["event"] for c in by_path["scenes/intro"]["changes"]} >= {"NodeAdded"}
    cid = conflict["path"].split("/", 1)[1]
    shown = cli_ok(mixed, "show", f"HEAD:conflicts/{cid}", "--json").json()
    assert shown["type"] == "Conflict"
    assert (shown["document"]["ours"], shown["document"]["theirs"], shown["document"]["base"]) == (
        "Carol",
        "Dave",
        "Bob",
    )
    asset_doc = cli_ok(mixed, "show", asset["path"], "--json").json()["document"]
    assert asset_doc["kind"] == "image" and len(asset_doc["blob"]) == 64  # the link as hex
    # diff the other way round: the records are deleted
    back = {e["path"]: e for e in cli_ok(mixed, "diff", "main", "main~9", "--json").json()["entities"]}
    assert back[asset["path"]]["kind"] == "deleted"
    assert back[asset["path"]]["changes"][0]["event"] == "AssetRemoved"


def test_names_with_spaces_resolve_and_ambiguity_lists_candidates(mixed: Path, tmp_path: Path) -> None:
    assert cli_ok(mixed, "scene", "show", "the LIGHTHOUSE", "--json").json()["id"] == "intro"
    assert cli_ok(mixed, "show", "Two Words", "--json").json()["path"] == "scenes/second"
    assert cli_ok(mixed, "blame", "Two Words", "--json").json()["scene"] == "second"
    assert cli_ok(mixed, "log", "--entity", "Alice Smith", "--json").json()["entity"] == "characters/alice-smith"
    r = run_cli("-C", mixed, "scene", "node", "add", "Two Words", "--content", "hi", "--no-commit")
    assert r.code == 0, r.err
    assert cli_ok(mixed, "restore").code == 0
    # two scenes with one title: exit 3 naming both
    root = tmp_path / "twins"
    assert run_cli("init", root).code == 0
    cli_ok(root, "scene", "new", "Twin", "--id", "a")
    cli_ok(root, "scene", "new", "twin", "--id", "b")
    for args in (("scene", "show", "TWIN"), ("show", "Twin"), ("blame", "twin")):
        r = run_cli("-C", root, *args)
        assert r.code == 3 and "a" in r.err and "b" in r.err and "internal" not in r.err, (args, r.err)
    # an id wins over a name
    cli_ok(root, "scene", "new", "b", "--id", "c")
    assert cli_ok(root, "scene", "show", "b", "--json").json()["id"] == "b"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("scene", "show", "No Such Title"), 3, "no scene with id or name 'No Such Title'"),
        (("character", "show", "Nobody Here"), 3, "no character"),
        (("blame", "x y"), 3, "no scene"),
        (("log", "--entity", "a b"), 3, "no scene, character"),
        (("log", "--entity", "../../x"), 3, "not an entity path"),
        (("log", "--entity", "scenes/never"), 3, "no scenes/never"),
        (("log", "-n", "-5"), 2, "count of 0 or more"),
        (("op", "log", "-n", "-1"), 2, "count of 0 or more"),
        (("scene", "node", "add", "Nope Nope", "--content", "x"), 3, "no scene"),
        (("show", ""), 3, "show needs"),
        (("show", "HEAD~999"), 3, "history is not that long"),
        (("show", "main^^^^^^^^^^^^"), 3, "history is not that long"),
        (("show", "main^3"), 3, "has 2 parents"),
        (("show", "main~x"), 3, "take a number"),
        (("show", "HEAD:../../etc"), 3, "not an entity path"),
        (("show", "HEAD:nowhere/"), 3, "not a folder"),
        (("show", "HEAD:scenes/gone"), 3, "no scenes/gone"),
        (("show", "x" * 5000), 3, "no revision, entity or object"),
        (("diff", "HEAD~999", "HEAD"), 3, "history is not that long"),
    ],
)
def test_bad_lookups_are_one_clear_line(mixed: Path, args: tuple[str, ...], code: int, says: str) -> None:
    r = run_cli("-C", mixed, *args)
    assert r.code == code, (args, r.code, r.err)
    assert says in r.err, r.err
    assert "internal error" not in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()[-1]) < 300  # a 5,000-character argument is not echoed whole


# -- any text at all


def _run(root: Path, *args: str) -> tuple[int, str, str]:
    """The real CLI entry point, in this process (fast enough for hypothesis)."""
    out, err = io.BytesIO(), io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8")
    with contextlib.redirect_stderr(err), _stdout(stdout):
        try:
            code = main(["-C", str(root), *args])
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
        stdout.flush()
    return code, out.getvalue().decode(errors="replace"), err.getvalue()


@contextlib.contextmanager
def _stdout(stream: Any) -> Iterator[None]:
    saved = sys.stdout
    sys.stdout = stream
    try:
        yield
    finally:
        sys.stdout = saved


ODD = [
    "",
    " ",
    "The Lighthouse",
    "the lighthouse",
    "Alice Smith",
    "x" * 5000,
    "é" * 2000,
    "../../x",
    "scenes/../intro",
    "scenes/intro#",
    "scenes/intro#nope",
    "HEAD~999",
    "HEAD~",
    "~",
    "^",
    "main^^^^",
    "main~1^2~1",
    "HEAD~99999999999999999999",
    "HEAD:",
    "HEAD:scenes/",
    "HEAD:../x",
    ":",
    "a:b:c",
    "\x00",
    "a\x00b",
    "\udcff",  # an undecodable byte on a command line
    "7bbf",
    "0000",
    "-",
    "--json",
]

LOOKUPS: list[tuple[str, ...]] = [
    ("show", "--"),
    ("scene", "show", "--"),
    ("character", "show", "--"),
    ("timeline", "show", "--"),
    ("blame", "--"),
    ("search", "--"),
    ("asset", "show", "--"),
    ("lineage", "--"),
    ("log", "--"),
    ("diff", "--"),
]


def _any_text_is_answered(root: Path, text: str, verb: tuple[str, ...]) -> None:
    for as_json, args in ((False, (*verb, text)), (True, (*verb[:-1], "--json", "--", text))):
        code, out, err = _run(root, *args)
        assert code in (0, 1, 2, 3), (args[:3], text[:80], code, err[-300:])
        assert "internal error" not in err
        if code == 0 and as_json:
            assert out.strip(), (args[:3], text[:80], err[-300:])
            json.loads(out)
    code, _, err = _run(root, "log", f"--entity={text}")
    assert code in (0, 1, 2, 3), (text[:80], err[-300:])


@pytest.mark.parametrize("verb", LOOKUPS, ids=lambda v: " ".join(v[:-1]))
def test_lookup_verbs_take_every_odd_text(mixed: Path, verb: tuple[str, ...]) -> None:
    for text in ODD:
        _any_text_is_answered(mixed, text, verb)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), verb=st.sampled_from(LOOKUPS))
def test_lookup_verbs_take_any_text(mixed: Path, text: str, verb: tuple[str, ...]) -> None:
    _any_text_is_answered(mixed, text, verb)


def test_long_titles_speakers_tags_and_words_are_stored_and_found(tmp_path: Path) -> None:
    from PIL import Image

    root = tmp_path / "v"
    assert run_cli("init", root).code == 0
    title = "A title " + "ü" * 2000  # 4,000+ bytes: far over LMDB's 511-byte keys
    word = "w" * 3000
    cli_ok(root, "scene", "new", title, "--id", "long")
    cli_ok(root, "scene", "node", "add", "long", "--speaker", title, "--content", f"one {word} two")
    name = "C " + "ö" * 2000
    cli_ok(root, "character", "new", name, "--id", "longname")
    png = tmp_path / "p.png"
    Image.new("RGB", (2, 2)).save(png)
    tag, lic = "t" * 1000, "L" * 900
    cli_ok(root, "asset", "add", str(png), "--tag", tag, "--license", lic)
    assert cli_ok(root, "scene", "show", title, "--json").json()["title"] == title
    assert cli_ok(root, "scene", "show", title.upper(), "--json").json()["id"] == "long"  # case-insensitive
    assert run_cli("-C", root, "scene", "show", title[:-1]).code == 3  # exact, not a prefix of the head
    assert cli_ok(root, "character", "show", name, "--json").json()["id"] == "longname"
    assert cli_ok(root, "show", title[:-1] + "Ü", "--json").json()["path"] == "scenes/long"
    assert cli_ok(root, "show", name, "--json").json()["path"] == "characters/longname"
    for query in (word, f"one {word}", word[:100], word[:200], word[:2999], "two"):
        hits = cli_ok(root, "search", query, "--json").json()["hits"]
        assert [(h["scene"], h["node"]) for h in hits] == [("long", "n1")], query[:20]
    assert cli_ok(root, "search", word + "x", "--json").json()["hits"] == []
    assert cli_ok(root, "search", word[:200] + "x", "--json").json()["hits"] == []
    assert len(cli_ok(root, "asset", "list", "--tag", tag, "--json").json()["assets"]) == 1
    assert len(cli_ok(root, "asset", "list", "--license", lic, "--json").json()["assets"]) == 1
    assert cli_ok(root, "asset", "list", "--tag", tag[:-1], "--json").json()["assets"] == []
    assert cli_ok(root, "log", "--entity", title, "--json").json()["entity"] == "scenes/long"
    assert "projections match history" in cli_ok(root, "reindex", "--verify").err
