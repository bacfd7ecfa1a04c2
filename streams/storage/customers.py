"""The Redis customer-state store: one compact value per customer, one round trip per batch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import redis as syncredis
import redis.asyncio as aioredis

from alerts.capacity import Candidate, day_of
from models.state import CustomerState
from streams.pipeline.partitions import Partition
from streams.pipeline.periods import ModelPeriods
from streams.pipeline.ports import Changes
from streams.pipeline.processor import DueCheck
from streams.settings import Settings
from streams.storage.codec import decode_state, encode_state
from streams.storage.keys import StateKeys
from streams.storage.records import encode_candidate, encode_label

# what redis-py's stubs accept as a hash mapping
RedisMapping = Mapping[Any, Any]


class RedisCustomerStore:
    """Loads and saves customer states in batches; counts what the engine has done."""

    def __init__(self, client: aioredis.Redis, settings: Settings) -> None:
        self.client = client
        self.keys = StateKeys(settings.redis_namespace)
        self.periods = ModelPeriods(settings.model_update_days)

    async def load(self, customer_ids: Iterable[str]) -> dict[str, CustomerState]:
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return {}
        values: list[Any] = await self.client.mget([self.keys.customer(cid) for cid in ids])
        return {cid: decode_state(cid, value) for cid, value in zip(ids, values, strict=True)}

    async def watermark(self) -> float | None:
        """The furthest watermark any worker has saved."""
        score = await self.client.zscore(self.keys.watermark, "event_time")
        return None if score is None else float(score)

    async def applied(self) -> float | None:
        """The event time of the latest event any worker has applied."""
        score = await self.client.zscore(self.keys.watermark, "applied")
        return None if score is None else float(score)

    async def resume_point(self, partitions: Iterable[int]) -> float | None:
        """Where event time resumes for a worker given ``partitions``: the least of their
        saved watermarks, each how far its last owner had applied events and run checks.

        Not the furthest watermark: that may be another worker's, ahead of events still
        unread here, and checks run up to it would come before those events.
        """
        members = [str(p) for p in partitions]
        if not members:
            return None
        scores = await self.client.zmscore(self.keys.partition_watermarks, members)
        return min((float(s) for s in scores if s is not None), default=None)

    async def completed_offsets(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        """Per input partition, the offset up to which all is applied."""
        wanted = list(partitions)
        if not wanted:
            return {}
        values = await self.client.hmget(self.keys.offsets, [str(p) for p in wanted])
        return {p: int(v) for p, v in zip(wanted, values, strict=True) if v is not None}

    async def stats(self) -> dict[str, int]:
        """The engine's counters, as saved with the work they count."""
        raw: dict[Any, Any] = await self.client.hgetall(self.keys.stats)
        return {k.decode(): int(v) for k, v in raw.items()}

    async def checks_due(self, partitions: Iterable[int], up_to: float) -> int:
        """How many inactivity checks are due by ``up_to`` in ``partitions``."""
        async with self.client.pipeline(transaction=False) as pipe:
            for partition in partitions:
                pipe.zcount(self.keys.due(partition), "-inf", up_to)
            counts: list[int] = await pipe.execute()
        return sum(counts)

    async def due_checks(
        self, partitions: Iterable[int], up_to: float, limit: int
    ) -> list[tuple[int, DueCheck]]:
        """Checks due by ``up_to`` in these input partitions, at most ``limit`` per partition."""
        partitions = list(partitions)
        async with self.client.pipeline(transaction=False) as pipe:
            for partition in partitions:
                pipe.zrangebyscore(
                    self.keys.due(partition), "-inf", up_to, start=0, num=limit, withscores=True
                )
            rows: list[list[tuple[bytes, float]]] = await pipe.execute()
        return [
            (partition, DueCheck(member.decode(), float(score)))
            for partition, row in zip(partitions, rows, strict=True)
            for member, score in row
        ]

    async def save(self, changes: Changes) -> None:
        """Write states, schedules, labels, counters and input progress in one MULTI/EXEC.

        The watermark (how far checks have run) is saved as the worker's and as each owned
        partition's. Progress and state land together, so a restart never re-applies what
        was saved.
        """
        scheduled: dict[int, dict[str, float]] = {}
        unscheduled: dict[int, list[str]] = {}
        values: dict[str, bytes] = {}
        async with self.client.pipeline(transaction=True) as pipe:
            for partition, state in changes.states:
                values[self.keys.customer(state.customer_id)] = encode_state(state)
                if state.next_check is None:
                    unscheduled.setdefault(partition, []).append(state.customer_id)
                else:
                    scheduled.setdefault(partition, {})[state.customer_id] = state.next_check
            if values:
                pipe.mset(values)
            for partition, customers in unscheduled.items():
                pipe.zrem(self.keys.due(partition), *customers)
            for partition, schedule in scheduled.items():
                pipe.zadd(self.keys.due(partition), schedule)
            for name, amount in changes.counts.items():
                if amount:
                    pipe.hincrby(self.keys.stats, name, amount)
            for bucket, labels in self._label_buckets(changes).items():
                pipe.sadd(self.keys.label_bucket(bucket), *labels)
            for name, amount in changes.pulse.items():
                pipe.hincrby(self.keys.pulse(changes.labels_not_before), name, amount)
            for day, candidates in _by_day(changes.candidates).items():
                mapping: RedisMapping = {c.alert_id: encode_candidate(c) for c in candidates}
                pipe.hset(self.keys.alert_candidates(day), mapping=mapping)
            if changes.offsets:
                progress: RedisMapping = {str(p): o for p, o in changes.offsets.items()}
                pipe.hset(self.keys.offsets, mapping=progress)
            if changes.checks_through is not None:
                # GT: with several workers the shared watermark only moves forward
                through = changes.checks_through
                pipe.zadd(self.keys.watermark, {"event_time": through}, gt=True)
                per_partition: RedisMapping = dict.fromkeys(map(str, changes.owned), through)
                if per_partition:
                    pipe.zadd(self.keys.partition_watermarks, per_partition, gt=True)
            if changes.applied is not None:
                pipe.zadd(self.keys.watermark, {"applied": changes.applied}, gt=True)
            await pipe.execute()

    def _label_buckets(self, changes: Changes) -> dict[int, list[bytes]]:
        buckets: dict[int, list[bytes]] = {}
        for label in changes.labels:
            bucket = self.periods.bucket_of(label, changes.labels_not_before)
            buckets.setdefault(bucket, []).append(encode_label(label))
        return buckets


