"""A hypothesis state machine over the Vault API: random edits, commits, branches,
switches, undo and redo. After every step the projections must equal a
from-scratch rebuild from history, and the working copy must equal the checkout."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from comfyvn_vault.api import edit
from comfyvn_vault.domain.entities import Scene
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.projections.search import tokens
from comfyvn_vault.vault import Vault
from comfyvn_vault.worktree.format import parse, render

WORDS = ["lamp", "tide", "keeper", "stairs", "gull", "storm", "灯台", "night"]
lines = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)


class VaultMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="vault-machine-"))
        self.vault, _ = Vault.init(self.dir / "v")
        self.branch_names = ["main"]

    def teardown(self) -> None:
        self.vault.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def scenes(self) -> list[Scene]:
        return [s for s in edit.entity_list(self.vault, "scenes") if isinstance(s, Scene)]

    @rule(title=lines)
    def new_scene(self, title: str) -> None:
        edit.scene_new(self.vault, title)

    @precondition(lambda self: bool(self.scenes()))
    @rule(data=st.data(), content=lines, speaker=st.sampled_from(["Alice", "Bob", None]))
    def add_node(self, data: st.DataObject, content: str, speaker: str | None) -> None:
        scene = data.draw(st.sampled_from(self.scenes()))
        after = data.draw(st.none() | st.sampled_from([n.id for n in scene.nodes] or [None]))
        edit.node_add(self.vault, scene.id, content=content, speaker=speaker, after=after)

    @precondition(lambda self: any(s.nodes for s in self.scenes()))
    @rule(data=st.data(), content=lines)
    def edit_node(self, data: st.DataObject, content: str) -> None:
        scene = data.draw(st.sampled_from([s for s in self.scenes() if s.nodes]))
        node = data.draw(st.sampled_from(scene.nodes))
        if node.content == content:
            return
        edit.node_edit(self.vault, scene.id, node.id, content=content)

    @precondition(lambda self: any(len(s.nodes) > 1 for s in self.scenes()))
    @rule(data=st.data(), text=lines)
    def add_choice(self, data: st.DataObject, text: str) -> None:
        scene = data.draw(st.sampled_from([s for s in self.scenes() if len(s.nodes) > 1]))
        node = data.draw(st.sampled_from(scene.nodes))
        target = data.draw(st.sampled_from([n.id for n in scene.nodes]))
        edit.choice_add(self.vault, scene.id, node.id, text=text, target=target)

    @precondition(lambda self: any(s.nodes for s in self.scenes()))
    @rule(data=st.data(), word=st.sampled_from(WORDS))
    def hand_edit_and_commit(self, data: st.DataObject, word: str) -> None:
        scene = data.draw(st.sampled_from([s for s in self.scenes() if s.nodes]))
        f = self.vault.root / "scenes" / f"{scene.id}.toml"
        text = f.read_text()
        f.write_text(text.replace('content = "', f'content = "{word} ', 1))
        assert self.vault.commit("hand edit") is not None

    @precondition(lambda self: any(s.nodes for s in self.scenes()))
    @rule(data=st.data())
    def remove_node(self, data: st.DataObject) -> None:
        scene = data.draw(st.sampled_from([s for s in self.scenes() if s.nodes]))
        node = data.draw(st.sampled_from(scene.nodes))
        try:
            edit.node_rm(self.vault, scene.id, node.id)
        except InputRejected:
            pass  # still linked from a choice: rejected, nothing written

    @rule(name=st.sampled_from(["alt", "dark", "bright"]))
    def branch_and_switch(self, name: str) -> None:
        if name in self.vault.history.branches():
            self.vault.switch(name)
        else:
            self.vault.switch(name, create=True)

    @rule(name=st.sampled_from(["main", "alt", "dark", "bright"]))
    def switch(self, name: str) -> None:
        if name in self.vault.history.branches():
            self.vault.switch(name)

    @rule()
    def undo(self) -> None:
        try:
            self.vault.undo()
        except InputRejected:
            pass  # nothing to undo

    @rule()
    def redo(self) -> None:
        try:
            self.vault.redo()
        except InputRejected:
            pass  # nothing to redo

    @invariant()
    def projections_equal_a_rebuild(self) -> None:
        assert self.vault.reindex(verify=True)["identical"]

    @invariant()
    def working_copy_equals_checkout(self) -> None:
        assert self.vault.changes() == []
        tree = self.vault.checkout_tree()
        assert tree is not None
        on_disk = {p.relative_to(self.vault.root).as_posix() for p in self.vault.root.glob("*/*.toml")}
        expected = {path + ".toml" for path, _ in self.vault.history.trees.items(tree)}
        assert on_disk == expected
        for path, doc_id in self.vault.history.trees.items(tree):
            doc = self.vault.history.entity_doc(doc_id)
            text = (self.vault.root / f"{path}.toml").read_text()
            # A file the checkout wrote is exactly the rendering; a hand-edited one keeps the
            # user's layout after commit (files are never rewritten), which must parse to the doc.
            assert text == render(doc) or parse(f"{path}.toml", text) == doc

    @invariant()
    def search_matches_brute_force(self) -> None:
        for word in ("lamp", "灯台"):
            expected = sorted(
                (s.id, n.id)
                for s in self.scenes()
                for n in s.nodes
                if word in tokens(n.content) or any(word in tokens(c.text) for c in n.choices)
            )
            assert self.vault.projections.search(word) == expected


VaultMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestVaultMachine = VaultMachine.TestCase
