"""Training one model period's snapshot from the label buckets of the periods before it.

The same procedure for every store: the Redis one runs it in the worker that wins the train
lock, the in-memory one in the driver. Buckets, and each period's tallies (its pulse and its
census), are read through ``read_bucket`` and ``read_tallies``, as stored.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from functools import partial

from models.drift import Drift
from models.labels import LabelledExample
from models.snapshot import ModelSnapshot
from models.training import Bucket, TrainingWindow
from streams.settings import Settings

ReadBucket = Callable[[int], Awaitable[list[LabelledExample]]]
ReadTallies = Callable[[int], Awaitable[dict[str, int]]]


class Trainer:
    """Learns period after period; keeps the decoded labels of recent periods between them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.window = TrainingWindow(
            periods=max(1, math.ceil(settings.model_window_days / settings.model_update_days)),
            per_period=settings.model_labels_per_period,
        )
        # after a drift, the shortest window: a horizon of labels. A label's outcome spans a
        # horizon, so the labels since a change show the new shop only gradually; fewer are
        # mostly noise (28 days of them cost the CDNOW sample 0.009 of calibration error)
        self.horizon_periods = math.ceil(settings.horizon_days / settings.model_update_days)
        self.relearn_min_periods = self.horizon_periods

    def first_snapshot(self, period: int) -> ModelSnapshot:
        return ModelSnapshot(
            period=period,
            min_labels=self.settings.min_labels,
            period_days=self.settings.model_update_days,
            horizon_days=self.settings.horizon_days,
            window_periods=self.window.periods,
            respond_to_drift=self.settings.model_drift_relearn,
        )

    def _window(self, bucket: int, relearn_from: int | None) -> Bucket:
        """The training labels ending with ``bucket``: since ``relearn_from`` after a drift."""
        since = None
        if relearn_from is not None and self.settings.model_drift_relearn:
            since = min(relearn_from, bucket - self.relearn_min_periods + 1)
        return self.window.data(bucket, since)

    async def train(
        self,
        period: int,
        previous: ModelSnapshot | None,
        read_bucket: ReadBucket,
        read_tallies: ReadTallies,
    ) -> tuple[ModelSnapshot, list[Drift]]:
        """Snapshot ``period``: ``previous`` (the newest before it) taught every bucket since;
        and the drifts found on the way.

        Every bucket before ``period`` is complete: all partitions have passed its period.
        After a drift the refit learns from the drift's period on (at least a horizon of
        labels), until its window has moved past it.
        """
        snapshot = previous or self.first_snapshot(period)
        first = period if previous is None else previous.period
        found: list[Drift] = []
        for bucket in range(first, period):
            for missing in self.window.missing(bucket):
                self.window.add(missing, await read_bucket(missing))
            tallies = await read_tallies(bucket)
            training = partial(self._window, bucket)
            recent = self.window.data(bucket, bucket - self.horizon_periods + 1)
            found += snapshot.learn(
                self.window.buckets[bucket], training, bucket + 1, tallies, recent
            )
        snapshot.period = period
        return snapshot, found
