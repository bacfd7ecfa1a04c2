"""Right to erasure: forget one customer everywhere churnwatch keeps them.

The engine stores no personal data beyond the ids in the events; erasure removes the
customer's state (with their pending examples), their place in the inactivity schedule and
the labelled examples not yet learned, and publishes a tombstone to the compacted
``customer-risk`` topic so downstream copies are dropped too. Models already learned from
the customer's past labels are not unlearned: they hold weights, not records.
"""

from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaProducer

from streams.clients.kafka_io import servers
from streams.clients.security import kafka_client_options
from streams.settings import Settings
from streams.storage.connection import connect_sync
from streams.storage.keys import StateKeys
from streams.storage.records import label_customer
from streams.topics import TopicNames


@dataclass(frozen=True)
class Erasure:
    customer_id: str
    state_deleted: bool
    schedule_entries: int
    labels_removed: int


def erase_customer(settings: Settings, customer_id: str) -> Erasure:
    keys = StateKeys(settings.redis_namespace)
    client = connect_sync(settings)
    try:
        shards = range(settings.partitions)
        # a cluster client splits the DEL by slot
        deleted = bool(client.delete(*(keys.customer(p, customer_id) for p in shards)))
        scheduled = sum(int(client.zrem(keys.due(p), customer_id)) for p in shards)
        labels = 0
        for bucket in client.scan_iter(match=keys.label_bucket_pattern()):
            mine = [m for m in client.sscan_iter(bucket) if label_customer(m) == customer_id]
            if mine:
                labels += int(client.srem(bucket, *mine))
    finally:
        client.close()
    producer = KafkaProducer(
        bootstrap_servers=servers(settings), acks="all", **kafka_client_options(settings)
    )
    try:
        producer.send(TopicNames.from_settings(settings).risk, key=customer_id.encode(), value=None)
        producer.flush()
    finally:
        producer.close()
    return Erasure(customer_id, deleted, scheduled, labels)
