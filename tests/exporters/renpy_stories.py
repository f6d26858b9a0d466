"""Random stories for the Ren'Py exporter's tests: scenes of lines, menus, weighted picks, conditions,
effects and directives, with any text at all, as documents a story view holds."""

from __future__ import annotations

from hypothesis import strategies as st

from comfyvn_vault.domain.document import Document
from comfyvn_vault.domain.entities import Character, Choice, Node, Scene, Timeline, Variable
from comfyvn_vault.domain.paths import entity_path

CONDITIONS = ["trust > 1", "not seen", 'name == "x" or trust <= -2', "scene.count >= 0", "true", "false"]
EFFECTS = ["trust += 1", "seen = true", 'name = name + "!"', "scene.count += 2; trust -= 1"]
TEXT = st.text(max_size=60)
VARIABLES = [
    Variable(id="trust", name="trust", value=0),
    Variable(id="seen", name="seen", value=False, scope="session"),
    Variable(id="name", name="name", value="Sam [the] {b}"),
    Variable(id="count", name="count", value=1, scope="scene"),
]


@st.composite
def stories(draw: st.DrawFn, max_scenes: int = 5, max_nodes: int = 6) -> dict[str, Document]:
    """Path → document: characters, variables, scenes whose links all name something, a timeline."""
    names = draw(st.lists(TEXT.filter(str.strip), min_size=1, max_size=3, unique_by=str.casefold))
    characters = [Character(id=f"c{i}", name=name) for i, name in enumerate(names)]
    n_scenes = draw(st.integers(1, max_scenes))
    sizes = [draw(st.integers(1, max_nodes)) for _ in range(n_scenes)]
    ids = [f"s{i}" for i in range(n_scenes)]
    targets = [f"{sid}:" for sid in ids] + [f"{sid}:n{j}" for sid, size in zip(ids, sizes, strict=True)
                                            for j in range(size)]  # fmt: skip
    speakers = st.one_of(st.none(), st.sampled_from([c.id for c in characters]), TEXT.filter(str.strip))
    docs: dict[str, Document] = {}
    for c in characters:
        docs[entity_path("characters", c.id)] = c
    for v in VARIABLES:
        docs[entity_path("variables", v.id)] = v
    for sid, size in zip(ids, sizes, strict=True):
        nodes = []
        for j in range(size):
            kind = draw(st.sampled_from(["text", "text", "choice", "action"]))
            conditions = draw(st.lists(st.sampled_from(CONDITIONS), max_size=2))
            effects = draw(st.none() | st.sampled_from(EFFECTS))
            nxt = draw(st.lists(st.sampled_from(targets), max_size=1))
            if kind == "choice":
                weighted = draw(st.booleans())
                choices = [
                    Choice(
                        id=f"c{k}",
                        text=draw(TEXT),
                        target=draw(st.sampled_from(targets)),
                        condition=draw(st.none() | st.sampled_from(CONDITIONS)),
                        effects=draw(st.none() | st.sampled_from(EFFECTS)),
                        weight=draw(st.integers(0, 5)) if weighted and draw(st.booleans()) else None,
                    )
                    for k in range(draw(st.integers(0, 3)))
                ]
                node = Node(id=f"n{j}", type="choice", speaker=draw(speakers), content=draw(TEXT), choices=choices,
                            conditions=conditions, effects=effects)  # fmt: skip
            elif kind == "action":
                directives = draw(st.dictionaries(st.sampled_from(["scene", "show", "mood", "end"]), TEXT, max_size=2))
                node = Node(id=f"n{j}", type="action", content=draw(TEXT), directives=directives, next=nxt,
                            conditions=conditions, effects=effects)  # fmt: skip
            else:
                node = Node(id=f"n{j}", speaker=draw(speakers), content=draw(TEXT), next=nxt, conditions=conditions,
                            effects=effects)  # fmt: skip
            nodes.append(node)
        docs[entity_path("scenes", sid)] = Scene(id=sid, title=draw(TEXT), nodes=nodes)
    order = draw(st.permutations(ids))
    docs[entity_path("timelines", "main")] = Timeline(id="main", name="Main", scene_order=list(order))
    return docs
