"""The TUI never dies on an error: what escapes a handler becomes a notification.

Textual ends the app on any exception that escapes a message handler, an
action, a worker, a timer or a refresh, and a message pump whose handler
raised stops reading its queue. Three guards keep the app (and each widget)
running instead:

* :class:`Guarded` wraps the message dispatch of this package's widgets,
  views and screens, so a handler that raises leaves its widget alive;
* ``VaultApp._dispatch_action`` reports an action (a key, the palette) that
  raised;
* ``VaultApp._handle_exception`` reports whatever else reaches Textual
  (workers, timers, callbacks, compose, rendering) instead of exiting.

Each goes to ``VaultApp.survive``, which reports it through :func:`describe_error`
unless the main screen is not up yet (then the app ends as Textual would).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import WorkerFailed

from comfyvn_vault.errors import VaultError


@dataclass(frozen=True)
class CaughtError:
    """One error the app survived: a one-line summary, where it happened, and its traceback."""

    summary: str
    where: str
    details: str
    expected: bool


def unwrap(error: BaseException) -> BaseException:
    """The error a failed worker raised (Textual wraps it in :class:`WorkerFailed`)."""
    while isinstance(error, WorkerFailed):
        error = error.error
    return error


def describe_error(error: BaseException, where: str = "") -> CaughtError:
    """A :class:`VaultError` is the vault refusing something (its message is for users); anything else is a bug."""
    error = unwrap(error)
    details = "".join(traceback.format_exception(error))
    if isinstance(error, VaultError):
        return CaughtError(error.message, where, details, expected=True)
    text = str(error).strip().splitlines()
    summary = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
    return CaughtError(summary, where, details, expected=False)


class Guarded(MessagePump):
    """A message pump whose handlers may raise: the error is reported and the pump keeps running."""

    async def _dispatch_message(self, message: Message) -> None:
        try:
            await super()._dispatch_message(message)
        except Exception as error:
            survive = getattr(self.app, "survive", None)
            if survive is None or not survive(error, f"{type(self).__name__} handling {type(message).__name__}"):
                raise
