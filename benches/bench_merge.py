"""Benchmark 11: merging two variants of a story, against git on the same edits.

A story of ``scenes`` scenes x 20 nodes is created with one batched
``SceneCreated`` commit (``History.record`` inside one transaction); branch
``theirs`` forks there. Each side then changes 10 scenes, one commit per scene:

* 9 scenes are changed on both sides: different nodes of one scene, different
  fields of one node, different words of one line, a choice added on each side,
  a node added on each side after the same node, a retitle against a node edit
  (all must merge cleanly), and three overlapping edits that must conflict: one
  line rewritten on both sides, a node deleted on one side and edited on the
  other, and a choice with the same id added on both sides with different text;
* 1 scene on each side is changed by that side alone.

``merge.merge(vault, "theirs")`` is timed on an open vault whose working copy
(one TOML file per scene) is checked out and clean, as a user has it, then undone
with ``merge.abort``; the median of a few merges is reported at two story sizes
(1,000 and 10,000 scenes; 100 and 1,000 with ``--quick``) with the same 10+10
changes: the ratio shows whether merging scales with the changes or with the
story. ``comfyvn merge theirs --json`` runs once per size for the user-facing
figure (start-up included). Every merge is checked: each disjoint edit is in the
merged scenes, each overlapping edit is a conflict record, nothing else is.

Git gets the same three versions (base, ours, theirs) as one file per scene,
rendered by comfyvn's working-copy renderer, and ``git merge theirs`` is timed on
the same story sizes; conflicts are counted as conflicted files (``git diff
--name-only --diff-filter=U``) and hunks (``<<<<<<<`` markers), and the git
conflicts in scenes comfyvn merged cleanly are reported as false conflicts.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import random
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from benches.common import BenchError, BenchResult, Row, log, median_ms, run_timed
from benches.context import Context
from benches.corpus import _NAMES, _WORDS
from benches.peers import comfyvn_bin, git_init

if TYPE_CHECKING:
    from comfyvn_vault.api.merge import MergeResult
    from comfyvn_vault.domain.entities import Choice, Node, Scene
    from comfyvn_vault.store.ids import ObjectId
    from comfyvn_vault.vault import Vault

NODES: Final = 20
#: The merge at the big size may take at most this many times the merge at the small size.
SCALE_MAX_RATIO: Final = 1.5
#: comfyvn re-reads working-copy files modified less than 2 s ago (worktree.checkout.RACY_NS): let them age.
RACY_WAIT_S: Final = 2.1
AUTHOR: Final = "bench"
BRANCH: Final = "theirs"
COMMITTER: Final = b"Bench <bench@example.invalid>"
EPOCH: Final = 1_700_000_000


@dataclass(frozen=True)
class MergeSizes:
    scenes: tuple[int, int]
    samples: int

    @classmethod
    def of(cls, quick: bool) -> MergeSizes:
        return cls(scenes=(100, 1_000), samples=3) if quick else cls(scenes=(1_000, 10_000), samples=7)


# ------------------------------------------------------------------ the story


def scene_id(i: int) -> str:
    return f"s{i:05d}"


def node_id(j: int) -> str:
    return f"n{j:02d}"


def _line(rng: random.Random) -> str:
    """5-12 words of dialogue, capitalised, ending in one punctuation mark (no quotes to escape)."""
    text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 12)))
    return text[0].upper() + text[1:] + rng.choice(".!?")


def make_scene(i: int) -> Scene:
    """Scene ``i``: 19 lines of dialogue and a closing choice node (its text depends only on ``i``)."""
    from comfyvn_vault.domain.entities import Choice, Node, Scene

    rng = random.Random(f"merge-{i}")
    nodes = [
        Node(id=node_id(j), speaker=_NAMES[(i * 7 + j) % len(_NAMES)], content=_line(rng)) for j in range(NODES - 1)
    ]
    choices = [Choice(id="c1", text="Go back to the start", target="n00"), Choice(id="c2", text="Wait", target="n10")]
    nodes.append(Node(id=node_id(NODES - 1), type="choice", content="What now?", choices=choices))
    title = " ".join(rng.choice(_WORDS) for _ in range(3))
    return Scene(id=scene_id(i), title=f"Scene {i}: {title}", nodes=nodes)


def _node(scene: Scene, nid: str) -> Node | None:
    return next((n for n in scene.nodes if n.id == nid), None)


def _ids(scene: Scene) -> list[str]:
    return [n.id for n in scene.nodes]


def _edit(scene: Scene, nid: str, **fields: Any) -> Scene:
    from msgspec.structs import replace

    return replace(scene, nodes=[replace(n, **fields) if n.id == nid else n for n in scene.nodes])


def _insert_after(scene: Scene, after: str, node: Node) -> Scene:
    from msgspec.structs import replace

    at = _ids(scene).index(after) + 1
    return replace(scene, nodes=[*scene.nodes[:at], node, *scene.nodes[at:]])


def _remove(scene: Scene, nid: str) -> Scene:
    from msgspec.structs import replace

    return replace(scene, nodes=[n for n in scene.nodes if n.id != nid])


def _add_choice(scene: Scene, nid: str, choice: Choice) -> Scene:
    node = _node(scene, nid)
    assert node is not None
    return _edit(scene, nid, choices=[*node.choices, choice])


def _retitle(scene: Scene, title: str) -> Scene:
    from msgspec.structs import replace

    return replace(scene, title=title)


def _content(scene: Scene, nid: str) -> str | None:
    node = _node(scene, nid)
    return None if node is None else node.content


# ------------------------------------------------------------------ the edits


Change = Callable[["Scene"], "Scene"]
Check = Callable[["Scene", "Scene"], list[str]]  # (base scene, merged scene) -> problems


@dataclass(frozen=True)
class Case:
    """What each side does to one scene, and what the merge must make of it."""

    name: str
    what: str
    ours: Change | None
    theirs: Change | None
    #: the locator of the conflict comfyvn must report; None: the edits must merge cleanly
    conflict: str | None
    check: Check


def _expect(label: str, got: object, want: object) -> list[str]:
    return [] if got == want else [f"{label}: expected {want!r}, found {got!r}"]


def _words_edits(base: str) -> tuple[str, str, str]:
    """Ours replaces the first word of a line, theirs the last one: (ours, theirs, the merge of both)."""
    words = base[:-1].split(" ")
    end = base[-1]
    ours = " ".join(["Meanwhile", *words[1:]]) + end
    theirs = " ".join([*words[:-1], "eventually"]) + end
    return ours, theirs, " ".join(["Meanwhile", *words[1:-1], "eventually"]) + end


def cases() -> list[Case]:
    from comfyvn_vault.domain.entities import Choice, Node

    o3, t4 = "Ours rewrote line three.", "Theirs rewrote line four."
    t5, speaker = "Theirs changed what line five says.", "Stranger"
    o8 = Node(id="o1", speaker="Aiko", content="A line ours added after line eight.")
    t8 = Node(id="t1", speaker="Ren", content="A line theirs added after line eight.")
    c3 = Choice(id="c3", text="Ours: climb the stairs", target="n05")
    c4 = Choice(id="c4", text="Theirs: wait by the door", target="n07")
    title, t10 = "A title ours chose", "Theirs rewrote line ten."
    o9, t9 = "Ours rewrote this line completely.", "Theirs wrote another one instead!"
    t12 = "Theirs edited a line ours deleted."
    c9o = Choice(id="c9", text="Ours: run", target="n00")
    c9t = Choice(id="c9", text="Theirs: hide", target="n00")
    o0, t1 = "Only ours touched this scene.", "Only theirs touched this scene."

    def words_check(base: Scene, merged: Scene) -> list[str]:
        old = _content(base, "n06")
        assert old is not None
        return _expect("n06 content", _content(merged, "n06"), _words_edits(old)[2])

    def words(side: int) -> Change:
        def change(s: Scene) -> Scene:
            old = _content(s, "n06")
            assert old is not None
            return _edit(s, "n06", content=_words_edits(old)[side])

        return change

    def added_check(base: Scene, merged: Scene) -> list[str]:
        ids = _ids(merged)
        if "o1" not in ids or "t1" not in ids:
            return [f"nodes added on both sides: expected o1 and t1, found {ids}"]
        n08, n09 = ids.index("n08"), ids.index("n09")
        if not (n08 < ids.index("o1") < n09 and n08 < ids.index("t1") < n09):
            return [f"nodes added on both sides after n08 are out of place: {ids}"]
        return []

    def choice_texts(merged: Scene) -> list[tuple[str, str]]:
        node = _node(merged, "n19")
        return [] if node is None else [(c.id, c.text) for c in node.choices]

    return [
        Case(
            "nodes",
            "different nodes of one scene (adjacent lines n03 and n04)",
            lambda s: _edit(s, "n03", content=o3),
            lambda s: _edit(s, "n04", content=t4),
            None,
            lambda b, m: _expect("n03", _content(m, "n03"), o3) + _expect("n04", _content(m, "n04"), t4),
        ),
        Case(
            "fields",
            "different fields of one node (speaker vs content of n05)",
            lambda s: _edit(s, "n05", speaker=speaker),
            lambda s: _edit(s, "n05", content=t5),
            None,
            lambda b, m: (
                _expect("n05 speaker", getattr(_node(m, "n05"), "speaker", None), speaker)
                + _expect("n05 content", _content(m, "n05"), t5)
            ),
        ),
        Case(
            "words",
            "different words of one line (first vs last word of n06)",
            words(0),
            words(1),
            None,
            words_check,
        ),
        Case(
            "choices",
            "a choice added on each side to the same node (n19)",
            lambda s: _add_choice(s, "n19", c3),
            lambda s: _add_choice(s, "n19", c4),
            None,
            lambda b, m: _expect(
                "n19 choices",
                choice_texts(m),
                [("c1", "Go back to the start"), ("c2", "Wait"), (c3.id, c3.text), (c4.id, c4.text)],
            ),
        ),
        Case(
            "added-nodes",
            "a node added on each side after the same node (n08)",
            lambda s: _insert_after(s, "n08", o8),
            lambda s: _insert_after(s, "n08", t8),
            None,
            added_check,
        ),
        Case(
            "retitle",
            "a retitle on one side, a node edit (n10) on the other",
            lambda s: _retitle(s, title),
            lambda s: _edit(s, "n10", content=t10),
            None,
            lambda b, m: _expect("title", m.title, title) + _expect("n10", _content(m, "n10"), t10),
        ),
        Case(
            "edit-edit",
            "one line (n09) rewritten differently on both sides",
            lambda s: _edit(s, "n09", content=o9),
            lambda s: _edit(s, "n09", content=t9),
            "nodes/n09/content",
            lambda b, m: _expect("n09 content (ours is kept)", _content(m, "n09"), o9),
        ),
        Case(
            "delete-edit",
            "a node (n12) deleted on one side, edited on the other",
            lambda s: _remove(s, "n12"),
            lambda s: _edit(s, "n12", content=t12),
            "nodes/n12",
            lambda b, m: _expect("n12 (ours deleted it)", _node(m, "n12"), None),
        ),
        Case(
            "add-add",
            "a choice with the same id (c9) added on both sides with different text",
            lambda s: _add_choice(s, "n19", c9o),
            lambda s: _add_choice(s, "n19", c9t),
            "nodes/n19/choices/c9/text",
            lambda b, m: _expect("c9 (ours is kept)", [t for c, t in choice_texts(m) if c == "c9"], [c9o.text]),
        ),
        Case(
            "ours-only",
            "a line (n00) edited on our side only",
            lambda s: _edit(s, "n00", content=o0),
            None,
            None,
            lambda b, m: _expect("n00", _content(m, "n00"), o0),
        ),
        Case(
            "theirs-only",
            "a line (n01) edited on their side only",
            None,
            lambda s: _edit(s, "n01", content=t1),
            None,
            lambda b, m: _expect("n01", _content(m, "n01"), t1),
        ),
    ]


def case_scenes(n_scenes: int, n_cases: int) -> list[int]:
    """The scene each case changes: spread over the whole story."""
    return [(2 * k + 1) * n_scenes // (2 * n_cases) for k in range(n_cases)]


# ------------------------------------------------------------------ building both tools' repositories


@dataclass
class Built:
    """A vault (main = ours, branch ``theirs``) with its files checked out, and a git repository of the same."""

    scenes: int
    vault: Path
    git: Path
    #: case name -> scene index
    at: dict[str, int]
    base_commit: str
    details: dict[str, Any] = field(default_factory=dict)


@contextmanager
def fixed_author() -> Iterator[None]:
    """``COMFYVN_AUTHOR`` set for this process (commits made through the API), restored afterwards."""
    before = os.environ.get("COMFYVN_AUTHOR")
    os.environ["COMFYVN_AUTHOR"] = AUTHOR
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("COMFYVN_AUTHOR", None)
        else:
            os.environ["COMFYVN_AUTHOR"] = before


def _commit_sides(vault: Vault, the_cases: list[Case], at: dict[str, int]) -> dict[str, int]:
    """One commit per changed scene on each side: ours on main (HEAD), theirs on branch ``theirs``."""
    from comfyvn_vault.domain.diffing import diff_entities
    from comfyvn_vault.domain.events import Cause
    from comfyvn_vault.domain.paths import scene_path

    cause = Cause(kind="user")
    events_per_side = {"main": 0, BRANCH: 0}
    for case in the_cases:
        i = at[case.name]
        base = make_scene(i)
        for branch, change in (("main", case.ours), (BRANCH, case.theirs)):
            if change is None:
                continue
            events = diff_entities(scene_path(scene_id(i)), base, change(base), cause=cause)
            if not events:
                raise BenchError(f"case {case.name}: the {branch} side changes nothing")
            with vault.store.transaction() as w:
                vault.history.record(w, events, f"{case.name} ({branch})", branch=branch)
            events_per_side[branch] += len(events)
    return events_per_side


def _materialize(vault: Vault) -> int:
    """Write every scene file of the checkout and cache their stats (``history.record`` writes no files).

    The files get the bytes ``WorkingCopy.write`` would give them, without its fsync per file (set-up, not
    measured: an fsync per file would dominate building a 10,000-scene working copy).
    """
    from comfyvn_vault.worktree.format import file_of, render

    history = vault.history
    tree = vault.checkout_tree()
    if tree is None:
        raise BenchError("the vault has no checkout")
    written: list[tuple[str, ObjectId]] = []
    for path, doc_id in history.trees.items(tree, "scenes/"):
        target = vault.root / file_of(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as f:
            f.write(render(history.entity_doc(doc_id)))
        written.append((path, doc_id))

    def remember(txn: Any) -> None:
        for path, doc_id in written:
            vault.worktree.remember(txn, path, doc_id)

    with vault.store.transaction() as w:
        w.on_commit(remember)
    return len(written)


def _fast_import(repo: Path, env: dict[str, str], stream: bytes) -> None:
    proc = subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo, env=env, input=stream, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise BenchError(f"git fast-import exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-800:]}")


def _export_to_git(ctx: Context, vault: Vault, base: ObjectId, repo: Path) -> dict[str, Any]:
    """Base, ours (main) and theirs as one file per scene, rendered by comfyvn's renderer, in three git commits."""
    from comfyvn_vault.worktree.format import file_of, render

    h = vault.history
    base_tree = h.tree_of(base)
    assert base_tree is not None
    out: list[bytes] = []

    def commit(ref: str, mark: int, message: str, parent: int | None, files: list[tuple[str, bytes | None]]) -> None:
        msg = message.encode()
        out.append(b"commit %s\nmark :%d\ncommitter %s %d +0000\n" % (ref.encode(), mark, COMMITTER, EPOCH + mark))
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        for path, data in files:
            if data is None:
                out.append(b"D %s\n" % path.encode())
            else:
                out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        out.append(b"\n")

    def rendered(tree: ObjectId, path: str) -> bytes | None:
        doc = h.entity(tree, path)
        return None if doc is None else render(doc).encode()

    base_files: list[tuple[str, bytes | None]] = [
        (file_of(path), render(h.entity_doc(doc_id)).encode()) for path, doc_id in h.trees.items(base_tree, "scenes/")
    ]
    commit("refs/heads/main", 1, "Create the story", None, base_files)
    counts = {"base": len(base_files)}
    for mark, branch in ((2, BRANCH), (3, "main")):
        tip = h.branch_tip(branch)
        tree = h.tree_of(tip)
        assert tree is not None
        files = [(file_of(p), rendered(tree, p)) for p, _, _ in h.trees.diff(base_tree, tree)]
        commit(f"refs/heads/{branch}", mark, f"{branch}: 10 scenes", 1, files)
        counts[branch] = len(files)
    env = ctx.env.git()
    git_init(repo, env)
    _fast_import(repo, env, b"".join(out))
    run_timed(["git", "reset", "-q", "--hard", "main"], repo, env)
    return {"files_per_commit": counts}


