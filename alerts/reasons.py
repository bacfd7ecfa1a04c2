"""Reasons: the top factors behind a score, as stable codes, weights and plain sentences."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from alerts.events import Reason
from models.features import Features
from models.state import CustomerState

MAX_REASONS = 3

# Which reason each scorer input speaks for. Heuristic terms and River features both map
# here, so one wording serves every model.
REASON_OF_INPUT: dict[str, str] = {
    "log_overdue": "overdue",
    "overdue_ratio": "overdue",
    "days_overdue": "overdue",
    "recency_days": "overdue",
    "single_purchase": "one_time_buyer",
    "log_frequency": "few_purchases",
    "frequency": "few_purchases",
    "rhythm_vs_horizon": "slow_rhythm",
    "interval_days": "slow_rhythm",
    "mean_interval_days": "slow_rhythm",
    "open_complaints": "open_complaint",
    "complaints_90d": "complaints",
    "complaints_30d": "complaints",
    "severity_above_2": "complaints",
    "worst_severity_90d": "complaints",
    "days_since_complaint": "complaints",
    "satisfaction_gap": "low_satisfaction",
    "spend_decline": "spend_decline",
    "spend_trend": "spend_decline",
}


def _open_complaint_text(state: CustomerState, x: Features) -> str:
    still_open = [c for c in state.complaints if c.status != "resolved"]
    worst = max(still_open, key=lambda c: c.severity, default=None)
    detail = f" ({worst.category}, severity {worst.severity})" if worst else ""
    return f"{x['open_complaints']:.0f} complaint(s) still open{detail}"


_TEXT_OF_REASON: dict[str, Callable[[CustomerState, Features], str]] = {
    "overdue": lambda s, x: (
        f"no purchase for {x['recency_days']:.0f} days; "
        f"usually buys every {x['interval_days']:.0f} days"
    ),
    "one_time_buyer": lambda s, x: f"bought only once, {x['recency_days']:.0f} days ago",
    "few_purchases": lambda s, x: f"only {x['frequency']:.0f} purchase(s) so far",
    "slow_rhythm": lambda s, x: f"buys only every {x['interval_days']:.0f} days",
    "open_complaint": _open_complaint_text,
    "complaints": lambda s, x: (
        f"{x['complaints_30d']:.0f} complaint(s) in 30 days, {x['complaints_90d']:.0f} in 90 days"
        f", worst severity {x['worst_severity_90d']:.0f}"
    ),
    "low_satisfaction": lambda s, x: f"rated complaint handling {3 - x['satisfaction_gap']:.0f}/5",
    "spend_decline": lambda s, x: f"spend in the last 90 days down {-100 * x['spend_trend']:.0f}%",
}


def build_reasons(
    contributions: Mapping[str, float], state: CustomerState, x: Features
) -> list[Reason]:
    """The factors pushing risk up most, strongest first.

    >>> from models.state import CustomerState
    >>> x = {"recency_days": 74.0, "interval_days": 21.0, "spend_trend": -0.6}
    >>> [r.text for r in build_reasons(
    ...     {"log_overdue": 2.1, "spend_decline": 0.5, "log_frequency": -0.7},
    ...     CustomerState("c1"), x)]
    ['no purchase for 74 days; usually buys every 21 days', 'spend in the last 90 days down 60%']
    """
    weight_of_reason: dict[str, float] = {}
    for name, weight in contributions.items():
        code = REASON_OF_INPUT.get(name)
        if code is not None:
            weight_of_reason[code] = weight_of_reason.get(code, 0.0) + weight
    strongest = sorted(
        ((code, w) for code, w in weight_of_reason.items() if w > 0),
        key=lambda item: (-item[1], item[0]),
    )[:MAX_REASONS]
    return [
        Reason(code=code, weight=round(w, 4), text=_TEXT_OF_REASON[code](state, x))
        for code, w in strongest
    ]
