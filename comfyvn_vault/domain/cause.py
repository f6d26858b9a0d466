"""Why an event happened: shared by the story events and the asset/advisory events."""

from __future__ import annotations

from typing import Literal, TypeAlias

import msgspec

CauseKind: TypeAlias = Literal["user", "import", "generation", "hook", "merge", "watch"]


class Cause(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """Why an event happened: a user edit, an import job, a generation, a hook, a merge, a watched file.

    ``ref`` names the job, hook, file or commit responsible; ``note`` is free text.
    """

    kind: CauseKind
    ref: str | None = None
    note: str | None = None