def build(ctx: Context, n_scenes: int) -> Built:
    from comfyvn_vault.domain.events import Cause, SceneCreated
    from comfyvn_vault.vault import Vault

    base_dir = ctx.folder("merge", f"{n_scenes}-scenes")
    the_cases = cases()
    at = {c.name: i for c, i in zip(the_cases, case_scenes(n_scenes, len(the_cases)), strict=True)}
    vault_dir, repo = base_dir / "comfyvn", base_dir / "git"
    details: dict[str, Any] = {}
    with Vault.init(vault_dir)[0] as vault:
        log(f"merge: a {n_scenes:,}-scene story (one batched SceneCreated commit) and 10+10 changed scenes")
        t = time.perf_counter()
        cause = Cause(kind="import", ref="bench")
        events = [SceneCreated(scene=make_scene(i), cause=cause) for i in range(n_scenes)]
        with vault.store.transaction() as w:
            vault.history.record(w, events, "Create the story")
        details["create_story_s"] = time.perf_counter() - t
        base = vault.history.head()
        assert base is not None
        vault.branch_create(BRANCH)
        details["events_per_side"] = _commit_sides(vault, the_cases, at)
        t = time.perf_counter()
        details["files"] = _materialize(vault)
        details["materialize_s"] = time.perf_counter() - t
        t = time.perf_counter()
        details["git"] = _export_to_git(ctx, vault, base, repo)
        details["git_export_s"] = time.perf_counter() - t
    return Built(n_scenes, vault_dir, repo, at, base.hex(), details)


