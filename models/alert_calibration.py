"""Risk calibrated where alerts are raised: among customers past their own rhythm.

A scorer can be calibrated over all its labels and still not where alerts come from. Alerts
are raised about active customers (silent less than the horizon) whose silence has passed
their usual gap between purchases, and there a model fitted to everyone can be off in either
direction: on a generated shop of frequent shoppers, customers it rated 0.54 there churned
67% of the time, and a "no purchase for 18 days; usually buys every 3 days" is a different
matter in a grocer's than in a CD shop. So each period the serving scorer's risks are
recalibrated (Platt) on the training window's labels of that segment alone, and the map
applies to customers in it; everyone else keeps the scorer's own risk.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from models.calibration import MIN_OUTCOMES, CalibratedScorer, Calibration, log_odds
from models.features import Features
from models.refit import INPUT_NAMES
from models.scorer import ChurnScorer

# the identity weighs as much as this many labels: a few labels move the calibration a little,
# hundreds wholly (a small shop's first outcomes are too few to trust alone)
PRIOR_LABELS = 20.0


def past_rhythm(x: Features, horizon_days: float) -> bool:
    """Whether a customer is where alerts come from: silent past their usual gap, not yet H.

    >>> past_rhythm({"recency_days": 40.0, "interval_days": 30.0}, 90)
    True
    >>> past_rhythm({"recency_days": 20.0, "interval_days": 30.0}, 90)
    False
    """
    return x["interval_days"] <= x["recency_days"] < horizon_days


def past_rhythm_rows(rows: np.ndarray, horizon_days: float) -> np.ndarray:
    """:func:`past_rhythm` of rows of model inputs (:func:`models.refit.model_inputs`)."""
    recency = rows[:, INPUT_NAMES.index("log_recency")]
    interval = rows[:, INPUT_NAMES.index("log_interval")]
    return (recency >= interval) & (recency < math.log1p(horizon_days))


def fit_where_alerted(
    risk: np.ndarray, churned: np.ndarray, rows: np.ndarray, horizon_days: float
) -> Calibration:
    """The serving scorer's calibration on its labels past rhythm; the identity until the
    segment holds enough of both outcomes."""
    chosen = past_rhythm_rows(rows, horizon_days)
    outcomes = churned[chosen]
    if min(int(outcomes.sum()), int((~outcomes).sum())) < MIN_OUTCOMES:
        return Calibration()
    return shrunk_platt(log_odds(risk[chosen]), outcomes.astype(float))


def shrunk_platt(score: np.ndarray, churned: np.ndarray) -> Calibration:
    """Platt scaling of ``score`` (log-odds) toward the identity: the mean log loss plus a
    squared distance of (slope, intercept) from (1, 0) as curved as ``PRIOR_LABELS`` labels
    at even odds would make it (each adds 1/4 to the loss's curvature), over ``n``.

    >>> score = np.array([0.0] * 40)
    >>> churned = np.array([1.0] * 30 + [0.0] * 10)  # 75% churn where the scorer said 50%
    >>> round(shrunk_platt(score, churned).intercept, 2)  # log(3) = 1.10 alone: shrunk
    0.68
    """
    weight = PRIOR_LABELS * 0.25 / 2.0 / len(churned)

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        slope, intercept = params
        z = slope * score + intercept
        value = np.mean(np.logaddexp(0.0, z) - churned * z)
        residual = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))) - churned
        grad = np.array([np.mean(residual * score), np.mean(residual)])
        distance = params - np.array([1.0, 0.0])
        return float(value + weight * distance @ distance), grad + 2 * weight * distance

    slope, intercept = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B").x
    return Calibration(float(slope), float(intercept))


class WhereAlertedScorer:
    """``inner``, with ``calibration`` applied to customers past their rhythm.

    Examples
    --------
    >>> from models.heuristic import HeuristicScorer
    >>> from models.features import FEATURE_NAMES
    >>> halve = Calibration(slope=1.0, intercept=-math.log(2.0))
    >>> scorer = WhereAlertedScorer(HeuristicScorer(), halve, 90)
    >>> x = dict.fromkeys(FEATURE_NAMES, 0.0) | {"interval_days": 10.0, "overdue_ratio": 3.0,
    ...     "rhythm_vs_horizon": math.log(10 / 90)}
    >>> late, on_time = x | {"recency_days": 30.0}, x | {"recency_days": 5.0, "overdue_ratio": 0.5}
    >>> odds = lambda p: p / (1 - p)
    >>> raw = HeuristicScorer().predict_proba_one(late)[True]
    >>> round(odds(scorer.predict_proba_one(late)[True]) / odds(raw), 3)
    0.5
    >>> scorer.predict_proba_one(on_time) == HeuristicScorer().predict_proba_one(on_time)
    True
    """

    def __init__(self, inner: ChurnScorer, calibration: Calibration, horizon_days: float) -> None:
        self.inner = inner
        self.calibrated = CalibratedScorer(inner, calibration)
        self.horizon_days = horizon_days

    @property
    def version(self) -> str:
        return self.inner.version

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        if past_rhythm(x, self.horizon_days):
            return self.calibrated.predict_proba_one(x)
        return self.inner.predict_proba_one(x)

    def contributions(self, x: Features) -> dict[str, float]:
        if past_rhythm(x, self.horizon_days):
            return self.calibrated.contributions(x)
        return self.inner.contributions(x)
