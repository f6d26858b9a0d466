"""The one error the domain layer raises: an event that does not apply.

``Rejected`` is an :class:`~comfyvn_vault.errors.InputRejected`, so the CLI maps
it to exit code 3 ("input rejected, nothing changed") with no extra wiring: an
event is checked by ``apply`` before it is written, and a rejected event leaves
history untouched.
"""

from __future__ import annotations

from comfyvn_vault.errors import InputRejected


class Rejected(InputRejected):
    """An event (or an entity document) that does not apply to the current state.

    The message is one line that names the entity and the reason, e.g.
    ``node 'n2' of scene 'intro' is still the target of n1 (next)``.
    """

    @property
    def reason(self) -> str:
        return self.message