# ------------------------------------------------------------------ checking a merge


def check_merge(vault: Vault, built: Built, result: MergeResult, the_cases: list[Case]) -> dict[str, Any]:
    """Raise BenchError unless every disjoint edit merged and every overlapping edit (and nothing else) conflicted."""
    from comfyvn_vault.domain.entities import Scene
    from comfyvn_vault.domain.paths import CONFLICTS, scene_path
    from comfyvn_vault.worktree.format import file_of, render

    if result.kind != "merge" or result.commit is None:
        raise BenchError(f"merge of {built.scenes} scenes: expected a merge commit, got {result.kind}")
    h = vault.history
    head = h.head()
    if head is None or head.hex() != result.commit:
        raise BenchError("the merge commit is not HEAD")
    tree = h.tree_of(head)
    assert tree is not None
    problems: list[str] = []
    want = {(scene_path(scene_id(built.at[c.name])), c.conflict) for c in the_cases if c.conflict}
    got = {(c.path, c.locator) for c in result.conflicts}
    problems += [f"overlapping edit not reported as a conflict: {p} {loc}" for p, loc in sorted(want - got)]
    problems += [f"unexpected conflict (a disjoint edit did not merge): {p} {loc}" for p, loc in sorted(got - want)]
    recorded = {(c.path, c.locator) for c in vault.conflicts(tree)}
    # Conflicted files show their markers; lines merged word by word are recorded for review too.
    marks = vault.worktree.marks(tree)
    n_records = sum(len(cs) for cs in marks.values())
    if recorded != got:
        problems.append(f"the merge commit's tree records {len(recorded)} conflicts, the merge reported {len(got)}")
    for case in the_cases:
        i = built.at[case.name]
        merged = h.entity(tree, scene_path(scene_id(i)))
        if not isinstance(merged, Scene):
            problems.append(f"{case.name}: scene {scene_id(i)} is missing after the merge")
            continue
        problems += [f"{case.name} ({scene_id(i)}): {p}" for p in case.check(make_scene(i), merged)]
        on_disk = (built.vault / file_of(scene_path(scene_id(i)))).read_text()
        if on_disk != render(merged, marks.get(scene_path(scene_id(i)), ())):
            problems.append(f"{case.name}: the working-copy file of {scene_id(i)} does not show the merged scene")
    ours_tree = h.tree_of(h.commit(head).parents[0])
    assert ours_tree is not None
    changed = {p for p, _, _ in h.trees.diff(ours_tree, tree) if not p.startswith(CONFLICTS + "/")}
    touched = {scene_path(scene_id(built.at[c.name])) for c in the_cases}
    if not changed <= touched:
        problems.append(f"the merge changed scenes neither side touched: {sorted(changed - touched)[:5]}")
    if h.trees.count(tree) != h.trees.count(ours_tree) + n_records:
        problems.append("the merged story does not hold as many documents as ours plus the conflicts and reviews")
    if problems:
        raise BenchError(f"merge of {built.scenes} scenes: " + "; ".join(problems))
    return {"conflicts": sorted(f"{p} {loc}" for p, loc in got), "scenes_changed_on_ours": len(changed)}


