"""The Redis customer-state store: one compact value per customer, one round trip per batch.

Keys carry the customer id in a hash tag (``ns:c:{id}``), so one customer's keys stay in
one slot when the store moves to Redis Cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import redis as syncredis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from models.state import CustomerState
from streams.clients.security import redis_client_options
from streams.pipeline.processor import DueCheck
from streams.settings import Settings
from streams.storage.codec import decode_state, encode_state

# what redis-py's stubs accept as a hash mapping
RedisMapping = Mapping[Any, Any]


class StateKeys:
    """Names of every Redis key churnwatch writes, under one namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.stats = f"{namespace}:stats"
        self.watermark = f"{namespace}:watermark"
        self.partition_watermarks = f"{namespace}:partition-watermarks"
        self.offsets = f"{namespace}:offsets"
        self.progress = f"{namespace}:progress"
        self.models = f"{namespace}:models"

    def alert_candidates(self, day: int) -> str:
        """Hash of one event-time day's alert candidates (with a daily capacity): id -> JSON."""
        return f"{self.namespace}:alerts:day:{day}"

    @property
    def deferred_alerts(self) -> str:
        """Hash of candidates deferred past their day by the capacity: id -> JSON."""
        return f"{self.namespace}:alerts:deferred"

    @property
    def sealed_day(self) -> str:
        """The last event-time day whose alerts were selected."""
        return f"{self.namespace}:alerts:sealed"

    def seal_lock(self, day: int) -> str:
        return f"{self.namespace}:alerts:seal-lock:{day}"

    def model(self, period: int) -> str:
        return f"{self.namespace}:model:{period}"

    def label_bucket(self, period: int) -> str:
        return f"{self.namespace}:labels:{period}"

    def label_bucket_pattern(self) -> str:
        return f"{self.namespace}:labels:*"

    def train_lock(self, period: int) -> str:
        return f"{self.namespace}:train-lock:{period}"

    def customer(self, customer_id: str) -> str:
        return f"{self.namespace}:c:{{{customer_id}}}"

    def due(self, partition: int) -> str:
        """Sorted set of customers of one input partition, scored by next check time."""
        return f"{self.namespace}:due:{partition}"

    def customer_pattern(self) -> str:
        return f"{self.namespace}:c:*"

    def customer_id_of(self, key: bytes) -> str:
        # ns:c:{id} -> id
        return key.decode()[len(self.namespace) + 4 : -1]


def _client_options(settings: Settings, retry: type[Retry] | type[AsyncRetry]) -> dict[str, Any]:
    # A restarting Redis is waited for with exponential backoff (about 30 s in all) rather
    # than crashing the agent; every write is idempotent, so a retried MULTI is safe.
    return {
        **redis_client_options(settings),
        "retry": retry(ExponentialBackoff(cap=2.0, base=0.05), retries=20),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }


def connect(settings: Settings) -> aioredis.Redis:
    """An asyncio Redis client for the configured server (hiredis parses when installed)."""
    return aioredis.from_url(_require_url(settings), **_client_options(settings, AsyncRetry))


def connect_sync(settings: Settings) -> syncredis.Redis:
    return syncredis.from_url(_require_url(settings), **_client_options(settings, Retry))


def _require_url(settings: Settings) -> str:
    if not settings.redis_url:
        raise RuntimeError(
            "CHURNWATCH_REDIS_URL is not set: point it at a Redis server, or run "
            "`churnwatch services` to start embedded ones"
        )
    return settings.redis_url


class CustomerStore:
    """Loads and saves customer states in batches; counts what the engine has done."""

    def __init__(self, client: aioredis.Redis, keys: StateKeys) -> None:
        self.client = client
        self.keys = keys

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

    async def completed_offsets(self, partitions: Iterable[str]) -> dict[str, int]:
        """Per input partition (``topic:partition``), the offset up to which all is applied."""
        fields = list(partitions)
        if not fields:
            return {}
        values = await self.client.hmget(self.keys.offsets, fields)
        return {f: int(v) for f, v in zip(fields, values, strict=True) if v is not None}

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

    async def save(
        self,
        states: Iterable[tuple[int, CustomerState]],
        counts: Mapping[str, int],
        watermark: float | None = None,
        completed_offsets: Mapping[str, int] | None = None,
        set_members: Mapping[str, list[bytes]] | None = None,
        owned_partitions: Iterable[int] = (),
        applied: float | None = None,
        hash_fields: Mapping[str, Mapping[str, bytes]] | None = None,
    ) -> None:
        """Write states, schedules, counters and input progress atomically (MULTI/EXEC).

        ``states`` pairs each customer with the input partition their events arrive on.
        ``watermark`` (how far checks have run) is saved as the worker's and as each of
        ``owned_partitions``'s; ``applied`` is the event time of the latest event applied.
        Progress and state land together, so a restart never re-applies what was saved.
        """
        scheduled: dict[int, dict[str, float]] = {}
        unscheduled: dict[int, list[str]] = {}
        values: dict[str, bytes] = {}
        async with self.client.pipeline(transaction=True) as pipe:
            for partition, state in states:
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
            for name, amount in counts.items():
                if amount:
                    pipe.hincrby(self.keys.stats, name, amount)
            for key, members in (set_members or {}).items():
                pipe.sadd(key, *members)
            for key, fields in (hash_fields or {}).items():
                mapping: RedisMapping = dict(fields)
                pipe.hset(key, mapping=mapping)
            if completed_offsets:
                progress: RedisMapping = dict(completed_offsets)
                pipe.hset(self.keys.offsets, mapping=progress)
            if watermark is not None:
                # GT: with several workers the shared watermark only moves forward
                pipe.zadd(self.keys.watermark, {"event_time": watermark}, gt=True)
                per_partition: RedisMapping = dict.fromkeys(map(str, owned_partitions), watermark)
                if per_partition:
                    pipe.zadd(self.keys.partition_watermarks, per_partition, gt=True)
            if applied is not None:
                pipe.zadd(self.keys.watermark, {"applied": applied}, gt=True)
            await pipe.execute()


def read_all_states(client: syncredis.Redis, keys: StateKeys) -> Iterable[CustomerState]:
    """Every customer in the store (SCAN, so the server never blocks), in no set order."""
    batch: list[bytes] = []
    for key in client.scan_iter(match=keys.customer_pattern(), count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            yield from _decode_batch(client, keys, batch)
            batch = []
    yield from _decode_batch(client, keys, batch)


def _decode_batch(
    client: syncredis.Redis, keys: StateKeys, batch: list[bytes]
) -> Iterable[CustomerState]:
    if not batch:
        return
    values: list[Any] = client.mget(batch)
    for key, value in zip(batch, values, strict=True):
        yield decode_state(keys.customer_id_of(key), value)
