"""``comfyvn import bundle``: ComfyVN studio packs into scenes, characters, timelines, variables and assets.

A zip whose ``manifest.json`` says ``comfyvn-bundle@1`` (what ``export bundle``
writes) is restored exactly instead (:mod:`.bundle_restore`).

:mod:`.bundle_pack` reads the pack; this module maps its documents:

* **scenes** in three shapes: roleplay scenes (nodes whose ``content`` is
  ``{"speaker", "text"}``), ScenarioSpec scenes (``line``, ``choice``, ``jump``,
  ``set`` and ``end`` nodes, choices with ``next``, ``weight``, ``conditions``
  and ``set``, and typed ``variables``), and this project's own
  (``text``/``choice``/``action`` nodes with string content). A ``jump`` is an
  action node leading to its target; ``set`` an action node with a ``set``
  directive (``name = value``, values as JSON); ``end`` an action node with an
  ``end`` directive; a choice's ``set`` an action node between the choice and
  its target. A node type nobody knows is kept as an action node holding the
  node's JSON, with a finding.
* **characters** (``characters/*.json``, ``character.json``): name, traits
  (string fields such as ``description`` too), portrait and expressions naming
  assets of the pack.
* **timelines**: a name and the scenes in order.

Ids are the pack's when they are valid and free in the story; otherwise a fresh
one is chosen (a finding says so) and every link to it follows. Speakers are
characters by id or by name, created when the story has none. Every scene
points at the source (``meta["source_asset"]``) and names its file; every node
names the pack node it came from (``meta["source_node"]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.importer import Source
from comfyvn_vault.adapters.plan import Plan, PlanBuilder, local_only
from comfyvn_vault.domain.assets import AssetMeta
from comfyvn_vault.domain.entities import Character, Choice, MetaValue, Node, Scene, Timeline, Variable
from comfyvn_vault.domain.naming import fresh_id, next_numbered, slug
from comfyvn_vault.domain.paths import CHARACTERS, SCENES, TIMELINES, VARIABLES, id_problem
from comfyvn_vault.domain.validate import Lookup
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.exporters.bundle_format import BUNDLE_SCHEMA
from comfyvn_vault.importers.bundle_pack import MediaFile, Pack, open_pack, read_pack
from comfyvn_vault.importers.bundle_read import is_bundle, read_bundle
from comfyvn_vault.importers.bundle_restore import plan_restore

#: Character fields kept as traits when they are strings.
TRAIT_FIELDS: Final = ("description", "personality", "scenario", "backstory", "voice", "notes", "role")
TEXT_MAX: Final = 1 << 20


class BundleOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a pack imports."""

    keep_ids: bool = True
    """Keep the pack's ids where they are valid and free (else every id is made fresh from its title)."""


class BundleImporter:
    """Imports a ComfyVN studio pack (see the module docstring)."""

    info: Final = AdapterInfo("bundle", "1")
    options_type: Final = BundleOptions

    def plan(self, source: Source, options: BundleOptions, lookup: Lookup) -> Plan:
        opened = open_pack(source)
        if is_bundle(opened.manifest):
            if not options.keep_ids:
                raise InputRejected(f"a {BUNDLE_SCHEMA} restores its own ids: drop keep_ids")
            bundle = read_bundle(opened.files, source.name or "the bundle", opened.manifest)
            return plan_restore(bundle, PlanBuilder(self.info, lookup, source.name))
        pack = read_pack(source, opened)
        return _Planner(pack, source.name or "pack", options, PlanBuilder(self.info, lookup, source.name)).run()


