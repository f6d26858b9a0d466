"""The seeded RNG: known answers, an independent reference implementation, uniformity, weights, derivation, state."""

from __future__ import annotations

import hashlib
import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comfyvn_vault.domain.runtime.rng import MASK64, Rng, RngError, playthrough_rng, splitmix64
from comfyvn_vault.errors import InputRejected

TWO64 = 2**64

# --------------------------------------------------------------------------- a reference, written differently
# Big-integer arithmetic with explicit % 2**64, rotations by multiplication and floor division, no bit masks.


def ref_splitmix64(seed: int, count: int) -> list[int]:
    out, x = [], seed
    for _ in range(count):
        x = (x + 0x9E3779B97F4A7C15) % TWO64
        z = x
        z = ((z ^ (z // 2**30)) * 0xBF58476D1CE4E5B9) % TWO64
        z = ((z ^ (z // 2**27)) * 0x94D049BB133111EB) % TWO64
        out.append(z ^ (z // 2**31))
    return out


POW2: list[int] = [2**i for i in range(65)]


def ref_rotl(x: int, k: int) -> int:
    return (x * POW2[k]) % TWO64 + x // POW2[64 - k]


def ref_xoshiro(state: list[int], count: int) -> list[int]:
    s = list(state)
    out = []
    for _ in range(count):
        out.append((ref_rotl((s[1] * 5) % TWO64, 7) * 9) % TWO64)
        t = (s[1] * 2**17) % TWO64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ref_rotl(s[3], 45)
    return out


def draws(rng: Rng, count: int) -> list[int]:
    return [rng.next_u64() for _ in range(count)]


# --------------------------------------------------------------------------- known answers


def test_splitmix64_known_answers_for_seed_0() -> None:
    outs, x = [], 0
    for _ in range(3):
        x, out = splitmix64(x)
        outs.append(out)
    assert outs == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    assert ref_splitmix64(0, 3) == outs


def test_xoshiro256starstar_known_answers_from_state_1_2_3_4() -> None:
    # the reference vector of xoshiro256** 1.0 for the state (1, 2, 3, 4)
    expected = [
        11520,
        0,
        1509978240,
        1215971899390074240,
        1216172134540287360,
        607988272756665600,
        16172922978634559625,
        8476171486693032832,
        10595114339597558777,
        2904607092377533576,
    ]
    assert draws(Rng.from_state((1, 2, 3, 4)), 10) == expected
    assert ref_xoshiro([1, 2, 3, 4], 10) == expected


def test_from_seed_is_splitmix_then_xoshiro_and_pinned() -> None:
    rng = Rng.from_seed(0)
    assert rng.state() == tuple(ref_splitmix64(0, 4))
    assert draws(rng, 4) == [0x99EC5F36CB75F2B4, 0xBF6E1F784956452A, 0x1A5F849D4933E6E0, 0x6AA594F1262D2D2C]


@settings(max_examples=50, deadline=None)
@given(st.integers(0, MASK64))
def test_any_seed_matches_the_reference(seed: int) -> None:
    rng = Rng.from_seed(seed)
    state = ref_splitmix64(seed, 4)
    assert rng.state() == tuple(state)
    assert draws(rng, 20) == ref_xoshiro(state, 20)


def test_derivation_follows_the_documented_encoding() -> None:
    parent = Rng.from_seed(7)
    data = b"comfyvn-rng-derive\0" + b"".join(w.to_bytes(8, "big") for w in parent.state())
    data += b"s" + (3).to_bytes(8, "big") + b"abc"
    data += b"i" + (1).to_bytes(8, "big") + (-1).to_bytes(1, "big", signed=True)
    data += b"i" + (2).to_bytes(8, "big") + (200).to_bytes(2, "big", signed=True)
    seed = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")
    assert parent.derive("abc", -1, 200).state() == Rng.from_seed(seed).state()


def test_playthrough_stream_is_pinned() -> None:
    assert playthrough_rng(42, "lighthouse").state() == Rng.from_seed(42).derive("playthrough", "lighthouse").state()
    assert draws(playthrough_rng(42, "lighthouse"), 3) == [
        15763143180084748931,
        12785140137913445833,
        15593114688056842134,
    ]


# --------------------------------------------------------------------------- below and weighted


def test_below_stays_in_range_and_covers_it() -> None:
    rng = Rng.from_seed(1)
    for n in (1, 2, 3, 7, 10, 2**32 + 1, 2**63 + 5, 2**64):
        got = {rng.below(n) for _ in range(200)}
        assert all(0 <= g < n for g in got)
        if n <= 7:
            assert got == set(range(n))
    assert {rng.below(1) for _ in range(50)} == {0}


def test_below_is_roughly_uniform() -> None:
    rng, n, total = Rng.from_seed(2024), 10, 20_000
    counts = Counter(rng.below(n) for _ in range(total))
    expected = total / n
    chi2 = sum((counts[i] - expected) ** 2 / expected for i in range(n))
    assert chi2 < 27.88  # chi-square, 9 degrees of freedom, p = 0.001


def test_below_rejects_the_biased_sliver() -> None:
    # with n = 2**64 - 1 the threshold is 1: an output whose low product word is 0 is drawn again
    rng = Rng.from_seed(3)
    assert all(0 <= rng.below(2**64 - 1) < 2**64 - 1 for _ in range(100))
    # n = 3 * 2**62: a quarter of the outputs are rejected, and the result is still in range and uniform-ish
    n = 3 * 2**62
    counts = Counter(rng.below(n) // 2**62 for _ in range(3000))
    assert set(counts) == {0, 1, 2} and all(
        abs(c - 1000) < 4 * math.sqrt(3000 * (1 / 3) * (2 / 3)) for c in counts.values()
    )


def test_weighted_frequencies_match_the_weights() -> None:
    rng, weights, total = Rng.from_seed(99), [1, 0, 3, 6, 0], 30_000
    counts = Counter(rng.weighted(weights) for _ in range(total))
    assert counts[1] == 0 and counts[4] == 0, "a zero weight is never chosen"
    s = sum(weights)
    for i, w in enumerate(weights):
        p = w / s
        sigma = math.sqrt(total * p * (1 - p))
        assert abs(counts[i] - total * p) <= 4 * sigma + 1e-9, (i, counts[i], total * p)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=6).filter(any), st.integers(0, MASK64))
def test_weighted_never_picks_a_zero_weight(weights: list[int], seed: int) -> None:
    rng = Rng.from_seed(seed)
    assert all(weights[rng.weighted(weights)] > 0 for _ in range(30))


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1, True], [1.5], [2**64, 1]])
def test_weighted_refuses_bad_weights(weights: list[int]) -> None:
    with pytest.raises(RngError):
        Rng.from_seed(0).weighted(weights)


@pytest.mark.parametrize("n", [0, -1, 2**64 + 1, True])
def test_below_refuses_bad_bounds(n: int) -> None:
    with pytest.raises(RngError):
        Rng.from_seed(0).below(n)


# --------------------------------------------------------------------------- derivation and state


def test_derivation_is_deterministic_and_leaves_the_parent_alone() -> None:
    parent = Rng.from_seed(5)
    before = parent.state()
    a1, a2 = parent.derive("scene", "intro"), parent.derive("scene", "intro")
    assert parent.state() == before
    assert draws(a1, 10) == draws(a2, 10)
    # a parent that has drawn derives a different child
    parent.next_u64()
    assert parent.derive("scene", "intro").state() != Rng.from_seed(5).derive("scene", "intro").state()


def test_labels_are_encoded_unambiguously() -> None:
    parent = Rng.from_seed(11)
    children = [
        parent.derive(),
        parent.derive(""),
        parent.derive("ab"),
        parent.derive("a", "b"),
        parent.derive("ab", ""),
        parent.derive(1),
        parent.derive("1"),
        parent.derive(-1),
        parent.derive(255),
        parent.derive(0),
    ]
    assert len({c.state() for c in children}) == len(children)


def test_derived_streams_look_independent() -> None:
    parent = Rng.from_seed(12345)
    a, b = draws(parent.derive("a"), 2000), draws(parent.derive("b"), 2000)
    mine = draws(parent.copy(), 2000)
    for x, y in ((a, b), (a, mine), (b, mine)):
        assert not set(x) & set(y)
        same_bits = sum(64 - (p ^ q).bit_count() for p, q in zip(x, y, strict=True))
        # 128,000 bit pairs agree half the time; 5 sigma is sqrt(128000 / 4) * 5 ~ 894
        assert abs(same_bits - 64_000) < 900
    ones = sum(v.bit_count() for v in a)
    assert abs(ones - 64_000) < 900


def test_state_snapshot_and_restore_reproduce_the_stream() -> None:
    rng = Rng.from_seed(77)
    draws(rng, 13)
    snapshot = rng.state()
    assert all(isinstance(w, int) and 0 <= w <= MASK64 for w in snapshot)
    ahead = [rng.next_u64(), rng.below(6), rng.weighted([1, 2, 3]), rng.next_u64()]
    again = Rng.from_state(list(snapshot))
    assert [again.next_u64(), again.below(6), again.weighted([1, 2, 3]), again.next_u64()] == ahead
    assert repr(again) == f"Rng.from_state({again.state()!r})"


@pytest.mark.parametrize("state", [(0, 0, 0, 0), (1, 2, 3), (1, 2, 3, 4, 5), (-1, 0, 0, 1), (2**64, 0, 0, 1)])
def test_bad_states_are_refused(state: tuple[int, ...]) -> None:
    with pytest.raises(RngError) as info:
        Rng.from_state(state)
    assert isinstance(info.value, InputRejected)


@pytest.mark.parametrize("seed", [-1, 2**64, True])
def test_bad_seeds_are_refused(seed: int) -> None:
    with pytest.raises(RngError):
        Rng.from_seed(seed)


def test_labels_of_other_types_are_refused() -> None:
    with pytest.raises(RngError):
        Rng.from_seed(0).derive(1.5)  # type: ignore[arg-type]
    with pytest.raises(RngError):
        Rng.from_seed(0).derive(True)
