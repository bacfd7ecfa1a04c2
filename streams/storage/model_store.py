"""Sharing the online model between workers through Redis, period by period of event time.

Workers save the labels they produce into one bucket per period. A worker that reaches
period ``k`` records that its partitions have passed ``k``'s start; the first to take the
train lock waits until every input partition has, learns the missing buckets in order, and
saves snapshot ``k``; every worker then scores period ``k`` with that same snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from typing import Any, cast

from models.labels import LabelledExample
from models.snapshot import ModelSnapshot
from streams.pipeline.periods import ModelPeriods
from streams.pipeline.ports import Announce
from streams.settings import Settings
from streams.storage.connection import AsyncClient, SyncClient, connect
from streams.storage.customers import sum_counters
from streams.storage.keys import StateKeys
from streams.storage.records import decode_label, decode_snapshot, encode_snapshot
from streams.storage.slots import SlotTransactions
from streams.storage.trainer import Trainer

log = logging.getLogger(__name__)
# Short, and refreshed while the trainer waits at the barrier: a trainer killed mid-period
# holds the others up for seconds, not minutes.
TRAIN_LOCK_SECONDS = 5
POLL_SECONDS = 0.05


class RedisModelStore:
    """Snapshots, label buckets and partition progress in Redis."""

    def __init__(self, client: AsyncClient, settings: Settings) -> None:
        self.client = client
        self.transactions = SlotTransactions(client, settings)
        self.keys = StateKeys(settings.redis_namespace)
        self.periods = ModelPeriods(settings.model_update_days)
        self.partitions = settings.partitions
        self.token = uuid.uuid4().bytes
        # keeps the labels of recent periods, decoded once by the worker that trains
        self.trainer = Trainer(settings)

    async def mark_progress(self, partitions: Iterable[int], until: float) -> None:
        """Record that everything before ``until`` in these partitions is processed and saved."""
        progress = {str(p): until for p in partitions}
        if progress:
            await self.client.zadd(self.keys.progress, progress)

    async def furthest_progress(self) -> float | None:
        """The furthest point in event time any input partition has been processed to."""
        top = await self.client.zrevrange(self.keys.progress, 0, 0, withscores=True)
        return float(top[0][1]) if top else None

    async def snapshot_for(
        self, period: int, owned_partitions: Iterable[int], announce: Announce
    ) -> ModelSnapshot:
        """Snapshot ``period``, training it if this worker wins the lock, else waiting for it."""
        await self.mark_progress(owned_partitions, self.periods.start(period))
        while True:
            snapshot = await self.load(period)
            if snapshot is not None:
                return snapshot
            if await self.client.set(
                self.keys.train_lock(period), self.token, nx=True, ex=TRAIN_LOCK_SECONDS
            ):
                return await self._train(period, announce)
            log.info("waiting for model period %s from another worker", period)
            await asyncio.sleep(POLL_SECONDS)

    async def load(self, period: int) -> ModelSnapshot | None:
        raw = cast(bytes | None, await self.client.get(self.keys.model(period)))
        return None if raw is None else decode_snapshot(raw)

    async def latest_at_most(self, period: int) -> ModelSnapshot | None:
        found = await self.client.zrevrangebyscore(self.keys.models, period, "-inf", start=0, num=1)
        return await self.load(int(cast(bytes, found[0]))) if found else None

    async def _train(self, period: int, announce: Announce) -> ModelSnapshot:
        await self._wait_for_all_partitions(self.periods.start(period))
        previous = await self.latest_at_most(period - 1)
        snapshot, drifts = await self.trainer.train(
            period, previous, self._read_bucket, self._read_tallies
        )
        await announce(drifts)
        encoded = encode_snapshot(snapshot)

        def save(pipe: Any) -> None:
            pipe.set(self.keys.model(period), encoded)
            pipe.zadd(self.keys.models, {str(period): period})

        await self.transactions.run({self.keys.models: save})
        return snapshot

    async def _read_bucket(self, period: int) -> list[LabelledExample]:
        """The period's labels from every partition (the trainer puts them in its own order)."""
        async with self.client.pipeline(transaction=False) as pipe:
            for partition in range(self.partitions):
                pipe.smembers(self.keys.label_bucket(partition, period))
            buckets: list[set[bytes]] = await pipe.execute()
        return [decode_label(m) for bucket in buckets for m in bucket]

    async def _read_tallies(self, period: int) -> dict[str, int]:
        async with self.client.pipeline(transaction=False) as pipe:
            for partition in range(self.partitions):
                pipe.hgetall(self.keys.tallies(partition, period))
            each: list[dict[bytes, bytes]] = await pipe.execute()
        return sum_counters(each)

    async def _wait_for_all_partitions(self, until: float) -> None:
        lock = self.keys.train_lock(self.periods.period_of(until))
        waited = 0
        while True:
            progress = await self.client.zrangebyscore(self.keys.progress, until, "+inf")
            if len(progress) >= self.partitions:
                return
            waited += 1
            if waited % 100 == 0:
                log.info(
                    "training period %s waits for partitions: %s of %s have reached it",
                    self.periods.period_of(until),
                    len(progress),
                    self.partitions,
                )
            await self.client.set(lock, self.token, xx=True, ex=TRAIN_LOCK_SECONDS)
            await asyncio.sleep(POLL_SECONDS)


def snapshot_periods(client: SyncClient, keys: StateKeys) -> list[int]:
    """The periods that have a snapshot, oldest first."""
    return [int(p) for p in cast(list[bytes], client.zrange(keys.models, 0, -1))]


def read_snapshot(client: SyncClient, keys: StateKeys, period: int) -> ModelSnapshot | None:
    raw = cast(bytes | None, client.get(keys.model(period)))
    return None if raw is None else decode_snapshot(raw)


def snapshot_at_most(settings: Settings, period: int) -> ModelSnapshot | None:
    """The newest snapshot not after ``period``, for code outside the worker's event loop."""

    async def newest() -> ModelSnapshot | None:
        client = connect(settings)
        try:
            return await RedisModelStore(client, settings).latest_at_most(period)
        finally:
            await client.aclose()

    return asyncio.run(newest())


def snapshot_as_of(settings: Settings, at: float) -> ModelSnapshot | None:
    """The snapshot the engine scores event time ``at`` with (the newest before, if none yet)."""
    return snapshot_at_most(settings, ModelPeriods(settings.model_update_days).period_of(at))
