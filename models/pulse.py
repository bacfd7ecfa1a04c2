"""The shop's pulse: how late purchases come against each buyer's own rhythm, per model period.

Labels say what happened a horizon after their snapshot, so a detector on labels alone sees a
change in the shop a horizon late. A purchase says at once whether it came sooner or later
than that customer usually buys: ``log(gap / expected gap)``, averaged over a period's
purchases, moves the week the shop changes. The per-purchase values are kept as integers
(thousandths) so that their sums are the same whatever order or batches they were added in.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from models.features import DAY, expected_interval_days, interval_days
from models.state import CustomerState

SCALE = 1000
CAP = 3.0  # |log ratio| beyond this (20 times sooner or later) is one customer's oddity
GAPS, SUM, SQUARES = "gaps", "log_gap_ratio_milli", "log_gap_ratio_milli_squared"


def gap_ratio(state: CustomerState, at: float) -> int | None:
    """``log(gap / expected gap)`` of a purchase at ``at``, in thousandths, from the state
    before it; None for a buyer without a rhythm yet, or a purchase on the day of the last.

    >>> from models.state import apply_purchase
    >>> s = CustomerState("c1")
    >>> for day in (0, 10, 20):
    ...     apply_purchase(s, day * DAY, 5.0)
    >>> gap_ratio(s, 40 * DAY), gap_ratio(s, 30 * DAY), gap_ratio(s, 20.5 * DAY)
    (693, 0, None)
    """
    last = state.last_purchase
    if last is None or at - last < DAY or not interval_days(state):
        return None
    ratio = math.log((at - last) / DAY / expected_interval_days(state))
    return round(min(max(ratio, -CAP), CAP) * SCALE)


def add_gap(counts: Counter[str], ratio: int | None) -> None:
    if ratio is not None:
        counts[GAPS] += 1
        counts[SUM] += ratio
        counts[SQUARES] += ratio * ratio


@dataclass(frozen=True)
class Pulse:
    """One period's purchases that had a rhythm to compare with: how many, the mean of their
    log gap ratios and its standard error."""

    gaps: int
    mean_log_ratio: float
    standard_error: float

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Pulse:
        """
        >>> Pulse.of({GAPS: 4, SUM: 2000, SQUARES: 1_750_000})
        Pulse(gaps=4, mean_log_ratio=0.5, standard_error=0.25)
        """
        gaps = counts.get(GAPS, 0)
        if gaps < 2:
            return cls(gaps, counts.get(SUM, 0) / SCALE if gaps else 0.0, math.inf)
        mean = counts.get(SUM, 0) / gaps
        variance = max(counts.get(SQUARES, 0) / gaps - mean * mean, 0.0) * gaps / (gaps - 1)
        return cls(gaps, mean / SCALE, math.sqrt(variance / gaps) / SCALE)
