"""Sharing the online model between workers through Redis, period by period of event time.

Workers save the labels they produce into one bucket per period. A worker that reaches
period ``k`` records that its partitions have passed ``k``'s start; the first to take the
train lock waits until every input partition has, learns the missing buckets in order, and
saves snapshot ``k``; every worker then scores period ``k`` with that same snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import math
import pickle
import uuid
from collections.abc import Iterable
from typing import cast

import orjson
import redis as syncredis
import redis.asyncio as aioredis

from models.features import FEATURE_NAMES
from models.labels import LabelledExample
from models.registry import ModelSnapshot
from models.training import TrainingWindow
from streams.settings import Settings
from streams.storage.customers import StateKeys

log = logging.getLogger(__name__)
# Short, and refreshed while the trainer waits at the barrier: a trainer killed mid-period
# holds the others up for seconds, not minutes.
TRAIN_LOCK_SECONDS = 5
POLL_SECONDS = 0.05


def encode_label(example: LabelledExample) -> bytes:
    values = [round(example.features[name], 4) for name in FEATURE_NAMES]
    return orjson.dumps(
        [example.customer_id, example.taken_at, example.labelled_at, example.churned, values]
    )


def decode_label(raw: bytes) -> LabelledExample:
    customer_id, taken_at, labelled_at, churned, values = orjson.loads(raw)
    return LabelledExample(
        customer_id, taken_at, labelled_at, churned, dict(zip(FEATURE_NAMES, values, strict=True))
    )


class ModelPeriods:
    """Event-time periods of the model: ``period_of(t)`` and where each period starts."""

    def __init__(self, days: float) -> None:
        self.seconds = days * 86400.0

    def period_of(self, at: float) -> int:
        return int(at // self.seconds)

    def start(self, period: int) -> float:
        return period * self.seconds


class ModelStore:
    """Snapshots, label buckets and partition progress in Redis."""

    def __init__(self, client: aioredis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.keys = StateKeys(settings.redis_namespace)
        self.periods = ModelPeriods(settings.model_update_days)
        self.partitions = settings.partitions
        self.token = uuid.uuid4().bytes
        # the labels of recent periods, decoded once by the worker that trains
        self.window = TrainingWindow(
            periods=max(1, math.ceil(settings.model_window_days / settings.model_update_days)),
            per_period=settings.model_labels_per_period,
        )

    def label_buckets(
        self, labels: Iterable[LabelledExample], not_before: int
    ) -> dict[str, list[bytes]]:
        """Labels by the bucket (Redis set) of the period they became known in.

        A late label from a period whose snapshot exists goes to ``not_before``, the first
        period not yet learned, so it is learned late rather than never.
        """
        buckets: dict[str, list[bytes]] = {}
        for label in labels:
            bucket = max(self.periods.period_of(label.labelled_at), not_before)
            buckets.setdefault(self.keys.label_bucket(bucket), []).append(encode_label(label))
        return buckets

    async def mark_progress(self, partitions: Iterable[int], until: float) -> None:
        """Record that everything before ``until`` in these partitions is processed and saved."""
        progress = {str(p): until for p in partitions}
        if progress:
            await self.client.zadd(self.keys.progress, progress)

    async def furthest_progress(self) -> float | None:
        """The furthest point in event time any input partition has been processed to."""
        top = await self.client.zrevrange(self.keys.progress, 0, 0, withscores=True)
        return float(top[0][1]) if top else None

    async def snapshot_for(self, period: int, owned_partitions: Iterable[int]) -> ModelSnapshot:
        """Snapshot ``period``, training it if this worker wins the lock, else waiting for it."""
        await self.mark_progress(owned_partitions, self.periods.start(period))
        while True:
            snapshot = await self.load(period)
            if snapshot is not None:
                return snapshot
            if await self.client.set(
                self.keys.train_lock(period), self.token, nx=True, ex=TRAIN_LOCK_SECONDS
            ):
                return await self._train(period)
            log.info("waiting for model period %s from another worker", period)
            await asyncio.sleep(POLL_SECONDS)

    async def load(self, period: int) -> ModelSnapshot | None:
        raw = cast(bytes | None, await self.client.get(self.keys.model(period)))
        # our own snapshots from our own store: the same trust as the customer state beside them
        return None if raw is None else pickle.loads(raw)

    async def latest_at_most(self, period: int) -> ModelSnapshot | None:
        found = await self.client.zrevrangebyscore(self.keys.models, period, "-inf", start=0, num=1)
        return await self.load(int(cast(bytes, found[0]))) if found else None

    async def _train(self, period: int) -> ModelSnapshot:
        await self._wait_for_all_partitions(self.periods.start(period))
        snapshot = await self.latest_at_most(period - 1)
        first = period if snapshot is None else snapshot.period
        if snapshot is None:
            snapshot = ModelSnapshot(
                period=period,
                min_labels=self.settings.min_labels,
                period_days=self.settings.model_update_days,
                horizon_days=self.settings.horizon_days,
            )
        for bucket in range(first, period):
            # every bucket up to this one is complete: all partitions have passed its period
            for missing in self.window.missing(bucket):
                members = await self.client.smembers(self.keys.label_bucket(missing))
                self.window.add(missing, (decode_label(cast(bytes, m)) for m in members))
            snapshot.learn(self.window.buckets[bucket], self.window.data(bucket), bucket + 1)
        snapshot.period = period
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.model(period), pickle.dumps(snapshot))
            pipe.zadd(self.keys.models, {str(period): period})
            await pipe.execute()
        return snapshot

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


def snapshot_at_most(
    client: syncredis.Redis, settings: Settings, period: int
) -> ModelSnapshot | None:
    """The newest snapshot not after ``period``, for the CLI (synchronous Redis)."""
    keys = StateKeys(settings.redis_namespace)
    found = cast(list[bytes], client.zrevrangebyscore(keys.models, period, "-inf", start=0, num=1))
    if not found:
        return None
    raw = cast(bytes | None, client.get(keys.model(int(found[0]))))
    return None if raw is None else pickle.loads(raw)


def snapshot_as_of(client: syncredis.Redis, settings: Settings, at: float) -> ModelSnapshot | None:
    """The snapshot the engine scores event time ``at`` with (the newest before, if none yet)."""
    period = ModelPeriods(settings.model_update_days).period_of(at)
    return snapshot_at_most(client, settings, period)
