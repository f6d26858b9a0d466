"""Row sources for :class:`~comfyvn_tui.widgets.virtual_list.VirtualList`: API data as list rows.

Sources hold ids and document ids only; a row's document is read when the row
is painted (``History.entity_doc`` caches it), so a list of 10,000 scenes
costs one projection scan to open.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from typing import Any

from rich.text import Text

from comfyvn_vault.api import ObjectId, Vault
from comfyvn_vault.api.documents import CommitRow, entity_file_text, tree_document
from comfyvn_vault.api.history import Lanes, head_branch, log_all
from comfyvn_vault.api.show import STORY_FOLDERS
from comfyvn_vault.domain.entities import Choice, Entity, Node, Scene, Timeline, Variable, name_of


def when(ms: int) -> str:
    """A commit or operation time as the CLI prints it (UTC)."""
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M")


def one_line(text: str, width: int = 200) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    more = "…" if len(first) > width or "\n" in text.strip() else ""
    return first[:width] + more


class EntityRows:
    """Entities (of one folder, or all) given as (path, document id); documents are read lazily.

    ``names`` gives cheap lowercased names for find (the checkout's name
    index); without it find matches ids and the names of rows already shown.
    """

    def __init__(
        self,
        vault: Vault,
        entries: list[tuple[str, ObjectId]],
        *,
        names: Callable[[], dict[str, str]] | None = None,
        show_folder: bool = False,
    ) -> None:
        self.vault = vault
        self.paths = [p for p, _ in entries]
        self.docs = [d for _, d in entries]
        self._names = names
        self._name_cache: dict[str, str] | None = None
        self.show_folder = show_folder

    def __len__(self) -> int:
        return len(self.paths)

    def entity(self, index: int) -> Entity:
        return self.vault.history.entity_doc(self.docs[index])

    def id(self, index: int) -> str:
        return self.paths[index].split("/", 1)[1]

    def key(self, index: int) -> str:
        return self.paths[index] if self.show_folder else self.id(index)

    def label(self, index: int) -> Text:
        return entity_label(self.entity(index), self._folder_of(index))

    def _folder_of(self, index: int) -> str | None:
        return self.paths[index].split("/", 1)[0] if self.show_folder else None

    def haystack(self, index: int) -> str:
        if self._name_cache is None and self._names is not None:
            self._name_cache = self._names()
        name = (self._name_cache or {}).get(self.id(index), "")
        return f"{self.paths[index]} {name}".lower()


def _folder_column(text: Text, folder: str | None) -> None:
    if folder is not None:
        text.append(f"{folder[:-1]:<10}", style="dim")


def entity_label(doc: Entity, folder: str | None = None) -> Text:
    """``intro  The Lighthouse  4 nodes`` (after the folder, singular, when given)."""
    text = Text()
    _folder_column(text, folder)
    text.append(doc.id, style="bold")
    name = name_of(doc)
    if name and name != doc.id:
        text.append(f"  {name}")
    if isinstance(doc, Scene):
        text.append(f"  {len(doc.nodes)} node{'' if len(doc.nodes) == 1 else 's'}", style="dim")
    elif isinstance(doc, Timeline):
        text.append(f"  {len(doc.scene_order)} scenes", style="dim")
    elif isinstance(doc, Variable):
        text.append(f" = {doc.value!r}", style="dim")
    return text


def record_summary(kind: str, data: dict[str, Any]) -> tuple[str, str]:
    """What a record is about, and a detail: an asset's file and kind, a conflict's place and kind."""
    if kind == "Conflict":
        return f"{data.get('path', '')} {data.get('locator') or '(whole entity)'}", str(data.get("kind", ""))
    if kind == "Asset":
        return str(data.get("name") or "(unnamed)"), f"{data.get('kind', '')} {str(data.get('id', ''))[:12]}"
    if kind == "Finding":
        return str(data.get("message", "")), f"{data.get('kind', '')} · {data.get('status') or 'open'}"
    if kind == "Policy":
        return "content policy", f"filter {data.get('filter_mode', '')}"
    return kind, ""


class TreeRows(EntityRows):
    """Everything a commit's state tree holds: the story's entities first, then its records.

    Records (assets, findings, the content policy, merge conflicts) are not
    story entities: they are listed after the story, labelled by what they are
    about, and shown as JSON.
    """

    CACHE = 1024

    def __init__(self, vault: Vault, entries: list[tuple[str, ObjectId]]) -> None:
        story = [e for e in entries if e[0].split("/", 1)[0] in STORY_FOLDERS]
        records = [e for e in entries if e[0].split("/", 1)[0] not in STORY_FOLDERS]
        super().__init__(vault, story + records, show_folder=True)
        self.entities = len(story)
        self._records: dict[int, tuple[str, dict[str, Any]]] = {}

    def is_entity(self, index: int) -> bool:
        return index < self.entities

    def record(self, index: int) -> tuple[str, dict[str, Any]]:
        """A record's type name and fields (read once, then kept)."""
        found = self._records.get(index)
        if found is None:
            if len(self._records) >= self.CACHE:
                self._records.clear()
            found = self._records[index] = tree_document(self.vault, self.docs[index])
        return found

    def label(self, index: int) -> Text:
        if self.is_entity(index):
            return super().label(index)
        kind, data = self.record(index)
        text = Text()
        _folder_column(text, self._folder_of(index))
        title, detail = record_summary(kind, data)
        text.append(title, style="bold")
        text.append(f"  {detail}", style="dim")
        return text

    def document_text(self, index: int) -> str:
        """The document as shown: an entity as its working-copy file, a record as JSON."""
        if self.is_entity(index):
            return entity_file_text(self.entity(index))
        return json.dumps(self.record(index)[1], indent=2, ensure_ascii=False, default=str)


