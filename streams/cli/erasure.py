"""Right to erasure, everywhere: the store forgets the customer, and a tombstone on the
compacted ``customer-risk`` topic drops downstream copies. It spans Redis and Kafka, so it
lives here, at the edge, where both are at hand."""

from __future__ import annotations

from streams.clients.kafka_io import publish_tombstone
from streams.settings import Settings
from streams.storage.erasure import Erasure, forget_customer
from streams.topics import TopicNames


def erase_customer(settings: Settings, customer_id: str) -> Erasure:
    erasure = forget_customer(settings, customer_id)
    publish_tombstone(settings, TopicNames.from_settings(settings).risk, customer_id.encode())
    return erasure
