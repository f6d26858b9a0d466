"""The ``renpy`` exporter: the story as a Ren'Py project folder (``game/`` with scripts and media).

What goes where:

* **scripts imported from Ren'Py** are written back to their own files: a
  scene with ``meta.renpy_file`` (``game/script.rpy``) is that file, its
  top-level statements in order (``define``, ``default``, ``image``, and
  everything kept as written), each ``label`` node the label's scene written
  there (:mod:`.script`), followed by the labels nested in it;
* **everything else** goes to ``game/story.rpy``: a ``define`` per character
  no written script defines (``Character("Name")``, or the call the import
  kept), a ``default`` per variable, an ``image`` per picture, ``label
  start`` when no scene is that label (it jumps to where ``comfyvn play``
  starts), then every other scene, in timeline order and then by id;
* **media** are copied into ``game/``: a file imported from a Ren'Py game to
  the place it had there (``game/images/bg uni.jpg``), any other image to
  ``game/images/``, sound to ``game/audio/``, video to ``game/video/``.

Labels are the scenes' own names where Ren'Py gave them (``meta.renpy_label``),
otherwise identifiers made from the scene ids; characters speak through their
Ren'Py variable or one made from their id. Under the ``sfw`` content filter
(:meth:`StoryView.hides`) NSFW media are not copied and each scene that
needs them is a label that only returns; the plan's notes say which.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO, Final

import msgspec

from comfyvn_vault.adapters.base import AdapterInfo
from comfyvn_vault.adapters.exporter import ExportPlan, OutputFile, StoryView, Writer, output_path_problem
from comfyvn_vault.domain.assets import Asset
from comfyvn_vault.domain.entities import Node, Scene, Variable
from comfyvn_vault.domain.paths import ASSETS, VARIABLES
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.exporters.renpy import python
from comfyvn_vault.exporters.renpy.script import DEAD_END, PICK, SceneWriter, Story, declaration
from comfyvn_vault.exporters.renpy.text import Names, display_name, identifier, indent

GAME: Final = "game/"
#: Images Ren'Py defines itself (``renpy/common/00definitions.rpy``).
BUILTIN_IMAGES: Final = frozenset({"black", "text", "vtext"})
STORY_FILE: Final = "game/story.rpy"
_LABEL: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MEDIA_FOLDERS: Final = {"image": "images", "audio": "audio", "video": "video"}
EXTENSIONS: Final = {
    "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif", "image/avif": "avif",
    "audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/wav": "wav", "audio/x-wav": "wav", "audio/flac": "flac",
    "audio/opus": "opus", "video/webm": "webm", "video/mp4": "mp4", "video/ogg": "ogv",
}  # fmt: skip
HEADER: Final = "# Written by comfyvn export renpy: the story's own scenes, characters, variables and images.\n"
PICK_HELPER: Final = f'''init python:
    def {PICK}(*options):
        """The label of one of the (label, weight) options shown (None: hidden), picked by weight."""
        shown = [o for o in options if o is not None and o[1] > 0]
        roll = renpy.random.randint(1, sum(w for _, w in shown)) if shown else 0
        for label, weight in shown:
            roll -= weight
            if roll <= 0:
                return label
        return "{DEAD_END}"

label {DEAD_END}:
    return
'''


class RenpyExportOptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the project holds besides the scripts."""

    media: bool = True
    """Copy the story's images, sound and video into ``game/``."""


class RenpyExporter:
    """Writes the story as a Ren'Py project (see the module docstring)."""

    info: Final = AdapterInfo("renpy", "1")
    options_type: Final = RenpyExportOptions
    stops_on_errors: Final = True
    """A story the checks find errors in would not run in Ren'Py: ``comfyvn export`` stops unless forced."""

    def plan(self, story: StoryView, options: RenpyExportOptions) -> ExportPlan:
        return _Export(story, options).plan(self.info)


