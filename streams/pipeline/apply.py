"""Applying validated input events to customer state."""

from __future__ import annotations

from alerts.events import Trigger
from models.state import CustomerState, apply_complaint, apply_purchase
from streams.pipeline.events import InputEvent, PurchaseEvent


def event_time(event: InputEvent) -> float:
    """The event's ``epoch_seconds``, computed once per event."""
    return event.epoch_seconds


def order_key(event: InputEvent) -> tuple[float, int, int, str]:
    """Processing order: event time to the microsecond, purchases before complaints, then id.

    State keeps whole seconds, but order does not stop at them: ordered by id within a second,
    an event would wait for every partition to pass that second, up to a second of latency.
    """
    return (
        event_time(event),
        event.timestamp.microsecond,
        0 if event.type == "purchase" else 1,
        event.event_id,
    )


def apply_event(state: CustomerState, event: InputEvent) -> bool:
    """Apply ``event`` to ``state``; False (and nothing changed) when it was already applied."""
    if not state.remember_event(event.event_id):
        return False
    at = event_time(event)
    if isinstance(event, PurchaseEvent):
        apply_purchase(state, at, round(event.amount, 2))
    else:
        apply_complaint(
            state,
            at,
            event.complaint_id,
            event.category,
            event.severity,
            event.status,
            event.satisfaction,
        )
    return True


def trigger_of(event: InputEvent) -> Trigger:
    amount = round(event.amount, 2) if isinstance(event, PurchaseEvent) else None
    return Trigger(kind=event.type, event_id=event.event_id, amount=amount)
