"""`churnwatch inspect`: what the engine knows about one customer, readable."""

from __future__ import annotations

import dataclasses
from typing import Any

from alerts.events import as_utc
from models.features import extract_features
from streams.settings import Settings
from streams.storage.codec import decode_state
from streams.storage.connection import connect_sync
from streams.storage.keys import StateKeys


def describe_customer(settings: Settings, customer_id: str) -> dict[str, Any] | None:
    """The stored state and its features as of the customer's last event, or None if unknown."""
    client = connect_sync(settings)
    try:
        value = client.get(StateKeys(settings.redis_namespace).customer(customer_id))
    finally:
        client.close()
    if value is None:
        return None
    state = decode_state(customer_id, value)  # type: ignore[arg-type]
    as_of = state.last_seen or 0.0
    return {
        "customer_id": customer_id,
        "as_of": as_utc(as_of).isoformat(),
        "state": readable_times(dataclasses.asdict(state)),
        "features": extract_features(state, as_of, settings.horizon_days),
    }


_TIME_FIELDS = {
    "first_seen",
    "last_seen",
    "first_purchase",
    "last_purchase",
    "next_check",
    "at",
    "opened_at",
    "updated_at",
    "alerted_at",
}


def readable_times(value: Any, key: str = "") -> Any:
    """Event-time epochs as ISO strings, everywhere in the nested state."""
    if isinstance(value, dict):
        return {k: readable_times(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [readable_times(v, key) for v in value]
    if key in _TIME_FIELDS and isinstance(value, float):
        return as_utc(value).isoformat()
    return value