class NodeRows:
    """The nodes of one scene: ``n1  Alice: The lamp…``; choice nodes show their choice count."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene

    def __len__(self) -> int:
        return len(self.scene.nodes)

    def node(self, index: int) -> Node:
        return self.scene.nodes[index]

    def key(self, index: int) -> str:
        return self.scene.nodes[index].id

    def label(self, index: int) -> Text:
        node = self.scene.nodes[index]
        text = Text()
        text.append(f"{node.id:<6}", style="bold")
        marker = {"choice": "? ", "action": "! "}.get(node.type, "")
        if marker:
            text.append(marker, style="magenta")
        if node.speaker:
            text.append(f"{node.speaker}: ", style="cyan")
        text.append(one_line(node.content))
        if node.choices:
            text.append(f"  [{len(node.choices)} choices]", style="dim")
        return text

    def haystack(self, index: int) -> str:
        node = self.scene.nodes[index]
        return f"{node.id} {node.speaker or ''} {node.content}".lower()


def choice_label(choice: Choice) -> Text:
    """``c1   [courage >= 0] Climb the stairs  → stairs:``: the condition before the text, so a narrow pane shows it."""
    text = Text()
    text.append(f"{choice.id:<5}", style="bold")
    if choice.condition:
        text.append(f"[{choice.condition}] ", style="yellow")
    text.append(choice.text)
    text.append(f"  → {choice.target}", style="cyan")
    return text


class ChoiceRows:
    """The choices of one node."""

    def __init__(self, choices: list[Choice]) -> None:
        self.choices = choices

    def __len__(self) -> int:
        return len(self.choices)

    def key(self, index: int) -> str:
        return self.choices[index].id

    def label(self, index: int) -> Text:
        return choice_label(self.choices[index])

    def haystack(self, index: int) -> str:
        c = self.choices[index]
        return f"{c.id} {c.text} {c.target}".lower()


class CommitRows:
    """Every branch's history, newest first, with branch lanes; read a page at a time as the cursor moves."""

    PAGE = 200

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.rows: list[CommitRow] = []
        self.glyphs: list[str] = []
        self.head_branch = head_branch(vault)
        self._walk: Iterator[CommitRow] | None = log_all(vault)
        self._lanes = Lanes("●", "│", "┘")
        self.extend(self.PAGE)

    def extend(self, upto: int) -> bool:
        before = len(self.rows)
        while self._walk is not None and len(self.rows) < upto:
            row = next(self._walk, None)
            if row is None:
                self._walk = None
                break
            self.glyphs.append(self._lanes.place(row.id, row.parents))
            self.rows.append(row)
        return len(self.rows) > before

    @property
    def complete(self) -> bool:
        """Whether every commit has been read."""
        return self._walk is None

    def __len__(self) -> int:
        return len(self.rows)

    def key(self, index: int) -> str:
        return self.rows[index].id

    def label(self, index: int) -> Text:
        row = self.rows[index]
        text = Text()
        text.append(self.glyphs[index], style="yellow")
        text.append(f" {row.id[:8]} ", style="bold")
        for b in row.branches or []:
            text.append(f"({b})", style="bold green" if b == self.head_branch else "bold blue")
            text.append(" ")
        text.append(one_line(row.message, 80))
        text.append(f"  {row.author} {when(row.time)}", style="dim")
        return text

    def haystack(self, index: int) -> str:
        row = self.rows[index]
        return f"{row.id} {row.message} {' '.join(row.branches or [])}".lower()