class _Planner:
    def __init__(self, pack: Pack, where: str, options: BundleOptions, builder: PlanBuilder) -> None:
        self.pack, self.where, self.options, self.b = pack, where, options, builder
        self.assets: dict[str, str] = {}  # pack path -> asset id
        self.characters: dict[str, str] = {}  # pack id or casefolded name -> character id
        self.scene_ids: dict[str, str] = {}  # pack scene id -> story scene id
        self.source_asset = ""

    def run(self) -> Plan:
        zipped = self.pack.source_bytes.startswith(b"PK")
        kept = self.pack.source_bytes
        if zipped:
            self.source_asset = self.b.add_source(kept, kind="other", mime="application/zip").id
        else:
            self.source_asset = self.b.add_source(kept, kind="text", mime="application/json").id
        for media in self.pack.media:
            self._asset(media)
        scenes, characters, timelines = self._sorted_documents()
        for path, doc in characters:
            self._character(path, doc)
        for path, doc in scenes:  # every id first: a link may name a scene planned after it
            self.scene_ids[self._pack_id(doc, path)] = self._fresh(SCENES, doc, path)
        finals = [self._scene(path, doc) for path, doc in scenes]
        for scene in finals:  # links into other scenes' nodes, now that every node exists
            self.b.save(scene)
        for path, doc in timelines:
            self._timeline(path, doc)
        return self.b.build()

    # -- documents

    def _sorted_documents(self) -> tuple[list[tuple[str, dict[str, Any]]], ...]:
        scenes, characters, timelines = [], [], []
        for path, doc in sorted(self.pack.documents.items()):
            if isinstance(doc, bytes):
                self.assets[path] = self.b.add_asset(
                    doc, kind="text", mime="text/plain", name=path, source=self.where
                ).id
                continue
            if not isinstance(doc, dict):
                raise InputRejected(f"{self.where}: {path}: not a JSON object")
            folder = path.split("/", 1)[0]
            if folder == SCENES or (folder not in (CHARACTERS, TIMELINES) and "nodes" in doc):
                scenes.append((path, doc))
            elif folder == TIMELINES or isinstance(doc.get("scene_order"), list):
                timelines.append((path, doc))
            elif folder == CHARACTERS or path.endswith("character.json") or "name" in doc:
                characters.append((path, doc))
            else:
                self.b.note("not a scene, character or timeline: skipped", path)
        return scenes, characters, timelines

    def _pack_id(self, doc: dict[str, Any], path: str) -> str:
        raw = doc.get("id")
        if isinstance(raw, (str, int)) and not isinstance(raw, bool) and str(raw):
            return str(raw)
        stem = path.rsplit("/", 1)[-1].removesuffix(".json")
        return stem if stem != "character" else path.rsplit("/", 2)[-2] if "/" in path else stem

    def _fresh(self, folder: str, doc: dict[str, Any], path: str) -> str:
        wanted = self._pack_id(doc, path)
        title = _text(doc.get("title") or doc.get("name"), "") or wanted
        base = wanted if self.options.keep_ids and id_problem(wanted) is None else slug(title, folder[:-1])
        chosen = fresh_id(self.b.taken(folder), base)
        if chosen != wanted:
            self.b.note(f"{folder[:-1]} id {wanted[:60]!r} is taken or not an id: imported as {chosen!r}", path)
        return chosen

    def _character(self, path: str, doc: dict[str, Any]) -> None:
        name = _text(doc.get("name"), "") or self._pack_id(doc, path)
        existing = self._existing_character(name)
        if existing is not None:
            self._remember_character(doc, path, name, existing)
            return
        cid = self._fresh(CHARACTERS, doc, path)
        traits = (
            {k: v for k, v in (doc.get("traits") or {}).items() if isinstance(v, str)}
            if isinstance(doc.get("traits"), dict)
            else {}
        )
        traits.update({k: doc[k] for k in TRAIT_FIELDS if isinstance(doc.get(k), str) and doc[k]})
        portrait = self._asset_ref(doc.get("portrait") or doc.get("portrait_asset"), path)
        expressions: dict[str, str] = {}
        if isinstance(doc.get("expressions"), dict):
            for label, ref in doc["expressions"].items():
                asset = self._asset_ref(ref, path)
                if asset is not None and isinstance(label, str) and label:
                    expressions[label] = asset
        meta: dict[str, MetaValue] = {"source": path, "source_asset": self.source_asset}
        self.b.save(
            Character(id=cid, name=name, traits=traits, portrait_asset_id=portrait, expressions=expressions, meta=meta)
        )
        self._remember_character(doc, path, name, cid)

    def _existing_character(self, name: str) -> str | None:
        sid = slug(name, "character")
        found = self.b.current(f"{CHARACTERS}/{sid}")
        return sid if isinstance(found, Character) and found.name.casefold() == name.casefold() else None

    def _remember_character(self, doc: dict[str, Any], path: str, name: str, cid: str) -> None:
        self.characters[self._pack_id(doc, path)] = cid
        self.characters[name.casefold()] = cid

    def _speaker(self, raw: object, where: str) -> str | None:
        name = _text(raw, "")
        if not name:
            return None
        known = self.characters.get(name) or self.characters.get(name.casefold())
        if known is not None:
            return known
        cid = self._existing_character(name) or fresh_id(self.b.taken(CHARACTERS), slug(name, "character"))
        if self.b.current(f"{CHARACTERS}/{cid}") is None:
            self.b.save(Character(id=cid, name=name, meta={"source_asset": self.source_asset}))
            self.b.note(f"speaker {name[:60]!r} has no character file: made one", where)
        self.characters[name.casefold()] = cid
        return cid

    # -- scenes

    def _scene(self, path: str, doc: dict[str, Any]) -> Scene:
        """Plan the scene without its links into other scenes (:func:`local_only`); return the full scene."""
        sid = self.scene_ids[self._pack_id(doc, path)]
        raw_nodes = doc.get("nodes")
        if not isinstance(raw_nodes, list):
            raise InputRejected(f"{self.where}: {path}: 'nodes' is not a list")
        ids = _NodeIds(raw_nodes)
        nodes: list[Node] = []
        for index, raw in enumerate(raw_nodes):
            if not isinstance(raw, dict):
                raise InputRejected(f"{self.where}: {path}: node {index} is not a JSON object")
            nodes.extend(self._nodes(raw, index, ids, path))
        self._variables(doc.get("variables"), path)
        meta: dict[str, MetaValue] = {"source": path, "source_asset": self.source_asset}
        scene = Scene(id=sid, title=_title(doc), nodes=nodes, meta=meta)
        self.b.save(msgspec.structs.replace(scene, nodes=[local_only(n, sid) for n in nodes]))
        return scene

    def _nodes(self, raw: dict[str, Any], index: int, ids: _NodeIds, path: str) -> Iterator[Node]:
        nid = ids.of(index)
        where = f"{path} node {index}"
        meta: dict[str, MetaValue] = {"source_node": index}
        if raw.get("id") is not None and str(raw.get("id")) != nid:
            meta["source_id"] = str(raw["id"])[:200]
        kind = raw.get("type")
        content = raw.get("content")
        nexts = self._targets(raw.get("next"), ids, where)
        conditions = _conditions(raw.get("conditions", raw.get("condition")), where)
        if isinstance(content, dict):  # roleplay: {"speaker", "text"}
            speaker = self._speaker(content.get("speaker"), where)
            text = _text(content.get("text"), where)
            yield Node(id=nid, speaker=speaker, content=text, next=nexts, conditions=conditions, meta=meta)
        elif kind in ("line", "say", "text", None):
            speaker = self._speaker(raw.get("speaker") or raw.get("character"), where)
            text = _text(raw.get("text", content if isinstance(content, str) else ""), where)
            yield Node(id=nid, speaker=speaker, content=text, next=nexts, conditions=conditions, meta=meta)
        elif kind == "choice":
            choices, extra = self._choices(raw.get("choices"), nid, ids, where)
            prompt = _text(raw.get("text", content if isinstance(content, str) else ""), where)
            yield Node(id=nid, type="choice", content=prompt, choices=choices, conditions=conditions, meta=meta)
            yield from extra
        elif kind == "jump":
            target = self._targets(raw.get("target", raw.get("next")), ids, where)
            yield Node(id=nid, type="action", directives={"jump": ", ".join(target)}, next=target, meta=meta)
        elif kind == "set":
            yield Node(id=nid, type="action", directives={"set": _assignments(raw, where)}, next=nexts, meta=meta)
        elif kind == "end":
            yield Node(id=nid, type="action", directives={"end": "true"}, meta=meta)
        elif kind == "action":
            directives = (
                {str(k): str(v) for k, v in (raw.get("directives") or {}).items()}
                if isinstance(raw.get("directives"), dict)
                else {}
            )
            yield Node(id=nid, type="action", content=_text(content or "", where), directives=directives,
                       next=nexts, conditions=conditions, meta=meta)  # fmt: skip
        else:
            self.b.note(f"node type {str(kind)[:40]!r} is not known: kept as an action holding its JSON", where)
            kept = msgspec.json.encode(raw).decode()[:TEXT_MAX]
            yield Node(id=nid, type="action", content=kept, next=nexts, meta={**meta, "source_type": str(kind)[:60]})

    def _choices(self, raw: object, nid: str, ids: _NodeIds, where: str) -> tuple[list[Choice], list[Node]]:
        if not isinstance(raw, list) or not raw:
            raise InputRejected(f"{self.where}: {where}: a choice node needs a list of choices")
        choices: list[Choice] = []
        extra: list[Node] = []
        taken: set[str] = set()
        for i, c in enumerate(raw):
            if not isinstance(c, dict):
                raise InputRejected(f"{self.where}: {where}: choice {i} is not a JSON object")
            cid = next_numbered(taken, "c")
            taken.add(cid)
            targets = self._targets(c.get("next", c.get("target")), ids, f"{where} choice {i}")
            if not targets:
                self.b.note("a choice leads nowhere: it ends the story", f"{where} choice {i}")
                end = ids.extra(f"{nid}-{cid}-end")
                extra.append(Node(id=end, type="action", directives={"end": "true"}))
                targets = [end]
            target = targets[0]
            if c.get("set") is not None:
                step = ids.extra(f"{nid}-{cid}-set")
                sets = _assignments({"set": c["set"]}, f"{where} choice {i}")
                extra.append(Node(id=step, type="action", directives={"set": sets}, next=[target]))
                target = step
            weight = c.get("weight")
            if weight is not None and (not isinstance(weight, int) or isinstance(weight, bool) or weight < 0):
                self.b.note(f"weight {str(weight)[:20]!r} is not a whole number of 0 or more: dropped", where)
                weight = None
            condition = " and ".join(_conditions(c.get("conditions", c.get("condition")), where)) or None
            choices.append(Choice(id=cid, text=_text(c.get("text", ""), where), target=target,
                                  condition=condition, weight=weight))  # fmt: skip
        return choices, extra

    def _targets(self, raw: object, ids: _NodeIds, where: str) -> list[str]:
        values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        out: list[str] = []
        for value in values:
            if not isinstance(value, str) or not value:
                continue
            if value in ids:
                out.append(ids.node(value))
            elif value in self.scene_ids:
                out.append(f"{self.scene_ids[value]}:")
            elif ":" in value and value.split(":", 1)[0] in self.scene_ids:
                scene, node = value.split(":", 1)
                out.append(f"{self.scene_ids[scene]}:{node}")
            else:
                self.b.note(f"link {value[:60]!r} names no node or scene of the pack: dropped", where)
        return out

    def _variables(self, raw: object, path: str) -> None:
        items: list[tuple[str, object]] = []
        if isinstance(raw, dict):
            items = [(str(k), v) for k, v in raw.items()]
        elif isinstance(raw, list):
            items = [(str(v.get("name", "")), v) for v in raw if isinstance(v, dict)]
        elif raw is not None:
            raise InputRejected(f"{self.where}: {path}: 'variables' is not an object or a list")
        for name, spec in items:
            if not name:
                continue
            value = _typed_value(spec, f"{self.where}: {path}: variable {name[:40]!r}")
            vid = slug(name, "variable")
            if self.b.current(f"{VARIABLES}/{vid}") is not None:
                self.b.note(f"variable {name[:40]!r} already exists: kept as it is", path)
                continue
            self.b.save(Variable(id=vid, name=name[:200], value=value, meta={"source": path}))

    def _timeline(self, path: str, doc: dict[str, Any]) -> None:
        tid = self._fresh(TIMELINES, doc, path)
        order = doc.get("scene_order", doc.get("scenes", []))
        if not isinstance(order, list):
            raise InputRejected(f"{self.where}: {path}: scene_order is not a list")
        scenes = [self.scene_ids[s] for s in order if isinstance(s, str) and s in self.scene_ids]
        if len(scenes) != len(order):
            self.b.note("scenes the pack does not hold were left out of the timeline", path)
        self.b.save(Timeline(id=tid, name=_text(doc.get("name") or doc.get("title"), "") or tid, scene_order=scenes,
                             meta={"source": path}))  # fmt: skip

    # -- assets

    def _asset(self, media: MediaFile) -> None:
        kind = media.mime.split("/", 1)[0]
        meta = AssetMeta(license=media.license, nsfw=media.nsfw, tags=sorted(set(media.tags)), origin=self.where)
        asset = self.b.add_asset(
            media.data,
            kind=kind if kind in ("image", "audio", "video", "text") else "other",  # type: ignore[arg-type]
            mime=media.mime,
            name=media.path.rsplit("/", 1)[-1],
            meta=meta,
            source=f"{self.where}:{media.path}",
        )
        self.assets[media.path] = asset.id

    def _asset_ref(self, raw: object, where: str) -> str | None:
        if not isinstance(raw, str) or not raw:
            return None
        for candidate in (raw.strip("/"), f"assets/{raw.strip('/')}"):
            if candidate in self.assets:
                return self.assets[candidate]
        self.b.note(f"asset {raw[:80]!r} is not in the pack: left out", where)
        return None