# ------------------------------------------------------------------ git merge


@dataclass
class GitMerge:
    seconds: float
    files: list[str]
    hunks: dict[str, int]


def git_merge(repo: Path, env: dict[str, str]) -> GitMerge:
    timed = run_timed(["git", "merge", "-q", "--no-edit", BRANCH], repo, env, ok=(0, 1))
    out = run_timed(["git", "diff", "--name-only", "--diff-filter=U"], repo, env).stdout
    files = sorted(line for line in out.splitlines() if line)
    if timed.returncode == 1 and not files:
        raise BenchError(f"git merge exited 1 with no conflicted file: {timed.stderr.strip()[-300:]}")
    hunks = {f: sum(line.startswith("<<<<<<<") for line in (repo / f).read_text().splitlines()) for f in files}
    return GitMerge(timed.seconds, files, hunks)


def git_undo_merge(repo: Path, env: dict[str, str], conflicted: bool) -> None:
    if conflicted:
        run_timed(["git", "merge", "--abort"], repo, env)
    else:
        run_timed(["git", "reset", "-q", "--hard", "HEAD~1"], repo, env)


def scene_file(i: int) -> str:
    return f"scenes/{scene_id(i)}.toml"


def git_clean_files_agree(vault: Vault, built: Built, merged_tree: ObjectId, conflicted: list[str]) -> dict[str, Any]:
    """For the changed scenes git merged without a conflict: is git's file comfyvn's merged scene, byte for byte?"""
    from comfyvn_vault.domain.paths import scene_path
    from comfyvn_vault.worktree.format import render

    same: list[str] = []
    differ: list[str] = []
    for name, i in built.at.items():
        if scene_file(i) in conflicted:
            continue
        merged = vault.history.entity(merged_tree, scene_path(scene_id(i)))
        assert merged is not None
        (same if (built.git / scene_file(i)).read_text() == render(merged) else differ).append(name)
    return {"identical": sorted(same), "different": sorted(differ)}


