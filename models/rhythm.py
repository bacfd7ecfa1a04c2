"""How late a live customer's next purchase can come: the shop's own gaps, as a churn prior.

Every returning purchase is tallied as ``log(gap / the customer's usual gap)``
(:mod:`models.pulse`), apart by how many gaps the usual gap rested on. Averaged over recent
periods (half-life 90 days of event time), each stratum gives the spread of a live customer's
gaps around their rhythm, taken as log-normal: in a shop of regular weekly buyers a gap of
three usual gaps is rare, in a grocer's whose customers "usually buy every 3 days" and often
wait 18 it is not, and a rhythm seen once is a looser guide than one seen ten times.

With the chance ``D`` that the customer left at their last purchase (BG/NBD's dropout: after
``x`` repeat purchases, ``a / (a + b + x - 1)``), a customer silent ``s`` days with usual gap
``g`` buys nothing in the next ``H`` days with chance

    (D + (1 - D) S((s + H) / g)) / (D + (1 - D) S(s / g)),

``S`` being the chance that a live customer's gap exceeds so many usual gaps. No outcome is
needed: this prior serves a new shop from its first weeks, and a silence counts as unusual
only by the shop's own measure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from models.pulse import GAPS, SCALE, SQUARES, STRATA, SUM, stratum_of

# returning purchases a stratum needs before its spread is trusted
MIN_GAPS = 30


@dataclass(frozen=True)
class Spread:
    """Decayed sums of one stratum's log gap ratios: count, sum and sum of squares."""

    count: float = 0.0
    total: float = 0.0
    squares: float = 0.0

    def added(self, count: float, total: float, squares: float, keep: float) -> Spread:
        return Spread(
            keep * self.count + count, keep * self.total + total, keep * self.squares + squares
        )

    @property
    def mean(self) -> float:
        return self.total / self.count

    @property
    def deviation(self) -> float:
        variance = max(self.squares / self.count - self.mean**2, 1e-6)
        return math.sqrt(variance * self.count / max(self.count - 1.0, 1.0))


@dataclass(frozen=True)
class Rhythm:
    """The shop's gaps around its customers' rhythms, per stratum.

    Examples
    --------
    A shop whose customers come back within 20% of their usual gap, one in two of them:

    >>> steady = Spread(count=1000.0, total=0.0, squares=1000.0 * 0.2**2)
    >>> rhythm = Rhythm({s: steady for s in (1, 2, 3, 6)})
    >>> silent = np.array([5.0, 12.0, 25.0])
    >>> rhythm.p_none(np.full(3, 5.0), np.full(3, 10.0), silent, 30, np.full(3, 0.5)).round(3)
    array([0.5  , 0.847, 1.   ])

    Silent half their usual gap, they are as likely back as they were to stay at their last
    purchase; a little past it, likelier gone; past two and a half gaps, gone.
    """

    spreads: dict[int, Spread] = field(default_factory=dict)

    def updated(self, counts: Mapping[str, int], keep: float) -> Rhythm:
        """The spreads after one more period's tallies, older periods weighing ``keep``."""
        spreads = {}
        for stratum in STRATA:
            suffix = f"|{stratum}"
            before = self.spreads.get(stratum, Spread())
            spreads[stratum] = before.added(
                counts.get(GAPS + suffix, 0),
                counts.get(SUM + suffix, 0) / SCALE,
                counts.get(SQUARES + suffix, 0) / SCALE**2,
                keep,
            )
        return Rhythm(spreads)

    def _spread_of(self, repeats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each customer's stratum's log-normal mean and deviation (1, 1 where not ready)."""
        mean, deviation = np.ones_like(repeats), np.ones_like(repeats)
        for stratum in STRATA:
            spread = self.spreads.get(stratum)
            if spread is None or spread.count < MIN_GAPS:
                continue
            chosen = np.array([stratum_of(max(int(n), 1)) == stratum for n in repeats], dtype=bool)
            mean[chosen], deviation[chosen] = spread.mean, spread.deviation
        return mean, deviation

    @property
    def spreads_ready(self) -> bool:
        """Whether any stratum has seen enough returning purchases to judge a silence."""
        return any(s.count >= MIN_GAPS for s in self.spreads.values())

    def ready(self, repeats: np.ndarray) -> np.ndarray:
        """Which customers (by repeat purchases) have a stratum that has seen enough gaps."""
        counts = np.array([self._count(stratum_of(max(int(n), 1))) for n in repeats])
        return (repeats >= 1) & (counts >= MIN_GAPS)

    def _count(self, stratum: int) -> float:
        spread = self.spreads.get(stratum)
        return 0.0 if spread is None else spread.count

    def p_none(
        self,
        repeats: np.ndarray,
        usual_gap: np.ndarray,
        silent: np.ndarray,
        horizon_days: float,
        dropout: np.ndarray,
    ) -> np.ndarray:
        """P(no purchase in the next ``horizon_days``) of repeat buyers (see the module); 1
        where :meth:`ready` is not."""
        mean, deviation = self._spread_of(repeats)
        usual_gap = np.maximum(usual_gap, 1.0)  # as the features floor it
        waited = _survival(silent / usual_gap, mean, deviation)
        later = _survival((silent + horizon_days) / usual_gap, mean, deviation)
        still = dropout + (1.0 - dropout) * waited
        answer = np.where(
            still > 0, (dropout + (1.0 - dropout) * later) / np.maximum(still, 1e-300), 1.0
        )
        return np.where(self.ready(repeats), answer, 1.0)


def _survival(ratio: np.ndarray, mean: np.ndarray, deviation: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(ratio > 0, ndtr((mean - np.log(ratio)) / deviation), 1.0)