class _NodeIds:
    """Node ids of one scene: the pack's where valid and unique, else ``n1``, ``n2``…; links follow."""

    def __init__(self, raw_nodes: list[Any]) -> None:
        self._by_index: dict[int, str] = {}
        self._by_pack: dict[str, str] = {}
        taken: set[str] = set()
        for i, raw in enumerate(raw_nodes):
            wanted = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") is not None else ""
            nid = wanted if wanted and id_problem(wanted) is None and wanted not in taken else ""
            if not nid:
                nid = next_numbered(taken | {str(r.get("id")) for r in raw_nodes if isinstance(r, dict)}, "n")
            taken.add(nid)
            self._by_index[i] = nid
            if wanted:
                self._by_pack.setdefault(wanted, nid)
        self.taken = taken

    def of(self, index: int) -> str:
        return self._by_index[index]

    def __contains__(self, pack_id: str) -> bool:
        return pack_id in self._by_pack

    def node(self, pack_id: str) -> str:
        return self._by_pack[pack_id]

    def extra(self, base: str) -> str:
        nid = fresh_id(self.taken, slug(base, "step")[:64])
        self.taken.add(nid)
        return nid


def _text(value: object, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        if where:
            raise InputRejected(f"{where}: text is not a string")
        return ""
    if len(value) > TEXT_MAX:
        raise InputRejected(f"{where or 'a text'}: over {TEXT_MAX} characters")
    return value


def _title(doc: dict[str, Any]) -> str:
    return _text(doc.get("title") or doc.get("name"), "")


def _conditions(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v.strip()]
    raise InputRejected(f"{where}: conditions are not a string or a list of strings")


def _assignments(raw: dict[str, Any], where: str) -> str:
    """``set`` as ``name = value; …`` (values as JSON): from ``{"var", "value"}`` or a ``set`` map or list."""
    spec = raw.get("set")
    pairs: list[tuple[str, object]] = []
    if isinstance(spec, dict):
        pairs = [(str(k), v) for k, v in spec.items()]
    elif isinstance(spec, list):
        pairs = [(str(s.get("var", s.get("name", ""))), s.get("value")) for s in spec if isinstance(s, dict)]
    elif spec is None and ("var" in raw or "variable" in raw or "name" in raw):
        pairs = [(str(raw.get("var", raw.get("variable", raw.get("name")))), raw.get("value"))]
    else:
        raise InputRejected(f"{where}: 'set' is not an object, a list or var/value")
    if not pairs or any(not name for name, _ in pairs):
        raise InputRejected(f"{where}: 'set' names no variable")
    return "; ".join(f"{name} = {msgspec.json.encode(value).decode()}" for name, value in pairs)


def _typed_value(spec: object, where: str) -> int | str | bool:
    """A variable's initial value: a bare value, or ``{"type", "value"|"default"}`` (int, bool, str)."""
    if isinstance(spec, dict):
        value = spec.get("value", spec.get("default"))
        kind = spec.get("type")
    else:
        value, kind = spec, None
    if kind in (None, "bool", "boolean") and isinstance(value, bool):
        return value
    if kind in (None, "int", "integer", "number") and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind in ("int", "integer", "number") and value is None:
        return 0
    if kind in ("bool", "boolean") and value is None:
        return False
    if kind in (None, "str", "string", "text") and isinstance(value, str):
        return value
    if kind in ("str", "string", "text") and value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and kind in (None, "int", "integer", "number"):
        return int(value)
    raise InputRejected(f"{where}: {str(value)[:40]!r} is not a {kind or 'whole number, true/false or text'}")


__all__ = ["BundleImporter", "BundleOptions"]
