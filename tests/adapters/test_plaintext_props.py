"""Properties of the plain-text importer: whatever it is given, it plans events that apply, or refuses.

Random bytes, random text and well-formed scripts mutated at random never make
the importer raise anything but :class:`InputRejected`; whenever it returns a
plan, the plan's events apply with the domain's own ``apply_all`` (to an empty
story and to a random one) and the plan passes ``check_plan``. Well-formed
scripts survive import → export unchanged.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comfyvn_vault.adapters import Plan, Source, check_plan
from comfyvn_vault.adapters.plaintext import TextExporter, TextExportOptions, TextImporter, TextOptions
from comfyvn_vault.domain.entities import Entity, Scene
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.codec import object_id
from comfyvn_vault.store.ids import ObjectId
from tests.adapters.helpers import applied, story
from tests.domain.strategies import bad_ids, states, valid_ids

WORD = st.text(alphabet=st.sampled_from("abcXYZ09.,!?'é漢-:>#/"), min_size=1, max_size=6).filter(
    lambda w: not w.startswith((">", "#", "//"))
)
CONTENT = st.lists(WORD, min_size=1, max_size=5).map(" ".join)
SPEAKER = st.from_regex(r"[A-Z][a-z]{0,5}( [A-Z][a-z]{0,5})?", fullmatch=True)


@st.composite
def scripts(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A well-formed script and the lines it should export as (speakers as first written)."""
    out: list[str] = []
    expected: list[str] = []
    title = draw(st.none() | CONTENT)
    if title is not None:
        out.append(f"# {title}")
        expected.append(f"# {title}")
    names: dict[str, str] = {}
    kinds = draw(st.lists(st.sampled_from(["say", "say", "narrate", "comment", "blank"]), max_size=12))
    for kind in [*kinds, draw(st.sampled_from(["say", "narrate"]))]:
        if kind == "say":
            speaker, content = draw(SPEAKER), draw(CONTENT)
            out.append(f"{speaker}: {content}")
            expected.append(f"{names.setdefault(speaker.casefold(), speaker)}: {content}")
        elif kind == "narrate":
            content = draw(CONTENT)
            out.append(f"> {content}")
            expected.append(f"> {content}")
        elif kind == "comment":
            out.append(f"// {draw(st.text(max_size=8).filter(lambda t: t.isprintable()))}")
        else:
            out.append("")
    return "\n".join(out) + "\n", expected


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A well-formed script with bytes inserted, deleted, duplicated or flipped."""
    data = bytearray(draw(scripts())[0].encode())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["insert", "delete", "duplicate", "flip"]))
        if how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4) | st.sampled_from([b":", b"\n", b"# ", b"> ", b"\r"]))
        elif how == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif how == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 16))]
        elif at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


options = st.builds(
    TextOptions,
    scene_id=st.none() | valid_ids | bad_ids,
    title=st.none() | st.text(max_size=10),
    strict=st.booleans(),
    keep_source=st.booleans(),
)


def _plan_or_refusal(data: bytes, opts: TextOptions, docs: dict[str, Entity] | None = None) -> Plan | None:
    try:
        return TextImporter().plan(Source(data, "script.txt"), opts, story(docs).lookup)
    except InputRejected:
        return None


def _holds(plan: Plan | None, docs: dict[str, Entity] | None = None) -> None:
    if plan is None:
        return
    check_plan(plan, story(docs).lookup, story(docs).listing)
    after = applied(plan, docs)
    [sid] = plan.summary.scenes
    scene = after[f"scenes/{sid}"]
    assert isinstance(scene, Scene)
    assert scene.nodes
    for cid in plan.summary.characters:
        assert after[f"characters/{cid}"] is not None


@given(st.binary(max_size=300), options)
def test_random_bytes_plan_or_are_refused(data: bytes, opts: TextOptions) -> None:
    _holds(_plan_or_refusal(data, opts))


@given(st.text(max_size=200), options)
def test_random_text_plans_or_is_refused(text: str, opts: TextOptions) -> None:
    _holds(_plan_or_refusal(text.encode("utf-8", "surrogatepass"), opts))


@given(mutated(), options)
def test_mutated_scripts_plan_or_are_refused(data: bytes, opts: TextOptions) -> None:
    _holds(_plan_or_refusal(data, opts))


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(scripts(), states(), st.booleans())
def test_scripts_plan_events_that_apply_to_any_story(script: tuple[str, list[str]], docs: dict, keep: bool) -> None:
    plan = TextImporter().plan(Source(script[0].encode()), TextOptions(keep_source=keep), story(docs).lookup)
    _holds(plan, docs)


@given(scripts())
def test_well_formed_scripts_export_as_they_were_written(script: tuple[str, list[str]]) -> None:
    text, expected = script
    plan = TextImporter().plan(Source(text.encode()), TextOptions(), story().lookup)  # no name to title it
    docs = applied(plan)
    [out] = TextExporter().plan(story(docs), TextExportOptions()).files
    assert isinstance(out.content, bytes)
    assert out.content.decode().splitlines() == expected


@given(scripts())
def test_the_same_script_plans_the_same_events(script: tuple[str, list[str]]) -> None:
    def ids() -> list[ObjectId]:
        plan = TextImporter().plan(Source(script[0].encode(), "s.txt"), TextOptions(), story().lookup)
        return [object_id(e) for e in plan.events]

    assert ids() == ids()
