"""Properties of the roleplay importer: whatever it is given, it plans events that apply, or refuses in one line.

Random bytes, well-formed chats of each format mutated byte by byte, and JSONL
whose rows are any JSON objects at all (every field of the wrong type) never
make the importer raise anything but :class:`InputRejected`. A plan passes
``check_plan`` against an empty story and a random one; every message is one
node, in order, and no scene holds more than ``max_messages``.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from comfyvn_vault.adapters import Plan, Source, check_plan
from comfyvn_vault.domain.entities import Entity, Scene
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.importers.roleplay import RoleplayImporter, RoleplayOptions
from tests.adapters.helpers import applied, story
from tests.domain.strategies import states

NAMES = st.sampled_from(["Mira", "Sam", "Old Tom", "mira", "", " ", "unused", "SillyTavern System", "漢字", "a/b"])
TEXTS = st.text(max_size=30)
DATES: st.SearchStrategy[object] = st.one_of(
    st.integers(-(10**15), 10**16),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "2024-6-19 @16h 13m 22s 123ms",
            "2024-06-19@16h13m22s",
            "June 19, 2024 4:14pm",
            "Sept 31, 2024 13:99am",
            "2024-06-19T16:13:22.123Z",
            "2024-02-30T00:00:00",
            "1718813602123",
            "",
            "soon",
        ]
    ),
    st.text(max_size=12),
    st.none(),
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXTS
)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
)
FIELDS = st.sampled_from(
    [
        "name",
        "is_user",
        "is_system",
        "send_date",
        "mes",
        "swipes",
        "swipe_id",
        "swipe_info",
        "extra",
        "role",
        "content",
        "text",
        "messages",
        "user_name",
        "character_name",
        "create_date",
        "chat_metadata",
        "timestamp",
    ]
)
options = st.builds(
    RoleplayOptions,
    format=st.sampled_from(["auto", "auto", "sillytavern", "text", "json"]),
    gap_minutes=st.integers(0, 300),
    max_messages=st.integers(1, 5),
    name=st.none() | st.text(max_size=8),
    user_name=st.none() | NAMES,
    character_name=st.none() | NAMES,
)


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    """A SillyTavern message row, well formed."""
    row: dict[str, Any] = {"name": draw(NAMES), "is_user": draw(st.booleans()), "mes": draw(TEXTS)}
    if draw(st.booleans()):
        row["is_system"] = draw(st.booleans())
    if draw(st.booleans()):
        row["send_date"] = draw(DATES)
    if draw(st.booleans()):
        swipes = draw(st.lists(TEXTS, min_size=1, max_size=3))
        row["swipes"] = [row["mes"], *swipes]
        row["swipe_id"] = draw(st.integers(-1, 4))
        row["swipe_info"] = [{"send_date": draw(DATES), "extra": {}} for _ in row["swipes"]]
    if draw(st.booleans()):
        row["extra"] = draw(
            st.fixed_dictionaries(
                {}, optional={"display_text": TEXTS, "type": st.sampled_from(["narrator", "comment"]), "image": TEXTS}
            )
        )
    return row


@st.composite
def chats(draw: st.DrawFn) -> bytes:
    """A well-formed chat of one of the three formats."""
    kind = draw(st.sampled_from(["classic", "modern", "bare", "text", "json"]))
    messages = draw(st.lists(rows(), min_size=1, max_size=8))
    if kind == "text":
        lines = []
        for row in messages:
            stamp = draw(st.sampled_from(["", "[12:01] ", "[23:59:59] ", "[2024-06-19 08:00] ", "[4:14 pm] "]))
            line = f"*{row['mes']}*" if draw(st.booleans()) else f"{row['name']}: {row['mes']}"
            lines.append(stamp + line.replace("\n", " "))
        return ("\n".join(lines) + "\n").encode()
    if kind == "json":
        doc: Any = [
            {"role": draw(st.sampled_from(["user", "assistant", "system"])), "content": r["mes"]} for r in messages
        ]
        if draw(st.booleans()):
            doc = {"title": draw(TEXTS), "messages": doc}
        return json.dumps(doc, indent=draw(st.sampled_from([None, 2]))).encode()
    header: list[dict[str, Any]] = []
    if kind == "classic":
        header = [{"user_name": draw(NAMES), "character_name": draw(NAMES), "create_date": "2024-6-19@16h13m22s"}]
    elif kind == "modern":
        header = [{"chat_metadata": {"x": 1}, "user_name": "unused", "character_name": "unused"}]
    return "".join(json.dumps(r, ensure_ascii=draw(st.booleans())) + "\n" for r in header + messages).encode()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A well-formed chat with bytes inserted, deleted, duplicated or flipped."""
    data = bytearray(draw(chats()))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["insert", "delete", "duplicate", "flip"]))
        if how == "insert":
            piece = st.binary(min_size=1, max_size=4) | st.sampled_from([b"\n", b"{", b"[", b'"', b":", b"\xff", b"\r"])
            data[at:at] = draw(piece)
        elif how == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif how == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 16))]
        elif at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


