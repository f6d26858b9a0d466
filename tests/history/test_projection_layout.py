"""The projections' layout version: the grouped events index, and rebuilding
projections left by a comfyvn with another layout when a vault opens."""

from __future__ import annotations

import struct
from pathlib import Path

from comfyvn_vault.api import edit, history
from comfyvn_vault.domain.events import Cause, NodeEdited, NodeFields
from comfyvn_vault.projections.events import DB_EVENTS, parse_event_key
from comfyvn_vault.projections.index import DB_META, PROJECTIONS_VERSION
from comfyvn_vault.vault import Vault

USER = Cause(kind="user")


def _story(root: Path) -> Vault:
    v, _ = Vault.init(root)
    edit.scene_new(v, "Harbour", scene_id="harbour")
    edit.node_add(v, "harbour", speaker="Alice", content="one")
    edit.node_add(v, "harbour", speaker="Bob", content="two")
    edits = [
        NodeEdited(scene_id="harbour", node_id="n1", content=new, before=NodeFields(content=old), cause=USER)
        for old, new in [("one", "uno"), ("uno", "eins"), ("eins", "un")]
    ]
    v.record(edits, "three edits of one line in one commit")
    return v


def test_a_commit_touching_a_path_many_times_keeps_every_event(tmp_path: Path) -> None:
    with _story(tmp_path / "v") as v:
        assert v.projections.version() == PROJECTIONS_VERSION
        head = v.history.head()
        node_hits = [h for h in v.projections.events_for("scenes/harbour#n1") if h[1] == head]
        assert [idx for _, _, idx, _ in node_hits] == [0, 1, 2]
        events = v.history.events_of(v.history.commit(head))
        assert [eid for *_, eid in node_hits] == [eid for eid, _ in events]
        with v.store.env.begin() as txn:
            keys = [bytes(k) for k, _ in txn.cursor(db=v.projections.dbs[DB_EVENTS])]
        mine = [k for k in keys if parse_event_key(k)[2] == head]
        assert sorted(parse_event_key(k)[0] for k in mine) == ["scenes/harbour", "scenes/harbour#n1"]
        log = history.log(v, entity="harbour")
        assert log.commits[0].touching == [0, 1, 2]
        first = history.blame(v, "harbour").nodes[0]
        assert (first.commit, first.event) == (head.hex(), events[2][0].hex())


def _downgrade(v: Vault) -> None:
    """Rewrite the events index in layout 1 (a key per event) and drop the version, as an older comfyvn left it."""
    db = v.projections.dbs[DB_EVENTS]
    with v.store.env.begin(write=True) as txn:
        rows = [(bytes(k), bytes(val)) for k, val in txn.cursor(db=db)]
        txn.drop(db, delete=False)
        for key, value in rows:
            for idx, eid in struct.iter_unpack(">I32s", value):
                txn.put(key + struct.pack(">I", idx), eid, db=db)
        txn.delete(b"version", db=v.projections.dbs[DB_META])


def test_projections_of_an_older_layout_are_rebuilt_on_open(tmp_path: Path) -> None:
    root = tmp_path / "v"
    with _story(root) as v:
        with v.store.env.begin() as txn:
            current = list(v.projections.dump(txn))
        _downgrade(v)
        assert v.projections.version() == 1
        assert not v.reindex(verify=True)["identical"]
    with Vault.open(root) as v:
        assert v.projections.version() == PROJECTIONS_VERSION
        with v.store.env.begin() as txn:
            assert list(v.projections.dump(txn)) == current
        assert v.reindex(verify=True)["identical"]
        assert history.log(v, entity="harbour").commits[0].touching == [0, 1, 2]
    with Vault.open(root) as v:  # once: a second open finds nothing to do
        assert v.projections.version() == PROJECTIONS_VERSION


def test_a_scene_lists_its_events_oldest_first(tmp_path: Path) -> None:
    with _story(tmp_path / "v") as v:
        hits = v.projections.events_for("scenes/harbour")
        # created, two lines added, then three edits in one commit (one key, three events)
        generations = [gen for gen, *_ in hits]
        assert len(hits) == 6 and generations == sorted(generations)
        assert len(set(generations)) == 4
        assert [idx for *_, idx, _ in hits[-3:]] == [0, 1, 2]
