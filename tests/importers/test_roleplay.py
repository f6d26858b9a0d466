"""The roleplay importer: SillyTavern chats, text logs and JSON message lists as scenes and characters."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest

from comfyvn_vault.adapters import Plan, Source, apply_import, check_plan, parse_options, plan_import, story_view
from comfyvn_vault.adapters.registry import get_importer
from comfyvn_vault.domain.asset_events import AssetImported
from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Character, Node, Scene
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.roleplay import RoleplayImporter, RoleplayOptions
from comfyvn_vault.importers.roleplay_dates import parse_clock, parse_date
from comfyvn_vault.importers.roleplay_parse import FINDINGS_SHOWN
from comfyvn_vault.importers.roleplay_read import MAX_LINE_BYTES, detect
from comfyvn_vault.store.ids import hash_bytes
from comfyvn_vault.vault import Vault
from tests.adapters.helpers import applied, story

FIXTURES = Path(__file__).parent / "fixtures" / "roleplay"


def _plan(data: bytes, name: str = "chat.jsonl", docs: dict[str, Any] | None = None, **options: Any) -> Plan:
    opts = parse_options(RoleplayOptions, options)
    return RoleplayImporter().plan(Source(data, name), opts, story(docs).lookup)


def _fixture(name: str, **options: Any) -> tuple[Plan, dict[str, Document | None]]:
    plan = _plan((FIXTURES / name).read_bytes(), name, **options)
    check_plan(plan, story().lookup, story().listing)
    return plan, applied(plan)


def _scenes(plan: Plan, docs: dict[str, Document | None]) -> list[Scene]:
    out = [docs[f"scenes/{sid}"] for sid in plan.summary.scenes]
    assert all(isinstance(s, Scene) for s in out)
    return out  # type: ignore[return-value]


def _nodes(plan: Plan, docs: dict[str, Document | None]) -> list[Node]:
    return [n for s in _scenes(plan, docs) for n in s.nodes]


def _findings(plan: Plan) -> list[str]:
    return [str(f) for f in plan.summary.findings]


def _jsonl(*rows: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


HEADER: dict[str, object] = {
    "user_name": "Sam",
    "character_name": "Mira",
    "create_date": "2024-6-19@16h13m20s",
    "chat_metadata": {},
}


def _row(name: str, mes: str, *, user: bool = False, when: object = None, **more: object) -> dict[str, object]:
    row: dict[str, object] = {"name": name, "is_user": user, "is_system": False, "mes": mes, **more}
    if when is not None:
        row["send_date"] = when
    return row


# ----------------------------------------------------------------- SillyTavern


def test_a_classic_sillytavern_chat_imports_as_scenes_and_its_speakers() -> None:
    plan, docs = _fixture("classic.jsonl")
    assert plan.summary.scenes == ["mira-1", "mira-2"]  # a silence of over two hours between them
    assert plan.summary.characters == ["mira", "sam"]
    assert docs["characters/mira"] == Character(id="mira", name="Mira")
    assert docs["characters/sam"] == Character(id="sam", name="Sam")
    first, second = _scenes(plan, docs)
    assert first.title == "Mira, part 1" and second.title == "Mira, part 2"
    assert [(n.id, n.speaker, n.content) for n in first.nodes] == [
        ("n1", "Mira", "The lamp is out. *She squints at the glass.*"),
        ("n2", "Sam", "Again? <b>That</b> makes three nights & counting."),  # verbatim: exporters escape
        ("n3", "Mira", "Three. Fetch the oil."),
        ("n4", None, "Sam has joined the lighthouse."),
        ("n5", "Sam", "Fine. (grumbling)"),
    ]
    assert [n.meta["source_message"] for n in _nodes(plan, docs)] == list(range(7))
    assert first.meta["first_message"] == 0 and first.meta["last_message"] == 4
    assert first.meta["started"] == "2024-06-19T16:13:22.123Z"
    assert first.meta["source_format"] == "sillytavern"


def test_every_scene_points_at_the_chat_kept_as_the_source_asset() -> None:
    data = (FIXTURES / "classic.jsonl").read_bytes()
    plan, docs = _fixture("classic.jsonl")
    oid = hash_bytes(data)
    assert dict(plan.blobs) == {oid: data}
    assert plan.source_asset == oid.hex()
    [imported] = [e for e in plan.events if isinstance(e, AssetImported)]
    assert imported.asset.kind == "text" and imported.asset.mime == "application/jsonl"
    assert imported.source == "classic.jsonl"
    for scene in _scenes(plan, docs):
        assert scene.meta["source_asset"] == oid.hex()
        assert scene.meta["source"] == "classic.jsonl"
    assert {e.cause.ref for e in plan.events} == {"roleplay@1"}
    assert plan.message() == "Import classic.jsonl with roleplay@1: 2 scenes, 2 characters, 1 asset"


def test_the_four_sillytavern_date_forms_are_read() -> None:
    plan, docs = _fixture("classic.jsonl")
    times = [n.meta.get("time") for n in _nodes(plan, docs)]
    assert times == [
        "2024-06-19T16:13:22.123Z",  # Unix milliseconds (a number)
        "2024-06-19T16:14:22Z",  # Unix milliseconds (a string of digits)
        "2024-06-19T16:15:02.500",  # humanized: a local time, no zone
        "2024-06-19T16:17:00",  # "June 19, 2024 4:17pm"
        "2024-06-19T16:18:00.000Z",  # ISO 8601, as written
        "2024-06-19T23:30:00.000Z",
        "sometime after midnight",  # not a date: kept as written, and reported
    ]
    assert "line 8: date 'sometime after midnight' not understood: kept as written" in _findings(plan)


@pytest.mark.parametrize(
    ("value", "shown", "stamp"),
    [
        (1718813602123, "2024-06-19T16:13:22.123Z", 1718813602123),
        ("1718813602123", "2024-06-19T16:13:22.123Z", 1718813602123),
        (1718813602, "2024-06-19T16:13:22Z", 1718813602000),  # seconds, by their size
        ("2024-6-19 @16h 13m 22s 123ms", "2024-06-19T16:13:22.123", 1718813602123),
        ("2024-06-19@16h13m22s", "2024-06-19T16:13:22", 1718813602000),
        ("June 19, 2024 4:14pm", "2024-06-19T16:14:00", 1718813640000),
        ("June 19, 2024 12:05am", "2024-06-19T00:05:00", 1718755500000),
        ("Jun 19, 2024 4:14 PM", "2024-06-19T16:14:00", 1718813640000),
        ("2024-06-19T16:13:22.123Z", "2024-06-19T16:13:22.123Z", 1718813602123),
        ("2024-06-19T18:13:22+02:00", "2024-06-19T18:13:22+02:00", 1718813602000),
        ("yesterday", "yesterday", None),
        ("2024-13-40T00:00", "2024-13-40T00:00", None),
        ("June 31, 2024 4:14pm", "June 31, 2024 4:14pm", None),
        (10**30, str(10**30), None),
        (-5, "-5", None),
        (True, "true", None),
        (1e300, "1e+300", None),
    ],
)
def test_dates(value: object, shown: str, stamp: int | None) -> None:
    assert parse_date(value) == (shown, stamp)


def test_clock_times() -> None:
    assert parse_clock("12:01") == (12 * 60 + 1) * 60_000
    assert parse_clock("4:14 pm") == (16 * 60 + 14) * 60_000
    assert parse_clock("12:00am") == 0
    assert parse_clock("12:01:30") == (12 * 3600 + 60 + 30) * 1000
    assert parse_clock("25:00") is None and parse_clock("13:00 pm") is None and parse_clock("noon") is None


def test_swipes_not_chosen_are_kept_as_alternatives() -> None:
    plan, docs = _fixture("classic.jsonl")
    node = _nodes(plan, docs)[2]
    assert node.content == "Three. Fetch the oil."  # swipe_id 1 is the line
    assert node.meta["alternatives"] == ["Three. I counted.", "Four, if you count tonight."]
    assert node.meta["swipe_id"] == 1
    assert node.meta["alternative_times"] == ["2024-06-19T16:14:40", "2024-06-19T16:16:00"]


def test_no_swipe_is_dropped_when_the_line_is_not_the_chosen_swipe() -> None:
    rows = [
        HEADER,
        _row("Mira", "edited", swipes=["a", "b"], swipe_id=0),
        _row("Mira", "b", swipes=["a", "b"], swipe_id=7),
    ]
    plan = _plan(_jsonl(*rows))
    first, second = _nodes(plan, applied(plan))
    assert first.content == "edited" and first.meta["alternatives"] == ["a", "b"] and first.meta["swipe_id"] == 0
    assert second.content == "b" and second.meta["alternatives"] == ["a"] and "swipe_id" not in second.meta
    assert "line 3: swipe_id 7 is not one of the swipes: all are kept" in _findings(plan)


def test_a_message_with_one_swipe_has_no_alternatives() -> None:
    plan = _plan(_jsonl(HEADER, _row("Mira", "only", swipes=["only"], swipe_id=0)))
    [node] = _nodes(plan, applied(plan))
    assert node.meta == {"source_message": 0}


def test_display_text_is_shown_and_mes_kept() -> None:
    plan, docs = _fixture("classic.jsonl")
    node = _nodes(plan, docs)[4]
    assert node.content == "Fine. (grumbling)"
    assert node.meta["source_text"] == "Fine."


def test_system_rows_are_kept_as_hidden_narration() -> None:
    plan, docs = _fixture("classic.jsonl")
    node = _nodes(plan, docs)[3]
    assert node.speaker is None
    assert node.meta["hidden"] is True
    assert node.meta["speaker_name"] == "SillyTavern System"
    assert "characters/sillytavern-system" not in docs


def test_a_message_without_text_is_kept_and_reported() -> None:
    plan, docs = _fixture("classic.jsonl")
    node = _nodes(plan, docs)[5]
    assert (node.speaker, node.content) == ("Mira", "")
    assert "line 7: no text: kept as an empty line" in _findings(plan)


def test_the_header_metadata_is_reported_not_imported() -> None:
    plan, _ = _fixture("classic.jsonl")
    assert "line 1: chat_metadata (note_prompt, tainted) is not imported: it stays in the source asset" in _findings(
        plan
    )


def test_a_group_chat_takes_its_speakers_from_the_messages() -> None:
    plan, docs = _fixture("group.jsonl")
    assert plan.summary.characters == ["mira", "old-tom", "sam"]  # not "unused"
    nodes = _nodes(plan, docs)
    assert [n.speaker for n in nodes] == ["Mira", "Old Tom", "Sam", None, "Old Tom"]  # "old tom" is Old Tom
    assert nodes[3].meta["speaker_name"] == "System" and "hidden" not in nodes[3].meta  # the narrator
    assert plan.summary.findings == []


def test_a_group_chat_named_by_its_date_is_named_after_its_first_character() -> None:
    data = (FIXTURES / "group.jsonl").read_bytes()
    plan = _plan(data, "2025-01-05@10h00m00s.jsonl")
    assert plan.summary.scenes == ["mira-1"]
    plan = _plan(data, "Mira - 2025-01-05@10h00m00s.jsonl")
    assert plan.summary.scenes == ["mira-1"]
    plan = _plan(data, "chats/Lighthouse crew - 2025-1-5 @10h 00m 00s 000ms.jsonl")
    assert plan.summary.scenes == ["lighthouse-crew-1"]
    assert _scenes(plan, applied(plan))[0].title == "Lighthouse crew"


def test_a_chat_without_a_header_is_all_messages() -> None:
    plan, docs = _fixture("noheader.jsonl")
    nodes = _nodes(plan, docs)
    assert [(n.speaker, n.content, n.meta["source_message"]) for n in nodes] == [
        ("Mira", "No header here.", 0),
        ("Sam", "Every line a message.", 1),
    ]
    assert nodes[0].meta["time"] == "2024-06-19T16:14:00"


def test_rows_without_names_are_spoken_by_the_header_names() -> None:
    rows = [HEADER, {"is_user": True, "mes": "hi"}, {"mes": "hello"}, {"name": 5, "mes": "odd"}]
    plan = _plan(_jsonl(*rows))
    assert [n.speaker for n in _nodes(plan, applied(plan))] == ["Sam", "Mira", "Mira"]
    assert "line 2: no name: spoken by 'Sam'" in _findings(plan)
    assert "line 4: the name is not text: ignored" in _findings(plan)


def test_attachments_are_reported() -> None:
    plan = _plan(_jsonl(HEADER, _row("Sam", "look", user=True, extra={"image": "user/images/x.png"})))
    assert _findings(plan) == ["line 2: extra.image names a file the chat does not hold"]


def test_findings_of_a_kind_are_counted_past_the_first_ones() -> None:
    rows = [HEADER, *(_row("Mira", "") for _ in range(FINDINGS_SHOWN + 5))]
    found = _findings(_plan(_jsonl(*rows)))
    assert len(found) == FINDINGS_SHOWN + 1
    assert found[-1] == "5 more messages without text"


# ----------------------------------------------------------------- text logs and JSON


def test_a_text_log_imports_with_times_actions_and_odd_lines() -> None:
    plan, docs = _fixture("log.txt")
    assert plan.summary.scenes == ["log-1", "log-2"]  # 12:02 → 15:30 is a silence
    assert plan.summary.characters == ["mira", "sam", "old-tom"]
    nodes = _nodes(plan, docs)
    assert [(n.speaker, n.content, n.meta.get("time"), n.meta["source_line"]) for n in nodes] == [
        ("Mira", "The lamp is out.", "12:01", 1),
        ("Sam", "Again?", "12:02", 2),
        (None, "*The wind rattles the glass.*", None, 3),
        ("Mira", "Again.", None, 4),
        ("Old Tom", "Who's there?", "15:30", 6),
        (None, "10:45 we left the harbour", None, 7),
        ("Sam", "", "15:31", 8),
    ]
    assert _findings(plan) == [
        "line 7: no 'Name:' or '*action*': kept as narration",
        "line 8: no text: kept as an empty line",
    ]
    assert _scenes(plan, docs)[0].meta["source_format"] == "text"


def test_a_text_log_past_midnight_and_with_dates() -> None:
    log = b"[23:59] Mira: Late.\n[00:01] Sam: Early.\n[2024-06-19 08:00] Mira: Morning.\n[OOC] Sam: brb\n"
    plan = _plan(log, "night.txt")
    nodes = _nodes(plan, applied(plan))
    assert [n.meta.get("time") for n in nodes] == ["23:59", "00:01", "2024-06-19 08:00", None]
    assert len(plan.summary.scenes) == 2  # the clock rolled over (2 minutes later), then a date far from it
    assert (nodes[3].speaker, nodes[3].content) == (None, "[OOC] Sam: brb")  # no time, no name: narration


def test_a_json_list_of_role_messages() -> None:
    plan, docs = _fixture("messages.json")
    nodes = _nodes(plan, docs)
    assert [(n.speaker, n.content) for n in nodes] == [
        (None, "You are Mira, the lighthouse keeper."),
        ("User", "Is the lamp lit?"),
        ("Assistant", "Not tonight."),
        ("Old Tom", "I have the oil."),
    ]
    assert nodes[0].meta["hidden"] is True
    assert nodes[1].meta["time"] == "2024-06-19T16:13:22Z"
    assert plan.summary.scenes == ["messages-1"]
    assert _scenes(plan, docs)[0].meta["source_format"] == "json"


def test_role_speakers_can_be_named() -> None:
    plan, docs = _fixture("messages.json", user_name="Sam", character_name="Mira")
    assert [n.speaker for n in _nodes(plan, docs)] == [None, "Sam", "Mira", "Old Tom"]
    assert plan.summary.scenes == ["mira-1"]


def test_a_json_object_with_messages_and_content_parts() -> None:
    plan, docs = _fixture("messages-object.json")
    assert plan.summary.scenes == ["the-lighthouse-1"]
    assert [(n.speaker, n.content) for n in _nodes(plan, docs)] == [
        ("Mira", "Hold the ladder."),
        ("Sam", "Holding it."),
    ]
    assert _findings(plan) == ["messages[1]: content parts that are not text: not imported"]


def test_a_json_document_may_start_with_a_byte_order_mark() -> None:
    plan = _plan(b'\xef\xbb\xbf[\n{"name": "Mira", "content": "Marked."}\n]\n', "m.json")
    assert [n.content for n in _nodes(plan, applied(plan))] == ["Marked."]
    plan = _plan(b'{"name": "Mira", "content": "x"}\n', "C:\\chats\\Mira - 2024-6-19@16h13m22s.jsonl")
    assert plan.summary.scenes == ["mira-1"]


def test_a_one_line_json_object_is_a_json_document() -> None:
    plan = _plan(b'{"messages": [{"name": "Mira", "content": "One line."}]}', "m.json")
    assert [n.content for n in _nodes(plan, applied(plan))] == ["One line."]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"user_name": "Sam"}\n{"name": "Mira"}\n', "sillytavern"),
        (b'\xef\xbb\xbf{"name": "Mira", "mes": "hi"}', "sillytavern"),
        (b'{\n  "messages": []\n}', "json"),
        (b'[{"role": "user"}]', "json"),
        (b"[\n  {", "json"),
        (b"[]", "json"),
        (b"[12:01] Mira: hi\n", "text"),
        (b"Mira: hi\n", "text"),
        (b"", "text"),
    ],
)
def test_the_format_is_told_from_the_bytes(head: bytes, expected: str) -> None:
    assert detect(head) == expected


def test_the_format_can_be_forced() -> None:
    data = b'{"name": "Mira", "mes": "hi"}\n'
    plan = _plan(data, "x.txt", format="text")
    [node] = _nodes(plan, applied(plan))
    assert node.speaker is None and node.content == '{"name": "Mira", "mes": "hi"}'
    with pytest.raises(InputRejected, match=r"line 1: not valid JSON"):
        _plan(b"Mira: hi\n", format="sillytavern")


# ----------------------------------------------------------------- scenes and characters


def _timed_chat(minutes: list[int]) -> bytes:
    base = 1718813602000
    rows = [
        _row("Mira" if i % 2 else "Sam", f"m{i}", user=i % 2 == 0, when=base + m * 60_000)
        for i, m in enumerate(minutes)
    ]
    return _jsonl(HEADER, *rows)


def test_scenes_split_at_a_gap_in_time() -> None:
    data = _timed_chat([0, 1, 2, 200, 201, 202, 203, 300])

    def sizes(**options: Any) -> list[int]:
        plan = _plan(data, **options)
        return [len(s.nodes) for s in _scenes(plan, applied(plan))]

    assert sizes() == [3, 5]  # 198 minutes is a silence, 97 is not
    assert sizes(gap_minutes=60) == [3, 4, 1]
    assert sizes(gap_minutes=96) == [3, 4, 1]
    assert sizes(gap_minutes=97) == [3, 5]  # more than the gap, not as much
    assert sizes(gap_minutes="0") == [8]  # never for time


def test_scenes_split_by_count() -> None:
    data = _timed_chat(list(range(10)))
    plan = _plan(data, max_messages=4)
    scenes = _scenes(plan, applied(plan))
    assert [len(s.nodes) for s in scenes] == [4, 4, 2]
    assert [s.id for s in scenes] == ["mira-1", "mira-2", "mira-3"]
    assert [s.nodes[0].id for s in scenes] == ["n1", "n1", "n1"]
    assert [s.meta["first_message"] for s in scenes] == [0, 4, 8]
    with pytest.raises(InputRejected, match="bad option"):
        parse_options(RoleplayOptions, {"max_messages": "0"})
    with pytest.raises(InputRejected, match="no option 'gap'"):
        parse_options(RoleplayOptions, {"gap": "5"})


def test_replanning_reuses_the_characters_and_continues_the_scene_numbers() -> None:
    data = (FIXTURES / "classic.jsonl").read_bytes()
    first = _plan(data, "classic.jsonl")
    docs = applied(first)
    again = _plan(data, "classic.jsonl", docs=docs)
    assert again.summary.characters == []  # Mira and Sam are there already
    assert again.summary.assets == []  # so is the chat
    assert again.summary.scenes == ["mira-3", "mira-4"]
    after = applied(again, docs)
    assert {n.speaker for s in _scenes(again, after) for n in s.nodes} == {"Mira", "Sam", None}


def test_a_character_with_the_same_name_is_reused_whatever_its_case_and_id() -> None:
    docs: dict[str, Any] = {
        "characters/mira": Character(id="mira", name="MIRA"),
        "characters/sam": Character(id="sam", name="Samwise"),
        "characters/sam-2": Character(id="sam-2", name="sam"),
    }
    plan = _plan((FIXTURES / "classic.jsonl").read_bytes(), docs=docs)
    assert plan.summary.characters == []
    nodes = _nodes(plan, applied(plan, docs))
    assert {n.speaker for n in nodes} == {"MIRA", "sam", None}  # spoken under the story's own spelling


def test_a_speaker_whose_id_is_taken_by_someone_else_is_new() -> None:
    docs: dict[str, Any] = {"characters/sam": Character(id="sam", name="Samwise")}
    plan = _plan((FIXTURES / "noheader.jsonl").read_bytes(), docs=docs)
    assert plan.summary.characters == ["mira", "sam-2"]
    assert "speaker 'Sam' is new: 'sam' is someone else, so 'sam-2'" in _findings(plan)


def test_the_name_option_names_the_scenes() -> None:
    plan = _plan((FIXTURES / "noheader.jsonl").read_bytes(), name="The Lighthouse")
    assert plan.summary.scenes == ["the-lighthouse-1"]
    assert _scenes(plan, applied(plan))[0].title == "The Lighthouse"


# ----------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_jsonl(HEADER) + b'{"name": "Mira", "mes": "\xff"}\n', r"chat\.jsonl, line 2: not valid JSON"),
        (_jsonl(HEADER) + b'{"name": "Mira", "mes": \n', r"chat\.jsonl, line 2: not valid JSON"),
        (_jsonl(HEADER) + b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}\n", r"line 2: JSON nested deeper than 64"),
        (_jsonl(HEADER) + b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", r"line 2: JSON nested deeper"),
        (b'"header"\n{"name": "Mira"}\n', r"chat\.jsonl, line 1: the header is not a JSON object"),
        (b'["header"]\n{"name": "Mira"}\n', r"chat\.jsonl, line 1: the header is not a JSON object"),
        (_jsonl(HEADER) + b"5\n", r"line 2: a message is not a JSON object"),
        (_jsonl(HEADER), r"chat\.jsonl: no messages to import"),
        (b"", r"no messages to import"),
        (b"\n\n  \n", r"no messages to import"),
    ],
)
def test_what_cannot_be_read_is_refused_in_one_line(data: bytes, message: str) -> None:
    with pytest.raises(InputRejected, match=message) as caught:
        _plan(data, format="sillytavern")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"Mira: hi\nSam: \xff\xfe\n", "log.txt", r"log\.txt, line 2: not UTF-8 text \(byte 5\)"),
        (b'[{"name": "Mira"', "m.json", r"m\.json: not valid JSON"),
        (b"[1, 2]", "m.json", r"m\.json, \[0\]: a message is not a JSON object"),
        (b'[{"name": "Mira"}, 5]', "m.json", r"m\.json, \[1\]: a message is not a JSON object"),
        (b'{"messages": 5}', "m.json", r"without a 'messages' list"),
    ],
)
def test_text_and_json_refusals(data: bytes, name: str, message: str) -> None:
    with pytest.raises(InputRejected, match=message):
        _plan(data, name, format="text" if name.endswith(".txt") else "json")


def test_a_line_past_the_cap_is_refused_by_number_without_reading_it_whole() -> None:
    long = b'{"name": "Mira", "mes": "' + b"x" * MAX_LINE_BYTES + b'"}\n'
    data = _jsonl(HEADER, _row("Mira", "fine")) + long + _jsonl(_row("Mira", "never read"))
    with pytest.raises(InputRejected, match=r"^chat\.jsonl, line 3: longer than 1048576 bytes$"):
        _plan(data)
    with pytest.raises(InputRejected, match=r"line 3: longer than"):  # a stream that never ends the line
        endless = cast(BinaryIO, _Endless(_jsonl(HEADER, _row("M", "a"))))
        RoleplayImporter().plan(Source(endless, "chat.jsonl"), RoleplayOptions(), story().lookup)


class _Endless(io.RawIOBase):
    """A stream of ``start`` and then ``x`` for ever: only a reader that caps lines stops."""

    def __init__(self, start: bytes) -> None:
        self.start, self.given = start, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = len(buffer)
        if self.given > 64 * MAX_LINE_BYTES:
            raise AssertionError("read far past the line cap")
        piece = (self.start[self.given :] + b"x" * n)[:n]
        buffer[:n] = piece
        self.given += n
        return n


def test_a_chat_streams_from_a_file_object() -> None:
    data = (FIXTURES / "classic.jsonl").read_bytes()
    streamed = RoleplayImporter().plan(Source(io.BytesIO(data), "classic.jsonl"), RoleplayOptions(), story().lookup)
    held = _plan(data, "classic.jsonl")
    assert streamed.events == held.events
    assert dict(streamed.blobs) == dict(held.blobs)
    small = RoleplayImporter().plan(
        Source(cast(BinaryIO, _Trickle(data)), "classic.jsonl"), RoleplayOptions(), story().lookup
    )
    assert _nodes(small, applied(small)) == _nodes(held, applied(held))  # lines cut between reads, the BOM too
    assert list(small.blobs.values()) == [b"\xef\xbb\xbf" + data]  # the source asset is the bytes as they were


class _Trickle(io.RawIOBase):
    """A stream that hands out 7 bytes a read."""

    def __init__(self, data: bytes) -> None:
        self.data = b"\xef\xbb\xbf" + data
        self.at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        piece = self.data[self.at : self.at + min(7, len(buffer))]
        buffer[: len(piece)] = piece
        self.at += len(piece)
        return len(piece)


def test_a_generated_twenty_thousand_message_chat_plans() -> None:
    rows = [HEADER]
    for i in range(20_000):
        swipes = {"swipes": [f"line {i}", "other"], "swipe_id": 0} if i % 10 == 0 else {}
        rows.append(
            _row("Sam" if i % 2 else "Mira", f"line {i}", user=i % 2 == 1, when=1718813602000 + i * 30_000, **swipes)
        )
    plan = _plan(_jsonl(*rows))
    assert len(plan.summary.scenes) == 100  # 200 a scene; 30 s apart, never a silence
    assert plan.summary.characters == ["mira", "sam"]


# ----------------------------------------------------------------- in a vault


def test_a_chat_imports_into_a_vault_as_one_commit(vault: Vault) -> None:
    importer = get_importer("roleplay")
    assert isinstance(importer, RoleplayImporter)
    data = (FIXTURES / "classic.jsonl").read_bytes()
    result = apply_import(vault, importer, Source(data, "classic.jsonl"), RoleplayOptions())
    assert result.commit is not None and result.importer == "roleplay@1"
    view = story_view(vault.history)
    scene = view.lookup("scenes/mira-1")
    assert isinstance(scene, Scene) and scene.nodes[2].meta["alternatives"] == [
        "Three. I counted.",
        "Four, if you count tonight.",
    ]
    assert vault.store.has(hash_bytes(data))
    assert (vault.root / "scenes" / "mira-1.toml").is_file()
    again = plan_import(vault, importer, Source(data, "classic.jsonl"), RoleplayOptions())
    assert again.summary.characters == [] and again.summary.scenes == ["mira-3", "mira-4"]


def test_odd_text_survives_the_vault(vault: Vault) -> None:
    odd = 'nul \x00, bell \x07, "quotes", \\back\\, [[brackets]], ]]>, 漢字 and 🙂 \r alone, \n next'
    data = _jsonl(HEADER, _row("Mira\tTab", odd), _row("Sam", "", user=True))
    apply_import(vault, RoleplayImporter(), Source(data, "odd.jsonl"), RoleplayOptions())
    vault.close()
    reopened = Vault.open(vault.root)
    try:
        scene = story_view(reopened.history).lookup("scenes/mira-1")
        assert isinstance(scene, Scene)
        assert scene.nodes[0].content == odd and scene.nodes[0].speaker == "Mira\tTab"
        assert reopened.changes() == []  # the working-copy file reads back as the same scene
    finally:
        reopened.close()


def test_a_crlf_line_break_survives_the_working_copy(vault: Vault) -> None:
    data = _jsonl(HEADER, _row("Mira", "one\r\ntwo"))
    apply_import(vault, RoleplayImporter(), Source(data, "crlf.jsonl"), RoleplayOptions())
    scene = story_view(vault.history).lookup("scenes/mira-1")
    assert isinstance(scene, Scene) and scene.nodes[0].content == "one\r\ntwo"  # the commit has it verbatim
    assert vault.changes() == []  # and the file written beside it reads back the same
