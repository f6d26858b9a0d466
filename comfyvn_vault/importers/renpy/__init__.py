"""The ``renpy`` importer: a Ren'Py game (a project folder, an ``.rpa`` archive or one ``.rpy`` script).

``comfyvn import renpy SOURCE`` reads the game's scripts with the common subset
of Ren'Py's grammar (:mod:`.lexer`, :mod:`.parser`), its archives with every
name and offset checked and their pickled index read without ever building an
object (:mod:`.rpa`), and plans (:mod:`.planner`):

* **a scene per label.** ``label start:`` is scene ``start`` (its id is the
  label's slug, made unique; ``meta.renpy_label`` is the name). Its nodes are
  the label's statements in order. Ren'Py labels are where jumps and calls
  go, so making them scenes keeps every jump a link to a scene's start.
  A label inside another label's block is a scene of its own, reached from a
  ``label`` node where it stands.
* **a scene per script file** (``file-script.rpy``, ``meta.renpy_file``):
  the file's top-level statements in order, so an exporter can write the file
  back: a ``label`` node for each label (``directives.scene`` names its
  scene), ``define``/``default``/``image`` nodes with their parts, and every
  other statement (``init python``, ``screen``, ``style``, ``transform``,
  ``translate``…) as a ``raw`` node whose ``content`` is its text exactly as
  written, block and comments included.
* **nodes.** A say statement is a ``text`` node: ``content`` is the line as
  Ren'Py shows it (escapes processed, runs of spaces one space, ``{tags}`` and
  ``[interpolations]`` kept as Ren'Py text), ``speaker`` the character's name
  (narration has none), ``meta.who`` the speaker as written (``s``,
  ``extend``, ``narrator``); attributes, ``with``, ``id``, arguments and
  ``nointeract`` are ``directives``. ``menu`` is a ``choice`` node: its
  caption or say statement is the node's content (and speaker;
  ``meta.menu_caption`` says which), each choice's ``condition`` is its ``if``
  expression as written, and its target is the first node of its block, or
  the label it jumps to when that is all the block does. ``if``/``elif``/
  ``else`` is a ``choice`` node too (``directives.renpy = "if"``) whose
  choices carry the conditions (an ``else`` choice to what follows is added
  when the script has none; ``meta.implicit_else``). Everything else is an
  ``action`` node whose ``directives.renpy`` names the statement: ``jump``,
  ``call``, ``return``, ``scene``/``show``/``hide`` (``image``, ``at``,
  ``with``, ``as``, ``behind``, ``onlayer``, ``zorder``, ``atl``), ``with``,
  ``play``/``queue``/``stop``/``voice`` (``channel``, ``file``, ``fadein``…),
  ``pause``, ``python`` (``code``), ``define``, ``default``, ``image``,
  ``raw`` (a statement kept as written in ``content``). Where a file, image or
  sound the statement names is one of the imported assets,
  ``directives.asset`` is its id. Every node has ``meta.source_line`` and
  ``meta.source_file`` (``game/script.rpy``).
* **flow.** A node goes on to the node after it unless its ``next`` says
  otherwise: a jump's ``next`` is the target scene's start (``rightaway:``),
  the last node of a menu choice's block or an ``if`` branch goes to what
  follows the menu, and a label's last node falls through to the next label of
  its file, as Ren'Py runs them. Where flow ends (``return``, the end of the
  last label) before a scene's last node, it goes to an ``end`` action node
  added at the end (``meta.implicit``). A jump to a label no script defines
  (``jump expression``, one in Ren'Py's own library) is noted and ends there.
* **characters**: each ``define x = Character("Name", ...)`` (or
  ``x = Character(...)`` in Python) is a character named ``Name``
  (``meta.renpy_var``, and the call in ``meta.renpy_define``); a character
  whose name is ``None`` speaks narration. Images whose tag is the
  character's ``image=`` tag, its variable or its name (``sylvie green
  smile`` for Sylvie) are its ``expressions``. A speaker that is not defined
  (``"Eileen" "Hi"``, or a name defined some other way) becomes a character
  of that name, noted.
* **variables**: ``default x = <int, text or bool>`` is a variable, and so is
  ``define x = <int, text or bool>`` (a constant; ``meta.renpy`` says which).
  Other values, and dotted names (``config.name``, ``persistent.seen``),
  stay statements; a ``default`` of another value is noted.
* **assets**: images, audio and video of the game, from the folder and its
  archives (``source`` names the folder or the archive), the translation
  scripts ``game/tl/LANG/*.rpy`` and, by default, each script, as text
  assets. The source itself (the archive, the script, or a folder's manifest:
  see :mod:`.project`) is the import's source asset, which every scene names
  in ``meta.source_asset``.

Anything odd in the input is an :class:`~comfyvn_vault.errors.InputRejected`
line (an archive that is not safe to read) or a finding (a statement kept
raw, a script that does not lex, kept only as text unless ``strict``).
Not read: compiled scripts (``.rpyc``), ``_ren.py`` files, RPA-1.0 archives.
"""

from __future__ import annotations

from comfyvn_vault.importers.renpy.importer import RenpyImporter, RenpyOptions

__all__ = ["RenpyImporter", "RenpyOptions"]