# ------------------------------------------------------------------ profiling


def profile_summary(profile: cProfile.Profile, top: int = 12) -> dict[str, Any]:
    """comfyvn's functions with the most cumulative and the most self time in one profiled merge."""
    stats = pstats.Stats(profile)
    total: float = stats.total_tt  # type: ignore[attr-defined]
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    for (filename, line, name), (_cc, calls, self_s, cum_s, _callers) in raw.items():
        if "/comfyvn_vault/" in filename:
            where = f"{filename.split('/comfyvn_vault/')[-1]}:{line}({name})"
        else:
            where = f"{filename.rsplit('/', 1)[-1]}:{line}({name})" if line else name
        rows.append({"function": where, "calls": calls, "self_ms": self_s * 1000, "cumulative_ms": cum_s * 1000})
    ours = [r for r in rows if ".py:" in r["function"] and not r["function"].startswith(("{", "<"))]
    return {
        "total_ms": total * 1000,
        "top_cumulative": sorted(ours, key=lambda r: r["cumulative_ms"], reverse=True)[:top],
        "top_self": sorted(rows, key=lambda r: r["self_ms"], reverse=True)[:top],
    }


# ------------------------------------------------------------------ the benchmark


def _ms(samples: list[float]) -> list[float]:
    return [round(s * 1000, 2) for s in samples]


