"""Assessing a customer: score, reasons, lifecycle and value, and the events they give rise to."""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts.actions import DEFAULT_ACTION_RULES, ActionRule, recommend_action
from alerts.events import (
    ChurnAlert,
    CustomerRecovered,
    RiskUpdate,
    Trigger,
    as_utc,
    deterministic_id,
)
from alerts.policy import AlertDecision, AlertPolicy, decide_alert, end_episode
from alerts.priority import DEFAULT_ORDER_BANDS, in_holdout, priority_of
from alerts.reasons import build_reasons
from alerts.risk_feed import worth_publishing
from alerts.tiers import Tiers
from models.features import DAY, Features, extract_features
from models.lifecycle import lifecycle_stage
from models.scorer import ChurnScorer, churn_probability
from models.state import CustomerState
from models.value import Value, ValueModel

RECENT_COMPLAINT_DAYS = 90


@dataclass(frozen=True)
class AssessmentConfig:
    """The knobs of assessment: from settings, and ``tiers`` from the period's model snapshot."""

    tiers: Tiers
    policy: AlertPolicy
    horizon_days: float
    clv_years: float
    example_every_days: float = 28.0
    lateness_s: float = 3600.0
    action_rules: tuple[ActionRule, ...] = DEFAULT_ACTION_RULES
    # value at risk at which alerts get priority 1, 2, 3..., in the shop's average orders
    # (or, with ``priority_in_orders`` off, in currency)
    priority_bands: tuple[float, ...] = DEFAULT_ORDER_BANDS
    priority_in_orders: bool = True
    holdout_share: float = 0.0
    # how far a customer's risk moves before the feed carries it again (alerts.risk_feed);
    # 0 publishes every assessment
    risk_step: float = 0.0
    value: ValueModel = field(default_factory=ValueModel)  # the period's, from its snapshot

    def value_of(self, x: Features, risk: float) -> Value:
        return self.value.value(x, risk, self.horizon_days, self.clv_years)

    def priority_of(self, x: Features, value_at_risk: float) -> int:
        unit = self.value.average_order(x) if self.priority_in_orders else 1.0
        return priority_of(value_at_risk, self.priority_bands, unit)


@dataclass(frozen=True)
class Assessment:
    risk_update: RiskUpdate | None  # None when the feed does not need it
    alert: ChurnAlert | None = None
    recovered: CustomerRecovered | None = None
    features: Features = field(default_factory=dict)  # the customer's, as of the assessment

    @property
    def silent_days(self) -> float:
        """How long since the last purchase, at the assessment."""
        return self.features.get("recency_days", 0.0)


def assess(
    state: CustomerState,
    at: float,
    trigger: Trigger,
    scorer: ChurnScorer,
    config: AssessmentConfig,
    purchase_amount: float | None = None,
) -> Assessment:
    """Rescore ``state`` as of event time ``at`` and update what it remembers of alerts.

    The risk update is None when the ``customer-risk`` feed does not need it
    (:mod:`alerts.risk_feed`). What the customer's state should remember for learning, and
    when to look again, is the pipeline step's to decide (``streams.pipeline.processor``),
    from the features returned.
    """
    recovered = _recovery(state, at, trigger, purchase_amount)
    if trigger.kind == "purchase":
        end_episode(state.alert)
    x = extract_features(state, at, config.horizon_days)
    risk = round(churn_probability(scorer, x), 6)
    previous_risk, previous_stage, previous_tier = state.risk, state.stage, state.tier
    state.risk, state.stage = risk, lifecycle_stage(state, x, config.horizon_days)
    state.tier = config.tiers.tier_of(risk)
    source = trigger.event_id or f"inactivity@{at:.0f}"
    decision = decide_alert(
        state.alert,
        state.tier,
        at,
        x["recency_days"],
        trigger.kind,
        config.policy,
        overdue=x["recency_days"] / x["mean_interval_days"],
    )
    update = None
    if worth_publishing(
        risk,
        state.published_risk,
        tier_changed=state.tier != previous_tier,
        stage_changed=state.stage != previous_stage,
        purchase=trigger.kind == "purchase",
        alerting=decision is not None,
        step=config.risk_step,
    ):
        update = _risk_update(state, at, trigger, scorer.version, previous_stage, source)
    alert = (
        None
        if decision is None
        else _alert(state, at, x, decision, previous_risk, scorer, config, source, trigger)
    )
    return Assessment(update, alert=alert, recovered=recovered, features=x)


