"""Features of a customer as of a moment in event time: what a scorer sees."""

from __future__ import annotations

import itertools
import math

from models.state import CustomerState

DAY = 86400.0
# A one-purchase customer has no rhythm of their own yet; assume a month until they show one.
DEFAULT_INTERVAL_DAYS = 30.0
INTERVAL_EWM_ALPHA = 0.3
NEUTRAL_SATISFACTION = 3

Features = dict[str, float]
FEATURE_NAMES = (
    "recency_days",
    "frequency",
    "log_monetary",
    "tenure_days",
    "interval_days",
    "mean_interval_days",
    "overdue_ratio",
    "days_overdue",
    "rhythm_vs_horizon",
    "single_purchase",
    "spend_trend",
    "complaints_30d",
    "complaints_90d",
    "open_complaints",
    "worst_severity_90d",
    "days_since_complaint",
    "satisfaction_gap",
)


def interval_days(state: CustomerState) -> list[float]:
    """Gaps between successive purchase days, in days, oldest first.

    Several orders on one day are one visit: a same-day repeat is not a 0-day rhythm.

    >>> from models.state import apply_purchase
    >>> s = CustomerState("c1")
    >>> for at in (0.0, 3600.0, 10 * DAY, 30 * DAY):
    ...     apply_purchase(s, at, 5.0)
    >>> interval_days(s)
    [10.0, 20.0]
    """
    visits: list[float] = []
    for purchase in state.recent_purchases:
        if not visits or purchase.at - visits[-1] >= DAY:
            visits.append(purchase.at)
    return [(later - earlier) / DAY for earlier, later in itertools.pairwise(visits)]


def expected_interval_days(state: CustomerState) -> float:
    """The customer's own purchase rhythm: an exponentially weighted mean of recent gaps."""
    gaps = interval_days(state)
    if not gaps:
        return DEFAULT_INTERVAL_DAYS
    ewm = gaps[0]
    for gap in gaps[1:]:
        ewm = INTERVAL_EWM_ALPHA * gap + (1 - INTERVAL_EWM_ALPHA) * ewm
    return max(ewm, 1.0)


def mean_interval_days(state: CustomerState) -> float:
    if state.purchases < 2 or state.first_purchase is None or state.last_purchase is None:
        return DEFAULT_INTERVAL_DAYS
    return max((state.last_purchase - state.first_purchase) / DAY / (state.purchases - 1), 1.0)


def spend_trend(state: CustomerState, as_of: float, window_days: float = 90.0) -> float:
    """Relative change of spend in the last window against the window before, in [-1, 3]."""
    window = window_days * DAY
    recent = sum(p.amount for p in state.recent_purchases if as_of - window < p.at <= as_of)
    earlier = sum(
        p.amount for p in state.recent_purchases if as_of - 2 * window < p.at <= as_of - window
    )
    if earlier <= 0:
        return 0.0
    return min(max(recent / earlier - 1.0, -1.0), 3.0)


def extract_features(state: CustomerState, as_of: float, horizon_days: float) -> Features:
    """The features of ``state`` as of event time ``as_of`` (epoch seconds).

    Recency and every window are measured at ``as_of``, not at the customer's last event,
    so scoring a population at a cut date treats everyone alike.

    >>> from models.state import apply_purchase
    >>> s = CustomerState("c1")
    >>> for day in (0, 10, 20, 30):
    ...     apply_purchase(s, day * DAY, 50.0)
    >>> x = extract_features(s, as_of=60 * DAY, horizon_days=90)
    >>> (x["recency_days"], x["interval_days"], x["overdue_ratio"], x["days_overdue"])
    (30.0, 10.0, 3.0, 20.0)
    """
    seen_since = _tenure_start(state.first_purchase, state.first_seen, as_of)
    last_purchase = seen_since if state.last_purchase is None else state.last_purchase
    recency = max(as_of - last_purchase, 0.0) / DAY
    expected = expected_interval_days(state)
    return {
        "recency_days": recency,
        "frequency": float(state.purchases),
        "log_monetary": math.log1p(state.total_spend / state.purchases) if state.purchases else 0.0,
        "tenure_days": max(as_of - seen_since, 0.0) / DAY,
        "interval_days": expected,
        "mean_interval_days": mean_interval_days(state),
        "overdue_ratio": recency / expected,
        "days_overdue": max(recency - expected, 0.0),
        "rhythm_vs_horizon": math.log(expected / horizon_days),
        "single_purchase": 1.0 if state.purchases <= 1 else 0.0,
        "spend_trend": spend_trend(state, as_of),
        **complaint_features(state, as_of, horizon_days),
    }


def complaint_features(state: CustomerState, as_of: float, horizon_days: float) -> Features:
    """The complaint features as of ``as_of``; most customers have none, and get constants."""
    if not state.complaints:
        return {
            "complaints_30d": 0.0,
            "complaints_90d": 0.0,
            "open_complaints": 0.0,
            "worst_severity_90d": 0.0,
            "days_since_complaint": horizon_days,
            "satisfaction_gap": 0.0,
        }
    complaints_90 = [c for c in state.complaints if as_of - 90 * DAY < c.opened_at <= as_of]
    latest_complaint = max(
        (c.updated_at for c in state.complaints if c.updated_at <= as_of), default=None
    )
    satisfaction = next(
        (
            c.satisfaction
            for c in reversed(state.complaints)
            if c.satisfaction is not None and c.updated_at <= as_of
        ),
        NEUTRAL_SATISFACTION,
    )
    return {
        "complaints_30d": float(sum(c.opened_at > as_of - 30 * DAY for c in complaints_90)),
        "complaints_90d": float(len(complaints_90)),
        "open_complaints": float(
            sum(c.status != "resolved" and c.opened_at <= as_of for c in state.complaints)
        ),
        "worst_severity_90d": float(max((c.severity for c in complaints_90), default=0)),
        "days_since_complaint": (
            min((as_of - latest_complaint) / DAY, horizon_days)
            if latest_complaint is not None
            else horizon_days
        ),
        "satisfaction_gap": float(NEUTRAL_SATISFACTION - satisfaction),
    }


def _tenure_start(first_purchase: float | None, first_seen: float | None, as_of: float) -> float:
    if first_purchase is not None:
        return first_purchase
    return as_of if first_seen is None else first_seen
