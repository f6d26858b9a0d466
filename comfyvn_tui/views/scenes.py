"""Scenes: the scene list, the selected scene's node outline, and the node editor.

Every change goes through the edit verbs the CLI uses (``scene new``,
``scene node add|edit|rm``, ``scene choice add|rm``) and becomes a commit.
The scene list reads ids from the entity projection and loads a scene only
when its row is on screen, so it opens instantly on 10,000 scenes.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget

from comfyvn_tui.rows import EntityRows, NodeRows
from comfyvn_tui.screens.form import FormScreen, field
from comfyvn_tui.targets import Target
from comfyvn_tui.views.list_detail import ListDetailView
from comfyvn_tui.widgets.node_editor import NodeEditor
from comfyvn_tui.widgets.virtual_list import EmptySource, VirtualList
from comfyvn_vault.api import edit
from comfyvn_vault.domain.entities import Node, Scene
from comfyvn_vault.domain.paths import SCENES


class ScenesView(ListDetailView):
    """Browse and edit scenes, nodes and choices."""

    view_key = "scenes"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("A", "add_scene", "New scene", id="scenes.add_scene"),
        Binding("D", "delete_scene", "Delete scene", show=False, id="scenes.delete_scene"),
        Binding("a", "add_node", "Add node", id="scenes.add_node"),
        Binding("d", "delete_node", "Delete node", id="scenes.delete_node"),
        Binding("e", "edit_external", "$EDITOR", id="scenes.edit_external"),
        Binding("ctrl+s", "save_node", "Save", id="scenes.save_node"),
        Binding("o", "add_choice", "Add choice", show=False, id="scenes.add_choice"),
        Binding("x", "remove_choice", "Remove choice", id="scenes.remove_choice"),
    ]

    DEFAULT_CSS = """
    ScenesView > Horizontal > *:focus-within { border: round $primary; }
    ScenesView #scene-list { width: 27%; min-width: 20; max-width: 34; }
    ScenesView #outline { width: 5fr; }
    ScenesView #editor { width: 4fr; }
    """

    list_id = "scene-list"
    list_title = "Scenes"
    empty_text = "(no scenes: A creates one)"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scene: Scene | None = None

    def compose_detail(self) -> ComposeResult:
        outline = VirtualList(empty_text="(no nodes: a adds one)", on_select=self._node_selected, id="outline")
        outline.border_title = "Nodes"
        yield outline
        editor = NodeEditor(on_choice_select=self._choice_selected, id="editor")
        editor.border_title = "Node"
        yield editor

    @property
    def scene_list(self) -> VirtualList:
        return self.row_list

    @property
    def outline(self) -> VirtualList:
        return self.query_one("#outline", VirtualList)

    @property
    def editor(self) -> NodeEditor:
        return self.query_one("#editor", NodeEditor)

    # ----------------------------------------------------------------- loading

    def load_rows(self) -> EntityRows:
        entries = edit.entries(self.vault, SCENES)
        rows = EntityRows(self.vault, entries, names=lambda: edit.names(self.vault, SCENES))
        self.scene_list.border_title = f"Scenes ({len(rows)})"
        return rows

    def show_detail(self) -> None:
        self._show_scene(force=True)

    def highlighted(self) -> None:
        self._show_scene()

    def _show_scene(self, force: bool = False) -> None:
        rows = self.scene_list.source
        scene = rows.entity(self.scene_list.cursor) if isinstance(rows, EntityRows) and len(rows) else None
        if not isinstance(scene, Scene):
            scene = None
        if not force and scene == self.scene:
            return
        same = scene is not None and self.scene is not None and scene.id == self.scene.id
        self.scene = scene
        keep = self.outline.current_key if same else None
        self.outline.set_source(NodeRows(scene) if scene else EmptySource(), keep_key=keep)
        self.outline.border_title = f"Nodes of {scene.id}" if scene else "Nodes"
        self._preview_node()
        self._follow()

    def current_node(self) -> Node | None:
        if self.scene is None or not self.scene.nodes:
            return None
        return self.scene.nodes[min(self.outline.cursor, len(self.scene.nodes) - 1)]

    def _preview_node(self) -> None:
        """Show the node under the outline cursor, unless the editor holds unsaved edits.

        An edit in progress is kept; once the scene holds exactly the edited
        values (it was saved) the editor takes the new version and is clean.
        """
        editor, scene = self.editor, self.scene
        if self._focus_in(editor) and editor.node is not None and not editor.dirty:
            return  # the user is in the editor: only enter (or a save) changes what it edits
        if editor.dirty:
            if editor.node is not None and scene is not None and editor.scene_id == scene.id:
                fresh = next((n for n in scene.nodes if n.id == editor.node.id), None)
                if fresh is not None and all(getattr(fresh, k) == v for k, v in editor.values().items()):
                    editor.load(scene.id, fresh)
            return
        editor.load(scene.id if scene else None, self.current_node())

    def open_row(self, event: VirtualList.Selected) -> None:
        self._show_scene()
        self.screen.set_focus(self.outline)

    @on(VirtualList.Highlighted, "#outline")
    def _node_highlighted(self) -> None:
        self._preview_node()
        self._follow()

    def _follow(self) -> None:
        """Tell the views that follow the cursor (the map) where it is: on a node in the outline, else a scene."""
        if self.scene is None:
            return
        node = self.current_node() if self._focus_in(self.outline) or self._focus_in(self.editor) else None
        self.lead(Target(SCENES, self.scene.id, node.id if node else None))

    def _node_selected(self, event: VirtualList.Selected) -> None:
        node = self.current_node()
        if node is None:
            return
        if self.editor.dirty and self.editor.node is not None and self.editor.node.id != node.id:
            editing = self.editor.node.id

            def discard() -> None:
                self.editor.load(self.scene.id if self.scene else None, node)
                self.screen.set_focus(self.editor.content_area)

            self.vapp.confirm(f"Node {editing} has unsaved edits. Discard them and edit {node.id}?", discard, "discard")
            return
        if self.editor.node is None or self.editor.node.id != node.id:
            self.editor.load(self.scene.id if self.scene else None, node)
        self.screen.set_focus(self.editor.content_area)

    def _choice_selected(self, event: VirtualList.Selected) -> None:
        self.action_edit_choice(event.key)

    # ----------------------------------------------------------------- view protocol

    def back(self) -> bool:
        focused = self.screen.focused
        if focused is None:
            return False
        if self.editor in focused.ancestors_with_self:
            self.screen.set_focus(self.outline)
            return True
        if focused is self.outline:
            self.screen.set_focus(self.scene_list)
            return True
        return False

    def unsaved(self) -> str | None:
        if self.editor.dirty and self.editor.node is not None:
            return f"node {self.editor.scene_id}#{self.editor.node.id}"
        return None

    def discard(self) -> None:
        self.editor.load(self.editor.scene_id, self.editor.node)

    def go_to(self, target: Target) -> None:
        if target.folder != SCENES:
            return
        if not self.move_to(target.id):
            self.notify(f"no scene {target.id}", severity="warning")
            return
        self._show_scene()
        if target.node is not None:
            at = self.outline.index_of(target.node)
            if at is not None:
                self.outline.cursor = at
                self._preview_node()
            self.screen.set_focus(self.outline)
        else:
            self.screen.set_focus(self.scene_list)

    def _focus_in(self, widget: Widget) -> bool:
        focused = self.screen.focused
        return focused is not None and widget in focused.ancestors_with_self

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add_scene", "delete_scene"):
            return self._focus_in(self.scene_list)
        if action == "delete_node":
            return self._focus_in(self.outline)
        if action == "add_node":
            return self._focus_in(self.scene_list) or self._focus_in(self.outline)
        if action == "save_node":
            return self._focus_in(self.editor) or self.editor.dirty
        if action == "remove_choice":
            return self._focus_in(self.editor.choice_list)
        if action == "add_choice":
            return self._focus_in(self.outline) or self._focus_in(self.editor.choice_list)
        return True

    # ----------------------------------------------------------------- actions

    def action_add_scene(self) -> None:
        def create(values: dict[str, str] | None) -> None:
            if not values or not values["title"].strip():
                return
            title, sid = values["title"].strip(), values["id"].strip() or None
            self.vapp.save_edit(
                f"New scene: {title}",
                lambda msg: edit.scene_new(self.vault, title, sid, message=msg),
                after=lambda saved: self.go_to(Target(SCENES, saved.id)),
            )

        self.app.push_screen(
            FormScreen(
                "New scene",
                [field("title", "Title"), field("id", "Id (optional)", placeholder="made from the title")],
                submit="Create",
            ),
            create,
        )

    def action_delete_scene(self) -> None:
        scene = self.scene
        if scene is None:
            return
        self.vapp.confirm(
            f"Delete scene {scene.id} ({scene.title or 'untitled'}, {len(scene.nodes)} nodes)?",
            lambda: self.vapp.save_edit(
                f"Remove scene {scene.id}", lambda msg: edit.scene_rm(self.vault, scene.id, message=msg)
            ),
            "delete",
        )

    def action_add_node(self) -> None:
        scene = self.scene
        if scene is None:
            self.notify("select a scene first", severity="warning")
            return
        after = self.current_node() if self._focus_in(self.outline) else (scene.nodes[-1] if scene.nodes else None)

        def add(values: dict[str, str] | None) -> None:
            if values is None:
                return
            speaker = values["speaker"].strip() or None
            self.vapp.save_edit(
                f"Add a node to {scene.id}",
                lambda msg: edit.node_add(
                    self.vault,
                    scene.id,
                    speaker=speaker,
                    content=values["content"],
                    after=after.id if after else None,
                    message=msg,
                ),
                after=lambda saved: self.go_to(Target(SCENES, scene.id, saved.id)),
            )

        where = f"after {after.id}" if after else "at the start"
        self.app.push_screen(
            FormScreen(
                f"Add a node to {scene.id} ({where})",
                [field("speaker", "Speaker", placeholder="(narration)"), field("content", "Content")],
                submit="Add",
            ),
            add,
        )

    def action_delete_node(self) -> None:
        scene, node = self.scene, self.current_node()
        if scene is None or node is None:
            return
        self.vapp.confirm(
            f"Delete node {scene.id}#{node.id} ({node.content[:40]!r})?",
            lambda: self.vapp.save_edit(
                f"Remove node {node.id}", lambda msg: edit.node_rm(self.vault, scene.id, node.id, message=msg)
            ),
            "delete",
        )

    def action_save_node(self) -> None:
        editor = self.editor
        if editor.node is None or editor.scene_id is None:
            return
        changes = editor.changed_fields()
        if not changes:
            self.notify("nothing to save")
            return
        sid, nid = editor.scene_id, editor.node.id
        self.vapp.save_edit(
            f"Edit node {nid} of {sid}",
            lambda msg: edit.node_set(self.vault, sid, nid, changes, message=msg),
        )

    def action_edit_external(self) -> None:
        if self.scene is not None:
            self.vapp.run_editor(f"{SCENES}/{self.scene.id}.toml")

    def _choice_form(self, title: str, text: str = "", target: str = "", condition: str = "") -> FormScreen:
        return FormScreen(
            title,
            [
                field("text", "Text", text),
                field("target", "Target", target, "node, SCENE:NODE or SCENE: (its start)"),
                field("condition", "Condition (optional)", condition),
            ],
            submit="Save",
        )

    def action_add_choice(self) -> None:
        scene, node = self.scene, self.editor.node if self.editor.node else self.current_node()
        if scene is None or node is None:
            return

        def add(values: dict[str, str] | None) -> None:
            if not values or not values["text"].strip() or not values["target"].strip():
                return
            self.vapp.save_edit(
                f"Add a choice to {node.id}",
                lambda msg: edit.choice_add(
                    self.vault,
                    scene.id,
                    node.id,
                    text=values["text"].strip(),
                    target=values["target"].strip(),
                    condition=values["condition"].strip() or None,
                    message=msg,
                ),
            )

        self.app.push_screen(self._choice_form(f"Add a choice to {scene.id}#{node.id}"), add)

    def action_edit_choice(self, choice_id: str) -> None:
        scene, node = self.scene, self.editor.node
        if scene is None or node is None:
            return
        choice = next((c for c in node.choices if c.id == choice_id), None)
        if choice is None:
            return

        def change(values: dict[str, str] | None) -> None:
            if not values:
                return
            self.vapp.save_edit(
                f"Edit choice {choice.id} of {node.id}",
                lambda msg: edit.choice_edit(
                    self.vault,
                    scene.id,
                    node.id,
                    choice.id,
                    text=values["text"].strip(),
                    target=values["target"].strip(),
                    condition=values["condition"].strip() or None,
                    clear=() if values["condition"].strip() else ("condition",),
                    message=msg,
                ),
            )

        self.app.push_screen(
            self._choice_form(
                f"Edit choice {choice.id} of {scene.id}#{node.id}", choice.text, choice.target, choice.condition or ""
            ),
            change,
        )

    def action_remove_choice(self) -> None:
        scene, node = self.scene, self.editor.node
        choice_id = self.editor.choice_list.current_key
        if scene is None or node is None or choice_id is None:
            return
        self.vapp.confirm(
            f"Remove choice {choice_id} from {scene.id}#{node.id}?",
            lambda: self.vapp.save_edit(
                f"Remove choice {choice_id}",
                lambda msg: edit.choice_rm(self.vault, scene.id, node.id, choice_id, message=msg),
            ),
            "remove",
        )
