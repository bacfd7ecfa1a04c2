"""Logistic regression in batch, shared by the learned model and the heuristic's calibration."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

CLIP = 50.0  # log-odds beyond this are certainty at double precision


def sigmoid(log_odds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -CLIP, CLIP)))


def sigmoid_one(log_odds: float) -> float:
    """
    >>> sigmoid_one(0.0), sigmoid_one(1e6)
    (0.5, 1.0)
    """
    return 1.0 / (1.0 + math.exp(-min(max(log_odds, -CLIP), CLIP)))


def fit_logistic(z: np.ndarray, y: np.ndarray, start: np.ndarray, l2: float) -> np.ndarray:
    """Weights (then the intercept, unpenalised) minimising the mean log loss plus
    ``l2 / 2 * |weights|^2``, by L-BFGS from ``start``.

    >>> z = np.array([[1.0], [1.0], [1.0], [-1.0], [-1.0], [-1.0]])
    >>> y = np.array([1.0, 1.0, 0.0, 0.0, 0.0, 1.0])  # 2 in 3 churn at +1, 1 in 3 at -1
    >>> [abs(round(float(w), 3)) for w in fit_logistic(z, y, np.zeros(2), l2=0.0)]  # log 2, and 0
    [0.693, 0.0]
    """

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        log_odds = z @ w[:-1] + w[-1]
        value = np.mean(np.logaddexp(0.0, log_odds) - y * log_odds)
        with np.errstate(over="ignore"):  # exp(-x) is inf for x < -709: the sigmoid is then 0
            residual = 1.0 / (1.0 + np.exp(-log_odds)) - y
        gradient = np.append(z.T @ residual, residual.sum()) / len(y)
        gradient[:-1] += l2 * w[:-1]
        return float(value + 0.5 * l2 * w[:-1] @ w[:-1]), gradient

    return np.asarray(minimize(loss, start, jac=True, method="L-BFGS-B").x)
