"""The worker's runtime around the engine: the agent's batches, the timer and rebalances.

Everything here is about *when* the engine may work (which partitions are this worker's,
which have nothing more to deliver); what the work is lives in :mod:`streams.pipeline.engine`.
One lock serializes the agent, the timers and the rebalance callbacks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from faust.types import EventT

from alerts.events import as_utc
from streams.pipeline.engine import Engine, Highwaters
from streams.pipeline.partitions import Partition, numbers
from streams.worker import metrics
from streams.worker.consumer import FaustConsumer

log = logging.getLogger(__name__)

# How long events may wait for a partition whose consumer has fetched to its end but delivered
# nothing: only control records (a transactional producer's commit markers) end such a
# partition. Long, so that a slow machine's fetched-but-undelivered messages are never passed.
MAX_HOLD_SECONDS = 30.0

# How often a caught-up worker settles its latest second and reads the other workers' progress
# from the store: Redis reads, so less often than the release tick (at the batch wait).
FOLLOW_SECONDS = 0.05


class WorkerRuntime:
    """What the agent, the timers and the rebalance callbacks delegate to."""

    def __init__(self, consumer: FaustConsumer, engine_factory: Callable[[], Engine]) -> None:
        self.consumer = consumer
        self.engine_factory = engine_factory
        self.lock = asyncio.Lock()
        self.held_since: float | None = None
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """Made on first use, inside the worker's event loop (its Redis clients belong there)."""
        if self._engine is None:
            self._engine = self.engine_factory()
        self._engine.owned = numbers(self.consumer.assigned())
        return self._engine

    async def intake(self, batch: Sequence[EventT]) -> None:
        """A batch from the agent: valid events wait for event-time order, the rest dead-letter."""
        async with self.lock:
            engine = self.engine
            messages = self.consumer.current(batch)
            resuming = {m.partition for m in messages if not engine.merger.next_offset(m.partition)}
            if resuming:
                completed = await engine.store.completed_offsets(resuming)
                messages = await self.consumer.resume_where_applied(messages, completed)
            with metrics.BATCH_SECONDS.time():
                await engine.intake(messages, self.consumer.highwaters())
            self._note_held(engine)

    async def tick(self) -> None:
        """Called on a timer: release what is now safe."""
        async with self.lock:
            engine = self.engine
            highwaters = self.consumer.highwaters()
            self._report_lag(engine, highwaters)
            released = engine.merger.release(highwaters)
            # also with nothing held: a worker restarted after its last event must still see
            # that it is caught up, so that `follow` settles the checks of that event's second
            idle = await self._nothing_to_deliver(engine, highwaters)
            if idle:
                log.info("partitions with nothing to deliver stop holding others: %s", idle)
                engine.merger.mark_unseen_caught_up(idle)
                released += engine.merger.release(highwaters)
            with metrics.BATCH_SECONDS.time():
                await engine.drain(released, {})
            self._note_held(engine)

    async def follow(self) -> None:
        """Called on a slower timer: once caught up, run the checks of the latest event's
        second, and move event time up to where the other workers are."""
        async with self.lock:
            engine = self.engine
            if self._caught_up(engine, self.consumer.highwaters()):
                await engine.settle()
                await engine.follow_other_workers()
                self._note_held(engine)

    async def on_partitions_revoked(self, revoked: Iterable[Any]) -> None:
        """Forget held events of partitions taken away in a rebalance.

        Held events were neither applied nor acked; their partition's next owner (maybe this
        worker again) reads them again from the last committed offset, and skips what was
        applied by the completed offsets saved in Redis. Taking the lock first lets a batch
        in progress finish. Until the new assignment, the revoked partitions are not this
        worker's: no events of theirs are applied and none of their checks run.
        """
        async with self.lock:
            gone = {Partition(tp.topic, tp.partition) for tp in revoked}
            self.consumer.revoke(gone)
            engine = self.engine
            dropped = engine.merger.forget(gone)
            engine.letters.forget(gone)
            self.held_since = time.monotonic() if len(engine.merger) else None
            if dropped:
                log.info("rebalance: %s held events left to the partitions' next owner", dropped)

    async def on_partitions_assigned(self) -> None:
        """The rebalance is over: the consumer's assignment is this worker's again.

        Event time resumes from the new partitions' own watermarks: a partition taken over
        from a worker that was behind must not have its checks run past its unread events.
        """
        async with self.lock:
            self.consumer.reassigned()
            self.engine.watermark = None

    def _note_held(self, engine: Engine) -> None:
        if not len(engine.merger):
            self.held_since = None
        elif self.held_since is None or engine.worked:
            self.held_since = time.monotonic()
        engine.worked = False

    async def _nothing_to_deliver(self, engine: Engine, highwaters: Highwaters) -> Highwaters:
        """Partitions that have delivered nothing and never will, though their end is ahead.

        After a restart, a partition whose every message is applied (its saved completed offset
        is at its end) delivers nothing: a fact of the store, not of timing, so a recorded
        backlog is ordered the same however fast the machine is. A partition whose consumer
        has fetched to its end but delivered nothing for ``MAX_HOLD_SECONDS`` ends in control
        records only. Partitions that delivered anything are never passed.
        """
        merger = engine.merger
        unseen = {
            p: high
            for p, high in highwaters.items()
            if high is not None
            and high > 0
            and not merger.next_offset(p)
            and not merger.is_passed(p)
        }
        if not unseen:
            return {}
        saved = await engine.store.completed_offsets(unseen)
        idle = {p: h for p, h in unseen.items() if h is not None and saved.get(p, -1) + 1 >= h}
        held_long = (
            self.held_since is not None and time.monotonic() - self.held_since > MAX_HOLD_SECONDS
        )
        for partition, high in unseen.items():
            if held_long and partition not in idle and high is not None:
                position = await self.consumer.position(partition)
                if position is not None and position >= high:
                    idle[partition] = high
        return idle

    @staticmethod
    def _caught_up(engine: Engine, highwaters: Highwaters) -> bool:
        """Nothing held, and every assigned partition read to its end (or known to have
        nothing to deliver, as after a restart with everything applied)."""
        merger = engine.merger
        return (
            bool(highwaters)
            and not len(merger)
            and all(
                high is not None and (merger.next_offset(p) >= high or merger.is_passed(p))
                for p, high in highwaters.items()
            )
        )

    @staticmethod
    def _report_lag(engine: Engine, highwaters: Highwaters) -> None:
        metrics.HELD.set(len(engine.merger))
        if engine.watermark is not None:
            metrics.WATERMARK.set(engine.watermark)
        for partition, high in highwaters.items():
            if high is not None:
                read = engine.merger.next_offset(partition)
                metrics.CONSUMER_LAG.labels(partition.topic, str(partition.partition)).set(
                    max(high - read, 0)
                )

    def health(self) -> dict[str, object]:
        """What /health reports: alive, how far in event time, and with which model."""
        engine = self._engine
        watermark = engine.watermark if engine else None
        snapshot = engine.snapshot if engine else None
        return {
            "status": "ok",
            "watermark": as_utc(watermark).isoformat() if watermark else None,
            "model_version": snapshot.version if snapshot else None,
            "held_events": len(engine.merger) if engine else 0,
            "assigned_partitions": sorted(str(p) for p in self.consumer.assigned()),
        }
