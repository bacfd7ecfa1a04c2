"""Lifecycle stages: where a customer stands in their relationship with the shop."""

from __future__ import annotations

from typing import Literal

from models.features import DAY, Features
from models.state import CustomerState

Stage = Literal["new", "active", "at_risk", "lapsed", "reactivated"]
NEW_CUSTOMER_DAYS = 60.0
AT_RISK_OVERDUE_RATIO = 2.0


def lifecycle_stage(state: CustomerState, x: Features, horizon_days: float) -> Stage:
    """The stage of a customer given their features at the same moment.

    >>> from models.features import extract_features
    >>> from models.state import apply_purchase
    >>> s = CustomerState("c1")
    >>> apply_purchase(s, 0.0, 10.0)
    >>> lifecycle_stage(s, extract_features(s, 5 * DAY, 90), 90)
    'new'
    >>> lifecycle_stage(s, extract_features(s, 200 * DAY, 90), 90)
    'lapsed'
    """
    if x["recency_days"] > horizon_days:
        return "lapsed"
    if _returned_after_lapse(state, horizon_days):
        return "reactivated"
    if x["tenure_days"] <= NEW_CUSTOMER_DAYS and state.purchases <= 2:
        return "new"
    if x["overdue_ratio"] >= AT_RISK_OVERDUE_RATIO:
        return "at_risk"
    return "active"


def _returned_after_lapse(state: CustomerState, horizon_days: float) -> bool:
    times = [p.at for p in state.recent_purchases]
    return len(times) >= 2 and (times[-1] - times[-2]) / DAY > horizon_days
