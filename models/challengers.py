"""River learners that update once per label: challengers to the per-period refit.

Each learns every label of a model period once, in the engine's learning order, when the
period's snapshot is trained. A label's sample weight is ``PERIOD_WEIGHT / labels in its
period``: a period's labels move a learner by the same total weight however many customers
share it, so a population K times larger with the same behaviour moves it the same amount per
unit of event time (River's constant-step SGD at weight 1 took K times the steps and forgot K
times faster; see models/refit.py). A River learner's probabilities are then Platt-calibrated
on its own progressive predictions over the training window: the labels it was scored on
before it learned them, never ones it has learned.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from river import compose, linear_model, optim, preprocessing, tree

from models.calibration import CalibratedScorer, Calibration
from models.features import Features
from models.refit import INPUT_NAMES, model_inputs
from models.training import Bucket

# The total sample weight of one model period's labels.
PERIOD_WEIGHT = 1000.0
# Labels of one period a River learner learns at most: a River update costs 60-150 µs, paid
# in the training worker's loop, and the refit's 5,000 a period cost about 1 s of it.
LABELS_PER_PERIOD = 1000
SEED = 42
# Progressive predictions kept per period for the calibration (they live in the snapshot).
CALIBRATION_LABELS_PER_PERIOD = 500


def river_logistic() -> compose.Pipeline:
    # No L2: River adds it once per call whatever the weight, so it would grow with the count.
    return compose.Pipeline(
        preprocessing.StandardScaler(),
        linear_model.LogisticRegression(optimizer=optim.SGD(0.002), intercept_lr=0.002),
    )


def river_tree() -> tree.HoeffdingAdaptiveTreeClassifier:
    # grace period and leaf sizes are in units of sample weight: a fixed share of a period
    return tree.HoeffdingAdaptiveTreeClassifier(
        grace_period=200, leaf_prediction="mc", max_depth=8, seed=SEED
    )


@dataclass
class RiverChallenger:
    """One River classifier, its calibration, and the progressive predictions behind it.

    Examples
    --------
    >>> rows = np.array([[float(i % 2)] + [0.0] * (len(INPUT_NAMES) - 1) for i in range(200)])
    >>> churned = rows[:, 0] > 0.5
    >>> bucket = Bucket(rows, churned, np.full(200, 0.5))
    >>> learner = RiverChallenger("river-logreg", river_logistic())
    >>> for period in range(5):
    ...     learner.learn(period, bucket, learner.raw_risk(bucket.rows), window_periods=26)
    >>> risk = learner.risk(rows[:2])
    >>> bool(risk[1] > 0.9 > 0.1 > risk[0])
    True
    """

    name: str
    # a River classifier; River's own base class does not declare learn_one's weight
    model: Any
    calibration: Calibration = field(default_factory=Calibration)
    # per learned period: the raw risks given to its labels before learning them, and outcomes
    progressive: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def raw_risk(self, rows: np.ndarray) -> np.ndarray:
        """P(churn) as the River model gives it, before calibration."""
        return np.array([self.raw_one(row.tolist()) for row in rows])

    def risk(self, rows: np.ndarray) -> np.ndarray:
        return self.calibration.apply(self.raw_risk(rows))

    def raw_one(self, inputs: list[float]) -> float:
        x = dict(zip(INPUT_NAMES, inputs, strict=True))
        return float(self.model.predict_proba_one(x).get(True, 0.5))

    def learn(
        self, period: int, bucket: Bucket, raw_before: np.ndarray, window_periods: int
    ) -> None:
        """Learn ``bucket`` (period ``period``'s labels), given how it scored them beforehand.

        At most ``LABELS_PER_PERIOD`` of them, evenly spaced in learning order (a uniform
        sample of the same behaviour), each once.
        """
        step = math.ceil(len(bucket) / LABELS_PER_PERIOD)
        rows, outcomes = bucket.rows[::step].tolist(), bucket.churned[::step].tolist()
        weight = PERIOD_WEIGHT / len(rows)
        for row, churned in zip(rows, outcomes, strict=True):
            self.model.learn_one(dict(zip(INPUT_NAMES, row, strict=True)), churned, w=weight)
        step = math.ceil(len(bucket) / CALIBRATION_LABELS_PER_PERIOD)  # evenly spaced
        self.progressive[period] = (raw_before[::step], bucket.churned[::step])
        for old in [p for p in self.progressive if p <= period - window_periods]:
            del self.progressive[old]
        raw = np.concatenate([r for r, _ in self.progressive.values()])
        seen = np.concatenate([c for _, c in self.progressive.values()])
        # from the first outcome of each kind: the guard judges a learner as calibrated, and
        # only serves it once warm (CHURNWATCH_MIN_LABELS of each)
        self.calibration = Calibration.fit(raw, seen, min_outcomes=1)

    def scorer(self, explainer: Callable[[Features], dict[str, float]]) -> CalibratedScorer:
        """This learner as a scorer; ``explainer`` gives the per-input pushes behind reasons."""
        return CalibratedScorer(_RiverScorer(self, explainer), self.calibration)

    def contributions(self, x: Features) -> dict[str, float]:
        """Each input's push on the log-odds, for a linear River model; empty otherwise."""
        if not isinstance(self.model, compose.Pipeline):
            return {}
        scaler, regression = self.model.steps.values()
        scaled = scaler.transform_one(dict(zip(INPUT_NAMES, model_inputs(x), strict=True)))
        weights = regression.weights
        return {name: weights.get(name, 0.0) * scaled[name] for name in INPUT_NAMES}


class _RiverScorer:
    """The raw River model behind the :class:`ChurnScorer` interface."""

    def __init__(
        self, learner: RiverChallenger, explainer: Callable[[Features], dict[str, float]]
    ) -> None:
        self.learner = learner
        self.explainer = explainer

    @property
    def version(self) -> str:
        return self.learner.name

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        p = self.learner.raw_one(model_inputs(x))
        return {False: 1.0 - p, True: p}

    def contributions(self, x: Features) -> dict[str, float]:
        return self.explainer(x)


def default_challengers() -> dict[str, RiverChallenger]:
    """The River challengers every snapshot carries, in the guard's order."""
    return {
        "river-logreg": RiverChallenger("river-logreg", river_logistic()),
        "river-tree": RiverChallenger("river-tree", river_tree()),
    }