def merge_core(vault: Vault) -> int:
    """What ``merge.merge`` computes before it writes: the merge base and the three-way merge of every
    path that differs (no working-copy check, no commit, no files). Returns the number of events."""
    from comfyvn_vault.api import merge
    from comfyvn_vault.domain.events import Cause

    h = vault.history
    ours, theirs = h.head(), h.resolve_rev(BRANCH)
    assert ours is not None
    bases = h.merge_bases(ours, theirs)
    events, _conflicts, _reviews = merge._three_way(
        vault, bases[0], ours, theirs, Cause(kind="merge", ref=theirs.hex())
    )
    return len(events)


def _sample_rounds(
    builts: list[Built], sizes: MergeSizes, the_cases: list[Case], git_env: dict[str, str], out: dict[int, Any]
) -> None:
    """``sizes.samples`` rounds; in each, every size is merged once through the API and once by git, then undone.

    Then, on the largest story, one more merge under cProfile, and timings of the working-copy scan alone.
    """
    from comfyvn_vault.api import merge
    from comfyvn_vault.vault import Vault

    vaults = {b.scenes: Vault.open(b.vault) for b in builts}
    try:
        for k in range(sizes.samples):
            time.sleep(RACY_WAIT_S)  # every file older than the stat cache's racy window, as a user's are
            log(f"merge: round {k + 1}/{sizes.samples} (API merge + git merge at {', '.join(map(str, vaults))} scenes)")
            for b in builts:
                vault, rec = vaults[b.scenes], out[b.scenes]
                t, cpu = time.perf_counter(), time.process_time()
                result = merge.merge(vault, BRANCH, "Merge theirs")
                rec["api_s"].append(time.perf_counter() - t)
                rec["api_cpu_s"].append(time.process_time() - cpu)
                if k == 0:
                    rec["checked"] = check_merge(vault, b, result, the_cases)
                    rec["events"] = result.events
                elif len(result.conflicts) != len(rec["checked"]["conflicts"]):
                    raise BenchError(f"merge {k + 1} of {b.scenes} scenes reported {len(result.conflicts)} conflicts")
                rec["api_conflicts"] = len(result.conflicts)
                merged_tree = rec["api_tree"] = vault.checkout_tree()
                assert merged_tree is not None
                merge.abort(vault)
                g = git_merge(b.git, git_env)
                rec["git_s"].append(g.seconds)
                if k == 0:
                    rec["git_files"], rec["git_hunks"] = g.files, g.hunks
                    rec["git_clean_files"] = git_clean_files_agree(vault, b, merged_tree, g.files)
                git_undo_merge(b.git, git_env, bool(g.files))
        largest = builts[-1]
        vault = vaults[largest.scenes]
        time.sleep(RACY_WAIT_S)
        profile = cProfile.Profile()
        profile.enable()
        merge.merge(vault, BRANCH, "Merge theirs (profiled)")
        profile.disable()
        merge.abort(vault)
        out[largest.scenes]["profile"] = profile_summary(profile)
        time.sleep(RACY_WAIT_S)
        for b in builts:
            scans, cores = [], []
            for _ in range(sizes.samples):
                t = time.perf_counter()
                if vaults[b.scenes].changes():
                    raise BenchError(f"the working copy of the {b.scenes}-scene vault is not clean")
                scans.append(time.perf_counter() - t)
                t = time.perf_counter()
                events = merge_core(vaults[b.scenes])
                cores.append(time.perf_counter() - t)
                if events != out[b.scenes]["events"]:
                    raise BenchError(f"merge core: {events} events, the merge recorded {out[b.scenes]['events']}")
            out[b.scenes]["scan_s"], out[b.scenes]["core_s"] = scans, cores
    finally:
        for v in vaults.values():
            v.close()


