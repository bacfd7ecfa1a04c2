"""The Redis customer-state store: one compact value per customer, one round trip per batch
(on a cluster, one per slot, sent together)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, cast

from alerts.capacity import Candidate, day_of
from models.state import CustomerState
from streams.pipeline.partitions import Partition
from streams.pipeline.periods import ModelPeriods
from streams.pipeline.ports import Changes
from streams.pipeline.processor import DueCheck
from streams.settings import Settings
from streams.storage.codec import decode_state, encode_state
from streams.storage.connection import AsyncClient, SyncClient, mget
from streams.storage.keys import StateKeys
from streams.storage.records import encode_candidate, encode_label, encode_pending
from streams.storage.slots import SlotTransactions, amget

# what redis-py's stubs accept as a hash mapping
RedisMapping = Mapping[Any, Any]


class RedisCustomerStore:
    """Loads and saves customer states in batches; counts what the engine has done."""

    def __init__(self, client: AsyncClient, settings: Settings) -> None:
        self.client = client
        self.keys = StateKeys(settings.redis_namespace)
        self.periods = ModelPeriods(settings.model_update_days)
        self.partitions = range(settings.partitions)
        self.transactions = SlotTransactions(client, settings)

    async def load(self, customers: Mapping[str, int]) -> dict[str, CustomerState]:
        ids = list(customers)
        if not ids:
            return {}
        values = await amget(self.client, [self.keys.customer(customers[c], c) for c in ids])
        return {cid: decode_state(cid, value) for cid, value in zip(ids, values, strict=True)}

    async def _each_partition(self, command: Callable[[Any, int], Any]) -> list[Any]:
        async with self.client.pipeline(transaction=False) as pipe:
            for partition in self.partitions:
                command(pipe, partition)
            return cast(list[Any], await pipe.execute())

    async def watermark(self) -> float | None:
        """The furthest watermark any worker has saved."""
        return _furthest(await self._each_partition(self._score("event_time")))

    async def applied(self) -> float | None:
        """The event time of the latest event any worker has applied."""
        return _furthest(await self._each_partition(self._score("applied")))

    def _score(self, member: str) -> Callable[[Any, int], Any]:
        return lambda pipe, partition: pipe.zscore(self.keys.watermark(partition), member)

    async def resume_point(self, partitions: Iterable[int]) -> float | None:
        """Where event time resumes for a worker given ``partitions``: the least of their
        saved watermarks, each how far its last owner had applied events and run checks.

        Not the furthest watermark: that may be another worker's, ahead of events still
        unread here, and checks run up to it would come before those events.
        """
        wanted = list(partitions)
        if not wanted:
            return None
        async with self.client.pipeline(transaction=False) as pipe:
            for partition in wanted:
                pipe.zscore(self.keys.watermark(partition), "event_time")
            scores: list[Any] = await pipe.execute()
        return min((float(s) for s in scores if s is not None), default=None)

    async def completed_offsets(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        """Per input partition, the offset up to which all is applied."""
        wanted = list(partitions)
        if not wanted:
            return {}
        async with self.client.pipeline(transaction=False) as pipe:
            for p in wanted:
                pipe.hget(self.keys.offsets(p.partition), str(p))
            values: list[Any] = await pipe.execute()
        return {p: int(v) for p, v in zip(wanted, values, strict=True) if v is not None}

    async def stats(self) -> dict[str, int]:
        """The engine's counters, as saved with the work they count, summed over partitions."""
        each = await self._each_partition(lambda pipe, p: pipe.hgetall(self.keys.stats(p)))
        return sum_counters(each)

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
        partitions = sorted(partitions)
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

    async def save(self, changes: Sequence[Changes]) -> None:
        """Write each partition's states, schedule, labels, counters, input progress and
        watermark in one MULTI/EXEC of its slot (on a single Redis, all in one).

        Progress and state land together, so a restart never re-applies what was saved.
        """
        await self.transactions.run(
            {self.keys.shard(c.partition): partial(self._queue, c) for c in changes}
        )

    def _queue(self, changes: Changes, pipe: Any) -> None:
        keys, partition = self.keys, changes.partition
        values: dict[str, bytes] = {}
        scheduled: dict[str, float] = {}
        unscheduled: list[str] = []
        for state in changes.states:
            values[keys.customer(partition, state.customer_id)] = encode_state(state)
            if state.next_check is None:
                unscheduled.append(state.customer_id)
            else:
                scheduled[state.customer_id] = state.next_check
        if values:
            pipe.mset(values)
        if unscheduled:
            pipe.zrem(keys.due(partition), *unscheduled)
        if scheduled:
            pipe.zadd(keys.due(partition), scheduled)
        for name, amount in changes.counts.items():
            if amount:
                pipe.hincrby(keys.stats(partition), name, amount)
        for bucket, labels in self._label_buckets(changes).items():
            pipe.sadd(keys.label_bucket(partition, bucket), *labels)
        for name, amount in changes.tallies.items():
            pipe.hincrby(keys.tallies(partition, changes.labels_not_before), name, amount)
        for day, candidates in _by_day(changes.candidates).items():
            mapping: RedisMapping = {c.alert_id: encode_candidate(c, partition) for c in candidates}
            pipe.hset(keys.alert_candidates(partition, day), mapping=mapping)
        if changes.recoveries:
            pending: RedisMapping = {r.key: encode_pending(r) for r in changes.recoveries}
            pipe.hset(keys.pending_recoveries(partition), mapping=pending)
        if changes.offsets:
            progress: RedisMapping = {str(p): o for p, o in changes.offsets.items()}
            pipe.hset(keys.offsets(partition), mapping=progress)
        # GT: a watermark only moves forward
        if changes.checks_through is not None:
            pipe.zadd(keys.watermark(partition), {"event_time": changes.checks_through}, gt=True)
        if changes.applied is not None:
            pipe.zadd(keys.watermark(partition), {"applied": changes.applied}, gt=True)

    def _label_buckets(self, changes: Changes) -> dict[int, list[bytes]]:
        buckets: dict[int, list[bytes]] = {}
        for label in changes.labels:
            bucket = self.periods.bucket_of(label, changes.labels_not_before)
            buckets.setdefault(bucket, []).append(encode_label(label))
        return buckets

    async def aclose(self) -> None:
        await self.transactions.aclose()