def _plan_or_refusal(data: bytes, opts: RoleplayOptions, docs: dict[str, Entity] | None = None) -> Plan | None:
    try:
        return RoleplayImporter().plan(Source(data, "chat.jsonl"), opts, story(docs).lookup)
    except InputRejected as exc:
        assert "\n" not in str(exc)
        return None


def _holds(plan: Plan | None, opts: RoleplayOptions, docs: dict[str, Entity] | None = None) -> None:
    if plan is None:
        return
    check_plan(plan, story(docs).lookup, story(docs).listing)
    after = applied(plan, docs)
    scenes = [after[f"scenes/{sid}"] for sid in plan.summary.scenes]
    assert scenes and all(isinstance(s, Scene) for s in scenes)
    indexes: list[object] = []
    for scene in scenes:
        assert isinstance(scene, Scene)
        assert 1 <= len(scene.nodes) <= opts.max_messages
        assert scene.meta["source_asset"] == plan.source_asset
        indexes.extend(n.meta["source_message"] for n in scene.nodes)
    assert indexes == list(range(len(indexes)))
    for cid in plan.summary.characters:
        assert after[f"characters/{cid}"] is not None


@settings(max_examples=150)
@given(st.binary(max_size=300), options)
def test_random_bytes_plan_or_are_refused(data: bytes, opts: RoleplayOptions) -> None:
    _holds(_plan_or_refusal(data, opts), opts)


@settings(max_examples=150)
@given(mutated(), options)
def test_mutated_chats_plan_or_are_refused(data: bytes, opts: RoleplayOptions) -> None:
    _holds(_plan_or_refusal(data, opts), opts)


@settings(max_examples=100)
@given(chats(), options.filter(lambda o: o.format == "auto"))
def test_well_formed_chats_plan(data: bytes, opts: RoleplayOptions) -> None:
    plan = _plan_or_refusal(data, opts)
    assert plan is not None
    _holds(plan, opts)


@settings(max_examples=100)
@given(st.lists(st.dictionaries(FIELDS, JSON_VALUES, max_size=6), min_size=1, max_size=6), options)
def test_any_json_objects_one_a_line_plan(objects: list[dict[str, Any]], opts: RoleplayOptions) -> None:
    data = "".join(json.dumps(o) + "\n" for o in objects).encode()
    opts = replace(opts, format="sillytavern")
    try:
        plan = RoleplayImporter().plan(Source(data, "chat.jsonl"), opts, story().lookup)
    except InputRejected as exc:  # only a chat that is all header, or a row that is too deep, is refused
        document = isinstance(objects[0].get("messages"), list)  # a JSON document on one line: its rules
        assert "no messages to import" in str(exc) or "nested deeper" in str(exc) or document
        return
    _holds(plan, opts)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(chats(), states())
def test_chats_plan_events_that_apply_to_any_story(data: bytes, docs: dict[str, Entity]) -> None:
    opts = RoleplayOptions()
    _holds(_plan_or_refusal(data, opts, docs), opts, docs)
