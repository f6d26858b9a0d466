"""The plain-text script adapters: what a script imports as, and how scenes export."""

from __future__ import annotations

import io

import pytest

from comfyvn_vault.adapters import Source, check_plan
from comfyvn_vault.adapters.plaintext import (
    FINDINGS_SHOWN,
    MAX_BYTES,
    TextExporter,
    TextExportOptions,
    TextImporter,
    TextOptions,
    parse,
    render,
)
from comfyvn_vault.domain.asset_events import AssetImported
from comfyvn_vault.domain.assets import Asset
from comfyvn_vault.domain.entities import Character, Choice, Node, Scene
from comfyvn_vault.domain.events import CharacterCreated, SceneCreated
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.ids import hash_bytes
from tests.adapters.helpers import applied, story

SCRIPT = b"""# The Lighthouse
// the keeper's first night
Mira: The lamp is out.
> Wind rattles the glass.

Old Tom: Again?
mira: Again.
"""


def _plan(data: bytes, name: str = "light.txt", docs: dict | None = None, **options: object):
    return TextImporter().plan(Source(data, name), TextOptions(**options), story(docs).lookup)  # type: ignore[arg-type]


def test_a_script_imports_as_one_scene_and_its_speakers() -> None:
    plan = _plan(SCRIPT)
    docs = applied(plan)
    scene = docs["scenes/the-lighthouse"]
    assert isinstance(scene, Scene)
    assert scene.title == "The Lighthouse"
    assert [(n.id, n.speaker, n.content) for n in scene.nodes] == [
        ("n1", "Mira", "The lamp is out."),
        ("n2", None, "Wind rattles the glass."),
        ("n3", "Old Tom", "Again?"),
        ("n4", "Mira", "Again."),  # spoken under the character's name, whatever the case
    ]
    assert docs["characters/mira"] == Character(id="mira", name="Mira")
    assert docs["characters/old-tom"] == Character(id="old-tom", name="Old Tom")
    assert plan.summary.scenes == ["the-lighthouse"]
    assert plan.summary.characters == ["mira", "old-tom"]
    assert plan.summary.findings == []
    assert plan.message() == "Import light.txt with text@1: 1 scene, 2 characters, 1 asset"


def test_every_event_names_the_importer_and_the_source() -> None:
    plan = _plan(SCRIPT)
    assert {e.cause for e in plan.events} == {plan.cause}
    assert plan.cause.kind == "import"
    assert plan.cause.ref == "text@1"
    assert plan.cause.note == "light.txt"


def test_the_script_is_kept_as_a_text_asset_the_scene_points_at() -> None:
    plan = _plan(SCRIPT)
    oid = hash_bytes(SCRIPT)
    assert dict(plan.blobs) == {oid: SCRIPT}
    [imported] = [e for e in plan.events if isinstance(e, AssetImported)]
    assert imported.asset.blob == oid
    assert imported.asset.kind == "text"
    assert imported.source == "light.txt"
    scene = applied(plan)["scenes/the-lighthouse"]
    assert isinstance(scene, Scene)
    assert scene.meta == {"source": "light.txt", "source_asset": oid.hex()}
    check_plan(plan, story().lookup)


def test_without_keep_source_there_is_no_blob() -> None:
    plan = _plan(SCRIPT, keep_source=False)
    assert not plan.blobs
    assert not any(isinstance(e, AssetImported) for e in plan.events)


def test_importing_again_makes_a_new_scene_and_reuses_the_cast_and_the_asset() -> None:
    first = applied(_plan(SCRIPT))
    again = _plan(SCRIPT, docs=first)
    assert [type(e) for e in again.events] == [SceneCreated]
    assert again.summary.scenes == ["the-lighthouse-2"]
    assert not again.blobs  # the same bytes are already an asset
    assert isinstance(applied(again, first)["scenes/the-lighthouse-2"], Scene)


def test_a_character_with_the_id_but_another_name_is_someone_else() -> None:
    docs = {"characters/mira": Character(id="mira", name="Mira Vale")}
    plan = _plan(b"Mira: hello\n", docs=docs)
    created = [e.character for e in plan.events if isinstance(e, CharacterCreated)]
    assert created == [Character(id="mira-2", name="Mira")]
    assert "mira-2" in str(plan.summary.findings[0])
    applied(plan, docs)


def test_options_name_the_scene() -> None:
    plan = _plan(SCRIPT, scene_id="night-1", title="Night one")
    scene = applied(plan)["scenes/night-1"]
    assert isinstance(scene, Scene)
    assert scene.title == "Night one"


def test_a_taken_scene_id_is_refused() -> None:
    with pytest.raises(InputRejected, match="already exists"):
        _plan(SCRIPT, docs={"scenes/intro": Scene(id="intro")}, scene_id="intro")
    with pytest.raises(InputRejected, match="scene id"):
        _plan(SCRIPT, scene_id="a/b")


def test_without_a_title_the_source_name_titles_the_scene() -> None:
    plan = _plan(b"> Rain.\n", name="chapters/rain.txt")
    assert plan.summary.scenes == ["rain"]
    assert plan.summary.characters == []