class _Export:
    def __init__(self, view: StoryView, options: RenpyExportOptions) -> None:
        self.view = view
        self.options = options
        self.scenes = {s.id: s for s in view.scenes()}
        self.characters = list(view.characters())
        self.variables = list(view.documents(VARIABLES, Variable))
        self.assets = list(view.documents(ASSETS, Asset))
        self.notes: list[str] = []
        self.omitted = {sid for sid, s in self.scenes.items() if any(view.hides_node(n) for n in s.nodes)}
        self.files = self._script_files()
        written = set(self.files.values())
        self.script_names = self._defined_names()
        self.store = Names(self.script_names)
        self.label_names = Names()
        self.labels = self._labels()
        self.speakers, self.aliases, self.defines = self._speakers(written)
        kept = {
            f"{v.scope}.{v.name}": v.name
            for v in self.variables
            if v.meta.get("renpy") in ("define", "default") and v.meta.get("source_file") in written
        }
        self.variable_names = python.VariableNames(self.variables, self.store, kept)
        self.kept_variables = set(kept)
        self.media = self._media()

    # ----------------------------------------------------------- naming

    def _script_files(self) -> dict[str, str]:
        """File scene id → the script it is written to (``game/script.rpy``)."""
        out: dict[str, str] = {}
        taken = {STORY_FILE.casefold()}
        for sid, scene in sorted(self.scenes.items()):
            name = scene.meta.get("renpy_file")
            if not isinstance(name, str):
                continue
            if not name.startswith(GAME) or not name.endswith(".rpy") or output_path_problem(name):
                name = f"game/{identifier(sid, 'file')}.rpy"
            while name.casefold() in taken:
                name = name[: -len(".rpy")] + "_2.rpy"
            taken.add(name.casefold())
            out[sid] = name
        return out

    def _script_nodes(self) -> Iterator[Node]:
        """Every node of the scenes that are written back as Ren'Py script files."""
        for sid in self.files:
            yield from self.scenes[sid].nodes

    def _defined_names(self) -> set[str]:
        """Store names the written scripts define (``define``/``default`` nodes of the file scenes)."""
        names: set[str] = set()
        for node in self._script_nodes():
            if node.directives.get("renpy") in ("define", "default") and "name" in node.directives:
                names.add(node.directives["name"].split(".", 1)[0])
        return names

    def _labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for scene in self.scenes.values():  # labels the scripts make besides their own: named menus, call … from
            for node in scene.nodes:
                key = {"menu": "label", "call": "from"}.get(node.directives.get("renpy", ""))
                name = node.directives.get(key) if key else None
                if name and _LABEL.fullmatch(name):
                    self.label_names.claim(name)
        for sid, scene in sorted(self.scenes.items()):
            label = scene.meta.get("renpy_label")
            if isinstance(label, str) and _LABEL.fullmatch(label) and label not in self.label_names.taken:
                labels[sid] = self.label_names.claim(label)
        for sid in sorted(self.scenes):
            if sid not in labels and sid not in self.files:
                labels[sid] = self.label_names.fresh(sid, "scene")
        return labels

    def _speakers(self, written: set[str]) -> tuple[dict[str, str], dict[str, str | None], list[str]]:
        """Each character's ``who`` (by id and by casefolded name), the ``who`` names scripts wrote, defines."""
        by_key: dict[str, str] = {}
        aliases: dict[str, str | None] = {}
        defines: list[str] = []
        defined: dict[str, str] = {}  # character id → the variable a written script's define gives it
        for node in self._script_nodes():
            d = node.directives
            if d.get("renpy") == "define" and d.get("character") and d.get("name"):
                defined.setdefault(d["character"], d["name"])
        for c in sorted(self.characters, key=lambda c: c.id):
            var = c.meta.get("renpy_var")
            if c.id in defined:
                var = defined[c.id]
            from_script = isinstance(var, str) and (c.id in defined or c.meta.get("source_file") in written)
            if from_script and isinstance(var, str):
                who = self.store.claim(var)
            else:
                who = self.store.fresh(c.id, "c")
                call = c.meta.get("renpy_define")
                value = call if isinstance(call, str) and "\n" not in call else f"Character({display_name(c.name)})"
                defines.append(f"define {who} = {value}")
            by_key.setdefault(c.id, who)
            by_key.setdefault(c.name.casefold(), who)
            also = c.meta.get("renpy_also")
            for written_as in (var, c.meta.get("renpy_who"), *(also if isinstance(also, list) else [])):
                if isinstance(written_as, str):
                    aliases[written_as] = c.name
        return by_key, aliases, defines

    def speaker(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.speakers.get(name) or self.speakers.get(name.casefold()) or display_name(name)

    # ------------------------------------------------------------- media

    def _media(self) -> dict[str, tuple[str, Asset]]:
        """Asset id → (its path in the project, the asset), for every picture, sound and video exported."""
        out: dict[str, tuple[str, Asset]] = {}
        taken: set[str] = set()
        hidden = 0
        for asset in sorted(self.assets, key=lambda a: (a.name, a.id)):
            if asset.kind not in MEDIA_FOLDERS:
                continue
            if self.view.hides(asset):
                hidden += 1
                continue
            path = asset.name if asset.name.startswith(GAME) and not output_path_problem(asset.name) else ""
            if not path or path.casefold() in taken:
                stem = identifier(asset.name.rsplit("/", 1)[-1].rsplit(".", 1)[0], asset.kind)
                ext = EXTENSIONS.get(asset.mime) or identifier(asset.name.rsplit(".", 1)[-1], "bin")
                path = f"{GAME}{MEDIA_FOLDERS[asset.kind]}/{stem}.{ext}"
                if path.casefold() in taken:
                    path = f"{GAME}{MEDIA_FOLDERS[asset.kind]}/{stem}_{asset.id[:12]}.{ext}"
            taken.add(path.casefold())
            out[asset.id] = (path, asset)
        if hidden:
            self.notes.append(f"{hidden} NSFW asset(s) left out: the content filter is sfw")
        return out

    def _images(self) -> tuple[dict[str, str], list[str]]:
        """Asset id → image name, and the ``image`` statements for pictures Ren'Py would not name itself.

        A picture a Ren'Py game brought (its path is the one it had) keeps Ren'Py's own name when it is
        an automatic image (``game/images/bg uni.png`` is ``bg uni``) and gets none otherwise (the game's
        scripts name it by its file); every other picture gets an ``image`` statement.
        """
        images: dict[str, str] = {}
        statements: list[str] = []
        names = Names()
        generated = []
        for asset_id, (path, asset) in sorted(self.media.items(), key=lambda kv: kv[1][0]):
            if asset.kind != "image":
                continue
            if asset.name != path:
                generated.append((asset_id, path))
            elif path.startswith(f"{GAME}images/"):
                stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
                images[asset_id] = names.claim(" ".join(stem.lower().split()))
        for asset_id, path in generated:
            stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            images[asset_id] = name = names.fresh(stem, "image")
            statements.append(f'image {name} = "{path.removeprefix(GAME)}"')
        return images, statements

    def _script_images(self) -> set[str]:
        """Image names the written scripts define: ``image`` statements, and ``layeredimage`` tags."""
        names: set[str] = set()
        for node in self._script_nodes():
            d = node.directives
            if d.get("renpy") == "image" and d.get("name"):
                names.add(" ".join(d["name"].split()))
            elif d.get("renpy") == "raw" and d.get("statement") == "layeredimage":
                words = node.content.split(":", 1)[0].split()
                names.update(words[1:2])
        return names

    def _missing_images(self, known: set[str], images: dict[str, str]) -> list[str]:
        """``image`` statements for names the imported scripts show that nothing defines.

        A picture of the story whose file name says the same (``bg_lighthouse.png`` for ``bg
        lighthouse``) is that image; otherwise a dark placeholder stands in, so the project still
        runs, and the notes say which.
        """
        tags = {name.split()[0] for name in known}
        by_stem: dict[str, str] = {}
        for asset_id, (_path, asset) in self.media.items():
            if asset.kind == "image":
                stem = asset.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
                by_stem.setdefault(" ".join(stem.replace("_", " ").replace("-", " ").lower().split()), asset_id)
        out: list[str] = []
        for scene in self.scenes.values():
            for node in scene.nodes:
                d = node.directives
                name = " ".join(d.get("image", "").split())
                if d.get("renpy") not in ("scene", "show") or not name or name.split()[0] in tags:
                    continue
                tags.add(name.split()[0])
                found = by_stem.get(name.lower())
                if found is not None:
                    out.append(f'image {name} = "{self.media[found][0].removeprefix(GAME)}"')
                    images.setdefault(found, name)
                else:
                    out.append(f'image {name} = Solid("#202020")')
                    self.notes.append(f"image {name!r} is in no script and no picture of the story: a placeholder")
        return out

    def _copy(self, asset: Asset) -> Writer:
        blob = self.view.blob
        if blob is None:
            raise InputRejected("this story view cannot read asset bytes")

        def write(out: BinaryIO) -> None:
            out.write(blob(asset.blob))

        return write

    # ------------------------------------------------------------- plan

    def plan(self, info: AdapterInfo) -> ExportPlan:
        images, image_statements = self._images()
        known = {*images.values(), *self._script_images(), *BUILTIN_IMAGES}
        image_statements += self._missing_images(known, images)
        story = Story(
            scenes=self.scenes,
            labels=self.labels,
            variables=self.variable_names,
            speaker=self.speaker,
            aliases=self.aliases,
            images=images,
            known_images={*known, *images.values()},
            files={i: p.removeprefix(GAME) for i, (p, a) in self.media.items() if a.kind == "audio"},
            scene_vars=[
                (self.variable_names.by_key[f"scene.{v.name}"], repr(v.value))
                for v in self.variables
                if v.scope == "scene"
            ],
            notes=self.notes,
            label_names=self.label_names,
            script_names=self.script_names,
        )
        story.mark_targets()
        self.story = story
        self.emitted: set[str] = set()
        files: list[OutputFile] = []
        for sid, name in sorted(self.files.items(), key=lambda kv: kv[1]):
            files.append(OutputFile(name, _text(self._file_scene(self.scenes[sid]))))
        own = self._story_file(image_statements)
        if any(line and not line.startswith("#") for line in own):
            files.insert(0, OutputFile(STORY_FILE, _text(own)))
        if self.options.media:
            files.extend(OutputFile(path, self._copy(asset)) for path, asset in sorted(self.media.values()))
        if self.omitted:
            shown = ", ".join(sorted(self.omitted)[:5]) + (" …" if len(self.omitted) > 5 else "")
            self.notes.append(f"{len(self.omitted)} scene(s) left out (they need NSFW content): {shown}")
        return ExportPlan(info, tuple(files), notes=tuple(story.notes))

    def _scene(self, sid: str) -> Iterator[str]:
        """The label of scene ``sid`` and then those of the labels nested in it, each once."""
        if sid in self.emitted or sid not in self.labels:
            return
        self.emitted.add(sid)
        scene = self.scenes[sid]
        if sid in self.omitted:
            yield f"label {self.labels[sid]}:"
            yield "    # left out of this export: it needs NSFW content and the content filter is sfw"
            yield "    return"
            yield ""
            return
        yield from SceneWriter(self.story, scene).write()
        yield ""
        for node in scene.nodes:
            if node.directives.get("renpy") == "label" and node.directives.get("scene") in self.scenes:
                yield from self._scene(node.directives["scene"])

    def _file_scene(self, scene: Scene) -> list[str]:
        out: list[str] = []
        for node in scene.nodes:
            d = node.directives
            verb = d.get("renpy")
            if verb == "label" and d.get("scene") in self.scenes:
                out.extend(self._scene(d["scene"]))
            elif (statement := declaration(d)) is not None:
                out.append(statement)
            elif node.content:
                out.extend(indent(node.content, 0))
        return out

    def _story_file(self, image_statements: list[str]) -> list[str]:
        rest = [sid for sid in self._scene_order() if sid not in self.emitted]
        body: list[str] = []
        if "start" not in self.label_names.taken:
            start = self.view.start_scene()
            body += ["label start:", f"    jump {self.labels[start]}", ""]
        for sid in rest:
            body.extend(self._scene(sid))
        out = [HEADER]
        out += self.defines
        for v in sorted(self.variables, key=lambda v: (v.scope, v.name)):
            if f"{v.scope}.{v.name}" not in self.kept_variables:
                out.append(f"default {self.variable_names.by_key[f'{v.scope}.{v.name}']} = {v.value!r}")
        out += image_statements
        out.append("")
        if self.story.uses_pick:
            out += PICK_HELPER.split("\n")
        return out + body

    def _scene_order(self) -> list[str]:
        order: list[str] = []
        for timeline in sorted(self.view.timelines(), key=lambda t: t.id):
            order += [sid for sid in timeline.scene_order if sid in self.scenes and sid not in order]
        return order + sorted(sid for sid in self.scenes if sid not in order and sid not in self.files)


def _text(lines: list[str]) -> bytes:
    text = "\n".join(lines).rstrip("\n") + "\n"
    return text.encode("utf-8")
