"""One batch of events through the engine: apply, assess, and collect what to publish."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from alerts.assessment import AlertConfig, Assessment, assess
from alerts.events import OutputEvent
from models.scorer import ChurnScorer
from models.state import CustomerState
from streams.apply import InputEvent, apply_event, event_time, trigger_of
from streams.settings import Settings


def alert_config(settings: Settings) -> AlertConfig:
    return AlertConfig(
        thresholds=settings.tiers,
        cooldown_days=settings.alert_cooldown_days,
        horizon_days=settings.horizon_days,
        clv_years=settings.clv_years,
    )


@dataclass
class BatchResult:
    """What a batch changed: states to save, events to publish, counters to add."""

    states: dict[str, CustomerState] = field(default_factory=dict)
    risk_updates: list[OutputEvent] = field(default_factory=list)
    alerts: list[OutputEvent] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def record(self, assessment: Assessment) -> None:
        self.risk_updates.append(assessment.risk_update)
        for event in (assessment.alert, assessment.recovered):
            if event is not None:
                self.alerts.append(event)
                self.counts[f"out:{event.type}"] += 1
        if assessment.alert is not None:
            self.counts[f"alerts:{assessment.alert.tier}"] += 1


def process_batch(
    states: dict[str, CustomerState],
    events: Sequence[InputEvent],
    scorer: ChurnScorer,
    config: AlertConfig,
) -> BatchResult:
    """Apply ``events`` (already in event-time order) to ``states`` and assess each customer hit.

    Redelivered events change nothing and publish nothing; they are counted as duplicates.
    """
    result = BatchResult(states=states)
    for event in events:
        state = states[event.customer_id]
        result.counts["processed"] += 1
        if not apply_event(state, event):
            result.counts["duplicates"] += 1
            continue
        amount = event.amount if event.type == "purchase" else None
        # a late event is scored at the customer's own clock, never before what we know
        as_of = max(event_time(event), state.last_seen or 0.0)
        result.record(assess(state, as_of, trigger_of(event), scorer, config, amount))
    return result
