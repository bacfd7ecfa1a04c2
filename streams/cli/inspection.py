"""`churnwatch inspect`: what the engine knows about one customer, readable."""

from __future__ import annotations

from typing import Any

from alerts.events import as_utc
from models.features import extract_features
from streams.settings import Settings
from streams.storage.codec import readable_state
from streams.storage.connection import connect_sync
from streams.storage.customers import read_states
from streams.storage.keys import StateKeys


def describe_customer(settings: Settings, customer_id: str) -> dict[str, Any] | None:
    """The stored state and its features as of the customer's last event, or None if unknown."""
    client = connect_sync(settings)
    try:
        keys = StateKeys(settings.redis_namespace)
        state = read_states(client, keys, settings.partitions, [customer_id]).get(customer_id)
    finally:
        client.close()
    if state is None:
        return None
    as_of = state.last_seen or 0.0
    return {
        "customer_id": customer_id,
        "as_of": as_utc(as_of).isoformat(),
        "state": readable_state(state),
        "features": extract_features(state, as_of, settings.horizon_days),
    }
