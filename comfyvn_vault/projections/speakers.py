"""Lines by speaker: which scenes a character speaks in, and how often.

==========  ================================================  =====
name        key                                               value
==========  ================================================  =====
p.speaker   lowercased speaker \\0 scene id \\0 node id        b""
==========  ================================================  =====
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from comfyvn_vault.domain.entities import Node
from comfyvn_vault.projections.base import SEP, Delta, Key, Projection, reading
from comfyvn_vault.projections.keys import key_part

DB_SPEAKER: Final = b"p.speaker"


class Speakers(Projection):
    """Lowercased speaker → the nodes they speak."""

    databases = (DB_SPEAKER,)

    @staticmethod
    def node_keys(scene_id: str, node: Node) -> Iterable[Key]:
        if not node.speaker:
            return ()
        return ((DB_SPEAKER, key_part(node.speaker.lower()) + SEP + scene_id.encode() + SEP + node.id.encode()),)

    @classmethod
    def node_delta(cls, scene_id: str, node_id: str, old: Node | None, new: Node | None, delta: Delta) -> None:
        was = old.speaker.lower() if old is not None and old.speaker else ""
        now = new.speaker.lower() if new is not None and new.speaker else ""
        if was == now:
            return
        tail = SEP + scene_id.encode() + SEP + node_id.encode()
        if was:
            delta.gone[DB_SPEAKER].append(key_part(was) + tail)
        if now:
            delta.added[DB_SPEAKER].append(key_part(now) + tail)

    @reading
    def scenes_with_speaker(self, speaker: str) -> dict[str, int]:
        """Scene id → number of lines ``speaker`` has in it."""
        prefix = key_part(speaker.lower()) + SEP
        out: dict[str, int] = {}
        for k in self.index.scan(DB_SPEAKER, prefix):
            sid = k[len(prefix) :].split(SEP, 1)[0].decode()
            out[sid] = out.get(sid, 0) + 1
        return out


__all__ = ["DB_SPEAKER", "Speakers"]