def _by_day(candidates: Iterable[Candidate]) -> dict[int, list[Candidate]]:
    days: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        days.setdefault(day_of(candidate.raised_at), []).append(candidate)
    return days


def read_all_states(client: syncredis.Redis, keys: StateKeys) -> Iterable[CustomerState]:
    """Every customer in the store (SCAN, so the server never blocks), in no set order."""
    batch: list[bytes] = []
    for key in client.scan_iter(match=keys.customer_pattern(), count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            yield from _decode_batch(client, keys, batch)
            batch = []
    yield from _decode_batch(client, keys, batch)


def read_states(
    client: syncredis.Redis, keys: StateKeys, customer_ids: Iterable[str]
) -> dict[str, CustomerState]:
    """The stored state of each of these customers that has one."""
    wanted = list(dict.fromkeys(customer_ids))
    if not wanted:
        return {}
    values: list[Any] = client.mget([keys.customer(c) for c in wanted])
    return {c: decode_state(c, v) for c, v in zip(wanted, values, strict=True) if v is not None}


def _decode_batch(
    client: syncredis.Redis, keys: StateKeys, batch: list[bytes]
) -> Iterable[CustomerState]:
    if not batch:
        return
    values: list[Any] = client.mget(batch)
    for key, value in zip(batch, values, strict=True):
        yield decode_state(keys.customer_id_of(key), value)
