"""The churn risk that needs no outcome, for a shop's first months: the shop's own rhythms.

Labels come a horizon after their snapshot, so a new shop has none for its first months, and
the hand-set heuristic's risks are then unchecked guesses (on a grocer's frequent shoppers it
stated 0.6 for customers of whom 13-16% left). The prior needs no label:

- a repeat buyer is judged by how late their silence is by the shop's own measure
  (:mod:`models.rhythm`: the spread of live customers' gaps around their rhythm, from every
  returning purchase), with BG/NBD's chance that they left at their last purchase;
- a one-time buyer, who has no rhythm yet, by BG/NBD alone (:mod:`models.purchases`: their
  rate shrunk toward the shop's), fitted on the shop's census.

It serves while no learned model does, instead of the heuristic, from the first weeks, and
afterwards while it is ahead of the heuristic (recalibrated on the labels) in log loss on
recent labels. Its reasons are the heuristic's: what it reads (silence against the customer's
rhythm, how often they bought) is what those reasons say.
"""

from __future__ import annotations

import math

import numpy as np

from models.features import Features
from models.online import INPUT_NAMES, model_inputs
from models.purchases import BetaGeo
from models.rhythm import Rhythm
from models.scorer import ChurnScorer
from models.value import Histories

_RECENCY, _INTERVAL = INPUT_NAMES.index("log_recency"), INPUT_NAMES.index("log_interval")


class PriorScorer:
    """P(no purchase within ``horizon_days``) from the shop's rhythms and BG/NBD.

    Examples
    --------
    >>> from models.features import FEATURE_NAMES
    >>> from models.heuristic import HeuristicScorer
    >>> from models.rhythm import Spread
    >>> steady = Spread(count=1000.0, total=0.0, squares=1000.0 * 0.3**2)
    >>> prior = PriorScorer(BetaGeo(0.243, 30.9, 0.793, 2.426),
    ...     Rhythm({s: steady for s in (1, 2, 3, 6)}), 90, HeuristicScorer())
    >>> weekly = dict.fromkeys(FEATURE_NAMES, 0.0) | {"frequency": 10.0, "tenure_days": 70.0,
    ...     "interval_days": 7.0, "log_monetary": 3.0}
    >>> [round(prior.predict_proba_one(weekly | {"recency_days": d})[True], 3) for d in (3, 20)]
    [0.071, 0.997]
    """

    def __init__(
        self,
        purchases: BetaGeo | None,
        rhythm: Rhythm,
        horizon_days: float,
        explainer: ChurnScorer,
    ) -> None:
        self.purchases = purchases
        self.rhythm = rhythm
        self.horizon_days = horizon_days
        self.explainer = explainer

    @property
    def version(self) -> str:
        return "rhythm"

    def risks(self, rows: np.ndarray, histories: Histories) -> np.ndarray:
        """P(no purchase within H) of many customers: rows of model inputs and histories."""
        history = histories.history()
        repeats = history.x
        if self.purchases is None:
            dropout = np.zeros_like(repeats)
            by_rate = np.full_like(repeats, math.nan)
        else:
            a, b = self.purchases.a, self.purchases.b
            dropout = a / (a + b + np.maximum(repeats, 1.0) - 1.0)
            by_rate = self.purchases.p_none(history, self.horizon_days)
        by_rhythm = self.rhythm.p_none(
            repeats,
            np.expm1(rows[:, _INTERVAL]),
            np.expm1(rows[:, _RECENCY]),
            self.horizon_days,
            dropout,
        )
        return np.where(self.rhythm.ready(repeats), by_rhythm, by_rate)

    def ready(self, histories: Histories) -> np.ndarray:
        """Which customers the prior can rate (else NaN in :meth:`risks`)."""
        repeats = histories.history().x
        return self.rhythm.ready(repeats) | (self.purchases is not None)

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        rows = np.array([model_inputs(x)])
        p = float(self.risks(rows, Histories.of([x]))[0])
        if math.isnan(p):
            p = self.explainer.predict_proba_one(x)[True]
        return {False: 1.0 - p, True: p}

    def contributions(self, x: Features) -> dict[str, float]:
        return self.explainer.contributions(x)