def test_unrecognised_lines_are_narration_with_a_finding_or_refused_when_strict() -> None:
    plan = _plan(b"Mira: hi\n10:30 we left\n")
    scene = applied(plan)["scenes/light"]
    assert isinstance(scene, Scene)
    assert scene.nodes[1] == Node(id="n2", content="10:30 we left")
    assert [str(f) for f in plan.summary.findings] == ["line 2: no 'Speaker:' or '>': kept as narration"]
    with pytest.raises(InputRejected, match="line 2"):
        _plan(b"Mira: hi\n10:30 we left\n", strict=True)


def test_many_unrecognised_lines_are_counted_not_listed() -> None:
    plan = _plan(b"just text\n" * (FINDINGS_SHOWN + 5))
    assert len(plan.summary.findings) == FINDINGS_SHOWN + 1
    assert plan.summary.findings[-1].message.startswith("5 more lines")


def test_title_rules() -> None:
    assert parse("# A\n# B\nX: y\n").title == "A"
    assert parse("X: y\n# Late\n").title == ""
    assert parse("#\n# Real\nX: y\n").title == "Real"
    notes = parse("# A\n# B\nX: y\n").notes
    assert notes == [("line 2", "a second title: ignored")]
    with pytest.raises(InputRejected, match="line 2: a second title"):
        parse("# A\n# B\nX: y\n", strict=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no lines"),
        (b"# Only a title\n// and a comment\n\n", "no lines"),
        (b"\xff\xfe bad", "not UTF-8"),
        (b"Mira: a\x00b\n", "line 1: control character"),
        (b"Mira: ok\nTom: \x1b[31mred\n", "line 2: control character"),
        (b"Mira: ok\rTom: old mac\n", "control character"),
    ],
)
def test_sources_that_are_not_scripts_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InputRejected, match=message):
        _plan(data)


def test_a_byte_order_mark_and_crlf_are_read() -> None:
    plan = _plan(b"\xef\xbb\xbf# T\r\nMira: hi\r\n")
    scene = applied(plan)["scenes/t"]
    assert isinstance(scene, Scene)
    assert scene.nodes == [Node(id="n1", speaker="Mira", content="hi")]


def test_a_stream_is_read_with_a_limit() -> None:
    plan = TextImporter().plan(Source(io.BytesIO(SCRIPT), "s.txt"), TextOptions(), story().lookup)
    assert plan.summary.scenes == ["the-lighthouse"]
    with pytest.raises(InputRejected, match="over"):
        TextImporter().plan(Source(io.BytesIO(b"> x\n" * (MAX_BYTES // 4 + 1))), TextOptions(), story().lookup)


def test_a_scene_renders_as_a_script() -> None:
    scene = Scene(
        id="s",
        title="Two\nlines",
        nodes=[
            Node(id="n1", speaker="Mira", content="first\nsecond"),
            Node(id="n2", content="Which way?", type="choice", choices=[Choice(id="c1", text="Left", target="n3")]),
            Node(id="n3", type="action", directives={"bg": "harbour", "music": "calm"}),
            Node(id="n4", speaker="Tom"),
        ],
    )
    assert render(scene) == (
        "# Two lines\n"
        "Mira: first\n"
        "Mira: second\n"
        "> Which way?\n"
        "// choice: Left -> n3\n"
        "// action: bg=harbour, music=calm\n"
        "// an empty line by Tom\n"
    )


def test_the_exporter_writes_one_file_per_scene_and_refuses_unknown_scenes() -> None:
    docs = {"scenes/b": Scene(id="b", title="B"), "scenes/a": Scene(id="a"), "characters/x": Character(id="x")}
    plan = TextExporter().plan(story(docs), TextExportOptions())
    assert [f.path for f in plan.files] == ["scenes/a.txt", "scenes/b.txt"]
    assert plan.files[1].content == b"# B\n"
    only = TextExporter().plan(story(docs), TextExportOptions(scenes=["b"], folder="out"))
    assert [f.path for f in only.files] == ["out/b.txt"]
    with pytest.raises(InputRejected, match="no scene 'zz'"):
        TextExporter().plan(story(docs), TextExportOptions(scenes=["zz"]))
    with pytest.raises(InputRejected, match="output path"):
        TextExporter().plan(story(docs), TextExportOptions(folder="../up"))


def test_an_exported_scene_imports_again_as_the_same_dialogue() -> None:
    docs = applied(_plan(SCRIPT))
    [out] = TextExporter().plan(story(docs), TextExportOptions()).files
    assert isinstance(out.content, bytes)
    again = applied(_plan(out.content, docs=docs, keep_source=False), docs)
    first, second = docs["scenes/the-lighthouse"], again["scenes/the-lighthouse-2"]
    assert isinstance(first, Scene)
    assert isinstance(second, Scene)
    assert second.nodes == first.nodes
    assert second.title == first.title


def test_the_asset_is_the_script_bytes() -> None:
    docs = applied(_plan(SCRIPT))
    asset = docs[f"assets/{hash_bytes(SCRIPT).hex()}"]
    assert isinstance(asset, Asset)
    assert asset.bytes == len(SCRIPT)
    assert asset.mime == "text/plain"
