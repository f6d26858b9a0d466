"""A broken working-copy file is reported, never fatal: status and diff show it with the
rest, commit and the verbs that would overwrite it refuse with one clear line (exit 3),
and restore rewrites it without parsing it. Misnamed ``.toml`` files are reported too."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.api import edit
from comfyvn_vault.cli.main import main
from comfyvn_vault.domain.entities import Choice, Node, Scene
from comfyvn_vault.vault import Vault
from comfyvn_vault.worktree.format import parse, render
from tests.worktree.conftest import two_scenes

DEEP = 5_000

#: kind → (file, bytes, a word the error must contain)
BROKEN: dict[str, tuple[str, bytes, str]] = {
    "unterminated-string": ("scenes/intro.toml", b'title = "Intro\n', "string is not closed"),
    "bad-value": ("scenes/intro.toml", b"title = Intro\n", "put text in quotes"),
    "inline-then-section": (
        "scenes/intro.toml",
        b'nodes = [{ id = "n1" }]\n\n[[nodes]]\nid = "n2"\n',
        "already given in full",
    ),
    "duplicate-key": ("scenes/intro.toml", b'title = "a"\ntitle = "b"\n', "already set above"),
    "wrong-type": ("scenes/intro.toml", b"title = 5\n", "title"),
    "unknown-field": ("scenes/intro.toml", b'colour = "red"\n', "colour"),
    "reserved-id": ("scenes/intro.toml", b'id = "other"\n', "file name"),
    "float-weight": (
        "scenes/intro.toml",
        b'[[nodes]]\nid = "n1"\n\n[[nodes.choices]]\nid = "c"\ntext = "t"\ntarget = "n1"\nweight = 1.5\n',
        "weight",
    ),
    "binary-garbage": ("scenes/intro.toml", bytes(range(256)) * 4, "UTF-8"),
    "invalid-utf8": ("scenes/intro.toml", b'title = "caf\xe9"\n', "UTF-8"),
    "nul-byte": ("scenes/intro.toml", b'title = "a\x00b"\n', "not allowed"),
    "empty-variable": ("variables/gold.toml", b"", "name"),
    "deep-arrays": ("scenes/intro.toml", b"title = " + b"[" * DEEP + b"]" * DEEP + b"\n", "nested too deeply"),
    "deep-tables": ("scenes/intro.toml", b"meta = " + b"{a=" * DEEP + b"1" + b"}" * DEEP + b"\n", "nested too deeply"),
    "deep-dotted-keys": ("scenes/intro.toml", b"meta." + b"a." * DEEP + b"a = 1\n", "meta"),
}


@pytest.fixture
def story_dir(tmp_path: Path) -> Path:
    root = tmp_path / "v"
    with two_scenes(root) as v:
        edit.var_set(v, "gold", "3")
    return root


def _edit_other(root: Path) -> None:
    f = root / "scenes" / "other.toml"
    f.write_text(f.read_text().replace("Elsewhere.", "Somewhere else."))


def _one_line_error(r: Any, *words: str) -> None:
    assert r.code == 3, (r.code, r.err)
    assert "Traceback" not in r.err and r.err.count("\n") == 1, r.err
    for word in words:
        assert word in r.err, r.err


class TestBrokenFiles:
    @pytest.mark.parametrize("kind", sorted(BROKEN))
    def test_status_reports_it_commit_refuses_and_restore_fixes_it(self, story_dir: Path, cli: Any, kind: str) -> None:
        rel, data, word = BROKEN[kind]
        good = (story_dir / rel).read_bytes()
        (story_dir / rel).write_bytes(data)
        _edit_other(story_dir)
        head = cli("-C", story_dir, "status", "--json").json()["head"]

        doc = cli("-C", story_dir, "status", "--json")
        assert doc.code == 0, doc.err
        by_file = {c["file"]: c for c in doc.json()["changes"]}
        assert by_file["scenes/other.toml"]["kind"] == "modified"  # the rest still shows
        assert by_file[rel]["kind"] == "broken", by_file[rel]
        assert by_file[rel]["error"].startswith(rel) and word in by_file[rel]["error"], by_file[rel]
        assert "namespace" not in by_file[rel]["error"]  # tomllib's words, not a sentence

        _one_line_error(cli("-C", story_dir, "commit", "-m", "x"), rel, "restore")
        assert cli("-C", story_dir, "status", "--json").json()["head"] == head  # nothing committed

        r = cli("-C", story_dir, "restore", rel, "--json")
        assert r.code == 0 and r.json()["restored"] == [rel.removesuffix(".toml")], r.err
        assert (story_dir / rel).read_bytes() == good
        left = cli("-C", story_dir, "status", "--json").json()["changes"]
        assert [(c["file"], c["kind"]) for c in left] == [("scenes/other.toml", "modified")]
        assert cli("-C", story_dir, "commit", "-m", "the rest").code == 0

    def test_every_verb_survives_many_broken_files_at_once(self, story_dir: Path, cli: Any) -> None:
        files = {}
        for i, (rel, data, _) in enumerate(v for _, v in sorted(BROKEN.items())):
            folder = rel.split("/")[0]
            if folder == "scenes":
                rel = f"scenes/broken-{i}.toml"  # new files, so the committed ones stay intact
            files[rel] = data
            (story_dir / rel).write_bytes(data)
        (story_dir / "scenes" / "intro.toml").write_bytes(b"\xff\xfe\x00garbage")
        _edit_other(story_dir)

        doc = cli("-C", story_dir, "status")
        assert doc.code == 0 and "modified  scenes/other.toml" in doc.out, doc.err
        listed = {c["file"]: c["kind"] for c in cli("-C", story_dir, "status", "--json").json()["changes"]}
        assert {f for f, k in listed.items() if k == "broken"} == {*files, "scenes/intro.toml"}
        diff = cli("-C", story_dir, "diff", "--json")
        assert diff.code == 0 and any(e["path"] == "scenes/other" for e in diff.json()["entities"]), diff.err
        _one_line_error(cli("-C", story_dir, "commit", "-m", "x"))
        _one_line_error(cli("-C", story_dir, "undo"), "restore")
        _one_line_error(cli("-C", story_dir, "scene", "node", "add", "intro", "--content", "x"), "scenes/intro.toml")

        r = cli("-C", story_dir, "restore")
        assert r.code == 0, r.err
        assert cli("-C", story_dir, "status", "--json").json()["changes"] == []
        assert not any((story_dir / rel).exists() for rel in files if rel.startswith("scenes/broken-"))
        assert cli("-C", story_dir, "undo").code == 0


class TestMisnamedFiles:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("has space.toml", "scenes/has-space.toml"),
            ("Intro.TOML", "scenes/Intro.toml"),
            ("caf\u00e9!.toml", "scenes/caf.toml"),
            ("x" * 80 + ".toml", "scenes/" + "x" * 64 + ".toml"),
        ],
    )
    def test_status_and_commit_say_what_name_is_expected(
        self, story_dir: Path, cli: Any, name: str, expected: str
    ) -> None:
        f = story_dir / "scenes" / name
        f.write_text('title = "Lost"\n')
        doc = cli("-C", story_dir, "status", "--json")
        assert doc.code == 0, doc.err
        (entry,) = doc.json()["changes"]
        assert entry["kind"] == "misnamed" and entry["file"] == f"scenes/{name}", entry
        assert expected in entry["error"], entry
        _one_line_error(cli("-C", story_dir, "commit", "-m", "x"), expected)
        assert cli("-C", story_dir, "restore").code == 0 and f.exists()  # not the vault's to throw away
        f.rename(story_dir / expected)
        assert cli("-C", story_dir, "commit", "-m", "found").code == 0
        assert cli("-C", story_dir, "status", "--json").json()["changes"] == []

    def test_editor_leftovers_and_other_suffixes_are_not_reported(self, story_dir: Path, cli: Any) -> None:
        for name in (".intro.toml.swp", "intro.toml~", "notes.txt", ".hidden.toml"):
            (story_dir / "scenes" / name).write_text("junk")
        assert cli("-C", story_dir, "status", "--json").json()["changes"] == []


def test_nodes_keep_one_shape_whatever_their_content() -> None:
    short = Scene(id="s", title="S", nodes=[Node(id="a", content="hi"), Node(id="b", content="yo")])
    long = Scene(id="s", title="S", nodes=[Node(id="a", content="hi " * 60), Node(id="b", content="yo")])
    chosen = Scene(
        id="s",
        title="S",
        nodes=[
            Node(id="a", type="choice", content="hi", choices=[Choice(id="c", text="go", target="b")]),
            Node(id="b", content="yo"),
        ],
    )
    for scene in (short, long, chosen):
        text = render(scene)
        assert text.count("[[nodes]]") == 2 and "nodes = [" not in text, text
        assert parse("scenes/s.toml", text) == scene
    # Editing one node's content changes that node's lines only.
    a, b = render(short).splitlines(), render(long).splitlines()
    assert [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y] == [a.index('content = "hi"')]


# ------------------------------------------------------------------ fuzzing the files


@contextlib.contextmanager
def _fuzz_vault() -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp())
    try:
        root = tmp / "v"
        v, _ = Vault.init(root)
        with v:
            edit.scene_new(v, "Intro", scene_id="intro")
            edit.node_add(v, "intro", content="Line one.\nLine two.", node_id="n1", speaker="amy")
            edit.node_add(v, "intro", content="Pick.", node_id="n2", type="choice")
            edit.choice_add(v, "intro", "n2", text="Back", target="n1", weight=2)
            edit.node_set(v, "intro", "n1", {"directives": {"bg": "sea"}, "meta": {"tags": ["a"]}})
        yield root
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(*argv: str) -> int:
    sink = io.TextIOWrapper(io.BytesIO())  # the CLI writes JSON to sys.stdout.buffer
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(list(argv))
    assert "internal error" not in err.getvalue(), err.getvalue()
    return code


NOISE = st.one_of(
    st.sampled_from([b"[", b"]", b"[[", b"{", b"}", b"=", b'"', b'"""', b"'", b",", b".", b"#", b"\n", b"\\", b"\x00"]),
    st.binary(max_size=6),
    st.text(max_size=6).map(str.encode),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 8), NOISE), min_size=1, max_size=4))
def test_mutated_files_never_crash_status_or_commit(edits: list[tuple[float, int, bytes]]) -> None:
    with _fuzz_vault() as root:
        f = root / "scenes" / "intro.toml"
        data = f.read_bytes()
        for where, cut, noise in edits:
            at = int(where * len(data))
            data = data[:at] + noise + data[at + cut :]
        f.write_bytes(data)
        assert _run("-C", str(root), "status") == 0
        assert _run("-C", str(root), "diff") == 0
        assert _run("-C", str(root), "commit", "-m", "fuzz") in (0, 3)
        assert _run("-C", str(root), "restore") == 0
        assert _run("-C", str(root), "status", "--json") == 0
