"""Training one model period's snapshot from the label buckets of the periods before it.

The same procedure for every store: the Redis one runs it in the worker that wins the train
lock, the in-memory one in the driver. Buckets are read through ``read_bucket``, as stored.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from models.labels import LabelledExample
from models.registry import ModelSnapshot
from models.training import TrainingWindow
from streams.settings import Settings

ReadBucket = Callable[[int], Awaitable[list[LabelledExample]]]


class Trainer:
    """Learns period after period; keeps the decoded labels of recent periods between them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.window = TrainingWindow(
            periods=max(1, math.ceil(settings.model_window_days / settings.model_update_days)),
            per_period=settings.model_labels_per_period,
        )

    def first_snapshot(self, period: int) -> ModelSnapshot:
        return ModelSnapshot(
            period=period,
            min_labels=self.settings.min_labels,
            period_days=self.settings.model_update_days,
            horizon_days=self.settings.horizon_days,
        )

    async def train(
        self, period: int, previous: ModelSnapshot | None, read_bucket: ReadBucket
    ) -> ModelSnapshot:
        """Snapshot ``period``: ``previous`` (the newest before it) taught every bucket since.

        Every bucket before ``period`` is complete: all partitions have passed its period.
        """
        snapshot = previous or self.first_snapshot(period)
        first = period if previous is None else previous.period
        for bucket in range(first, period):
            for missing in self.window.missing(bucket):
                self.window.add(missing, await read_bucket(missing))
            snapshot.learn(self.window.buckets[bucket], self.window.data(bucket), bucket + 1)
        snapshot.period = period
        return snapshot