def _furthest(scores: Iterable[Any]) -> float | None:
    return max((float(s) for s in scores if s is not None), default=None)


def sum_counters(hashes: Iterable[Mapping[Any, Any]]) -> dict[str, int]:
    """Counter hashes as read (bytes -> bytes), added up."""
    total: Counter[str] = Counter()
    for raw in hashes:
        total.update({k.decode(): int(v) for k, v in raw.items()})
    return dict(total)


def _by_day(candidates: Iterable[Candidate]) -> dict[int, list[Candidate]]:
    days: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        days.setdefault(day_of(candidate.raised_at), []).append(candidate)
    return days


def read_all_states(client: SyncClient, keys: StateKeys) -> Iterable[CustomerState]:
    """Every customer in the store (SCAN, so the server never blocks; on a cluster, every
    primary), in no set order."""
    batch: list[bytes] = []
    for key in client.scan_iter(match=keys.customer_pattern(), count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            yield from _decode_batch(client, keys, batch)
            batch = []
    yield from _decode_batch(client, keys, batch)


def read_states(
    client: SyncClient, keys: StateKeys, partitions: int, customer_ids: Iterable[str]
) -> dict[str, CustomerState]:
    """The stored state of each of these customers that has one, whatever their partition."""
    wanted = list(dict.fromkeys(customer_ids))
    if not wanted:
        return {}
    names = [keys.customer(p, c) for c in wanted for p in range(partitions)]
    values = iter(mget(client, names))
    found: dict[str, CustomerState] = {}
    for customer_id in wanted:
        stored = [v for v in (next(values) for _ in range(partitions)) if v is not None]
        if stored:
            found[customer_id] = decode_state(customer_id, stored[0])
    return found


def _decode_batch(
    client: SyncClient, keys: StateKeys, batch: list[bytes]
) -> Iterable[CustomerState]:
    if not batch:
        return
    for key, value in zip(batch, mget(client, batch), strict=True):
        yield decode_state(keys.customer_id_of(key), value)
