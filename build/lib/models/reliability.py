"""Reliability: predicted against observed churn in bins of predicted risk, and the ECE.

A calibrated scorer's customers at a predicted 0.3 churn about 30% of the time. Bins hold
equal numbers of customers (deciles by default), so every bin's observed rate rests on as
many outcomes as the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def reliability(
    risks: Sequence[float], churned: Sequence[bool], bins: int = 10
) -> list[dict[str, float]]:
    """Mean predicted risk and observed churn rate in ``bins`` equal-count bins of risk.

    Ties in risk keep the given order, so the same inputs always give the same bins.

    >>> [(round(b["predicted"], 2), b["observed"]) for b in
    ...     reliability([0.9, 0.2, 0.8, 0.1], [False, False, True, False], bins=2)]
    [(0.15, 0.0), (0.85, 0.5)]
    """
    order = np.argsort(np.asarray(risks, dtype=float), kind="stable")
    predicted = np.asarray(risks, dtype=float)[order]
    observed = np.asarray(churned, dtype=float)[order]
    rows = []
    for p, o in zip(np.array_split(predicted, bins), np.array_split(observed, bins), strict=True):
        if len(p):
            rows.append(
                {
                    "predicted": float(p.mean()),
                    "observed": float(o.mean()),
                    "customers": len(p),
                }
            )
    return rows


def expected_calibration_error(bins: Sequence[dict[str, float]]) -> float:
    """Mean |predicted - observed| over the bins, weighted by customers.

    >>> expected_calibration_error([{"predicted": 0.2, "observed": 0.1, "customers": 3},
    ...                             {"predicted": 0.9, "observed": 0.9, "customers": 1}])
    0.07500000000000001
    """
    total = sum(b["customers"] for b in bins)
    return sum(b["customers"] * abs(b["predicted"] - b["observed"]) for b in bins) / total
