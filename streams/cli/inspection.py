"""`churnwatch inspect`: what the engine knows about one customer, readable."""

from __future__ import annotations

from typing import Any

from alerts.events import as_utc
from models.features import extract_features
from streams.settings import Settings
from streams.storage.reader import StoreReader


def describe_customer(settings: Settings, customer_id: str) -> dict[str, Any] | None:
    """The stored state and its features as of the customer's last event, or None if unknown."""
    with StoreReader(settings) as store:
        state = store.state(customer_id)
    if state is None:
        return None
    as_of = state.last_seen or 0.0
    return {
        "customer_id": customer_id,
        "as_of": as_utc(as_of).isoformat(),
        "state": StoreReader.readable(state),
        "features": extract_features(state, as_of, settings.horizon_days),
    }
