"""The learned churn model: logistic regression refitted, each model period, on known labels.

It used to be River's logistic regression stepping once per label at a constant rate. That
made the model depend on how many customers share a period: ten times the customers took ten
times the steps per week of event time, so the model forgot faster and drifted (on the CDNOW
sample replicated ten times, ROC AUC 0.789 against 0.834 at the last cut, and calibration
error 0.13; see benchmarks/README.md). Here each period's model is the minimiser of the
*mean* log loss over the training labels, plus an L2 penalty: a population ten times larger
with the same behaviour has the same mean loss, so it gets the same model.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from models.features import Features
from models.logistic import fit_logistic, sigmoid, sigmoid_one

# Days added to tenure and to the time to the last purchase before taking their ratio, so
# that a customer seen for a few days is not "infinitely" silent (BG/NBD's alpha plays this part).
SILENCE_SMOOTHING_DAYS = 30.0

INPUT_NAMES = (
    "log_recency",
    "silence_evidence",
    "log_silence_evidence",
    "log_overdue",
    "log_days_overdue",
    "log_interval",
    "log_frequency",
    "log_monetary",
    "log_tenure",
    "rhythm_vs_horizon",
    "single_purchase",
    "spend_trend",
    "complaints_30d",
    "complaints_90d",
    "open_complaints",
    "worst_severity_90d",
    "satisfaction_gap",
    "log_days_since_complaint",
)


def silence_evidence(x: Features) -> float:
    """How strongly the silence since the last purchase says the customer has left.

    BG/NBD's odds of a customer having dropped out grow as ``((alpha + T) / (alpha + t_x))``
    to the power of their purchases: silence means more from a frequent buyer. This is the
    log of that term, which a linear model cannot build from logged features alone.

    >>> from models.features import FEATURE_NAMES
    >>> x = dict.fromkeys(FEATURE_NAMES, 0.0) | {"frequency": 4.0, "tenure_days": 150.0}
    >>> silence_evidence(x | {"recency_days": 0.0})
    0.0
    >>> round(silence_evidence(x | {"recency_days": 120.0}), 3)
    4.394
    """
    tenure = x["tenure_days"]
    active = max(tenure - x["recency_days"], 0.0)
    smoothing = SILENCE_SMOOTHING_DAYS
    return x["frequency"] * math.log((tenure + smoothing) / (active + smoothing))


def model_inputs(x: Features) -> list[float]:
    """Features reshaped for a linear model, in :data:`INPUT_NAMES` order.

    Heavy tails are logged and counts capped.

    >>> from models.features import FEATURE_NAMES
    >>> inputs = model_inputs(dict.fromkeys(FEATURE_NAMES, 1.0))
    >>> len(inputs) == len(INPUT_NAMES), round(inputs[0], 4)
    (True, 0.6931)
    """
    evidence = silence_evidence(x)
    return [
        math.log1p(x["recency_days"]),
        evidence,
        math.log1p(evidence),
        math.log(min(max(x["overdue_ratio"], 0.05), 50.0)),
        math.log1p(x["days_overdue"]),
        math.log1p(x["interval_days"]),
        math.log1p(x["frequency"]),
        x["log_monetary"],
        math.log1p(x["tenure_days"]),
        x["rhythm_vs_horizon"],
        x["single_purchase"],
        x["spend_trend"],
        min(x["complaints_30d"], 5.0),
        min(x["complaints_90d"], 8.0),
        min(x["open_complaints"], 4.0),
        x["worst_severity_90d"],
        x["satisfaction_gap"],
        math.log1p(x["days_since_complaint"]),
    ]


class LogisticChurnModel:
    """L2-regularised logistic regression on standardized model inputs, fitted in batch.

    Parameters
    ----------
    l2
        Penalty on the squared weights of the standardized inputs, relative to the *mean*
        log loss: it does not weaken as labels grow, so the fit does not depend on scale.

    Examples
    --------
    >>> from models.features import FEATURE_NAMES
    >>> quiet = dict.fromkeys(FEATURE_NAMES, 0.0) | {"recency_days": 200.0, "overdue_ratio": 8.0}
    >>> busy = dict.fromkeys(FEATURE_NAMES, 0.0) | {"recency_days": 3.0, "overdue_ratio": 0.2}
    >>> rows = [model_inputs(quiet), model_inputs(busy)] * 50
    >>> model = LogisticChurnModel().fit(rows, [True, False] * 50)
    >>> model.predict_proba_one(quiet)[True] > 0.9 > 0.1 > model.predict_proba_one(busy)[True]
    True
    >>> pushes = model.contributions(quiet)
    >>> max(pushes, key=pushes.get) in {"log_recency", "log_overdue", "log_days_overdue"}
    True
    """

    def __init__(self, l2: float = 1e-3) -> None:
        self.l2 = l2
        self.mean = np.zeros(len(INPUT_NAMES))
        self.scale = np.ones(len(INPUT_NAMES))
        self.weights = np.zeros(len(INPUT_NAMES))
        self.intercept = 0.0

    @property
    def version(self) -> str:
        return "logreg"

    def fit(self, rows: ArrayLike, churned: ArrayLike) -> LogisticChurnModel:
        """Refit on ``rows`` (from :func:`model_inputs`), starting from the current weights."""
        inputs = np.asarray(rows, dtype=float)
        y = np.asarray(churned, dtype=float)
        mean, scale = inputs.mean(axis=0), inputs.std(axis=0)
        scale[scale == 0] = 1.0
        z = (inputs - mean) / scale
        # warm start: the current model's weights, re-expressed on the new standardization
        start = np.append(self.weights * scale / self.scale, self._intercept_for(mean, scale))
        solution = fit_logistic(z, y, start, self.l2)
        self.mean, self.scale = mean, scale
        self.weights, self.intercept = solution[:-1], float(solution[-1])
        return self

    def _intercept_for(self, mean: np.ndarray, scale: np.ndarray) -> float:
        """The intercept that keeps the current model's log-odds under a new standardization."""
        return self.intercept + float(self.weights @ ((mean - self.mean) / self.scale))

    def _standardized(self, x: Features) -> np.ndarray:
        return (np.asarray(model_inputs(x)) - self.mean) / self.scale

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        p = sigmoid_one(float(self._standardized(x) @ self.weights) + self.intercept)
        return {False: 1.0 - p, True: p}

    def predict_proba_rows(self, rows: np.ndarray) -> np.ndarray:
        """P(churn) of many rows of :func:`model_inputs` at once."""
        return sigmoid(((rows - self.mean) / self.scale) @ self.weights + self.intercept)

    def contributions(self, x: Features) -> dict[str, float]:
        """Each input's push on the log-odds: its weight times its standardized value."""
        pushes = self._standardized(x) * self.weights
        return dict(zip(INPUT_NAMES, pushes.tolist(), strict=True))
