"""Platt scaling: the heuristic's hand-set probabilities, recalibrated on the labels known.

Risk means P(no purchase in the next H days) everywhere; a hand-set scorer only approximates
that. Whenever labels of both outcomes are known, the heuristic's log-odds are mapped through
``slope * log_odds + intercept`` fitted to them (Platt 1999), so its risk keeps the contract
while it serves (before the learned model is warm, or when the guard prefers it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.features import Features
from models.logistic import fit_logistic, sigmoid, sigmoid_one
from models.scorer import ChurnScorer

EPSILON = 1e-6
# labels of each outcome a calibration needs: fewer separate perfectly, and the map runs off
# (one churned label in 28 mapped a new shop's silent customers to 0.95; a fifth of them left)
MIN_OUTCOMES = 5


def log_odds(p: np.ndarray) -> np.ndarray:
    clipped = np.clip(p, EPSILON, 1 - EPSILON)
    return np.log(clipped / (1 - clipped))


@dataclass(frozen=True)
class Calibration:
    """``slope * log_odds + intercept``; the identity until fitted.

    Examples
    --------
    >>> raw = np.array([0.9] * 20 + [0.1] * 20)
    >>> churned = np.array([True, False] * 10 + [True] + [False] * 3 + [True] + [False] * 15)
    >>> fitted = Calibration.fit(raw, churned)
    >>> [round(p, 2) for p in fitted.apply(np.array([0.9, 0.1])).tolist()]
    [0.5, 0.1]
    >>> Calibration.fit(raw[:8], churned[:8]).fitted  # too few of each outcome: the identity
    False
    """

    slope: float = 1.0
    intercept: float = 0.0

    @property
    def fitted(self) -> bool:
        return self != Calibration()

    @classmethod
    def fit(
        cls, risk: np.ndarray, churned: np.ndarray, min_outcomes: int = MIN_OUTCOMES
    ) -> Calibration:
        """Fitted to labels of both outcomes, at least ``min_outcomes`` of each; else the
        identity."""
        churns = int(churned.sum())
        if min(churns, len(churned) - churns) < max(min_outcomes, 1):
            return cls()
        design = log_odds(risk).reshape(-1, 1)
        slope, intercept = fit_logistic(design, churned.astype(float), np.array([1.0, 0.0]), 0.0)
        return cls(float(slope), float(intercept))

    def apply(self, risk: np.ndarray) -> np.ndarray:
        return sigmoid(self.slope * log_odds(risk) + self.intercept)


class CalibratedScorer:
    """A scorer whose probabilities pass through a :class:`Calibration`."""

    def __init__(self, inner: ChurnScorer, calibration: Calibration) -> None:
        self.inner = inner
        self.calibration = calibration

    @property
    def version(self) -> str:
        return self.inner.version

    def predict_proba_one(self, x: Features) -> dict[bool, float]:
        p = self.inner.predict_proba_one(x)[True]
        clipped = min(max(p, EPSILON), 1 - EPSILON)
        s = self.calibration.slope * math.log(clipped / (1 - clipped)) + self.calibration.intercept
        q = sigmoid_one(s)
        return {False: 1.0 - q, True: q}

    def contributions(self, x: Features) -> dict[str, float]:
        """The inner scorer's pushes on the log-odds, scaled as the calibration scales them."""
        return {k: self.calibration.slope * v for k, v in self.inner.contributions(x).items()}
