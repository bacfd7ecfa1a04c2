"""One batch of events through the engine: apply, assess, and collect what to publish."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from alerts.actions import load_action_rules
from alerts.assessment import Assessment, AssessmentConfig, assess
from alerts.events import OutputEvent, Trigger
from alerts.policy import AlertPolicy
from alerts.tiers import LiftTiers, PercentileTiers, Tiers
from models.labels import LabelledExample, label_by_purchase, label_expired
from models.registry import ModelSnapshot
from models.scorer import ChurnScorer
from models.state import CustomerState
from streams.pipeline.apply import InputEvent, apply_event, event_time, order_key, trigger_of
from streams.settings import Settings


def assessment_config(settings: Settings) -> AssessmentConfig:
    """The assessment knobs of ``settings``, with absolute tiers (see :func:`for_period`)."""
    return AssessmentConfig(
        tiers=settings.tiers,
        policy=AlertPolicy(
            horizon_days=settings.horizon_days,
            escalate=settings.alert_escalate,
            cooldown_days=settings.alert_cooldown_days,
        ),
        horizon_days=settings.horizon_days,
        clv_years=settings.clv_years,
        example_every_days=settings.example_every_days,
        lateness_s=settings.allowed_lateness_minutes * 60,
        action_rules=load_action_rules(settings.actions_file),
        priority_bands=settings.priority_value_bands,
        holdout_share=settings.holdout_share,
    )


def for_period(
    config: AssessmentConfig, settings: Settings, snapshot: ModelSnapshot | None
) -> AssessmentConfig:
    """``config`` as a period uses it: tiers relative to the snapshot's active customers, and
    alerts withheld while the snapshot is cold.

    Relative tiers need calibrated risks, which only the learned model gives: while the
    heuristic serves (the model is cold, or guarded), and where settings ask for them, the
    absolute thresholds apply. While cold, no outcome has yet checked the heuristic's risks
    (on a generated population its alerts were right 19% of the time, the learned model's
    55%), so an alert also needs the customer to be overdue.
    """
    if snapshot is not None and not snapshot.is_warm:
        cold = replace(config.policy, min_overdue=settings.alert_cold_overdue)
        config = replace(config, policy=cold)
    if (
        settings.alert_tiers == "absolute"
        or snapshot is None
        or not snapshot.serves_model
        or not snapshot.active_risks
    ):
        return config
    tiers: Tiers
    if settings.alert_tiers == "lift":
        base_rate = sum(snapshot.active_risks) / len(snapshot.active_risks)
        tiers = LiftTiers(base_rate, *settings.alert_lifts)
    else:
        tiers = PercentileTiers(snapshot.active_risks, *settings.alert_percentiles)
    return replace(config, tiers=tiers)


INACTIVITY = Trigger(kind="inactivity", event_id=None)


class DueCheck(NamedTuple):
    """A scheduled look at a customer who may have gone silent (a tuple: thousands a batch)."""

    customer_id: str
    due: float


Work = InputEvent | DueCheck


AFTER_EVERY_MICROSECOND = 1_000_000


def work_order(item: Work) -> tuple[float, int, int, str]:
    """Event-time order; a check due in the same second as events comes after all of them."""
    if isinstance(item, DueCheck):
        return (item.due, AFTER_EVERY_MICROSECOND, 2, item.customer_id)
    return order_key(item)


@dataclass
class BatchResult:
    """What a batch changed: states to save, events to publish, counters to add."""

    states: dict[str, CustomerState] = field(default_factory=dict)
    risk_updates: list[OutputEvent] = field(default_factory=list)
    alerts: list[OutputEvent] = field(default_factory=list)
    labels: list[LabelledExample] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    silent_days: dict[str, float] = field(default_factory=dict)  # by alert id

    def record(self, assessment: Assessment) -> None:
        self.risk_updates.append(assessment.risk_update)
        if assessment.alert is not None:
            self.silent_days[assessment.alert.alert_id] = assessment.silent_days
        for event in (assessment.alert, assessment.recovered):
            if event is not None:
                self.alerts.append(event)
                self.counts[f"out:{event.type}"] += 1
        if assessment.alert is not None:
            self.counts[f"alerts:{assessment.alert.tier}"] += 1


def process_batch(
    states: dict[str, CustomerState],
    work: Sequence[Work],
    scorer: ChurnScorer,
    config: AssessmentConfig,
    checks_until: float | None = None,
) -> BatchResult:
    """Apply events and due checks to ``states`` in event-time order, assessing each customer hit.

    Inactivity checks due by ``checks_until`` (the watermark) run in their place in event
    time, including checks that this very batch schedules: the result is then the same
    however the stream was cut into batches. A check that a later event rescheduled is stale
    and skipped; a redelivered event changes nothing and is counted as a duplicate.
    """
    result = BatchResult(states=states)
    queue = [(work_order(item), item) for item in work]
    if checks_until is not None:
        listed = {item for item in work if isinstance(item, DueCheck)}
        scheduled = (_check_of(s) for s in states.values() if _due(s, checks_until))
        queue += [(work_order(c), c) for c in scheduled if c not in listed]
    heapq.heapify(queue)
    while queue:
        _, item = heapq.heappop(queue)
        state = states[item.customer_id]
        if isinstance(item, DueCheck):
            if state.next_check != item.due:
                continue
            result.counts["scheduled_checks"] += 1
            result.labels += label_expired(state, item.due, config.horizon_days, config.lateness_s)
            result.record(assess(state, item.due, INACTIVITY, scorer, config))
        else:
            result.counts["processed"] += 1
            if not apply_event(state, item):
                result.counts["duplicates"] += 1
                continue
            amount = item.amount if item.type == "purchase" else None
            if amount is not None:
                result.labels += label_by_purchase(
                    state, event_time(item), config.horizon_days, config.lateness_s
                )
            # a late event is scored at the customer's own clock, never before what we know
            as_of = max(event_time(item), state.last_seen or 0.0)
            result.record(assess(state, as_of, trigger_of(item), scorer, config, amount))
        if checks_until is not None and _due(state, checks_until):
            check = _check_of(state)
            heapq.heappush(queue, (work_order(check), check))
    return result


def _due(state: CustomerState, until: float) -> bool:
    return state.next_check is not None and state.next_check <= until


def _check_of(state: CustomerState) -> DueCheck:
    return DueCheck(state.customer_id, state.next_check or 0.0)
