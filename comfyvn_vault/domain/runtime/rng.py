"""A seeded random stream that is the same on every machine: SplitMix64 seeding, xoshiro256** draws.

Python's :mod:`random` is not used: its algorithm and its seeding are CPython's
business and may change. Everything here is written out with explicit 64-bit
masking, so a playthrough recorded on one machine replays draw for draw on any
other, and in any language that implements these few lines.

The algorithm, exactly:

* **SplitMix64** (Steele, Lea and Flood; Vigna's ``splitmix64.c``), used to
  turn one 64-bit seed into a state. With ``x`` the 64-bit counter, each output
  is::

      x = x + 0x9E3779B97F4A7C15                    (mod 2**64)
      z = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9       (mod 2**64)
      z = (z ^ (z >> 27)) * 0x94D049BB133111EB       (mod 2**64)
      output z ^ (z >> 31)

* **xoshiro256**** 1.0 (Blackman and Vigna), the stream itself. The state is
  four 64-bit words ``s0 s1 s2 s3``; each :meth:`Rng.next_u64` is::

      result = rotl(s1 * 5, 7) * 9                   (mod 2**64)
      t = s1 << 17                                   (mod 2**64)
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)
      output result

* :meth:`Rng.from_seed` (``seed`` in ``0 .. 2**64-1``): the state is the first
  four SplitMix64 outputs from counter ``seed``, in order ``s0 .. s3``.
* :meth:`Rng.derive` (``labels``: strings and integers): the child's seed is
  the BLAKE2b hash with an 8-byte digest, read as a big-endian integer, of the
  bytes ``b"comfyvn-rng-derive\\0"``, then the parent's ``s0 .. s3`` as 8-byte
  big-endian words, then each label: a string is ``b"s"``, its UTF-8 length as
  an 8-byte big-endian integer and its UTF-8 bytes; an integer is ``b"i"``, the
  length ``k = (n.bit_length() + 8) // 8`` as an 8-byte big-endian integer and
  ``n`` in ``k`` bytes of big-endian two's complement. The child is
  ``from_seed`` of that seed. Deriving does not advance the parent: the same
  labels give the same child, however much the parent has drawn since.
* :func:`playthrough_rng`: ``Rng.from_seed(seed).derive("playthrough", story_id)``.
* :meth:`Rng.below` (``n`` in ``1 .. 2**64``): Lemire's multiply-and-reject.
  ``m = next_u64() * n`` (the full 128-bit product); while ``m mod 2**64`` is
  below ``(2**64 - n) mod n``, draw again; the result is ``m >> 64``. No draw is
  made twice unless the first lands in the rejected sliver, so the result is
  exactly uniform.
* :meth:`Rng.weighted`: ``r = below(sum(weights))`` and the first index whose
  running total of weights exceeds ``r``; an index of weight 0 is never chosen.

A state is four plain integers (:meth:`Rng.state`, :meth:`Rng.from_state`), so
a recorded playthrough can store where its stream stood.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

from comfyvn_vault.errors import InputRejected

MASK64: Final = (1 << 64) - 1
_GOLDEN: Final = 0x9E3779B97F4A7C15
_MIX1: Final = 0xBF58476D1CE4E5B9
_MIX2: Final = 0x94D049BB133111EB
_DERIVE_TAG: Final = b"comfyvn-rng-derive\0"

State = tuple[int, int, int, int]


class RngError(InputRejected):
    """A seed, a state, a bound or a set of weights the generator cannot use."""


def splitmix64(x: int) -> tuple[int, int]:
    """One SplitMix64 step from counter ``x``: ``(next counter, output)``."""
    x = (x + _GOLDEN) & MASK64
    z = ((x ^ (x >> 30)) * _MIX1) & MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & MASK64
    return x, z ^ (z >> 31)


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK64


def _is_word(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MASK64


def _encode_label(label: str | int) -> bytes:
    if isinstance(label, str):
        raw = label.encode("utf-8")
        return b"s" + len(raw).to_bytes(8, "big") + raw
    if isinstance(label, int) and not isinstance(label, bool):
        k = (label.bit_length() + 8) // 8
        return b"i" + k.to_bytes(8, "big") + label.to_bytes(k, "big", signed=True)
    raise RngError(f"a label to derive a stream from is a string or an integer, not {type(label).__name__}")


class Rng:
    """A xoshiro256** stream; it changes as it draws (see the module docstring for the exact algorithm)."""

    __slots__ = ("_s0", "_s1", "_s2", "_s3")

    def __init__(self, state: State) -> None:
        if len(state) != 4 or not all(_is_word(w) for w in state):
            raise RngError("an RNG state is four integers from 0 to 2**64-1")
        if not any(state):
            raise RngError("an RNG state cannot be all zeros")
        self._s0, self._s1, self._s2, self._s3 = state

    @classmethod
    def from_seed(cls, seed: int) -> Rng:
        """The stream of ``seed`` (``0 .. 2**64-1``): its state is the first four SplitMix64 outputs."""
        if not _is_word(seed):
            raise RngError(f"a seed is an integer from 0 to 2**64-1, not {seed!r}")
        words = []
        x = seed
        for _ in range(4):
            x, out = splitmix64(x)
            words.append(out)
        return cls((words[0], words[1], words[2], words[3]))

    @classmethod
    def from_state(cls, state: Sequence[int]) -> Rng:
        """The stream that stood at ``state`` (as :meth:`state` gave it)."""
        words = tuple(state)
        if len(words) != 4:
            raise RngError(f"an RNG state is four integers, not {len(words)}")
        return cls((words[0], words[1], words[2], words[3]))

    def state(self) -> State:
        """Where the stream stands, as four plain integers: :meth:`from_state` resumes from it."""
        return (self._s0, self._s1, self._s2, self._s3)

    def copy(self) -> Rng:
        """An independent stream at the same state."""
        return Rng(self.state())

    def derive(self, *labels: str | int) -> Rng:
        """A child stream for ``labels``, from this stream's state; this stream does not advance."""
        data = _DERIVE_TAG + b"".join(w.to_bytes(8, "big") for w in self.state())
        data += b"".join(_encode_label(label) for label in labels)
        seed = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")
        return Rng.from_seed(seed)

    def next_u64(self) -> int:
        """The next 64-bit output."""
        s0, s1, s2, s3 = self._s0, self._s1, self._s2, self._s3
        result = (_rotl((s1 * 5) & MASK64, 7) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self._s0, self._s1, self._s2, self._s3 = s0, s1, s2, s3
        return result

    def below(self, n: int) -> int:
        """A uniform integer in ``0 .. n-1`` (``n`` from 1 to 2**64), by Lemire's method."""
        if not (isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 1 << 64):
            raise RngError(f"below() takes a bound from 1 to 2**64, not {n!r}")
        m = self.next_u64() * n
        if (m & MASK64) < n:
            threshold = ((1 << 64) - n) % n
            while (m & MASK64) < threshold:
                m = self.next_u64() * n
        return m >> 64

    def weighted(self, weights: Sequence[int]) -> int:
        """An index of ``weights``, chosen with probability ``weights[i] / sum(weights)``.

        Weights are non-negative integers, at least one positive, summing to at
        most 2**64; an index of weight 0 is never chosen.
        """
        total = 0
        for w in weights:
            if not isinstance(w, int) or isinstance(w, bool) or w < 0:
                raise RngError(f"weights are non-negative integers, not {w!r}")
            total += w
        if total == 0:
            raise RngError("at least one weight must be positive")
        if total > 1 << 64:
            raise RngError("the weights add up to more than 2**64")
        r = self.below(total)
        running = 0
        for i, w in enumerate(weights):
            running += w
            if r < running:
                return i
        raise AssertionError("unreachable: r < total")  # pragma: no cover

    def __repr__(self) -> str:
        return f"Rng.from_state({self.state()!r})"


def playthrough_rng(seed: int, story_id: str) -> Rng:
    """The stream of one playthrough: ``Rng.from_seed(seed).derive("playthrough", story_id)``."""
    return Rng.from_seed(seed).derive("playthrough", story_id)


__all__ = ["MASK64", "Rng", "RngError", "State", "playthrough_rng", "splitmix64"]
