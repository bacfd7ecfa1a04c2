"""`churnwatch inspect`: what the engine knows about one customer, readable."""

from __future__ import annotations

from typing import Any

from alerts.events import as_utc
from models.features import extract_features
from streams.settings import Settings
from streams.storage.codec import decode_state, readable_state
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
        "state": readable_state(state),
        "features": extract_features(state, as_of, settings.horizon_days),
    }
