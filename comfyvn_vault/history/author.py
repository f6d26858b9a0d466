"""Who is writing: the author recorded on commits and operations.

In order, the first that says: the settings' ``author`` (``COMFYVN_AUTHOR``); the vault's
``.comfyvn/config.toml``::

    [user]
    name = "Ada Lovelace"
    email = "ada@example.com"

then git's ``user.name`` / ``user.email`` (``git config`` when git is on PATH,
else ``~/.gitconfig`` and ``$XDG_CONFIG_HOME/git/config`` read directly); then
the login name. A name and an email make ``Ada Lovelace <ada@example.com>``.
The configs are read by :mod:`.author_config`, imported on the first write.
"""

from __future__ import annotations

from pathlib import Path


class Author:
    """The author of writes to the vault whose ``.comfyvn`` folder is ``meta`` (None: no vault config).

    Calling it gives the name: ``fixed`` when set (``COMFYVN_AUTHOR``), else
    the configs, read once on the first write, so opening a vault to read
    never runs git.
    """

    def __init__(self, meta: Path | None = None, fixed: str | None = None) -> None:
        self.meta = meta
        self.fixed = fixed
        self._configured: str | None = None
        self._read = False

    def __call__(self) -> str:
        from comfyvn_vault.history.author_config import clean, configured_author, login_name

        fixed = clean(self.fixed)
        if fixed:
            return fixed
        if not self._read:
            self._configured = configured_author(self.meta)
            self._read = True
        return self._configured or login_name()