def _cli_merge(ctx: Context, built: Built, api_tree: ObjectId | None) -> dict[str, Any]:
    """``comfyvn merge theirs --json`` once (exit 1: conflicts recorded), checked against the API's merge."""
    from comfyvn_vault.store.ids import ObjectId
    from comfyvn_vault.vault import Vault

    env = ctx.env.comfyvn()
    env["COMFYVN_AUTHOR"] = AUTHOR
    time.sleep(RACY_WAIT_S)
    timed = run_timed([comfyvn_bin(), "merge", BRANCH, "--json"], built.vault, env, ok=(0, 1))
    doc = json.loads(timed.stdout)
    if timed.returncode != 1 or doc.get("kind") != "merge" or not doc.get("commit"):
        raise BenchError(f"comfyvn merge exited {timed.returncode} with {timed.stdout.strip()[:300]}")
    with Vault.open(built.vault) as vault:
        tree = vault.history.tree_of(ObjectId.from_hex(doc["commit"]))
    if tree != api_tree:
        raise BenchError(f"comfyvn merge (CLI) of {built.scenes} scenes made a different tree than merge.merge")
    return {"seconds": timed.seconds, "cpu_seconds": timed.cpu_seconds, "conflicts": len(doc["conflicts"])}


def run_merge(ctx: Context) -> BenchResult:
    sizes = MergeSizes.of(ctx.quick)
    result = BenchResult("merge")
    the_cases = cases()
    with fixed_author():
        builts = [build(ctx, n) for n in sizes.scenes]
        out: dict[int, Any] = {n: {"api_s": [], "api_cpu_s": [], "git_s": []} for n in sizes.scenes}
        _sample_rounds(builts, sizes, the_cases, ctx.env.git(), out)
        log("merge: comfyvn merge theirs --json (CLI) once per size")
        # A refused `merge --abort` (the last operation is an undo) changes nothing but imports the merge
        # modules, so their bytecode is cached before either timed CLI merge.
        run_timed([comfyvn_bin(), "merge", "--abort"], builts[0].vault, ctx.env.comfyvn(), ok=(3,))
        for b in builts:
            out[b.scenes]["cli"] = _cli_merge(ctx, b, out[b.scenes]["api_tree"])

    small, big = sizes.scenes
    api = {n: median_ms(out[n]["api_s"]) for n in sizes.scenes}
    git = {n: median_ms(out[n]["git_s"]) for n in sizes.scenes}
    ratio, git_ratio = api[big] / api[small], git[big] / git[small]
    core = {n: median_ms(out[n]["core_s"]) for n in sizes.scenes}
    scan = {n: median_ms(out[n]["scan_s"]) for n in sizes.scenes}
    core_ratio = core[big] / core[small]
    cpu = {n: median_ms(out[n]["api_cpu_s"]) for n in sizes.scenes}
    change = f"10+10 changed scenes, {NODES} nodes each"
    runs = f"median of {sizes.samples}"
    result.rows.append(
        Row(
            f"merge, {small:,}-scene story, {change} (API merge.merge; {runs})",
            "ms",
            api[small],
            "git merge",
            git[small],
            target="(baseline)",
            met=None,
            higher_is_better=False,
        )
    )
    result.rows.append(
        Row(
            f"merge, {big:,}-scene story, same changes (API merge.merge; {runs})",
            "ms",
            api[big],
            "git merge",
            git[big],
            target=f"<= {SCALE_MAX_RATIO}x the {small:,}-scene merge",
            met=ratio <= SCALE_MAX_RATIO,
            higher_is_better=False,
            note=f"{ratio:.2f}x the {small:,}-scene merge (CPU time {cpu[big] / cpu[small]:.2f}x; "
            f"git {git_ratio:.2f}x)",
        )
    )
    result.rows.append(
        Row(
            f"merge core at {big:,} scenes: merge base + three-way merge, no I/O ({runs})",
            "ms",
            core[big],
            "git (no equivalent)",
            None,
            target=f"<= {SCALE_MAX_RATIO}x the {small:,}-scene core",
            met=core_ratio <= SCALE_MAX_RATIO,
            higher_is_better=False,
            note=f"{core_ratio:.2f}x the {small:,}-scene core ({core[small]:.1f} ms); the clean-working-copy "
            f"check merge runs first takes {scan[big]:.0f} ms at {big:,} scenes, {scan[small]:.0f} ms at {small:,}",
        )
    )
    result.rows.append(
        Row(
            f"comfyvn merge {BRANCH} --json, {big:,}-scene story (CLI, start-up included; once)",
            "ms",
            out[big]["cli"]["seconds"] * 1000,
            "git merge",
            git[big],
            target="(reported)",
            met=None,
            higher_is_better=False,
            note=f"{small:,} scenes: {out[small]['cli']['seconds'] * 1000:.0f} ms",
        )
    )
    expected = sum(1 for c in the_cases if c.conflict)
    comfy_conflicts = out[big]["api_conflicts"]
    git_files, git_hunks = out[big]["git_files"], out[big]["git_hunks"]
    conflicted_scenes = {scene_file(builts[-1].at[c.name]) for c in the_cases if c.conflict}
    false_files = [f for f in git_files if f not in conflicted_scenes]
    false_hunks = sum(git_hunks[f] for f in false_files)
    result.rows.append(
        Row(
            f"conflicts reported for the same edits ({expected} overlapping, 6 disjoint in shared scenes)",
            "conflicts",
            float(comfy_conflicts),
            "git merge (conflict hunks)",
            float(sum(git_hunks.values())),
            target=f"= {expected} (the overlapping edits)",
            met=comfy_conflicts == expected,
            higher_is_better=False,
            note=f"git: {len(git_files)} conflicted files, {len(false_files)} of them false "
            f"({false_hunks} hunks in scenes comfyvn merged cleanly)",
        )
    )
    by_name = {c.name: c for c in the_cases}
    case_of = {b.scenes: {scene_file(i): name for name, i in b.at.items()} for b in builts}
    result.details = {
        "story": {"scenes": list(sizes.scenes), "nodes_per_scene": NODES, "changed_scenes_per_side": 10},
        "cases": {
            c.name: {"edit": c.what, "expected": f"conflict at {c.conflict}" if c.conflict else "merges cleanly"}
            for c in the_cases
        },
        "scale_ratio": ratio,
        "cpu_scale_ratio": cpu[big] / cpu[small],
        "core_scale_ratio": core_ratio,
        "worktree_scan_scale_ratio": scan[big] / scan[small],
        "git_scale_ratio": git_ratio,
        "by_size": {
            n: {
                "setup": next(b.details for b in builts if b.scenes == n),
                "api_ms": _ms(out[n]["api_s"]),
                "api_median_ms": api[n],
                "api_first_ms": round(out[n]["api_s"][0] * 1000, 2),
                "api_cpu_ms": _ms(out[n]["api_cpu_s"]),
                "api_cpu_median_ms": cpu[n],
                "events_in_merge_commit": out[n]["events"],
                "worktree_scan_ms": _ms(out[n]["scan_s"]),
                "worktree_scan_median_ms": scan[n],
                "merge_core_ms": _ms(out[n]["core_s"]),
                "merge_core_median_ms": core[n],
                "cli": out[n]["cli"],
                "git_ms": _ms(out[n]["git_s"]),
                "git_median_ms": git[n],
                "comfyvn_conflicts": out[n]["checked"]["conflicts"],
                "git_conflicted_files": {
                    f: {"hunks": out[n]["git_hunks"][f], "case": case_of[n].get(f)} for f in out[n]["git_files"]
                },
                "git_clean_merged_scenes_vs_comfyvn": out[n]["git_clean_files"],
            }
            for n in sizes.scenes
        },
        "git_false_conflicts": {
            "files": len(false_files),
            "hunks": false_hunks,
            "cases": sorted(
                name
                for name, i in builts[-1].at.items()
                if scene_file(i) in false_files and by_name[name].conflict is None
            ),
        },
        "profile_of_one_merge_at_largest_size": out[big]["profile"],
        "notes": [
            "API: one Vault per size kept open; each merge is undone with merge.abort and the files are left "
            f"{RACY_WAIT_S} s to age before the next, so merge's clean-working-copy check sees a settled checkout.",
            "The merge time includes the clean-working-copy check (a stat of every scene file, worktree_scan_ms), "
            "the three-way merge, the durable merge commit and rewriting the merged scenes' files.",
            "git: the same base/ours/theirs scene files (comfyvn's renderer), `git merge -q --no-edit theirs`, "
            "undone with `git merge --abort`.",
        ],
    }
    return result
