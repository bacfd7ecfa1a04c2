"""Recommended actions: one readable table from what is wrong to what the team should do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alerts.events import Reason

HIGH_VALUE_CLV = 1000.0


@dataclass(frozen=True)
class ActionContext:
    reason_codes: frozenset[str]
    clv: float
    lifecycle_stage: str
    complaint_categories: frozenset[str]


# First matching rule wins; order is priority. A complaint is answered before any offer.
ACTION_RULES: Sequence[tuple[str, Callable[[ActionContext], bool]]] = (
    ("service_recovery", lambda c: bool(c.reason_codes & {"open_complaint", "low_satisfaction"})),
    ("price_offer", lambda c: "price" in c.complaint_categories),
    ("personal_call", lambda c: c.clv >= HIGH_VALUE_CLV),
    ("service_recovery", lambda c: "complaints" in c.reason_codes),
    ("personalised_offer", lambda c: "spend_decline" in c.reason_codes),
    ("automated_winback", lambda c: c.lifecycle_stage == "lapsed"),
    ("onboarding_nudge", lambda c: c.lifecycle_stage == "new"),
    ("reminder_message", lambda c: True),
)


def recommend_action(
    reasons: Sequence[Reason],
    clv: float,
    lifecycle_stage: str,
    complaint_categories: frozenset[str],
) -> str:
    """The first action in :data:`ACTION_RULES` whose condition holds.

    >>> from alerts.events import Reason
    >>> overdue = Reason(code="overdue", weight=2.0, text="...")
    >>> recommend_action([overdue], clv=5000.0, lifecycle_stage="at_risk",
    ...                  complaint_categories=frozenset())
    'personal_call'
    >>> recommend_action([overdue], clv=80.0, lifecycle_stage="lapsed",
    ...                  complaint_categories=frozenset())
    'automated_winback'
    """
    context = ActionContext(
        frozenset(r.code for r in reasons), clv, lifecycle_stage, complaint_categories
    )
    return next(action for action, applies in ACTION_RULES if applies(context))