def _alert(
    state: CustomerState,
    at: float,
    x: Features,
    decision: AlertDecision,
    previous_risk: float | None,
    scorer: ChurnScorer,
    config: AssessmentConfig,
    source: str,
    trigger: Trigger,
) -> ChurnAlert:
    """The alert the policy decided on, with its reasons, action, value and priority."""
    assert state.risk is not None and state.stage is not None
    reasons = build_reasons(scorer.contributions(x), state, x)
    value = config.value_of(x, state.risk)
    priority = config.priority_of(x, value.value_at_risk)
    alert = ChurnAlert(
        alert_id=deterministic_id(state.customer_id, "alert", decision.tier, source),
        customer_id=state.customer_id,
        timestamp=as_utc(at),
        risk=state.risk,
        previous_risk=previous_risk,
        tier=decision.tier,
        escalation=decision.escalation,
        reasons=reasons,
        recommended_action=recommend_action(
            reasons,
            value.clv,
            priority,
            state.stage,
            _recent_complaints(state, at),
            config.action_rules,
        ),
        clv=value.clv,
        value_at_risk=value.value_at_risk,
        priority=priority,
        holdout=in_holdout(state.customer_id, config.holdout_share),
        lifecycle_stage=state.stage,
        model_version=scorer.version,
        trigger=trigger,
    )
    state.alert.alert_id = state.alert.open_alert_id = alert.alert_id
    return alert


def _risk_update(
    state: CustomerState,
    at: float,
    trigger: Trigger,
    model_version: str,
    previous_stage: str | None,
    source: str,
) -> RiskUpdate:
    """The customer's risk as now assessed, against the last risk the feed carried."""
    assert state.risk is not None and state.stage is not None
    update = RiskUpdate(
        update_id=deterministic_id(state.customer_id, "risk", source),
        customer_id=state.customer_id,
        timestamp=as_utc(at),
        risk=state.risk,
        previous_risk=state.published_risk,
        tier=state.tier,
        lifecycle_stage=state.stage,
        previous_lifecycle_stage=previous_stage,
        lifecycle_changed=previous_stage is not None and previous_stage != state.stage,
        model_version=model_version,
        trigger=trigger,
    )
    state.published_risk = state.risk
    return update


def _recovery(
    state: CustomerState, at: float, trigger: Trigger, amount: float | None
) -> CustomerRecovered | None:
    memory = state.alert
    if trigger.kind != "purchase" or memory.open_alert_id is None or amount is None:
        return None
    if memory.alerted_at is None or at < memory.alerted_at:
        return None  # a late purchase from before the alert does not answer it
    recovered = CustomerRecovered(
        recovery_id=deterministic_id(state.customer_id, "recovered", memory.open_alert_id),
        customer_id=state.customer_id,
        timestamp=as_utc(at),
        alert_id=memory.open_alert_id,
        days_to_recovery=round((at - memory.alerted_at) / DAY, 3),
        amount=amount,
    )
    memory.open_alert_id = None
    return recovered


def _recent_complaints(state: CustomerState, at: float) -> frozenset[str]:
    since = at - RECENT_COMPLAINT_DAYS * DAY
    return frozenset(c.category for c in state.complaints if since < c.opened_at <= at)


@dataclass(frozen=True)
class CustomerScore:
    """One row of a population's scores at a cut date."""

    customer_id: str
    risk: float
    tier: str
    lifecycle_stage: str
    recency_days: float
    frequency: int
    monetary: float
    clv: float
    value_at_risk: float
    model_version: str


def score_customer(
    state: CustomerState, as_of: float, scorer: ChurnScorer, config: AssessmentConfig
) -> CustomerScore:
    """Score ``state`` as of ``as_of`` without changing it (for `churnwatch scores`)."""
    x = extract_features(state, as_of, config.horizon_days)
    risk = round(churn_probability(scorer, x), 6)
    value = config.value_of(x, risk)
    return CustomerScore(
        customer_id=state.customer_id,
        risk=risk,
        tier=config.tiers.tier_of(risk),
        lifecycle_stage=lifecycle_stage(state, x, config.horizon_days),
        recency_days=round(x["recency_days"], 3),
        frequency=state.purchases,
        monetary=round(state.total_spend, 2),
        clv=value.clv,
        value_at_risk=value.value_at_risk,
        model_version=scorer.version,
    )
