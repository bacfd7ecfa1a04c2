"""The alert policy's settings: tiers, capacity, escalation, value and actions.

Declared apart to keep each module readable; :class:`streams.settings.Settings` inherits
them, so there is still one settings object, read from ``CHURNWATCH_*``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from alerts.tiers import LiftTiers, PercentileTiers, TierThresholds

Probability = Annotated[float, Field(gt=0.0, lt=1.0)]


def env(name: str, text: str) -> str:
    return f"{text} Env: CHURNWATCH_{name.upper()}."


class AlertSettings(BaseSettings):
    """When a risk becomes an alert, and what the alert carries."""

    alert_tiers: Literal["risk-or-lift", "absolute", "lift", "percentile"] = Field(
        "risk-or-lift",
        description=env(
            "alert_tiers",
            "How risk becomes a tier: 'risk-or-lift', the higher of the calibrated risk's "
            "absolute tier (CHURNWATCH_ALERT_MEDIUM, _HIGH, _CRITICAL) and its odds over the "
            "share of active customers who churned (CHURNWATCH_ALERT_LIFTS), so a shop where "
            "few leave still gets a spread of tiers; 'absolute' thresholds alone; 'lift', odds "
            "over active customers' mean risk, from even odds up; or 'percentile' among active "
            "customers.",
        ),
    )
    alert_lifts: tuple[float, float, float] = Field(
        (2.0, 4.0, 8.0),
        description=env(
            "alert_lifts",
            "Medium, high and critical tiers as odds ratios to active customers' churn (with "
            "risk-or-lift tiers; their mean risk with lift tiers); a JSON list.",
        ),
    )
    alert_percentiles: tuple[float, float, float] = Field(
        (80.0, 90.0, 95.0),
        description=env(
            "alert_percentiles",
            "Medium, high and critical tiers as percentiles of active customers' risk; a JSON "
            "list.",
        ),
    )
    alert_medium: Probability = Field(
        0.5, description=env("alert_medium", "Medium tier, with absolute tiers.")
    )
    alert_high: Probability = Field(
        0.7, description=env("alert_high", "High tier, with absolute tiers.")
    )
    alert_critical: Probability = Field(
        0.85, description=env("alert_critical", "Critical tier, with absolute tiers.")
    )
    alert_daily_capacity: int | None = Field(
        None,
        ge=1,
        description=env(
            "alert_daily_capacity",
            "Most alerts per event-time day, the highest priority and value at risk first; the "
            "rest are deferred to a later day of their episode. Unset: no limit.",
        ),
    )
    alert_escalate: bool = Field(
        False,
        description=env(
            "alert_escalate",
            "Alert again within an episode when a complaint raises the tier (once per tier).",
        ),
    )
    alert_cold_overdue: float = Field(
        2.0,
        ge=0,
        description=env(
            "alert_cold_overdue",
            "While the scorer is cold (fewer than CHURNWATCH_MIN_LABELS outcomes of each kind, "
            "so its risks are unchecked guesses), an alert also needs silence of this many "
            "times the customer's mean gap between purchases (30 days' gap after a single "
            "purchase). 0: the tier alone.",
        ),
    )
    alert_cooldown_days: float = Field(
        14.0,
        ge=0,
        description=env(
            "alert_cooldown_days", "Least event-time days between two alerts of one episode."
        ),
    )
    risk_step: float = Field(
        0.01,
        ge=0,
        le=1,
        description=env(
            "risk_step",
            "How far a customer's risk moves before customer-risk carries it again (a tier or "
            "stage change, an alert and a purchase always do), so consumers hold every "
            "customer's risk within it; 0 publishes every assessment.",
        ),
    )
    holdout_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description=env(
            "holdout_share",
            "Share of customers whose alerts are marked holdout (control group), by customer id.",
        ),
    )
    priority_order_bands: tuple[float, ...] = Field(
        (10.0, 3.0, 1.0),
        description=env(
            "priority_order_bands",
            "Value at risk at which alerts get priority 1, 2, 3..., counted in the shop's "
            "average orders (so a priority means the same in any shop); a JSON list, "
            "descending.",
        ),
    )
    priority_value_bands: tuple[float, ...] | None = Field(
        None,
        description=env(
            "priority_value_bands",
            "Instead, value at risk in currency at which alerts get priority 1, 2, 3...; a "
            "JSON list, descending.",
        ),
    )
    actions_file: str | None = Field(
        None,
        description=env(
            "actions_file",
            "JSON list of action rules replacing the default table (see alerts/actions.py).",
        ),
    )
    clv_years: float = Field(
        2.0,
        gt=0,
        description=env(
            "clv_years",
            "Years of future spend that clv and value_at_risk count (their contract: "
            "docs/model.md).",
        ),
    )

    @model_validator(mode="after")
    def _thresholds_are_ordered(self) -> AlertSettings:
        self.tiers  # noqa: B018 - building the thresholds validates their order
        PercentileTiers((0.0,), *self.alert_percentiles)  # and the percentiles theirs
        LiftTiers(0.5, *self.alert_lifts)
        for name in ("priority_order_bands", "priority_value_bands"):
            bands = getattr(self, name) or ()
            if list(bands) != sorted(bands, reverse=True) or any(b <= 0 for b in bands):
                raise ValueError(f"{name} must be positive and descending, got {bands}")
        return self

    @property
    def tiers(self) -> TierThresholds:
        return TierThresholds(
            medium=self.alert_medium, high=self.alert_high, critical=self.alert_critical
        )
