"""Output event schemas: what downstream services and the retention team receive."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeFloat

from alerts.tiers import Tier
from models.drift import Response, Signal
from models.lifecycle import Stage

SCHEMA_VERSION = 1
_ID_NAMESPACE = uuid.UUID("6c3f7a2e-1b0d-4e59-9a8e-2f51c6b0d417")
_NAMESPACE_BYTES = _ID_NAMESPACE.bytes

Probability = float
TriggerKind = Literal["purchase", "complaint", "inactivity"]
TIER_MEANING = (
    "Urgency: none < medium < high < critical. By default the higher of the risk's own tier "
    "(medium from 0.5, high 0.7, critical 0.85) and its odds over the share of active "
    "customers who churned (medium at twice, high four times, critical eight times), so "
    "a tier means something in a shop where most leave and in one where few do."
)


def deterministic_id(*parts: str) -> str:
    """An id that the same inputs always give, so a replay or a retry reproduces it.

    It is ``uuid5(_ID_NAMESPACE, "|".join(parts))``, built from the digest directly: the
    ``uuid`` module's objects cost more than the hash, on every risk update.

    >>> deterministic_id("c1", "high", "e9") == str(uuid.uuid5(_ID_NAMESPACE, "c1|high|e9"))
    True
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + "|".join(parts).encode()).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _OutputEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: int = Field(SCHEMA_VERSION, description="Bumped on incompatible changes.")
    customer_id: str
    timestamp: AwareDatetime = Field(description="Event time of what caused this event.")


class Trigger(BaseModel):
    """What made the engine rescore the customer."""

    model_config = ConfigDict(frozen=True)

    kind: TriggerKind
    event_id: str | None = Field(description="The input event, or None for inactivity.")
    amount: NonNegativeFloat | None = Field(
        None, description="A purchase's amount (None for complaints and inactivity)."
    )


class Reason(BaseModel):
    """One factor behind a score: a stable code, its weight on the log-odds, a sentence."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["overdue"])
    weight: float = Field(description="Contribution to the log-odds of churn.")
    text: str = Field(examples=["no purchase for 74 days; usually buys every 21 days"])


class RiskUpdate(_OutputEvent):
    """A customer's current risk; keyed by customer_id on the compacted ``customer-risk`` topic.

    Published when the risk moved by at least CHURNWATCH_RISK_STEP since the customer's last
    update, when the tier or lifecycle stage changed, with an alert, and on every purchase: a
    consumer holds every customer's risk within the step.
    """

    type: Literal["risk_update"] = "risk_update"
    update_id: str
    risk: Probability = Field(ge=0, le=1, description="P(no purchase within the horizon).")
    previous_risk: Probability | None = Field(
        None, ge=0, le=1, description="The risk of this customer's previous update (None: first)."
    )
    tier: Tier = Field(description=TIER_MEANING)
    lifecycle_stage: Stage
    previous_lifecycle_stage: Stage | None = None
    lifecycle_changed: bool = Field(description="The stage differs from the previous update's.")
    model_version: str
    trigger: Trigger


class ChurnAlert(_OutputEvent):
    """An actionable warning for the retention team: one per churn episode (purchase to
    purchase), raised only while the customer has been silent less than the horizon."""

    type: Literal["churn_alert"] = "churn_alert"
    alert_id: str
    risk: Probability = Field(ge=0, le=1)
    previous_risk: Probability | None = Field(None, ge=0, le=1)
    tier: Tier = Field(description=TIER_MEANING)
    escalation: bool = Field(
        description="True when a complaint raised the tier of this episode's earlier alert."
    )
    reasons: list[Reason]
    recommended_action: str
    clv: NonNegativeFloat = Field(
        description=(
            "Expected spend over the next CHURNWATCH_CLV_YEARS, unconditional: the chance that "
            "the customer has gone, or will go, is already in it (BG/NBD purchases and "
            "Gamma-Gamma order values, fitted on the stream, weighed by the churn risk)."
        )
    )
    value_at_risk: NonNegativeFloat = Field(
        description=(
            "What the shop expects to lose if nothing is done: risk x (expected spend if the "
            "customer buys within the horizon - expected spend if not). clv + value_at_risk is "
            "the customer's expected spend if they buy within the horizon."
        )
    )
    priority: int = Field(
        ge=1,
        description=(
            "1 is the most urgent: value at risk of 10, 3 or 1 or more of the shop's average "
            "orders give 1, 2, 3 (CHURNWATCH_PRIORITY_ORDER_BANDS), less gives 4."
        ),
    )
    holdout: bool = Field(
        description="In the control group: do not act, so that uplift can be measured."
    )
    lifecycle_stage: Stage
    model_version: str
    trigger: Trigger


class CustomerRecovered(_OutputEvent):
    """An alerted customer bought again: the alert it answers, and how fast."""

    type: Literal["customer_recovered"] = "customer_recovered"
    recovery_id: str
    alert_id: str
    days_to_recovery: NonNegativeFloat
    amount: NonNegativeFloat


OutputEvent = RiskUpdate | ChurnAlert | CustomerRecovered


class ModelDrift(BaseModel):
    """The labels of a model period say the shop has changed; on the ``model-events`` topic.

    Published by the worker that trains the period, before its snapshot is saved: a retry
    repeats it with the same ``drift_id``.
    """

    model_config = ConfigDict(frozen=True)

    schema_version: int = Field(SCHEMA_VERSION, description="Bumped on incompatible changes.")
    type: Literal["model_drift"] = "model_drift"
    drift_id: str
    timestamp: AwareDatetime = Field(
        description="Event time the period whose labels showed it ended."
    )
    period: int = Field(description="The model period whose labels showed the change.")
    detector: str = Field(examples=["ADWIN"])
    signal: Signal = Field(
        description="log_loss: the serving model's per-label log loss (capped at -ln 0.01, "
        "scaled to [0, 1]); label_rate: the share of labels that are churn; purchase_gaps: "
        "the mean log of each purchase's gap over that buyer's usual gap."
    )
    before: float = Field(description="The signal's mean before the change.")
    after: float = Field(description="Its mean since: over the window ADWIN kept, or the period.")
    labels: int = Field(
        ge=0, description="Labels of the period (purchase_gaps: purchases compared)."
    )
    response: Response = Field(
        description="relearn: the refit learns from this period on, and serves meanwhile; "
        "learned_model_serves: the refit serves for a horizon where the heuristic did; "
        "reported: nothing changes (the churn rate moved, the model's loss did not)."
    )


def as_utc(epoch_seconds: float) -> datetime:
    """An event-time epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)
