"""The merge verbs and the conflicts listing, in process, on real vaults."""

from __future__ import annotations

import msgspec
import pytest

from comfyvn_vault.api import edit, merge
from comfyvn_vault.domain.conflicts import conflict_json, describe
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.errors import InputRejected, ObjectNotFound
from comfyvn_vault.vault import Vault
from tests.conftest import fork_story


@pytest.fixture
def forked(vault: Vault) -> Vault:
    """main and alt, forked after a two-line scene."""
    return fork_story(vault)


def _on_both_sides(v: Vault, ours: dict[str, str], theirs: dict[str, str], node: str = "n2") -> None:
    edit.node_edit(v, "intro", node, **ours)
    v.switch("alt")
    edit.node_edit(v, "intro", node, **theirs)
    v.switch("main")


def _speakers(v: Vault) -> list[str | None]:
    return [n.speaker for n in edit.need(v, "scenes", "intro", Scene).nodes]


def test_fast_forward_and_up_to_date(forked: Vault) -> None:
    forked.switch("alt")
    edit.node_edit(forked, "intro", "n2", content="Who lit it, Bob?")
    tip = forked.history.head()
    forked.switch("main")
    result = merge.merge(forked, "alt")
    assert (result.schema, result.kind, result.commit) == ("comfyvn.merge/1", "fast-forward", tip.hex())  # type: ignore[union-attr]
    assert edit.need(forked, "scenes", "intro", Scene).nodes[1].content == "Who lit it, Bob?"
    assert "Who lit it, Bob?" in (forked.root / "scenes" / "intro.toml").read_text()  # the working copy moved too
    assert msgspec.to_builtins(merge.merge(forked, "alt")) == {
        "schema": "comfyvn.merge/1",
        "kind": "up-to-date",
        "commit": tip.hex(),  # type: ignore[union-attr]
        "conflicts": [],
        "events": 0,
        "word_merges": [],
    }


def test_a_conflict_is_recorded_listed_and_resolved(forked: Vault) -> None:
    _on_both_sides(forked, {"speaker": "Carol"}, {"speaker": "Dave"})
    forked.switch("late", create=True)
    edit.node_add(forked, "intro", content="Later.")
    forked.switch("main")
    result = merge.merge(forked, "alt")
    assert (result.schema, result.kind) == ("comfyvn.merge/1", "merge")
    (conflict,) = result.conflicts
    assert (conflict.path, conflict.locator, conflict.kind) == ("scenes/intro", "nodes/n2/speaker", "edit-edit")
    assert (conflict.base, conflict.ours, conflict.theirs, conflict.absent) == ("Bob", "Carol", "Dave", [])
    assert describe(conflict) == "scenes/intro nodes/n2/speaker: edited on both sides"
    # the listing is the stored record, as the CLI prints it
    (stored,) = forked.conflicts()
    assert merge.conflicts(forked) == [conflict]
    assert msgspec.to_builtins(conflict) == conflict_json(stored)
    assert list(msgspec.to_builtins(result)) == ["schema", "kind", "commit", "conflicts", "events", "word_merges"]
    assert "schema" not in result.embedded() and result.embedded()["conflicts"] == [conflict_json(stored)]
    # another merge waits for it
    with pytest.raises(InputRejected, match="resolve the conflicts of the last merge first"):
        merge.merge(forked, "late")
    with pytest.raises(InputRejected, match="cannot play"):
        merge.require_no_conflicts(forked, "play")

    settled = merge.resolve(forked, conflict.id[:8], "theirs")
    assert (settled.schema, settled.kind, settled.conflicts) == ("comfyvn.resolve/1", "merge", [conflict])
    assert settled.commit == forked.history.head().hex()  # type: ignore[union-attr]
    assert _speakers(forked) == ["Alice", "Dave"]
    assert merge.conflicts(forked) == []
    merge.require_no_conflicts(forked, "play")
    with pytest.raises(ObjectNotFound, match="no unresolved conflict"):
        merge.resolve(forked, conflict.id, "ours")


def test_a_deleted_side_is_absent_not_null(forked: Vault) -> None:
    edit.node_rm(forked, "intro", "n2")
    forked.switch("alt")
    edit.node_edit(forked, "intro", "n2", content="Who lit it? Tell me.")
    forked.switch("main")
    (conflict,) = merge.merge(forked, "alt").conflicts
    assert (conflict.kind, conflict.locator, conflict.absent) == ("delete-edit", "nodes/n2", ["ours"])
    assert conflict.ours is msgspec.UNSET and "ours" not in msgspec.to_builtins(conflict)
    assert conflict.theirs["content"] == "Who lit it? Tell me."


