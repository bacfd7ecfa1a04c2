"""Right to erasure, in Redis: forget one customer everywhere the store keeps them.

The engine stores no personal data beyond the ids in the events; this removes the customer's
state (with their pending examples), their place in the inactivity schedule, the labelled
examples not yet learned and, with a daily capacity, their alerts and recoveries waiting for a
seal and their latest published alert. The tombstone on ``customer-risk`` that drops
downstream copies too is published where Kafka is at hand (:mod:`streams.cli.erasure`).
Models already learned from the customer's past labels are not unlearned: they hold weights,
not records; the census counts them in bins, naming no one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from streams.settings import Settings
from streams.storage.connection import SyncClient, connect_sync
from streams.storage.keys import StateKeys
from streams.storage.records import decode_candidate, decode_pending, label_customer


@dataclass(frozen=True)
class Erasure:
    customer_id: str
    state_deleted: bool
    schedule_entries: int
    labels_removed: int


def forget_customer(settings: Settings, customer_id: str) -> Erasure:
    """Remove ``customer_id`` from the store (see the module); what was there to remove."""
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
        _forget_alerts(client, keys, settings.partitions, customer_id)
    finally:
        client.close()
    return Erasure(customer_id, deleted, scheduled, labels)


def _forget_alerts(client: SyncClient, keys: StateKeys, partitions: int, customer_id: str) -> None:
    """With a daily capacity: the customer's candidates, deferred alerts, pending recoveries
    and latest published alert."""
    client.hdel(keys.published_alerts, customer_id)
    candidates = [keys.deferred_alerts]
    for p in range(partitions):
        candidates += [k.decode() for k in client.scan_iter(match=keys.alert_candidates_pattern(p))]
    for name in candidates:
        _drop(client, name, lambda _, raw: decode_candidate(raw)[1].customer_id == customer_id)
    for name in (keys.pending_recoveries(p) for p in range(partitions)):
        _drop(client, name, lambda key, raw: decode_pending(key, raw).customer_id == customer_id)


def _drop(client: SyncClient, name: str, theirs: Callable[[bytes, bytes], bool]) -> None:
    entries = cast(dict[bytes, bytes], client.hgetall(name))
    mine = [field for field, raw in entries.items() if theirs(field, raw)]
    if mine:
        client.hdel(name, *mine)
