"""One batch of events through the engine: apply, assess, and collect what to publish."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from alerts.assessment import Assessment, AssessmentConfig, assess
from alerts.events import ChurnAlert, OutputEvent, Trigger
from models.census import add_to_census
from models.inactivity import next_check_time
from models.labels import (
    LabelledExample,
    label_by_purchase,
    label_expired,
    next_label_due,
    take_snapshot,
)
from models.pulse import add_gap, gap_ratio
from models.scorer import ChurnScorer
from models.state import CustomerState
from streams.pipeline.apply import apply_event, event_time, order_key, trigger_of
from streams.pipeline.events import InputEvent

INACTIVITY = Trigger(kind="inactivity", event_id=None)


class DueCheck(NamedTuple):
    """A scheduled look at a customer who may have gone silent (a tuple: thousands a batch)."""

    customer_id: str
    due: float


Work = InputEvent | DueCheck


AFTER_EVERY_MICROSECOND = 1_000_000


WorkOrder = tuple[float, int, int, str]


def work_order(item: Work) -> WorkOrder:
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
    # this batch's counts for the period: purchases' gap ratios (models.pulse) and the
    # census of its ticks' snapshots (models.census)
    tallies: Counter[str] = field(default_factory=Counter)
    silent_days: dict[str, float] = field(default_factory=dict)  # by alert id
    # the work order of what produced each risk update and alert: results of separate
    # batches (one per partition) merge back into one event-time order by these
    risk_order: list[WorkOrder] = field(default_factory=list)
    alert_order: list[WorkOrder] = field(default_factory=list)

    def record(self, assessment: Assessment, order: WorkOrder) -> None:
        if assessment.risk_update is not None:
            self.risk_updates.append(assessment.risk_update)
            self.risk_order.append(order)
        if assessment.alert is not None:
            self.silent_days[assessment.alert.alert_id] = assessment.silent_days
        for event in (assessment.alert, assessment.recovered):
            if event is not None:
                self.alerts.append(event)
                self.alert_order.append(order)
                self.counts.update(output_counters(event))


def output_counters(event: OutputEvent) -> list[str]:
    """The counters an alert or recovery adds to: its type, and an alert's tier."""
    return [
        f"out:{event.type}",
        *([f"alerts:{event.tier}"] if isinstance(event, ChurnAlert) else []),
    ]


def without_outputs(counts: Counter[str]) -> Counter[str]:
    """``counts`` less those of :func:`output_counters` (with a daily capacity, alerts and
    recoveries count when their day's seal publishes them, not when they are decided)."""
    return Counter({k: v for k, v in counts.items() if not k.startswith(("out:", "alerts:"))})


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
        order, item = heapq.heappop(queue)
        state = states[item.customer_id]
        if isinstance(item, DueCheck):
            if state.next_check != item.due:
                continue
            result.counts["scheduled_checks"] += 1
            result.labels += label_expired(state, item.due, config.horizon_days, config.lateness_s)
            assessment = assess_and_schedule(
                state, item.due, INACTIVITY, scorer, config, result.tallies
            )
            result.record(assessment, order)
        else:
            result.counts["processed"] += 1
            amount = item.amount if item.type == "purchase" else None
            ratio = None if amount is None else gap_ratio(state, event_time(item))
            if not apply_event(state, item):
                result.counts["duplicates"] += 1
                continue
            add_gap(result.tallies, ratio)
            if amount is not None:
                result.labels += label_by_purchase(
                    state, event_time(item), config.horizon_days, config.lateness_s
                )
            # a late event is scored at the customer's own clock, never before what we know
            as_of = max(event_time(item), state.last_seen or 0.0)
            assessment = assess_and_schedule(
                state, as_of, trigger_of(item), scorer, config, result.tallies, amount
            )
            result.record(assessment, order)
        if checks_until is not None and _due(state, checks_until):
            check = _check_of(state)
            heapq.heappush(queue, (work_order(check), check))
    return result


def assess_and_schedule(
    state: CustomerState,
    at: float,
    trigger: Trigger,
    scorer: ChurnScorer,
    config: AssessmentConfig,
    census: Counter[str],
    amount: float | None = None,
) -> Assessment:
    """Assess the customer at ``at``; then keep a training snapshot if one is due (and count
    it in the ``census``), and schedule the next look: an inactivity check, or the moment a
    snapshot's label is due."""
    assessment = assess(state, at, trigger, scorer, config, amount)
    x = assessment.features
    if take_snapshot(state, x, at, config.example_every_days):
        add_to_census(census, x)
    state.next_check = _earliest(
        next_check_time(
            state, at, config.horizon_days, x["interval_days"], config.example_every_days
        ),
        next_label_due(state, config.horizon_days, config.lateness_s),
    )
    return assessment


def _earliest(*moments: float | None) -> float | None:
    return min((m for m in moments if m is not None), default=None)


def _due(state: CustomerState, until: float) -> bool:
    return state.next_check is not None and state.next_check <= until


def _check_of(state: CustomerState) -> DueCheck:
    return DueCheck(state.customer_id, state.next_check or 0.0)


def merged(results: Sequence[BatchResult]) -> tuple[list[OutputEvent], list[OutputEvent]]:
    """The risk updates and alerts of batches of disjoint customers, in one work order: as
    one batch of all their work would have produced them."""
    risk = heapq.merge(
        *(zip(r.risk_order, r.risk_updates, strict=True) for r in results), key=_first
    )
    alerts = heapq.merge(*(zip(r.alert_order, r.alerts, strict=True) for r in results), key=_first)
    return [event for _, event in risk], [event for _, event in alerts]


def _first(pair: tuple[WorkOrder, OutputEvent]) -> WorkOrder:
    return pair[0]
