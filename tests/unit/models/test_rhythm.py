from collections import Counter

import numpy as np

from models.pulse import SCALE, Gap, add_gap
from models.rhythm import MIN_GAPS, Rhythm


def _tallies(rng: np.random.Generator, spread: float, stratum: int, n: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for ratio in rng.normal(0.0, spread, n):
        add_gap(counts, Gap(round(ratio * SCALE), stratum))
    return counts


def test_the_spread_of_each_stratum_is_learned_from_returning_purchases() -> None:
    rng = np.random.default_rng(1)
    counts = _tallies(rng, 0.25, 6, 2000) + _tallies(rng, 0.8, 1, 2000)
    rhythm = Rhythm().updated(counts, keep=0.9)
    assert abs(rhythm.spreads[6].deviation - 0.25) < 0.02
    assert abs(rhythm.spreads[1].deviation - 0.8) < 0.05
    assert rhythm.spreads[2].count == 0  # no purchase in that stratum yet


def test_a_silence_is_unusual_by_the_shops_own_measure() -> None:
    rng = np.random.default_rng(2)
    regular = Rhythm().updated(_tallies(rng, 0.2, 6, 1000), keep=0.9)
    erratic = Rhythm().updated(_tallies(rng, 1.2, 6, 1000), keep=0.9)
    # a weekly buyer, silent three weeks, who leaves after a purchase with chance 0.05
    args = (np.array([10.0]), np.array([7.0]), np.array([21.0]), 30, np.array([0.05]))
    assert regular.p_none(*args)[0] > 0.9 > 0.5 > erratic.p_none(*args)[0]


def test_a_stratum_without_enough_purchases_is_not_ready() -> None:
    rng = np.random.default_rng(3)
    rhythm = Rhythm().updated(_tallies(rng, 0.3, 6, MIN_GAPS - 1), keep=1.0)
    assert not rhythm.ready(np.array([10.0])).any()
    assert rhythm.p_none(np.array([10.0]), np.array([7.0]), np.array([3.0]), 30, np.zeros(1)) == 1.0
