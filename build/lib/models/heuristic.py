"""A transparent churn scorer: a hand-set logistic model over a customer's own rhythm."""

from __future__ import annotations

import math

from models.features import Features

# Log-odds weights. Overdue-ness is measured against the customer's own rhythm, so a
# monthly buyer silent for 90 days scores far higher than a quarterly one.
WEIGHTS: dict[str, float] = {
    "log_overdue": 2.5,
    "rhythm_vs_horizon": 1.0,
    "single_purchase": 0.7,
    "log_frequency": -0.3,
    "open_complaints": 0.9,
    "complaints_90d": 0.35,
    "severity_above_2": 0.25,
    "satisfaction_gap": 0.4,
    "spend_decline": 0.8,
}
INTERCEPT = -1.0


def heuristic_terms(x: Features) -> dict[str, float]:
    """The (clipped) inputs of the heuristic, named as in :data:`WEIGHTS`."""
    return {
        "log_overdue": math.log(min(max(x["overdue_ratio"], 0.1), 20.0)),
        "rhythm_vs_horizon": x["rhythm_vs_horizon"],
        "single_purchase": x["single_purchase"],
        "log_frequency": math.log1p(x["frequency"]),
        "open_complaints": min(x["open_complaints"], 3.0),
        "complaints_90d": min(x["complaints_90d"], 5.0),
        "severity_above_2": max(x["worst_severity_90d"] - 2.0, 0.0),
        "satisfaction_gap": x["satisfaction_gap"],
        "spend_decline": max(-x["spend_trend"], 0.0),
    }


class HeuristicScorer:
    """Hand-set logistic scorer; used until the online model has learned enough.

    Parameters
    ----------
    intercept
        Log-odds of churn for an on-time customer with no other signal.

    Examples
    --------
    >>> from models.features import extract_features, DAY
    >>> from models.state import CustomerState, apply_purchase
    >>> s = CustomerState("c1")
    >>> for day in range(0, 120, 30):
    ...     apply_purchase(s, day * DAY, 40.0)
    >>> scorer = HeuristicScorer()
    >>> on_time = scorer.predict_proba_one(extract_features(s, 100 * DAY, 90))[True]
    >>> silent = scorer.predict_proba_one(extract_features(s, 300 * DAY, 90))[True]
    >>> on_time < 0.2 < 0.8 < silent
    True
    """

    def __init__(self, intercept: float = INTERCEPT) -> None:
        self.intercept = intercept

    @property
    def version(self) -> str:
        return "heuristic-1"

    def contributions(self, x: Features) -> dict[str, float]:
        return {name: WEIGHTS[name] * value for name, value in heuristic_terms(x).items()}

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        log_odds = self.intercept + sum(self.contributions(x).values())
        p = 1.0 / (1.0 + math.exp(-log_odds))
        return {False: 1.0 - p, True: p}
