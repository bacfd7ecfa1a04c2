"""The online churn model: River logistic regression on standardized, log-shaped features."""

from __future__ import annotations

import math

from river import compose, linear_model, optim, preprocessing

from models.features import Features

# Days added to tenure and to the time to the last purchase before taking their ratio, so
# that a customer seen for a few days is not "infinitely" silent (BG/NBD's alpha plays this part).
SILENCE_SMOOTHING_DAYS = 30.0


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


def model_inputs(x: Features) -> dict[str, float]:
    """Features reshaped for a linear model: heavy tails logged, counts capped.

    >>> from models.features import FEATURE_NAMES
    >>> sorted(model_inputs(dict.fromkeys(FEATURE_NAMES, 1.0)))[:3]
    ['complaints_30d', 'complaints_90d', 'log_days_overdue']
    """
    evidence = silence_evidence(x)
    return {
        "log_recency": math.log1p(x["recency_days"]),
        "silence_evidence": evidence,
        "log_silence_evidence": math.log1p(evidence),
        "log_overdue": math.log(min(max(x["overdue_ratio"], 0.05), 50.0)),
        "log_days_overdue": math.log1p(x["days_overdue"]),
        "log_interval": math.log1p(x["interval_days"]),
        "log_frequency": math.log1p(x["frequency"]),
        "log_monetary": x["log_monetary"],
        "log_tenure": math.log1p(x["tenure_days"]),
        "rhythm_vs_horizon": x["rhythm_vs_horizon"],
        "single_purchase": x["single_purchase"],
        "spend_trend": x["spend_trend"],
        "complaints_30d": min(x["complaints_30d"], 5.0),
        "complaints_90d": min(x["complaints_90d"], 8.0),
        "open_complaints": min(x["open_complaints"], 4.0),
        "worst_severity_90d": x["worst_severity_90d"],
        "satisfaction_gap": x["satisfaction_gap"],
        "log_days_since_complaint": math.log1p(x["days_since_complaint"]),
    }


class OnlineChurnModel:
    """Scaled logistic regression learned one labelled example at a time.

    Parameters
    ----------
    learning_rate
        Step size of the SGD optimizer.
    l2
        L2 regularisation of the weights.

    Examples
    --------
    >>> from models.features import FEATURE_NAMES
    >>> model = OnlineChurnModel()
    >>> quiet = dict.fromkeys(FEATURE_NAMES, 0.0) | {"recency_days": 200.0, "overdue_ratio": 8.0}
    >>> busy = dict.fromkeys(FEATURE_NAMES, 0.0) | {"recency_days": 3.0, "overdue_ratio": 0.2}
    >>> for _ in range(1000):
    ...     model.learn_one(quiet, True)
    ...     model.learn_one(busy, False)
    >>> model.predict_proba_one(quiet)[True] > 0.9 > 0.1 > model.predict_proba_one(busy)[True]
    True
    >>> pushes = model.contributions(quiet)
    >>> max(pushes, key=pushes.get) in {"log_recency", "log_overdue", "log_days_overdue"}
    True
    """

    def __init__(self, learning_rate: float = 0.005, l2: float = 1e-4) -> None:
        self.learning_rate = learning_rate
        self.l2 = l2
        self.pipeline = compose.Pipeline(
            preprocessing.StandardScaler(),
            linear_model.LogisticRegression(optimizer=optim.SGD(learning_rate), l2=l2),
        )

    @property
    def version(self) -> str:
        return "river-logreg"

    def learn_one(self, x: Features, y: bool) -> None:
        self.pipeline.learn_one(model_inputs(x), y)

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        proba = self.pipeline.predict_proba_one(model_inputs(x))
        p = float(proba.get(True, 0.0))
        return {False: 1.0 - p, True: p}

    def contributions(self, x: Features) -> dict[str, float]:
        """Each input's push on the log-odds: its weight times its standardized value."""
        scaler, regression = self.pipeline.steps.values()
        standardized = scaler.transform_one(model_inputs(x))
        weights = regression.weights
        return {name: weights.get(name, 0.0) * value for name, value in standardized.items()}