@pytest.mark.parametrize(("how", "expected"), [("ours", "Carol"), ("theirs", "Dave"), ("both", "Carol\nDave")])
def test_resolve_each_way(forked: Vault, how: merge.Resolution, expected: str) -> None:
    _on_both_sides(forked, {"speaker": "Carol"}, {"speaker": "Dave"})
    conflict = merge.merge(forked, "alt").conflicts[0]
    merge.resolve(forked, conflict.id, how)
    assert _speakers(forked) == ["Alice", expected]


@pytest.mark.parametrize("typed", ["Dave and Carol", "42", "null", '"Dave and Carol"'])
def test_a_value_for_a_text_field_needs_no_json(forked: Vault, typed: str) -> None:
    _on_both_sides(forked, {"content": "The lamp is out"}, {"content": "The lamp is lit"}, node="n1")
    conflict = merge.merge(forked, "alt").conflicts[0]
    merge.resolve(forked, conflict.id, None, text=typed)  # what `comfyvn resolve ID --value TYPED` calls
    assert edit.need(forked, "scenes", "intro", Scene).nodes[0].content == typed.strip('"')


def test_bad_resolutions_are_rejected(forked: Vault) -> None:
    _on_both_sides(forked, {"speaker": "Carol"}, {"speaker": "Dave"})
    (conflict,) = merge.merge(forked, "alt").conflicts
    head = forked.history.head()
    with pytest.raises(ObjectNotFound, match="status"):
        merge.resolve(forked, "", "ours")
    with pytest.raises(ObjectNotFound):
        merge.resolve(forked, conflict.id[:12] + "0", "ours")
    with pytest.raises(InputRejected):
        merge.resolve(forked, conflict.id, None, {"not": "a speaker"})
    assert forked.history.head() == head and merge.conflicts(forked) == [conflict]
    merge.resolve(forked, conflict.id, None, text="Carol and Dave")
    assert _speakers(forked) == ["Alice", "Carol and Dave"]


def test_a_word_merge_is_listed_for_review(forked: Vault) -> None:
    _on_both_sides(
        forked, {"content": "The old lamp is dark tonight"}, {"content": "The lamp is dark this night"}, node="n1"
    )
    result = merge.merge(forked, "alt")
    assert result.conflicts == []
    (review,) = result.word_merges
    assert review.kind == "word-merge" and review.merged == "The old lamp is dark this night"
    assert merge.conflicts(forked) == [] and merge.conflicts(forked, reviews=True) == [review]
    merge.resolve(forked, review.id, "accept")
    assert merge.conflicts(forked, reviews=True) == []


def test_word_level_merging_can_be_turned_off_but_not_misspelled(forked: Vault) -> None:
    settings = forked.root / ".comfyvn" / "config.toml"
    settings.write_text("[merge]\nword_level = false\n")
    assert merge.word_level(forked) is False
    settings.write_text('[merge]\nword_level = "no"\n')
    with pytest.raises(InputRejected, match="true or false"):
        merge.word_level(forked)


def test_abort_undoes_only_a_merge(forked: Vault) -> None:
    with pytest.raises(InputRejected, match="not a merge"):
        merge.abort(forked)
    _on_both_sides(forked, {"speaker": "Carol"}, {"speaker": "Dave"})
    before = forked.history.head()
    merge.merge(forked, "alt")
    merge.abort(forked)
    assert forked.history.head() == before and merge.conflicts(forked) == []


def test_pick_applies_one_commit(forked: Vault) -> None:
    forked.switch("alt")
    edit.node_add(forked, "intro", content="Alt ending", node_id="end")
    forked.switch("main")
    picked = merge.pick(forked, "alt")
    assert (picked.schema, picked.kind, picked.events) == ("comfyvn.pick/1", "pick", 1)
    assert [n.id for n in edit.need(forked, "scenes", "intro", Scene).nodes] == ["n1", "n2", "end"]
    again = merge.pick(forked, "alt")  # already applied: nothing to commit
    assert (again.schema, again.commit, again.events) == ("comfyvn.pick/1", None, 0)
    with pytest.raises(ObjectNotFound):
        merge.pick(forked, "no-such-branch")
