"""Reasons: the top factors behind a score, as stable codes, weights and plain sentences."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from alerts.events import Reason
from models.features import Features
from models.state import CustomerState

MAX_REASONS = 3

# Which reason each scorer input speaks for. Heuristic terms and River features both map
# here, so one wording serves every model.
REASON_OF_INPUT: dict[str, str] = {
    **dict.fromkeys(
        (
            "log_overdue",
            "overdue_ratio",
            "days_overdue",
            "recency_days",
            "log_recency",
            "log_days_overdue",
            "silence_evidence",
            "log_silence_evidence",
        ),
        "overdue",
    ),
    "single_purchase": "one_time_buyer",
    **dict.fromkeys(("log_frequency", "frequency"), "few_purchases"),
    **dict.fromkeys(
        ("rhythm_vs_horizon", "interval_days", "mean_interval_days", "log_interval"), "slow_rhythm"
    ),
    "open_complaints": "open_complaint",
    **dict.fromkeys(
        (
            "complaints_90d",
            "complaints_30d",
            "severity_above_2",
            "worst_severity_90d",
            "days_since_complaint",
            "log_days_since_complaint",
        ),
        "complaints",
    ),
    "satisfaction_gap": "low_satisfaction",
    **dict.fromkeys(("spend_decline", "spend_trend"), "spend_decline"),
    **dict.fromkeys(("tenure_days", "log_tenure"), "new_customer"),
}


def count_of(n: float, noun: str) -> str:
    """``1 complaint``, ``2 complaints``, ``1,204 open alerts``: as the retention team reads them.

    >>> count_of(1.0, "purchase"), count_of(3.0, "complaint"), count_of(1204, "open alert")
    ('1 purchase', '3 complaints', '1,204 open alerts')
    """
    whole = round(n)
    return f"{whole:,} {noun}{'' if whole == 1 else 's'}"


def risk_text(risk: float) -> str:
    """A risk as people read it: two decimals, unless they would round to a certainty.

    >>> [risk_text(r) for r in (0.4213, 0.999825, 0.0012, 0.99999, 1.0, 0.0)]
    ['0.42', '0.9998', '0.0012', '> 0.9999', '1.00', '0.00']
    """
    if risk in (0.0, 1.0) or 0.005 <= risk < 0.995:
        return f"{risk:.2f}"
    if risk >= 0.99995:
        return "> 0.9999"
    if risk < 0.00005:
        return "< 0.0001"
    return f"{risk:.4f}"


def _open_complaint_text(state: CustomerState, x: Features) -> str:
    still_open = [c for c in state.complaints if c.status != "resolved"]
    worst = max(still_open, key=lambda c: c.severity, default=None)
    detail = f" ({worst.category}, severity {worst.severity})" if worst else ""
    return f"{count_of(x['open_complaints'], 'complaint')} still open{detail}"


def _complaints_text(state: CustomerState, x: Features) -> str:
    recent = f", {x['complaints_30d']:.0f} in the last 30" if x["complaints_30d"] else ""
    return (
        f"{count_of(x['complaints_90d'], 'complaint')} made in the last 90 days{recent}, "
        f"worst severity {x['worst_severity_90d']:.0f}"
    )


@dataclass(frozen=True)
class ReasonWording:
    """When a reason may be shown (its evidence is there), and how it reads."""

    evidence: Callable[[Features], bool]
    text: Callable[[CustomerState, Features], str]


# A linear model can push a factor up even where the customer shows none of it (a weight
# times a below-average value); a reason is only given where its evidence is present.
WORDING: dict[str, ReasonWording] = {
    "overdue": ReasonWording(
        lambda x: x["overdue_ratio"] > 1.0,
        lambda s, x: (
            f"no purchase for {x['recency_days']:.0f} days; "
            f"usually buys every {x['interval_days']:.0f} days"
        ),
    ),
    "one_time_buyer": ReasonWording(
        lambda x: x["single_purchase"] > 0,
        lambda s, x: f"bought only once, {x['recency_days']:.0f} days ago",
    ),
    "few_purchases": ReasonWording(
        lambda x: x["frequency"] <= 3,
        lambda s, x: f"only {count_of(x['frequency'], 'purchase')} so far",
    ),
    "slow_rhythm": ReasonWording(
        lambda x: x["rhythm_vs_horizon"] > -1.1,  # buys less than about 3 times per horizon
        lambda s, x: f"buys only every {x['interval_days']:.0f} days",
    ),
    "open_complaint": ReasonWording(lambda x: x["open_complaints"] > 0, _open_complaint_text),
    "complaints": ReasonWording(lambda x: x["complaints_90d"] > 0, _complaints_text),
    "low_satisfaction": ReasonWording(
        lambda x: x["satisfaction_gap"] > 0,
        lambda s, x: f"rated complaint handling {3 - x['satisfaction_gap']:.0f}/5",
    ),
    "spend_decline": ReasonWording(
        lambda x: x["spend_trend"] < -0.1,
        lambda s, x: f"spend in the last 90 days down {-100 * x['spend_trend']:.0f}%",
    ),
    "new_customer": ReasonWording(
        lambda x: x["tenure_days"] < 90,
        lambda s, x: f"a customer for only {x['tenure_days']:.0f} days",
    ),
}


def build_reasons(
    contributions: Mapping[str, float], state: CustomerState, x: Features
) -> list[Reason]:
    """The factors pushing risk up most, strongest first.

    >>> from models.state import CustomerState
    >>> x = {"recency_days": 74.0, "interval_days": 21.0, "overdue_ratio": 3.5,
    ...      "spend_trend": -0.6, "frequency": 9.0}
    >>> [r.text for r in build_reasons(
    ...     {"log_overdue": 2.1, "spend_decline": 0.5, "log_frequency": -0.7},
    ...     CustomerState("c1"), x)]
    ['no purchase for 74 days; usually buys every 21 days', 'spend in the last 90 days down 60%']

    A slow rhythm is part of being overdue, not a second reason beside it:

    >>> x |= {"rhythm_vs_horizon": -0.5}
    >>> [(r.code, r.weight) for r in build_reasons(
    ...     {"log_overdue": 2.1, "rhythm_vs_horizon": 0.4}, CustomerState("c1"), x)]
    [('overdue', 2.5)]
    """
    weight_of_reason: dict[str, float] = {}
    for name, weight in contributions.items():
        code = REASON_OF_INPUT.get(name)
        if code is not None:
            weight_of_reason[code] = weight_of_reason.get(code, 0.0) + weight
    if WORDING["overdue"].evidence(x) and "slow_rhythm" in weight_of_reason:
        # "usually buys every 32 days" already says it; "buys only every 32 days" beside it
        # would repeat it
        weight_of_reason["overdue"] = weight_of_reason.get("overdue", 0.0) + weight_of_reason.pop(
            "slow_rhythm"
        )
    shown = [
        (code, w) for code, w in weight_of_reason.items() if w > 0 and WORDING[code].evidence(x)
    ]
    strongest = sorted(shown, key=lambda item: (-item[1], item[0]))[:MAX_REASONS]
    if not strongest:
        # a scorer whose reasons are another's (the prior explains with the heuristic's
        # pushes) can rate a customer risky where those pushes show nothing: the silence is
        # then the reason, said plainly, with no weight claimed for it
        return [Reason(code="silence", weight=0.0, text=_silence_text(x))]
    return [
        Reason(code=code, weight=round(w, 4), text=WORDING[code].text(state, x))
        for code, w in strongest
    ]


def _silence_text(x: Features) -> str:
    """
    >>> _silence_text({"recency_days": 40.0, "frequency": 3.0, "interval_days": 12.0})
    'no purchase for 40 days; usually buys every 12 days'
    >>> _silence_text({"recency_days": 40.0, "frequency": 1.0, "interval_days": 30.0})
    'no purchase for 40 days'
    """
    silence = f"no purchase for {x['recency_days']:.0f} days"
    if x.get("frequency", 0.0) > 1:
        return f"{silence}; usually buys every {x['interval_days']:.0f} days"
    return silence
