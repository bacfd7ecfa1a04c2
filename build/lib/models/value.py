"""Customer lifetime value: what the shop stands to lose."""

from __future__ import annotations

import math

from models.features import Features


def clv_estimate(x: Features, clv_years: float) -> float:
    """Expected spend over the next ``clv_years`` if the customer keeps their rhythm.

    >>> round(clv_estimate({"log_monetary": math.log1p(50.0), "interval_days": 36.5}, 1.0), 2)
    500.0
    """
    average_order = math.expm1(x["log_monetary"])
    orders_per_year = 365.0 / max(x["interval_days"], 1.0)
    return average_order * orders_per_year * clv_years
