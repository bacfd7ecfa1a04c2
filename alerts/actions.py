"""Recommended actions: one readable table from what is wrong to what the team should do.

The table is data: a team replaces it with a JSON file (``CHURNWATCH_ACTIONS_FILE``) holding a
list of rules in the same shape as :data:`DEFAULT_ACTION_RULES`. The first rule whose
conditions all hold wins; a rule with no conditions is the fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from alerts.events import Reason


class ActionRule(BaseModel):
    """One row of the table; every condition given must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str = Field(min_length=1, examples=["service_recovery"])
    any_reason: frozenset[str] = Field(frozenset(), description="One of these reason codes.")
    any_complaint_category: frozenset[str] = Field(
        frozenset(), description="A complaint in the last 90 days in one of these categories."
    )
    lifecycle_stages: frozenset[str] = Field(frozenset(), description="One of these stages.")
    min_clv: float | None = Field(
        None, description="Expected spend over CHURNWATCH_CLV_YEARS (clv) at least this."
    )
    max_priority: int | None = Field(
        None, ge=1, description="The alert's priority at most this (1 is the most urgent)."
    )

    @property
    def is_fallback(self) -> bool:
        return not (self.any_reason or self.any_complaint_category or self.lifecycle_stages) and (
            self.min_clv is None and self.max_priority is None
        )

    def applies(
        self,
        codes: frozenset[str],
        clv: float,
        priority: int,
        stage: str,
        categories: frozenset[str],
    ) -> bool:
        return (
            (not self.any_reason or bool(self.any_reason & codes))
            and (not self.any_complaint_category or bool(self.any_complaint_category & categories))
            and (not self.lifecycle_stages or stage in self.lifecycle_stages)
            and (self.min_clv is None or clv >= self.min_clv)
            and (self.max_priority is None or priority <= self.max_priority)
        )


_RULES = TypeAdapter(tuple[ActionRule, ...])

# Order is priority: a complaint is answered before any offer is made.
DEFAULT_ACTION_RULES: tuple[ActionRule, ...] = _RULES.validate_python(
    [
        {"action": "service_recovery", "any_reason": ["open_complaint", "low_satisfaction"]},
        {"action": "price_offer", "any_complaint_category": ["price"]},
        {"action": "personal_call", "max_priority": 1},
        {"action": "service_recovery", "any_reason": ["complaints"]},
        {"action": "personalised_offer", "any_reason": ["spend_decline"]},
        {"action": "automated_winback", "lifecycle_stages": ["lapsed"]},
        {"action": "onboarding_nudge", "lifecycle_stages": ["new"]},
        {"action": "reminder_message"},
    ]
)


def load_action_rules(path: str | None) -> tuple[ActionRule, ...]:
    """The table from a JSON file, or the default; a table must end with a fallback rule."""
    if path is None:
        return DEFAULT_ACTION_RULES
    rules = _RULES.validate_json(Path(path).read_bytes())
    if not rules or not rules[-1].is_fallback:
        raise ValueError(f"{path}: the last rule must have no conditions (the fallback)")
    return rules


def recommend_action(
    reasons: Sequence[Reason],
    clv: float,
    priority: int,
    lifecycle_stage: str,
    complaint_categories: frozenset[str],
    rules: Sequence[ActionRule] = DEFAULT_ACTION_RULES,
) -> str:
    """The action of the first rule that applies.

    >>> overdue = Reason(code="overdue", weight=2.0, text="...")
    >>> recommend_action([overdue], clv=5000.0, priority=1, lifecycle_stage="at_risk",
    ...                  complaint_categories=frozenset())
    'personal_call'
    >>> recommend_action([overdue], clv=80.0, priority=4, lifecycle_stage="lapsed",
    ...                  complaint_categories=frozenset())
    'automated_winback'
    """
    codes = frozenset(r.code for r in reasons)
    return next(
        rule.action
        for rule in rules
        if rule.applies(codes, clv, priority, lifecycle_stage, complaint_categories)
    )
